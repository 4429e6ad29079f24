"""The run options of both suites, declared once for the CLI and the pytest plugin.

Each `Option` has one name (`max-examples` is `--max-examples` on the command line,
`--hookconform-max-examples` and the ini value `hookconform_max_examples` in pytest), one
parser (a bad value is an `OptionError` with a sentence a person can act on), one help text,
the suites it applies to, and the field it fills in `ReceiverOptions` or `SenderOptions`,
whose defaults are the only defaults. The target (the receiver's URL, the sender's API) and
the reports are each front end's own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from typing import Any, Literal

from harness.targets import TargetRefused, parse

Side = Literal["receiver", "sender"]
BOTH: frozenset[Side] = frozenset(("receiver", "sender"))
RECEIVER: frozenset[Side] = frozenset(("receiver",))
SENDER: frozenset[Side] = frozenset(("sender",))


class OptionError(ValueError):
    """A value an option does not take, and why."""


@dataclass(frozen=True)
class ReceiverOptions:
    """What the receiver suite was asked to do."""

    url: str
    secret: str | None = None
    events: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    exclude_checks: tuple[str, ...] = ()
    max_examples: int = 10
    timeout: float | None = None
    concurrency: int = 10
    seed: int = 0
    cache_dir: str = ".hookconform-cache"  # harness.plans.DEFAULT_CACHE_DIR
    no_cache: bool = False


@dataclass(frozen=True)
class SenderOptions:
    """What the sender suite was asked to do."""

    api: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    basic_auth: tuple[str, str] | None = None
    trigger_cmd: str | None = None
    trigger_url: str | None = None
    subscribe_cmd: str | None = None
    secret: str | None = None
    time_scale: float = 1.0
    window: float | None = None
    callback_host: str = "127.0.0.1"
    events: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    exclude_checks: tuple[str, ...] = ()
    attempt_timeout: float | None = None  # the sender's per-attempt timeout, when known


# parsers: text -> value, OptionError otherwise -----------------------------------------------


def text(value: str) -> str:
    return value


def whole(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise OptionError(f"not a whole number: {value!r}") from None


def at_least_one(value: str) -> int:
    number = whole(value)
    if number < 1:
        raise OptionError(f"must be at least 1, not {number}")
    return number


def seconds(value: str) -> float:
    """A finite number of seconds (or a factor) more than 0."""
    try:
        number = float(value)
    except ValueError:
        raise OptionError(f"not a number: {value!r}") from None
    if not (number > 0 and math.isfinite(number)):
        raise OptionError(f"must be a finite number more than 0, not {value}")
    return number


def yes_no(value: str) -> bool:
    """An ini value of a flag: true/false, yes/no, on/off, 1/0."""
    word = value.strip().lower()
    if word in ("true", "yes", "on", "1"):
        return True
    if word in ("false", "no", "off", "0"):
        return False
    raise OptionError(f"must be true or false, not {value!r}")


def folder(value: str) -> str:
    if not value.strip():
        raise OptionError("must be a folder's path, not empty")
    return value


def ids(value: str) -> tuple[str, ...]:
    """`A,B, C` as ("A", "B", "C")."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


def url(value: str) -> str:
    try:
        return parse(value).url
    except TargetRefused as exc:
        raise OptionError(str(exc)) from None


def header(value: str) -> tuple[str, str]:
    name, sep, content = value.partition(":")
    if not sep or not name.strip():
        raise OptionError(f"a header is 'Name: value', not {value!r}")
    return name.strip(), content.strip()


def user_password(value: str) -> tuple[str, str]:
    user, sep, password = value.partition(":")
    if not sep:
        raise OptionError("must be USER:PASSWORD")
    return user, password


@dataclass(frozen=True)
class Option:
    """One run option (see the module docstring)."""

    name: str
    field: str
    metavar: str
    help: str
    parse: Callable[[str], Any]
    sides: frozenset[Side]
    repeat: bool = False  # given several times; the values are collected
    short: str | None = None
    flag: bool = False  # takes no value: given, the field is True (`parse` reads an ini's)

    def default(self, side: Side) -> Any:
        """The default of the field this option fills, for `side`'s options."""
        for found in fields(_OPTIONS[side]):
            if found.name == self.field:
                if found.default is not MISSING:
                    return found.default
                return None
        return None


