"""The checks registry: every conformance check, receiver, sender or load side, registered once.

A check is a plain function registered with `@check`, which records its id (`R-...` for the
receiver suite, `S-...` for the sender suite, `L-...` for the load stage), its level (RFC
2119 MUST or SHOULD), which profiles it applies to (by semantic kind, never by profile
name) and its source. The first
line of its docstring is what `hookconform checks list` shows. A check fails by raising a
`harness.errors.ConformanceFailure` subclass.

`applies_to` is either a sequence of `(rule, value)` conditions, all of which must hold, or a
predicate over the profile's typed semantics (`harness.semantics.Semantics`). A condition
holds when the rule's `kind` equals `value`; `not_(value)` negates it; a dotted `rule.param`
compares another parameter, e.g. `("retry.enabled", True)`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.errors import HarnessError
from harness.profiles import Profile
from harness.semantics import Semantics

Level = Literal["MUST", "SHOULD"]
Side = Literal["receiver", "sender", "load"]
LEVELS: tuple[Level, ...] = ("MUST", "SHOULD")
SIDES: tuple[Side, ...] = ("receiver", "sender", "load")

# The modules that hold the checks of each side, imported on first use of the registry.
_MODULES: dict[Side, tuple[str, ...]] = {
    "receiver": ("harness.checks.receiver", "harness.checks.signed"),
    "sender": ("harness.checks.sender", "harness.checks.signing"),
    "load": ("harness.checks.load_stage",),
}


@dataclass(frozen=True)
class Not:
    """A condition value that holds when the parameter is anything but `value`."""

    value: Any


def not_(value: Any) -> Not:
    """`("authenticity", not_("none"))`: the profile has some authenticity kind."""
    return Not(value)


Condition = tuple[str, Any]
AppliesTo = Sequence[Condition] | Callable[[Semantics], bool]


def _holds(condition: Condition, semantics: Semantics) -> bool:
    rule, _, param = condition[0].partition(".")
    actual = getattr(semantics.rule(rule), param or "kind")
    expected = condition[1]
    return bool(actual != expected.value if isinstance(expected, Not) else actual == expected)


def _describe(condition: Condition) -> str:
    name = condition[0] if "." in condition[0] else f"{condition[0]}.kind"
    value = condition[1]
    if isinstance(value, Not):
        return f"{name} != {_literal(value.value)}"
    return f"{name} == {_literal(value)}"


def _literal(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


@dataclass(frozen=True)
class Check:
    """One registered check and what the registry knows about it."""

    id: str
    level: Level
    side: Side
    function: Callable[..., Any] = field(repr=False)
    applies_to: AppliesTo = ()
    source: str = ""
    rule: str | None = None
    scope: Literal["event", "profile"] = "event"
    phase: int = 0
    requires: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        """The first line of the check's docstring."""
        doc = (self.function.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""

    def applies(self, profile: Profile) -> bool:
        """Whether the check applies to `profile`, judged by its semantics alone."""
        if callable(self.applies_to):
            return bool(self.applies_to(profile.semantics))
        return all(_holds(condition, profile.semantics) for condition in self.applies_to)

    def applies_text(self) -> str:
        """The applies-to conditions in words, for `checks list`."""
        if callable(self.applies_to):
            doc = (self.applies_to.__doc__ or "").strip()
            return doc or getattr(self.applies_to, "__name__", "a predicate")
        return " and ".join(_describe(c) for c in self.applies_to) or "every profile"

    def level_for(self, profile: Profile, held: frozenset[str] = frozenset()) -> Level:
        """The level this check is reported at for `profile`.

        A MUST that enforces a rule the profile marks `documented: false` is reported as
        SHOULD: the provider never said so, the rule is a generic default. Rules in `held`
        (values the user set on the command line, such as `--timeout`) keep the declared
        level.
        """
        rule = profile.semantics.rule(self.rule) if self.rule else None
        if self.level == "MUST" and rule is not None and self.rule not in held:
            return "SHOULD" if rule.undocumented else self.level
        return self.level

    def source_for(self, profile: Profile | None) -> str:
        """The source to quote: the profile rule's source when the check enforces a rule."""
        if profile is not None and self.rule:
            return profile.semantics.rule(self.rule).cited
        return self.source


REGISTRY: dict[str, Check] = {}


def check(
    *,
    id: str,
    level: Level,
    side: Side,
    applies_to: AppliesTo = (),
    source: str = "",
    rule: str | None = None,
    scope: Literal["event", "profile"] = "event",
    phase: int = 0,
    requires: Sequence[str] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as check `id`; a second check with that id is refused.

    `rule` names the profile's semantic rule the check enforces (its source is quoted in
    failures, and `documented: false` reports a MUST as SHOULD). `scope` says whether the check
    runs once per event or once per profile; `phase` orders the runner's stages (lower
    first); `requires` names checks that must pass first for the same event.
    """
    if level not in LEVELS:
        raise ValueError(f"check {id}: level must be one of {LEVELS}, not {level!r}")
    if side not in SIDES:
        raise ValueError(f"check {id}: side must be one of {SIDES}, not {side!r}")

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        if id in REGISTRY:
            raise ValueError(f"check {id!r} is already registered")
        if not function.__doc__:
            raise ValueError(f"check {id!r} needs a docstring: `checks list` shows its first line")
        REGISTRY[id] = Check(
            id=id,
            level=level,
            side=side,
            function=function,
            applies_to=applies_to,
            source=source,
            rule=rule,
            scope=scope,
            phase=phase,
            requires=tuple(requires),
        )
        return function

    return register


def load(side: Side | None = None) -> None:
    """Import the modules that register the checks of `side` (both when None)."""
    for name in [side] if side else list(SIDES):
        for module in _MODULES[name]:
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as exc:
                if exc.name != module:
                    raise  # a broken import inside the module is a bug, not a missing suite


def registered(side: Side | None = None, profile: Profile | None = None) -> list[Check]:
    """The registered checks, by id; only `side`'s and only those that apply to `profile`."""
    load(side)
    found = [c for c in REGISTRY.values() if side is None or c.side == side]
    if profile is not None:
        found = [c for c in found if c.applies(profile)]
    return sorted(found, key=lambda c: c.id)


def select(
    checks: Sequence[Check], include: Sequence[str] = (), exclude: Sequence[str] = ()
) -> list[Check]:
    """`checks` narrowed by `--checks` and `--exclude-checks`; unknown ids are a usage error."""
    known = {c.id for c in REGISTRY.values()}
    unknown = [i for i in [*include, *exclude] if i not in known]
    if unknown:
        raise HarnessError(
            f"unknown check id(s): {', '.join(unknown)} (see `hookconform checks list`)"
        )
    chosen = [c for c in checks if (not include or c.id in include) and c.id not in exclude]
    return chosen
