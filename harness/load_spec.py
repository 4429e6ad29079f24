"""What a load run was asked for: the rate or the users, the duration, the burst shape.

Pure: the parsers turn the command line's words into numbers (a bad value is an
`OptionError` a person can act on), and `stages` turns a steady rate, a burst or a number
of users into the steps the Locust shape runs. A rate is open-loop: each simulated sender
paces its deliveries so that all of them together make the rate, whatever the receiver's
latency (as a provider's workers do); `--users N` is closed-loop instead: N senders, each
sending the next delivery as soon as the last was answered.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from harness.options import OptionError

PLAN_ENV = "HOOKCONFORM_LOAD_PLAN"  # where the Locust child finds the plan (harness.load_plan)
RESULT_ENV = "HOOKCONFORM_LOAD_RESULT"  # where it writes what it measured
PROGRESS = "hookconform-load: "  # marks the child's progress lines among Locust's own
PER_USER = 10.0  # deliveries per second one simulated sender makes at most (open loop)
DEFAULT_SECONDS = 30.0
UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration(value: str) -> float:
    """`30`, `30s`, `2m`, `1h` -> seconds (more than 0)."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", value)
    if found is None:
        raise OptionError(f"{value!r} is not a duration: write seconds, or 30s, 2m, 1h")
    if float(found.group(1)) <= 0:
        raise OptionError(f"a duration must be more than 0, not {value!r}")
    return float(found.group(1)) * UNITS[found.group(2)]


def rate(value: str) -> float:
    """A positive number of deliveries per second."""
    try:
        found = float(value)
    except ValueError:
        raise OptionError(f"{value!r} is not a rate: deliveries per second, e.g. 50") from None
    if not math.isfinite(found) or found <= 0:
        raise OptionError(
            f"the rate must be a number more than 0 deliveries per second, not {value}"
        )
    return found


@dataclass(frozen=True)
class Stage:
    """One step of the run: `seconds` long, at `rate` deliveries per second (open loop) or
    with `users` senders as fast as each is answered (closed loop, `rate` None)."""

    seconds: float
    users: int
    rate: float | None

    @property
    def pace(self) -> float | None:
        """Seconds between two deliveries of one sender (None: no pause)."""
        return None if self.rate is None else self.users / self.rate


@dataclass(frozen=True)
class LoadOptions:
    """What the load run was asked to do (`stages` from `harness.load_spec.stages`)."""

    url: str
    stages: tuple[Stage, ...]
    secret: str | None = None
    events: tuple[str, ...] = ()
    workers: int = 0  # Locust worker processes on this machine (0: one process)
    master: bool = False  # the master of workers started elsewhere (plain Locust)
    expect_workers: int = 1
    master_port: int = 5557
    timeout: float | None = None  # the provider's; the profile's when None
    seed: int = 0
    cache_dir: str | None = ".hookconform-cache"
    plan_copy: str | None = None  # the plan also written here, for workers elsewhere
    checks: tuple[str, ...] = ()  # only these load checks (pytest's -k narrows by them)
    exclude_checks: tuple[str, ...] = ()


def burst(value: str) -> list[tuple[float, float]]:
    """`50:10,500:5,50:10` -> [(rate, seconds), ...]."""
    steps = []
    for part in value.split(","):
        pieces = part.strip().split(":")
        if len(pieces) != 2:
            raise OptionError(
                f"{part.strip()!r} is not a step: write RATE:SECONDS steps, e.g. 50:10,500:5,50:10"
            )
        steps.append((rate(pieces[0]), duration(pieces[1])))
    return steps


def users_for(value: float) -> int:
    """How many open-loop senders make `value` deliveries per second."""
    return max(1, math.ceil(value / PER_USER))


def stages(
    *,
    rate_value: float | None = None,
    users: int | None = None,
    seconds: float | None = None,
    steps: list[tuple[float, float]] | None = None,
) -> list[Stage]:
    """The run's stages: a burst's steps, or one steady stage (a rate, or a number of users;
    10 deliveries per second when neither is given)."""
    if users is not None and (rate_value is not None or steps):
        raise OptionError("--users is closed-loop load: give it without --rate and --burst")
    if steps and rate_value is not None:
        raise OptionError("--burst gives the rates: leave out --rate")
    if steps and seconds is not None:
        raise OptionError("--burst gives the durations: leave out --duration")
    if users is not None:
        if users < 1:
            raise OptionError(f"--users must be at least 1, not {users}")
        return [Stage(seconds or DEFAULT_SECONDS, users, None)]
    if steps:
        return [Stage(s, users_for(r), r) for r, s in steps]
    chosen = rate_value if rate_value is not None else PER_USER
    return [Stage(seconds or DEFAULT_SECONDS, users_for(chosen), chosen)]
