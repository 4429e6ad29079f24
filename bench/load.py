"""Requests per second of `hookconform load` next to plain Locust and a bare urllib3 loop.

All four send the same plan delivery's bytes (resthooks, no secret) to the same fast local
receiver (`bench/throughput.py`'s keep-alive HTTP/1.1 server, in its own process, answering
the profile's hook-secret handshake too) with the same number of closed-loop senders:

1. a bare pooled urllib3 loop (`bench/throughput.py`'s `bare_loop`), `--users` threads, its
   count set from a short first run to last about `--seconds`;
2. a plain Locust `FastHttpUser` posting the bytes as fast as answered (a locustfile written
   here), its figures from the `Aggregated` row of Locust's `--csv` stats;
3. `hookconform load --users N --duration S`, from `run.settings.measured` of its report;
4. the same with `--workers 2` (Locust processes on this machine).

The issue's aim is (3) within 0.8x of (2). Beside each rate, the senders' CPU per request
(their processes' user and system time over their requests, start-up included; the
receiver's not): on two cores the receiver can be the limit of all four, and the CPU
figure still shows what each sender spends. Loopback only; every child is bounded in time.

    python bench/load.py [--seconds 10] [--users 20]
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import multiprocessing
import resource
import subprocess
import sys
import tempfile
import time
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from throughput import _Handler, bare_loop

from harness.load_plan import deliveries
from harness.profiles import load_profiles

BIN = Path(sys.executable).parent
PROFILE = "resthooks"
AIM = 0.8  # the issue's: hookconform load within 0.8x of plain Locust
GRACE = 60.0  # seconds a child may take beyond its run (start-up, plan, report)
PROBE = 500  # requests of the bare loop's first run, which sets its count
MAX_COUNT = 200_000

LOCUSTFILE = """\
from locust import FastHttpUser, constant, task

BODY = {body!r}
HEADERS = {headers!r}


class Plain(FastHttpUser):
    wait_time = constant(0)

    @task
    def post(self):
        self.client.post({path!r}, data=BODY, headers=HEADERS)
"""


class _EchoHandler(_Handler):
    """The fast receiver, echoing the handshake header when a request carries it."""

    echo = ""  # the header, set in the receiver's process

    def do_POST(self) -> None:
        secret = self.headers.get(self.echo)
        if secret is None:
            super().do_POST()
            return
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header(self.echo, secret)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a sender dropping its keep-alive connections at the end of its run


def serve_receiver(port: Any, echo: str) -> None:
    """`bench/throughput.py`'s `serve_receiver`, with the handshake answered."""
    _EchoHandler.echo = echo
    server = _QuietServer(("127.0.0.1", 0), _EchoHandler)
    server.daemon_threads = True
    port.value = server.server_address[1]
    server.serve_forever()


