"""The mock's clock: the real one, with its schedules scaled, or a virtual one that stands
still until it is advanced.

Everything the mock dates or schedules reads `Clock.now()`: an event's and a delivery's
creation, when an attempt is due and when it is logged, retry windows, exhaustion and the
notifications. `scale` multiplies every delay the profile promises (`--time-scale`); the
virtual clock's is 1, since its seconds are the provider's own and cost nothing to pass.

An attempt's deadline is never on this clock: a receiver's slowness is real, so the HTTP
client measures it with `time.perf_counter` whatever the mode.

How an advance runs is the engine's business (`Engine.advance`): it moves a virtual clock
from one due attempt to the next, so each is made, and logged, at the time it fell due.
"""

from __future__ import annotations

import threading
import time
from typing import Literal

Mode = Literal["real", "virtual"]
MODES: tuple[Mode, ...] = ("real", "virtual")


class Clock:
    """The real clock: `now()` is the system's time; delays are multiplied by `scale`."""

    mode: Mode = "real"

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    @property
    def virtual(self) -> bool:
        return self.mode == "virtual"

    def now(self) -> float:
        return time.time()


class VirtualClock(Clock):
    """A clock that starts at the real time and moves only when `move_to` is called."""

    mode: Mode = "virtual"

    def __init__(self, start: float | None = None) -> None:
        super().__init__(scale=1.0)
        # a whole second: whole-second delays and advances then add up exactly
        self._now = float(int(time.time())) if start is None else start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def move_to(self, when: float) -> None:
        """Set the time to `when`; never backwards (an earlier `when` leaves it as it is)."""
        with self._lock:
            self._now = max(self._now, when)


def make(mode: str, scale: float) -> Clock:
    """The clock `--clock MODE` and `--time-scale SCALE` ask for."""
    return VirtualClock() if mode == "virtual" else Clock(scale)
