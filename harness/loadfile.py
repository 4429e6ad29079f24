"""The locustfile of `hookconform load`: Locust's side, run only in a Locust process.

Locust patches the standard library with gevent when it is imported, so this module is
never imported by the CLI or by pytest: `hookconform load` starts `python -m locust -f` on
it in a child process, and across machines plain Locust runs it (`locust -f FILE --master`
/ `--worker`, the plan in `HOOKCONFORM_LOAD_PLAN` on every machine; the README shows how).

Each simulated sender (a `FastHttpUser`) posts the plan's deliveries in turn: their bytes
as planned, a signature made per request over a fresh id and the present, and now and then
a delivery again, as a retry resends it (the same id and body, a new timestamp). In an open
loop (a rate) each sender paces itself so that together they make the stage's rate; in a
closed loop (users) each sends as soon as it was answered. Every request is recorded (when,
how long, what came of it); workers hand theirs to the master with their stats reports, and
the master (or the one local process) writes them all to `HOOKCONFORM_LOAD_RESULT` at the
end, and prints a progress line a second.
"""

from __future__ import annotations

import atexit
import base64
import itertools
import json
import os
import random
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

import gevent  # type: ignore[import-untyped]
from locust import FastHttpUser, LoadTestShape, events, runners, task
from locust.runners import MasterRunner, WorkerRunner

from harness.load_spec import PLAN_ENV, PROGRESS, RESULT_ENV
from harness.signatures import Scheme, Stamp

runners.WORKER_REPORT_INTERVAL = 1.0  # a worker's records reach the master each second

if not os.environ.get(PLAN_ENV):  # plain `locust -f` without the plan: say what it needs
    sys.exit(f"hookconform's locustfile needs {PLAN_ENV}=FILE (hookconform load --write-plan FILE)")
PLAN: dict[str, Any] = json.loads(Path(os.environ[PLAN_ENV]).read_text(encoding="utf-8"))
DELIVERIES = [  # headers made once: only a signature is made per request
    (d["event"], {**d["headers"], "Host": PLAN["authority"]}, base64.b64decode(d["body"]))
    for d in PLAN["deliveries"]
]
SIGNING = PLAN["signing"]
SCHEME = Scheme(**SIGNING["scheme"]) if SIGNING else None
STAGES = PLAN["stages"]
TIMEOUT = float(PLAN["timeout"])
RNG = random.Random(PLAN["seed"])
COUNTER = itertools.count()
RECENT: deque[tuple[str, str, dict[str, str], bytes]] = deque(maxlen=64)  # to resend
RECORDS: list[tuple[float, float, str]] = []  # (wall time, milliseconds, outcome)
BY_WORKER: dict[str, int] = {}  # on the master: how many deliveries each worker sent
SENT = [0]  # on a worker: how many it sent
REPORTS = [0]  # on the master: how many reports its workers have sent
STARTED = [time.time()]


def stage_at(elapsed: float) -> dict[str, Any] | None:
    """The stage the run is in `elapsed` seconds after its start (None: it is over)."""
    end = 0.0
    for stage in STAGES:
        end += stage["seconds"]
        if elapsed < end:
            return dict(stage)
    return None


def outcome(status: int, error: Any) -> str:
    if status == 0 or status is None:
        words = str(error or "").lower()
        return "timeout" if "timed out" in words or "timeout" in words else "connection-error"
    return f"{status // 100}xx"


class PlanShape(LoadTestShape):
    """The plan's stages: each stage's senders, then the end."""

    def tick(self) -> tuple[int, float] | None:
        stage = stage_at(self.get_run_time())  # type: ignore[no-untyped-call]
        if stage is None:
            return None
        return stage["users"], max(float(stage["users"]), 50.0)