OPTIONS: tuple[Option, ...] = (
    Option(
        "secret",
        "secret",
        "VALUE",
        "What the profile's authenticity kind needs: the challenge, body token, export key or "
        "signing secret the receiver expects, or an account-wide value a sender uses (HireHop's "
        "export key).",
        text,
        BOTH,
    ),
    Option("events", "events", "E1,E2", "Only these events (default: all).", ids, BOTH),
    Option("checks", "checks", "ID,...", "Only these checks.", ids, BOTH),
    Option("exclude-checks", "exclude_checks", "ID,...", "Not these checks.", ids, BOTH),
    Option(
        "max-examples",
        "max_examples",
        "N",
        "Generated valid payloads per event (and a quarter as many invalid ones).",
        at_least_one,
        RECEIVER,
    ),
    Option(
        "timeout",
        "timeout",
        "SECONDS",
        "Seconds an answer may take (default: the profile's timeout).",
        seconds,
        RECEIVER,
    ),
    Option(
        "concurrency",
        "concurrency",
        "N",
        "Deliveries sent at once by R-concurrent; the other checks use half as many.",
        at_least_one,
        RECEIVER,
    ),
    Option("seed", "seed", "N", "The seed of the generated payloads.", whole, RECEIVER),
    Option(
        "cache-dir",
        "cache_dir",
        "DIR",
        "Where the generated payloads are kept for the next run with the same profile, seed "
        "and counts (relative to the working directory).",
        folder,
        RECEIVER,
    ),
    Option(
        "no-cache",
        "no_cache",
        "",
        "Generate every payload afresh and keep none.",
        yes_no,
        RECEIVER,
        flag=True,
    ),
    Option(
        "auth",
        "basic_auth",
        "USER:PASSWORD",
        "HTTP basic credentials for the sender's subscription API.",
        user_password,
        SENDER,
    ),
    Option(
        "header",
        "headers",
        "'NAME: VALUE'",
        "A header for every call to the subscription API, e.g. 'x-api-key: KEY' or "
        "'Authorization: Bearer T'. Repeatable. Against a hookconform mock the mock's default "
        "credentials are used.",
        header,
        SENDER,
        repeat=True,
        short="-H",
    ),
    Option(
        "trigger",
        "trigger_cmd",
        "CMD",
        "Shell command that makes the sender emit an event; it gets HOOKCONFORM_EVENT, "
        "HOOKCONFORM_PROFILE, HOOKCONFORM_SUBSCRIPTION (the API object, JSON), HOOKCONFORM_URL.",
        text,
        SENDER,
    ),
    Option(
        "trigger-url",
        "trigger_url",
        "URL",
        'URL that gets a POST {"type": EVENT} per event.',
        url,
        SENDER,
    ),
    Option(
        "subscribe-cmd",
        "subscribe_cmd",
        "CMD",
        "Shell command that subscribes HOOKCONFORM_URL to HOOKCONFORM_EVENT, for senders "
        "configured in a settings screen (HOOKCONFORM_SECRET: the token to set, if any).",
        text,
        SENDER,
    ),
    Option(
        "time-scale",
        "time_scale",
        "F",
        "The factor the sender multiplies its retry schedule by (a mock's --time-scale).",
        seconds,
        SENDER,
    ),
    Option(
        "window",
        "window",
        "SECONDS",
        "Seconds to wait for a delivery, and to watch for one that must not come (default: the "
        "profile's latency promise, scaled, at least 1 s).",
        seconds,
        SENDER,
    ),
    Option(
        "attempt-timeout",
        "attempt_timeout",
        "SECONDS",
        "The sender's per-attempt timeout; S-retry-after-failure then also checks that a "
        "timed-out attempt is retried.",
        seconds,
        SENDER,
    ),
    Option(
        "callback-host",
        "callback_host",
        "ADDRESS",
        "Address the capture server listens on; the sender must reach it.",
        text,
        SENDER,
    ),
)

_OPTIONS: dict[Side, type[ReceiverOptions] | type[SenderOptions]] = {
    "receiver": ReceiverOptions,
    "sender": SenderOptions,
}


def for_side(side: Side) -> list[Option]:
    return [o for o in OPTIONS if side in o.sides]


def build(side: Side, target: str, values: Mapping[str, Any]) -> ReceiverOptions | SenderOptions:
    """`side`'s options for `target` from parsed values by field (None or absent: the
    default; a repeated option's values are a list). `OptionError` for what does not go
    together."""
    given = {
        o.field: values[o.field]
        for o in for_side(side)
        if values.get(o.field) not in (None, (), [])
    }
    if "headers" in given:
        given["headers"] = dict(given["headers"])
    if side == "receiver":
        return ReceiverOptions(url=target, **given)
    if given.get("trigger_cmd") and given.get("trigger_url"):
        raise OptionError("give --trigger or --trigger-url, not both")
    return SenderOptions(api=target or None, **given)


def narrowed(
    options: ReceiverOptions | SenderOptions, checks: Iterable[str], events: Iterable[str]
) -> ReceiverOptions | SenderOptions:
    """The same options with only `checks` on only `events` (all when empty)."""
    return replace(options, checks=tuple(checks), events=tuple(events))
