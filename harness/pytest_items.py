"""Conformance checks as pytest items: one per (check, event) under a `hookconform` node.

With `--hookconform-receiver URL` (or `--hookconform-sender-api URL`) the plugin adds a
`HookconformCollector` to the session; its items are the checks of that side that apply to
the profile, one per event (one for a profile-wide check). The suite runs once, when the
first item runs, with only the checks and events of the items still selected after `-k` and
`-m`; every item then reports its own result:

- passed: passes;
- failed, level MUST: fails, showing the conformance message (what was sent, what came back,
  what was expected, the source) and no traceback;
- failed, level SHOULD: xfail, the reason naming what was not met: CI stays green exactly
  when `hookconform receiver` would exit 0, and `-rx` lists what to improve;
- blocked or skipped: skipped, with the reason;
- the harness could not run (unreachable target, missing secret): fails with that message.

Under pytest-xdist the first worker to reach a hookconform item runs the suite and writes
the outcomes into the run's shared temporary folder; the other workers read them, so the
target sees one run, not one per worker.
"""

from __future__ import annotations

import functools
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from harness import checks as registry
from harness.errors import HarnessError
from harness.load_spec import LoadOptions
from harness.options import ReceiverOptions, SenderOptions, narrowed
from harness.profiles import Profile
from harness.report import Report, Result, failure_text


@dataclass(frozen=True)
class Target:
    """What to run: one side of the suite for a profile, with that side's options (the URL
    and every setting, `harness.options`)."""

    side: registry.Side
    profile: Profile
    options: ReceiverOptions | SenderOptions | LoadOptions

    @property
    def url(self) -> str:
        if isinstance(self.options, SenderOptions):
            return self.options.api or ""
        return self.options.url

    def applicable(self) -> list[registry.Check]:
        """The checks of this side that apply to the profile, narrowed by the options."""
        found = registry.registered(self.side, self.profile)
        return registry.select(found, self.options.checks, self.options.exclude_checks)

    def units(self) -> list[tuple[registry.Check, str | None]]:
        """Every (check, event) the suite reports, in the report's order."""
        events = list(self.options.events) or list(self.profile.events)
        return [
            (check, event)
            for check in self.applicable()
            for event in ([None] if check.scope == "profile" else events)
        ]

    def run(self, checks: Sequence[str], events: Sequence[str]) -> Report:
        """Run this side's suite with only `checks` on only `events` (all when empty)."""
        if isinstance(self.options, LoadOptions):  # Locust, in its own child process
            from harness.load import run_load

            return run_load(self.profile, replace(self.options, checks=tuple(checks)))[0]
        options = narrowed(self.options, checks, events)
        if isinstance(options, ReceiverOptions):
            from harness.receiver import run_receiver

            return run_receiver(self.profile, options)
        from harness.sender import run_sender

        return run_sender(self.profile, options)


@dataclass
class ItemOutcome:
    """One result as its item reports it: plain data, so that it crosses xdist workers."""

    name: str
    summary: str
    status: str
    level: str
    reason: str = ""
    text: str = ""

    @classmethod
    def of(cls, result: Result) -> ItemOutcome:
        return cls(
            result.name,
            result.summary,
            result.status,
            result.level,
            result.reason,
            failure_text(result),
        )

    @property
    def headline(self) -> str:
        """The failure's first line."""
        text = self.text or self.reason
        return text.splitlines()[0] if text else ""


class ConformanceError(Exception):
    """An item's failure: the conformance message, shown without a traceback."""

    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__(text)


