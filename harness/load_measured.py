"""What a load run measured: per delivery when it was sent, how long the answer took and
what came of it, with the figures a report shows (percentiles, counts by outcome).

Plain data, read from what the Locust child wrote (`harness.loadfile`); the load checks
(`harness.checks.load_stage`) and the latency page (`harness.load_plot`) read it.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# (wall-clock time it was sent, milliseconds to the answer, outcome: 2xx, 3xx, 4xx, 5xx,
# timeout or connection-error)
Record = tuple[float, float, str]


@dataclass
class Measured:
    """What the child recorded: per delivery when it was sent, how long the answer took and
    what came of it (2xx, 4xx, 5xx, timeout, connection-error)."""

    records: list[Record]
    started: float
    by_worker: dict[str, int] = field(default_factory=dict)  # Locust workers: how many each sent
    seconds: float = 0.0  # the planned length of the run
    by_outcome: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.by_outcome = Counter(r[2] for r in self.records)

    def percentile(self, share: float) -> float:
        latencies = sorted(r[1] for r in self.records)
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, math.ceil(share * len(latencies)) - 1)]

    def summary(self, timeout: float) -> dict[str, Any]:
        late = sum(1 for r in self.records if r[1] > timeout * 1000.0)
        return {
            "deliveries": len(self.records),
            "per_second": round(len(self.records) / self.seconds, 1) if self.seconds else None,
            "latency_ms": {
                "p50": round(self.percentile(0.50), 2),
                "p95": round(self.percentile(0.95), 2),
                "p99": round(self.percentile(0.99), 2),
                "max": round(max((r[1] for r in self.records), default=0.0), 2),
            },
            "by_outcome": dict(sorted(self.by_outcome.items())),
            "later_than_timeout": late,
            "by_worker": dict(self.by_worker),
        }
