"""Deliveries per second: the mock provider against a bare pooled urllib3 POST loop.

Both send to the same fast local receiver (a keep-alive HTTP/1.1 server in its own process)
with the same concurrency. The mock's figure includes everything a delivery costs: reading
the outbox, building the request from the profile, the HTTP round trip and logging the
attempt durably in SQLite (WAL).

It then times the phases of one delivery (reading the outbox, building the request, the
round trip, logging) over `--phases` deliveries made one at a time.

    python bench/throughput.py [--count 5000] [--workers 8] [--profile factorial-v1]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import urllib3

from harness.profiles import load_profiles
from harness.wire import delivery_request
from mock_provider.app import Mock, MockConfig
from mock_provider.delivery import authenticity_secret, build_request, subscriber_headers
from mock_provider.outbound import logged_attempt
from mock_provider.store import Record

TIME_LIMIT = 120.0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One write per answer and no Nagle delay: otherwise every request waits for a delayed ACK.
    wbufsize = 65536
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def serve_receiver(port: multiprocessing.Value) -> None:  # type: ignore[valid-type]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    port.value = server.server_address[1]
    server.serve_forever()


def bare_loop(url: str, body: bytes, headers: dict[str, str], count: int, workers: int) -> float:
    """Deliveries/s of plain pooled POSTs from `workers` threads."""
    http = urllib3.PoolManager(maxsize=workers, retries=False)
    left = [count]
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            http.request("POST", url, body=body, headers=headers).status  # noqa: B018

    threads = [threading.Thread(target=work) for _ in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    http.clear()
    return count / elapsed


def _outbox(mock: Mock, profile_name: str, url: str, count: int) -> list[Any]:
    """`count` events of the profile's first event owed to one subscription at `url`; what
    `add_event` made of each."""
    profile = mock.profiles[profile_name]
    event = next(iter(profile.events))
    subscription, _ = mock.subscriptions.create(
        profile, events=[event], target_url=url, secret="bench"
    )
    payload = profile.event(event).example()
    return [
        mock.store.add_event(profile.name, event, payload, [(subscription.id, url, 0.0)])
        for _ in range(count)
    ]


def mock_engine(url: str, profile_name: str, count: int, workers: int) -> tuple[float, int]:
    """Deliveries/s of the mock's engine working an outbox of `count` deliveries."""
    catalog = load_profiles()
    with tempfile.TemporaryDirectory() as folder:
        config = MockConfig(
            [profile_name], db=os.path.join(folder, "bench.sqlite3"), workers=workers
        )
        mock = Mock(config, catalog)
        try:
            _outbox(mock, profile_name, url, count)
            started = time.perf_counter()
            mock.start()
            deadline = time.monotonic() + TIME_LIMIT
            while mock.store.owed() and time.monotonic() < deadline:
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
            delivered = len(mock.store.deliveries(status="delivered", limit=count + 1))
        finally:
            mock.close()
    return delivered / elapsed, delivered


def phases(url: str, profile_name: str, count: int) -> dict[str, float]:
    """Where one delivery's time goes, in microseconds: each phase of the engine's delivery
    path timed over `count` deliveries made one after another (one thread, so no waiting for
    another's lock is counted), the log committed 64 records a transaction as under load."""
    catalog = load_profiles()
    spent = dict.fromkeys(("outbox read", "request build", "HTTP round trip", "log"), 0.0)
    with tempfile.TemporaryDirectory() as folder:
        config = MockConfig([profile_name], db=os.path.join(folder, "phases.sqlite3"))
        mock = Mock(config, catalog)
        try:
            made = _outbox(mock, profile_name, url, count)
            profile = mock.profiles[profile_name]
            records = []
            for _, (delivery_id,) in made:
                clock = time.perf_counter()
                work = mock.store.work(delivery_id)
                assert work is not None
                delivery, found = work
                assert found is not None
                read = time.perf_counter()
                secret = authenticity_secret(profile, found, mock.store)
                headers = {**subscriber_headers(profile, found), **delivery.headers}
                variant = profile.for_subscription(found.object, delivery.event_type)
                request = build_request(
                    variant, delivery.event_type, delivery.payload, secret, mock.faults, headers
                )
                built = time.perf_counter()
                outcome = mock.outbound.send(found.target_url, request)
                sent = time.perf_counter()
                attempt = logged_attempt(1, request, outcome, mock.clock.now())
                records.append(Record(delivery_id, attempt, status="delivered"))
                spent["outbox read"] += read - clock
                spent["request build"] += built - read
                spent["HTTP round trip"] += sent - built
                if len(records) == 64 or delivery_id == made[-1][1][0]:
                    logging = time.perf_counter()
                    mock.store.record_attempts(records)
                    spent["log"] += time.perf_counter() - logging
                    records = []
        finally:
            mock.close()
    return {name: seconds / count * 1e6 for name, seconds in spent.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--profile", default="factorial-v1")
    parser.add_argument("--rounds", type=int, default=3, help="Alternate runs; the best counts.")
    parser.add_argument(
        "--phases", type=int, default=1000, help="Deliveries timed phase by phase (0: none)."
    )
    args = parser.parse_args()
    if not 1 <= args.count <= 200_000 or not 1 <= args.workers <= 64 or not 1 <= args.rounds <= 10:
        parser.error("--count must be 1..200000, --workers 1..64 and --rounds 1..10")

    port = multiprocessing.Value("i", 0)
    receiver = multiprocessing.Process(target=serve_receiver, args=(port,), daemon=True)
    receiver.start()
    try:
        while not port.value:
            time.sleep(0.01)
        url = f"http://127.0.0.1:{port.value}/hook"
        profile = load_profiles().get(args.profile)
        sample = delivery_request(
            profile, profile.event(next(iter(profile.events))).example(), secret="bench"
        )
        bare, rate, delivered = 0.0, 0.0, args.count
        for _ in range(args.rounds):  # alternating, so that load from elsewhere hits both
            bare = max(bare, bare_loop(url, sample.body, sample.headers, args.count, args.workers))
            measured, got = mock_engine(url, args.profile, args.count, args.workers)
            rate, delivered = max(rate, measured), min(delivered, got)
        split = phases(url, args.profile, args.phases) if args.phases else {}
    finally:
        receiver.terminate()
        receiver.join()
    print(
        f"profile {args.profile}, {args.count} deliveries, {args.workers} workers,"
        f" best of {args.rounds} rounds"
    )
    print(f"bare pooled urllib3 loop:  {bare:8.0f} deliveries/s")
    complete = delivered == args.count
    print(f"mock provider (logged):    {rate:8.0f} deliveries/s  (all delivered: {complete})")
    print(f"ratio mock / bare:         {rate / bare:8.2f}")
    if split:
        print(f"one delivery's time, phase by phase ({args.phases} made one at a time):")
        for name, micros in split.items():
            print(f"  {name:<24}{micros:8.0f} us")
        print(f"  {'all':<24}{sum(split.values()):8.0f} us")
    return 0 if delivered == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