class Provider(FastHttpUser):
    """One of the provider's delivery workers."""

    host = PLAN["host"]
    network_timeout = max(2 * TIMEOUT, TIMEOUT + 5.0)
    connection_timeout = max(2 * TIMEOUT, TIMEOUT + 5.0)

    def on_start(self) -> None:
        stage = stage_at(time.time() - STARTED[0]) or STAGES[-1]
        pace = stage["users"] / stage["rate"] if stage["rate"] else 0.0
        self._next = time.monotonic() + RNG.random() * pace  # spread the senders' starts

    def wait_time(self) -> float:
        stage = stage_at(time.time() - STARTED[0])
        if stage is None or not stage["rate"]:
            return 0.0
        self._next += stage["users"] / stage["rate"]
        return max(0.0, self._next - time.monotonic())

    @task
    def deliver(self) -> None:
        number = next(COUNTER)
        if RECENT and RNG.random() < PLAN["duplicates"]:
            event, ident, headers, body = RNG.choice(RECENT)  # a retry: same id and body
        else:
            event, headers, body = DELIVERIES[number % len(DELIVERIES)]
            ident = SCHEME.new_id() if SCHEME else ""
            RECENT.append((event, ident, headers, body))
        sent = headers
        if SCHEME is not None:
            signed = SCHEME.headers([SIGNING["secret"]], Stamp(ident, int(time.time())), body)
            sent = {**headers, **signed}
        began = time.time()
        response = self.client.request(
            "POST",
            PLAN["path"],
            data=body,  # type: ignore[arg-type]  # bytes are sent as they are
            headers=sent,
            name=event,
        )
        got = outcome(response.status_code, getattr(response, "error", None))
        RECORDS.append((began, (time.time() - began) * 1000.0, got))
        SENT[0] += 1


@events.test_start.add_listener  # type: ignore[untyped-decorator]
def _started(environment: Any, **_: Any) -> None:
    STARTED[0] = time.time()
    if not isinstance(environment.runner, WorkerRunner):
        gevent.spawn(_progress, isinstance(environment.runner, MasterRunner))


@events.report_to_master.add_listener  # type: ignore[untyped-decorator]
def _hand_over(client_id: str, data: dict[str, Any]) -> None:
    data["hookconform"] = RECORDS[:]
    data["hookconform_sent"] = SENT[0]
    RECORDS.clear()


@events.worker_report.add_listener  # type: ignore[untyped-decorator]
def _take(client_id: str, data: dict[str, Any]) -> None:
    RECORDS.extend(data.get("hookconform", []))
    REPORTS[0] += 1
    BY_WORKER[client_id] = int(data.get("hookconform_sent", BY_WORKER.get(client_id, 0)))


def _progress(master: bool) -> None:
    """A line a second on stderr: time, deliveries recorded since the last line with their
    rate and p95, and how many of all were not answered with a 2xx. A master knows only what
    its workers have reported (each second, out of step with it): it prints once a report has
    come since its last line, a report of nothing too (a stall), and the rate over the time
    since that line."""
    counted, failed, last, heard = 0, 0, time.time(), 0
    while True:
        gevent.sleep(1.0)
        if master and REPORTS[0] == heard:
            continue
        heard, now = REPORTS[0], time.time()
        fresh = RECORDS[counted:]
        counted += len(fresh)
        failed += sum(1 for r in fresh if r[2] != "2xx")
        latencies = sorted(r[1] for r in fresh)
        p95 = f"{latencies[int(0.95 * (len(latencies) - 1))]:8.1f}" if latencies else "       -"
        rate = len(fresh) / max(now - last, 1e-9)
        last = now
        sys.stderr.write(
            f"{PROGRESS}{now - STARTED[0]:6.1f} s  {counted:>8} sent  {rate:>6.0f}/s  "
            f"p95 {p95} ms  {failed} not 2xx\n"
        )
        sys.stderr.flush()


@events.quitting.add_listener  # type: ignore[untyped-decorator]
def _write(environment: Any, **_: Any) -> None:
    """Write what was recorded once the process exits: Locust fires `quitting` before its
    master tells the workers to quit, and their last records come with that final report."""
    if isinstance(environment.runner, WorkerRunner):
        return
    master = isinstance(environment.runner, MasterRunner)
    path = os.environ.get(RESULT_ENV)
    if path:
        atexit.register(_dump, Path(path), master)


def _dump(path: Path, master: bool) -> None:
    result = {"records": RECORDS, "started": STARTED[0], "by_worker": BY_WORKER if master else {}}
    path.write_text(json.dumps(result), encoding="utf-8")
