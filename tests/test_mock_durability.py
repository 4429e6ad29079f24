"""A real `hookconform mock --db PATH` killed with SIGKILL in the middle of a retry storm and
started again on the same file delivers every owed attempt."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mock_support import Client, harness_process, receiver

EVENTS = 15


@contextmanager
def mock_process(db: Path) -> Iterator[tuple[subprocess.Popen[str], Client]]:
    process = harness_process(
        "mock", "--profile", "factorial-v1", "--port", "0", "--db", str(db),
        "--time-scale", "0.0005", "--quiet",  # no line per attempt: nothing reads them here
    )  # fmt: skip
    assert process.stdout is not None
    try:
        lines = []
        while not lines or not lines[-1].startswith("dashboard:"):
            line = process.stdout.readline()
            assert line, f"the mock exited early: {''.join(lines)}"
            lines.append(line)
        base = re.search(r"http://127\.0\.0\.1:\d+", lines[0])
        assert base, lines
        printed = "".join(lines)
        assert f"control API:  {base.group(0)}/_mock/" in printed
        assert f"dashboard:    {base.group(0)}/_mock/dashboard/" in printed
        client = Client(base.group(0), {"Authorization": "Bearer test-api-key"})
        try:
            yield process, client
        finally:
            client.close()
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdout.close()


def _owed(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        count = connection.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    connection.close()
    return count


def _each_failed_once(client: Client, timeout: float = 20.0) -> None:
    """Wait until every delivery has a failed attempt in the mock's log: the receiver seeing
    a request is not enough, as an attempt made but not yet logged is made again."""
    deadline = time.monotonic() + timeout
    while True:
        found = client.deliveries()
        failed = [d for d in found if any(a["status_code"] == 503 for a in d["attempts"])]
        if len(failed) == EVENTS:
            return
        assert time.monotonic() < deadline, f"only {len(failed)} of {EVENTS} failed once"
        time.sleep(0.02)


def test_sigkill_mid_retry_storm_then_restart_delivers_everything(tmp_path: Path) -> None:
    db = tmp_path / "mock.sqlite3"
    with receiver(status=503) as endpoint:
        with mock_process(db) as (process, client):
            client.ok(
                "POST",
                "/api/v1/webhooks",
                {"type": "employee_created", "target_url": endpoint.url, "challenge": "c"},
            )
            for number in range(EVENTS):
                client.ok(
                    "POST", "/_mock/events", {"type": "employee_created", "data": {"n": number}}
                )
            _each_failed_once(client)
            process.send_signal(signal.SIGKILL)
            process.wait()
        owed = _owed(db)
        assert owed == EVENTS, "every delivery was still owed when the mock was killed"

        endpoint.status = 200
        with mock_process(db) as (process, client):
            deadline = time.monotonic() + 20
            while True:
                found = client.deliveries()
                if all(d["status"] == "delivered" for d in found):
                    break
                assert time.monotonic() < deadline, [d["status"] for d in found]
                time.sleep(0.05)
            assert len(found) == EVENTS
            for delivery in found:
                assert delivery["attempts"][-1]["status_code"] == 200
                assert len(delivery["attempts"]) >= 2
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=10)
            assert process.returncode == 0
            assert "mock stopped" in output
        delivered = {r.json()["n"] for r in endpoint.requests if r.headers and r.body}
        assert delivered == set(range(EVENTS))
        assert _owed(db) == 0


def test_ctrl_c_stops_cleanly_and_keeps_the_state(tmp_path: Path) -> None:
    db = tmp_path / "mock.sqlite3"
    subscription = {"type": "employee_created", "target_url": "http://127.0.0.1:9/hooks"}
    with mock_process(db) as (process, client):
        client.ok("POST", "/api/v1/webhooks", subscription)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=10)
        assert process.returncode == 0
        assert "mock stopped" in output
        assert "Traceback" not in output
    with mock_process(db) as (process, client):
        [kept] = client.ok("GET", "/api/v1/webhooks")
        assert kept["target_url"] == subscription["target_url"]
