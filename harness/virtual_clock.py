"""A hookconform mock's virtual clock as the sender suite drives it.

When `--api` is a hookconform mock started with `--clock virtual`, the suite does not sleep:
it advances the mock's clock (`POST /_mock/clock`), which makes every attempt that falls due
on the way at its exact time before it answers, and it dates what the capture server gets by
the mock's clock. So S-retry-schedule and S-disable-after-exhaustion check the schedule
exactly (to the millisecond, no slack), S-latency has no slack for a loaded machine, and a
48-hour schedule takes as long as its attempts take on the wire.
"""

from __future__ import annotations

from typing import Any

from harness.errors import HarnessError
from harness.mock_client import MockClient

# How long one advance may wait, in real seconds, for the attempts it makes (each is bounded
# by the mock's own attempt timeout; a capture reply may be held on purpose).
ADVANCE_WAIT = 120.0


class VirtualClock:
    """The clock of a mock in virtual mode: read it, advance it."""

    def __init__(self, mock: MockClient) -> None:
        self.mock = mock

    @classmethod
    def detect(cls, mock: MockClient) -> VirtualClock | None:
        """The mock's clock when it is virtual; None for a real clock (or a mock that has
        none to show)."""
        status, answer = mock.call("GET", "/clock")
        if status == 200 and isinstance(answer, dict) and answer.get("mode") == "virtual":
            return cls(mock)
        return None

    def now(self) -> float:
        """The mock's time, in seconds since 1970."""
        return float(self.mock.checked("GET", "/clock")["epoch"])

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the clock by `seconds`; returns once every attempt due on the way is made."""
        body = {"advance_seconds": max(seconds, 0.0), "wait_seconds": ADVANCE_WAIT}
        answer: dict[str, Any] = self.mock.checked(
            "POST", "/clock", body, timeout=ADVANCE_WAIT + 10
        )
        if not answer.get("done"):
            raise HarnessError(
                f"the mock's virtual clock stopped at {answer.get('now')} with "
                f"{answer.get('in_flight')} attempt(s) still in flight after {ADVANCE_WAIT:g} s"
            )
        return answer
