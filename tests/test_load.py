"""`hookconform load` over loopback: Locust in a child process against real receivers.

Each run is a couple of seconds of load (a Locust child starts in about two). The judged
thresholds are seen to fail on receivers that break them under concurrency, and a master
with two worker processes is seen to add their counts up.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness import load as load_module
from harness.cli import cli
from harness.load import LOADFILE, judge
from harness.load_measured import Measured
from harness.load_spec import PLAN_ENV, Stage, burst, duration, stages
from harness.options import OptionError
from harness.profiles import load_profiles
from tests.receivers import (
    FailsUnderConcurrency,
    ForgetsHookSecretEcho,
    Receiver,
    SlowsUnderConcurrency,
    serve,
)

CATALOG = load_profiles()
STRIPE_SECRET = "whsec_hookconform-load"


def load(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["load", *args])
    return result.exit_code, result.output


def failing(report: Path) -> set[str]:
    found = json.loads(report.read_text())
    return {c["id"] for c in found["checks"] if c["results"][0]["status"] == "failed"}


@pytest.mark.parametrize(("profile", "secret"), [("resthooks", None), ("stripe", STRIPE_SECRET)])
def test_a_short_run_against_the_reference_receiver_passes(
    tmp_path: Path, profile: str, secret: str | None
) -> None:
    report, junit, plot = tmp_path / "r.json", tmp_path / "j.xml", tmp_path / "p.html"
    with serve(Receiver(CATALOG.get(profile), secret)) as url:
        code, output = load(
            url,
            *("--profile", profile, "--rate", "40", "--duration", "2s"),
            *(("--secret", secret) if secret else ()),
            *("--report", str(report), "--junit", str(junit), "--plot", str(plot)),
        )
    assert code == 0, output
    assert "CONFORMANT" in output
    found = json.loads(report.read_text())
    measured = found["run"]["settings"]["measured"]
    assert measured["deliveries"] >= 72  # 40/s for 2 s, 90 % kept
    assert measured["by_outcome"] == {"2xx": measured["deliveries"]}
    assert {"p50", "p95", "p99", "max"} <= set(measured["latency_ms"])
    names = {c.get("name") for c in ET.parse(junit).getroot().iter("testcase")}
    assert {"L-answers-in-time", "L-no-server-errors", "L-sustains-rate"} <= names
    assert "<svg" in plot.read_text()


@pytest.mark.parametrize(
    ("receiver", "args", "check", "words"),
    [
        # Beyond two requests at once it takes 0.3 s: past a 0.2 s timeout.
        (
            SlowsUnderConcurrency,
            ("--users", "6", "--timeout", "0.2"),
            "L-answers-in-time",
            "answered later than 0.2 s",
        ),
        # Beyond two requests at once it answers 503.
        (FailsUnderConcurrency, ("--users", "8"), "L-no-server-errors", "got a 5xx"),
    ],
    ids=["slows past the timeout", "503 beyond two in flight"],
)
def test_a_receiver_that_breaks_under_concurrency_fails_exactly_that_threshold(
    tmp_path: Path, receiver: type[Receiver], args: tuple[str, ...], check: str, words: str
) -> None:
    report = tmp_path / "r.json"
    with serve(receiver(CATALOG.get("resthooks"))) as url:
        code, output = load(
            url, "--profile", "resthooks", "--duration", "2", *args, "--report", str(report)
        )
    assert code == 1, output
    assert failing(report) == {check}
    assert words in output


def test_the_handshake_comes_first_and_a_wrong_answer_sends_no_load(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    receiver = ForgetsHookSecretEcho(CATALOG.get("resthooks"))
    with serve(receiver) as url:
        code, output = load(url, "--profile", "resthooks", "--report", str(report))
    assert code == 1, output
    assert failing(report) == {"L-handshake-first"}
    assert "measured" not in json.loads(report.read_text())["run"]["settings"]
    # what was sent and what came back, as the receiver suite shows a failed exchange
    assert "sent:     POST " in output
    assert "X-Hook-Secret: " in output
    assert "seen:     HTTP 200" in output
    assert "it differs: not 200 or 204 echoing X-Hook-Secret" in output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_master_and_two_workers_add_their_counts_up(tmp_path: Path) -> None:
    """One master (`hookconform load --master`) and two plain Locust workers, processes on
    loopback, as the README's commands for several machines start them."""
    plan, report, port = tmp_path / "plan.json", tmp_path / "r.json", _free_port()
    hookconform = Path(sys.executable).with_name("hookconform")
    with serve(Receiver(CATALOG.get("resthooks"))) as url:
        master = subprocess.Popen(
            [
                *(str(hookconform), "load", url, "--profile", "resthooks", "--rate", "40"),
                *("--duration", "3", "--master", "--expect-workers", "2"),
                *("--master-port", str(port), "--write-plan", str(plan), "--report", str(report)),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while not plan.is_file() and time.monotonic() < deadline and master.poll() is None:
            time.sleep(0.1)
        worker = [sys.executable, "-m", "locust", "-f", str(LOADFILE), "--worker"]
        worker += ["--master-host", "127.0.0.1", "--master-port", str(port)]
        env = {**os.environ, PLAN_ENV: str(plan)}
        workers = [
            subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(2)
        ]
        try:
            output, _ = master.communicate(timeout=120)
        finally:
            for process in workers:
                process.wait(timeout=30)
    assert master.returncode == 0, output
    measured = json.loads(report.read_text())["run"]["settings"]["measured"]
    assert len(measured["by_worker"]) == 2
    assert all(count > 0 for count in measured["by_worker"].values())
    assert sum(measured["by_worker"].values()) == measured["deliveries"] >= 100
    # The live progress lines come as the workers report: a rate and a p95 for what came, and
    # a report of nothing says so, with no p95 made up.
    progress = [line for line in output.splitlines() if " sent " in line]
    delivered = re.compile(r" [1-9]\d*/s  p95 +\d+\.\d ms")
    assert any(delivered.search(line) for line in progress), output
    assert all(delivered.search(line) or " 0/s  p95        - ms" in line for line in progress)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "resthooks"], "hookconform load needs URL"),
        (["http://127.0.0.1:9/hooks"], "hookconform load needs --profile"),
        (["http://127.0.0.1:9/hooks", "--profile", "resthooks", "--rate", "0"], "more than 0"),
        (["http://127.0.0.1:9/hooks", "--profile", "nope"], "unknown profile 'nope'"),
        (["http://127.0.0.1:9/hooks", "--profile", "resthooks", "--burst", "50"], "not a step"),
        (["http://127.0.0.1:9/hooks", "--profile", "resthooks", "--duration", "soon"], "soon"),
        (
            ["http://127.0.0.1:9/hooks", "--profile", "resthooks", "--users", "3", "--rate", "5"],
            "closed-loop",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    code, output = load(*args)
    assert code == 2, output
    assert message in output
    assert len(output.strip().splitlines()) == 1
    assert "Traceback" not in output


def test_without_locust_the_command_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(load_module, "locust_installed", lambda: False)
    code, output = load("http://127.0.0.1:9/hooks", "--profile", "resthooks")
    assert code == 2
    assert output.strip() == (
        "Error: hookconform load runs on Locust, which is not installed: "
        "pip install 'hookconform[load]'"
    )


def test_durations_bursts_and_stages_are_read_as_written() -> None:
    assert duration("90") == duration("90s") == duration("1.5m") == 90.0
    assert burst("50:10,500:5,50:10") == [(50.0, 10.0), (500.0, 5.0), (50.0, 10.0)]
    assert stages(steps=burst("50:10,500:5")) == [Stage(10.0, 5, 50.0), Stage(5.0, 50, 500.0)]
    assert stages(users=4, seconds=3.0) == [Stage(3.0, 4, None)]
    assert stages(rate_value=3.0)[0].users == 1
    for bad in ("0", "-1", "2x", ""):
        with pytest.raises(OptionError):
            duration(bad)


def _measured(outcomes: list[tuple[float, float, str]]) -> Measured:
    return Measured(records=outcomes, started=0.0, seconds=1.0)


def test_each_threshold_names_how_many_broke_it() -> None:
    profile = CATALOG.get("resthooks")
    records: list[Any] = [(0.1, 5.0, "2xx")] * 8 + [(0.2, 900.0, "2xx"), (0.3, 3.0, "5xx")]
    results = judge(profile, _measured(records), [Stage(1.0, 1, 10.0)], timeout=0.5)
    failed = {r.check: str(r.failures[0]) for r in results if r.status == "failed"}
    assert failed == {
        "L-answers-in-time": "1 of 10 deliveries were answered later than 0.5 s, or not at all",
        "L-no-server-errors": "1 of 10 deliveries got a 5xx",
        "L-sustains-rate": failed["L-sustains-rate"],
    }
    assert "8 of 10 deliveries answered 2xx in time" in failed["L-sustains-rate"]
