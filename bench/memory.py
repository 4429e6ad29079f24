"""The mock provider's memory over a long log: its RSS before, while and after it delivers and
logs `--count` deliveries to a fast local receiver, and after a client pages through the log.

The mock serves on loopback (`MockServer`); the deliveries are owed to one subscription, fed in
while the engine works, as a burst of triggers would be. The log is then read the way a
client reads it: every page of `GET /_mock/deliveries?limit=1000` over HTTP, and the
dashboard's newest page. RSS is this process's (the mock's; the receiver runs in its own),
from /proc/self/status: VmRSS now and VmHWM, the peak so far. Bounded in time (TIME_LIMIT).

    python bench/memory.py [--count 100000] [--workers 8] [--profile factorial-v1]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import tempfile
import time

import urllib3
from throughput import serve_receiver

from harness.profiles import load_profiles
from mock_provider.app import MockConfig
from mock_provider.server import MockServer

TIME_LIMIT = 600.0
AIM_MB = 150.0
FEED = 1000  # deliveries fed in at a time, between which the engine works


def rss() -> tuple[float, float]:
    """(VmRSS, VmHWM) of this process in MB."""
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                found[name] = int(value.split()[0]) / 1024
    return found["VmRSS"], found["VmHWM"]


def report(stage: str, started: float) -> float:
    now, peak = rss()
    at = time.monotonic() - started
    print(f"{stage:<40} RSS {now:7.1f} MB   peak {peak:7.1f} MB   at {at:6.1f} s")
    return peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--profile", default="factorial-v1")
    args = parser.parse_args()
    if not 1 <= args.count <= 1_000_000 or not 1 <= args.workers <= 64:
        parser.error("--count must be 1..1000000 and --workers 1..64")

    started = time.monotonic()
    deadline = started + TIME_LIMIT
    port = multiprocessing.Value("i", 0)
    receiver = multiprocessing.Process(target=serve_receiver, args=(port,), daemon=True)
    receiver.start()
    catalog = load_profiles()
    http = urllib3.PoolManager(retries=False, timeout=60)
    try:
        while not port.value:
            time.sleep(0.01)
        url = f"http://127.0.0.1:{port.value}/hook"
        with tempfile.TemporaryDirectory() as folder:
            db = os.path.join(folder, "memory.sqlite3")
            config = MockConfig([args.profile], db=db, workers=args.workers)
            with MockServer(config, catalog=catalog) as server:
                mock = server.mock
                profile = mock.profiles[args.profile]
                event = next(iter(profile.events))
                subscription, _ = mock.subscriptions.create(
                    profile, events=[event], target_url=url, secret="bench"
                )
                payload = profile.event(event).example()
                report("mock started, nothing logged", started)
                fed = 0
                while fed < args.count and time.monotonic() < deadline:
                    for _ in range(min(FEED, args.count - fed)):
                        mock.store.add_event(
                            profile.name, event, payload, [(subscription.id, url, 0.0)]
                        )
                    fed += min(FEED, args.count - fed)
                    mock.engine.wake()
                    # Keep the outbox short, as a steady stream of triggers would.
                    while mock.store.owed() > 4 * FEED and time.monotonic() < deadline:
                        time.sleep(0.01)
                while mock.store.owed() and time.monotonic() < deadline:
                    time.sleep(0.05)
                delivered = mock.store.count_deliveries(status="delivered")
                peak = report(f"{delivered} delivered and logged", started)

                link: str | None = "/_mock/deliveries?limit=1000"
                listed = 0
                while link and time.monotonic() < deadline:
                    page = json.loads(http.request("GET", server.url + link).data)
                    listed += len(page["deliveries"])
                    link = page["next"]
                http.request("GET", server.dashboard_url).data  # noqa: B018
                peak = max(peak, report(f"{listed} listed, a page of 1000 at a time", started))
    finally:
        http.clear()
        receiver.terminate()
        receiver.join()
    complete = delivered == listed == args.count
    print(f"all delivered and listed: {complete};  peak {peak:.1f} MB (aim < {AIM_MB:.0f} MB)")
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
