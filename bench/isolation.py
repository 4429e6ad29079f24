"""A healthy receiver's delivery latency while hostile ones hang, next to the same burst alone.

A mock (staffology, `--timeout 2`) has five subscribers: a healthy receiver and four hostile
ones from the tests (one that never answers, one that answers a 1 GiB body, one that resets
the connection, one that drips a byte every 0.2 s). Each round triggers a burst of events;
a healthy delivery's latency is from its trigger to its arrival. The baseline round has the
healthy subscriber alone. Loopback only, bounded in rounds and time.

    python bench/isolation.py [--events 20] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hostile import Hostile  # the tests' hostile receivers
from mock_support import basic, receiver, running

HOSTILE = ("hang", "huge", "reset", "drip")
PATH = "/employers/6f1c2b8e-4d0a-4f59-9a53-2e8c1d7b0a41/webhooks"
PAYLOAD = [{"id": "00000000-0000-0000-0000-000000000001", "firstName": "A"}]
TIMEOUT = 2.0


def burst(events: int, hostile: bool) -> list[float]:
    """Seconds from trigger to arrival of each healthy delivery of one burst."""
    with ExitStack() as stack:
        _, client = stack.enter_context(running("staffology", timeout=TIMEOUT, time_scale=0.01))
        healthy = stack.enter_context(receiver())
        others = [stack.enter_context(Hostile(k)) for k in HOSTILE] if hostile else []
        for url in [healthy.url, *(h.url for h in others)]:
            body = {"webhookEvent": "Employee_Created", "url": url}
            client.ok("POST", PATH, body, headers=basic("test:test"))
        sent = {}
        for number in range(events):
            sent[str(number)] = time.time()
            trigger = {"/0/firstName": str(number)}
            client.ok(
                "POST",
                "/_mock/events",
                {"type": "Employee_Created", "data": PAYLOAD, "set": trigger},
            )
        arrived = healthy.wait_for(events, timeout=30)
    return [r.at - sent[r.json()[0]["firstName"]] for r in arrived]


def _p(values: list[float], q: float) -> float:
    return (
        statistics.quantiles(values, n=100, method="inclusive")[q - 1]
        if len(values) > 1
        else values[0]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not 1 <= args.events <= 500 or not 1 <= args.rounds <= 20:
        parser.error("--events must be 1..500 and --rounds 1..20")
    alone: list[float] = []
    beside: list[float] = []
    for _ in range(args.rounds):  # alternating, so that load from elsewhere hits both
        alone += burst(args.events, hostile=False)
        beside += burst(args.events, hostile=True)
    print(f"{args.rounds} rounds of {args.events} events, mock --timeout {TIMEOUT:g} s")
    for name, found in (("alone", alone), ("beside 4 hostile", beside)):
        print(
            f"healthy receiver {name:<17} p50 {_p(found, 50) * 1000:7.1f} ms"
            f"  p99 {_p(found, 99) * 1000:7.1f} ms  max {max(found) * 1000:7.1f} ms"
        )
    print(f"ratio p99 beside / alone: {_p(beside, 99) / _p(alone, 99):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