def _children_cpu() -> float:
    """CPU seconds of this process's finished children (and theirs) so far."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _run(command: list[str], cwd: Path, seconds: float) -> float:
    """Run a sender's command; its CPU seconds, its children's and its start-up included."""
    before = _children_cpu()
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=seconds + GRACE, check=False
    )
    if done.returncode not in (0, 1):  # 1: Locust's failed requests, or a MUST that failed
        sys.exit(f"{command[0]} exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr}")
    return _children_cpu() - before


def bare(
    url: str, body: bytes, headers: dict[str, str], users: int, seconds: int
) -> dict[str, Any]:
    """The bare loop, its count set so that it lasts about `seconds`."""
    probe = bare_loop(url, body, headers, PROBE, users)
    count = min(MAX_COUNT, max(PROBE, int(probe * seconds)))
    before = time.process_time()
    rate = bare_loop(url, body, headers, count, users)
    cpu = time.process_time() - before
    return {"requests": count, "seconds": count / rate, "rate": rate, "failed": 0, "cpu": cpu}


def plain_locust(
    host: str, path: str, body: bytes, headers: dict[str, str], users: int, seconds: int
) -> dict[str, Any]:
    """A plain FastHttpUser posting `body` for `seconds`: Locust's own aggregated figures."""
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        here = Path(folder)
        locustfile = here / "locustfile.py"
        locustfile.write_text(LOCUSTFILE.format(body=body, headers=headers, path=path))
        command = [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless"]
        command += ["-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", host]
        command += ["--only-summary", "--loglevel", "WARNING", "--csv", str(here / "plain")]
        cpu = _run(command, here, seconds)
        with open(here / "plain_stats.csv", encoding="utf-8", newline="") as stats:
            row = next(r for r in csv.DictReader(stats) if r["Name"] == "Aggregated")
    requests, rate = int(row["Request Count"]), float(row["Requests/s"])
    return {
        "requests": requests,
        "seconds": requests / rate if rate else float(seconds),
        "rate": rate,
        "failed": int(row["Failure Count"]),
        "cpu": cpu,
    }


def hookconform_load(url: str, users: int, seconds: int, workers: int) -> dict[str, Any]:
    """One `hookconform load` run, closed loop: what its report measured."""
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        here = Path(folder)
        command = [str(BIN / "hookconform"), "load", url, "--profile", PROFILE]
        command += ["--users", str(users), "--duration", f"{seconds}s"]
        command += ["--report", str(here / "report.json")]
        if workers:
            command += ["--workers", str(workers)]
        cpu = _run(command, here, seconds)  # its cwd holds the payload cache, so none is reused
        report = json.loads((here / "report.json").read_text(encoding="utf-8"))
    measured = report["run"]["settings"].get("measured")
    if measured is None:
        sys.exit(f"hookconform load measured nothing: {json.dumps(report['checks'])[:2000]}")
    return {
        "requests": measured["deliveries"],
        "seconds": float(seconds),
        "rate": measured["per_second"],
        "failed": measured["deliveries"] - measured["by_outcome"].get("2xx", 0),
        "cpu": cpu,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="Length of each run.")
    parser.add_argument("--users", type=int, default=20, help="Concurrent senders of each.")
    args = parser.parse_args()
    if not 1 <= args.seconds <= 300 or not 1 <= args.users <= 500:
        parser.error("--seconds must be 1..300 and --users 1..500")

    profile = load_profiles().get(PROFILE)
    first = deliveries(profile, list(profile.events), secret=None, seed=0, cache_dir=None)[0]
    body, headers = base64.b64decode(first["body"]), dict(first["headers"])
    port = multiprocessing.Value("i", 0)
    echo = profile.semantics.handshake.header or ""
    receiver = multiprocessing.Process(target=serve_receiver, args=(port, echo), daemon=True)
    receiver.start()
    try:
        deadline = time.monotonic() + 10
        while not port.value and time.monotonic() < deadline:
            time.sleep(0.01)
        if not port.value:
            sys.exit("the receiver did not start")
        host, path = f"http://127.0.0.1:{port.value}", "/hooks"
        rows = {
            f"bare pooled urllib3 loop, {args.users} threads": bare(
                host + path, body, headers, args.users, args.seconds
            ),
            f"plain Locust FastHttpUser, {args.users} users": plain_locust(
                host, path, body, headers, args.users, args.seconds
            ),
            f"hookconform load, {args.users} users": hookconform_load(
                host + path, args.users, args.seconds, 0
            ),
            f"hookconform load --workers 2, {args.users} users": hookconform_load(
                host + path, args.users, args.seconds, 2
            ),
        }
    finally:
        receiver.terminate()
        receiver.join()

    base, plain, one, two = rows.values()
    print(f"{PROFILE}, {len(body)}-byte body, {args.users} closed-loop senders, {args.seconds} s")
    print(
        f"{'what':<44}{'requests':>9}{'seconds':>9}{'req/s':>9}{'/ bare':>8}{'not ok':>8}"
        f"{'sender CPU us/req':>19}"
    )
    for what, row in rows.items():
        print(
            f"{what:<44}{row['requests']:>9}{row['seconds']:>9.1f}{row['rate']:>9.0f}"
            f"{row['rate'] / base['rate']:>8.2f}{row['failed']:>8}"
            f"{row['cpu'] / max(1, row['requests']) * 1e6:>19.0f}"
        )
    print("(sender CPU: of the sending processes, start-up and plan included; not the receiver's)")
    ratio = one["rate"] / plain["rate"]
    verdict = (
        f"met, {ratio - AIM:.2f} above"
        if ratio >= AIM
        else f"missed by {AIM - ratio:.2f} ({AIM * plain['rate'] - one['rate']:.0f} req/s short)"
    )
    print(f"hookconform load / plain Locust: {ratio:.2f}  (aim: within {AIM}x of plain Locust;")
    print(f"  {verdict})")
    print(f"hookconform load, 2 workers / 1 process: {two['rate'] / one['rate']:.2f}")
    return 0 if not any(row["failed"] for row in rows.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