class SuiteRun:
    """The one run of a side's suite that every item of that side shares."""

    def __init__(self, target: Target, shared: Path | None) -> None:
        self.target = target
        self.shared = shared
        self._outcomes: dict[str, Any] | None = None

    def outcome(self, item: ConformanceItem) -> ItemOutcome:
        """The outcome for `item`, running the suite first if nobody has."""
        if self._outcomes is None:
            selected = [
                i
                for i in item.session.items
                if isinstance(i, ConformanceItem) and i.target.side == self.target.side
            ]
            # Should the run raise, the first item shows it and the others say so.
            self._outcomes = {"error": "the suite stopped on an unexpected error (see above)"}
            compute = functools.partial(self._compute, selected)
            self._outcomes = compute() if self.shared is None else self._shared(compute)
        if "error" in self._outcomes:
            raise ConformanceError(f"hookconform could not run: {self._outcomes['error']}")
        found = self._outcomes["outcomes"].get(item.name)
        if found is None:
            raise ConformanceError(f"hookconform: the run reported nothing for {item.name}")
        return ItemOutcome(**found)

    def _compute(self, selected: Sequence[ConformanceItem]) -> dict[str, Any]:
        checks = sorted({i.check.id for i in selected})
        profile_wide = any(i.event is None for i in selected)
        chosen = sorted({i.event for i in selected if i.event is not None})
        # A profile-wide check (a burst over every event) keeps the configured events.
        events = self.target.options.events if profile_wide else chosen
        try:
            report = self.target.run(checks, events)
        except HarnessError as exc:
            return {"error": str(exc)}
        return {"outcomes": {r.name: asdict(ItemOutcome.of(r)) for r in report.results}}

    def _shared(self, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """`compute()` in the first worker to get here; the others wait for its file."""
        assert self.shared is not None
        self.shared.mkdir(parents=True, exist_ok=True)
        results = self.shared / f"hookconform-{self.target.side}.json"
        lock = self.shared / f"hookconform-{self.target.side}.lock"
        try:
            descriptor = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return _wait_for(results, lock)
        with os.fdopen(descriptor, "w") as owner:
            owner.write(str(os.getpid()))
        data: dict[str, Any] = {"error": "the worker running the suite failed"}
        try:
            data = compute()
        finally:
            partial = results.with_suffix(".partial")
            partial.write_text(json.dumps(data), encoding="utf-8")
            os.replace(partial, results)
        return data


def _wait_for(results: Path, lock: Path) -> dict[str, Any]:
    """The outcomes another worker writes; an error if that worker died first."""
    while not results.exists():
        owner = lock.read_text(encoding="utf-8").strip()
        if owner and not _alive(int(owner)):
            return {"error": "the pytest-xdist worker running the suite stopped before the end"}
        time.sleep(0.05)
    return json.loads(results.read_text(encoding="utf-8"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def shared_folder(config: pytest.Config) -> Path | None:
    """The folder pytest-xdist workers share for this run; None outside xdist."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        return None
    basetemp = config.option.basetemp
    if basetemp:  # xdist gives each worker `<run's basetemp>/popen-gwN`
        return Path(basetemp).parent
    return Path(tempfile.gettempdir()) / f"hookconform-{workerinput['testrunuid']}"


class HookconformCollector(pytest.Collector):
    """The `hookconform` node: one item per (check, event) of each configured side."""

    def __init__(self, *, targets: Sequence[Target], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.targets = list(targets)
        shared = shared_folder(self.config)
        self.runs = {t.side: SuiteRun(t, shared) for t in self.targets}

    def collect(self) -> Iterator[ConformanceItem]:
        for target in self.targets:
            for check, event in target.units():
                name = f"{check.id}[{event}]" if event else check.id
                yield ConformanceItem.from_parent(
                    self,
                    name=name,
                    target=target,
                    check=check,
                    event=event,
                    run=self.runs[target.side],
                )


class ConformanceItem(pytest.Item):
    """One check on one event; its outcome comes from the shared run of the suite."""

    def __init__(
        self,
        *,
        target: Target,
        check: registry.Check,
        event: str | None,
        run: SuiteRun,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.target = target
        self.check = check
        self.event = event
        self.suite = run
        level = check.level_for(target.profile)
        # `-k MUST`, `-k receiver` and `-k <event>` select by these as well as by name.
        self.extra_keyword_matches.update({level, target.side, target.profile.name})
        self.user_properties += [
            ("check", check.id),
            ("level", level),
            ("event", event or "(profile)"),
            ("profile", target.profile.name),
            ("source", check.source_for(target.profile)),
        ]

    def runtest(self) -> None:
        judge(self.suite.outcome(self))

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | Any:
        if isinstance(excinfo.value, ConformanceError):
            return excinfo.value.text
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        where = f" on {self.event}" if self.event else ""
        return self.path, None, f"hookconform {self.target.side} {self.check.id}{where}"


def judge(*outcomes: ItemOutcome) -> None:
    """Turn outcomes into pytest's verdict (see the module docstring): a failure when a MUST
    failed or the harness broke, else xfail when a SHOULD failed, else a skip when none ran.
    """
    broken = [
        o for o in outcomes if o.status == "error" or (o.status == "failed" and o.level == "MUST")
    ]
    if broken:
        raise ConformanceError("\n\n".join(_failure(o) for o in broken))
    unmet = [o for o in outcomes if o.status == "failed"]
    if unmet:
        pytest.xfail("; ".join(f"SHOULD not met: {o.name}: {o.headline}" for o in unmet))
    if outcomes and all(o.status in ("blocked", "skipped") for o in outcomes):
        pytest.skip("; ".join(dict.fromkeys(f"{o.status}: {o.reason}" for o in outcomes)))


def _failure(outcome: ItemOutcome) -> str:
    verdict = "ERROR (a bug in the check)" if outcome.status == "error" else "FAILED"
    return f"{outcome.level} {outcome.name} {verdict}: {outcome.summary}\n{outcome.text}"
