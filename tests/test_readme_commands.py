"""The README's commands work as written: the profile commands and the walkthroughs
pasted into a shell whose venv is activated, and the example receiver started by a Python
outside the venv."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def console_block(after: str) -> list[str]:
    """The `$ ` commands of the first console block after the heading `after`."""
    section = README[README.index(after) :]
    block = re.search(r"```console\n(.*?)```", section, re.S)
    assert block, f"no console block after {after!r}"
    return [
        line[2:].split("  #")[0].strip()
        for line in block.group(1).splitlines()
        if line.startswith("$ ")
    ]


def sh_block(heading: str) -> str:
    """The first ```sh block after the heading `heading`."""
    section = README[README.index(heading) :]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, f"no sh block after {heading!r}"
    return block.group(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pasted(script: str, timeout: float = 60) -> str:
    """Run `script` as pasted into an activated bash, on free ports instead of the README's
    8765, 9000 and 9001; its output. Whatever it leaves running is stopped."""
    for port in ("8765", "9000", "9001"):
        script = re.sub(rf"\b{port}\b", str(_free_port()), script)
    process = subprocess.Popen(
        ["bash", "-c", f". {ROOT / '.venv' / 'bin' / 'activate'}\n{script}"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == 0, output
    return output


WALKTHROUGHS = {
    "### A provider with a subscription API: Factorial": [
        r"delivery 1 -> http://127\.0\.0\.1:\d+/hooks: delivered \(HTTP 200, 1 attempt",
        r"the SDK lists 1 timeoff/leave/create http://127\.0\.0\.1:\d+/hooks",
        r'"x-factorial-wh-challenge|delivery 1 \(timeoff/leave/create, event 1\)',
    ],
    "### A provider with a settings screen: Clockodo": [
        r'"state": "active"',
        r"delivery 1 -> http://127\.0\.0\.1:\d+/hooks: delivered \(HTTP 200, 1 attempt",
        r"quota exceeded.*plan 'basic' allows 2 webhooks",
    ],
    "### A fire-and-forget provider: HireHop": [
        r"/hooks: delivered \(HTTP 200, 1 attempt",
        r"/nobody-listens: delivered \(connection error: connection refused, 1 attempt",
    ],
    "### Signatures, replays and handshakes": [
        r"settings:     slack: signing_secret \S+, verification_token \S+ \(change with PUT "
        r"http://\S+/_mock/settings\)",
        r"timeout:      each attempt waits as its provider does: slack 3 s \(--timeout to change\)",
        r"challenge handshake of webhook 1: sent \S+ the challenge \S+; it answered HTTP 200",
        r'"state": "active"',
        r"delivery 1 -> http://127\.0\.0\.1:\d+/slack/events: delivered \(HTTP 200, 1 attempt",
        r"CONFORMANT: \d+ passed",
    ],
    "### Factorial's 48 hours in one call: a virtual clock": [
        r"clock:        virtual, standing still",
        r"/nobody-listens: pending \(connection error: connection refused, 1 attempt",
        r'"attempts": 19, "done": true',
        r"event 2: 0 delivery\(ies\)",
        r'"enabled": false',
    ],
}


@pytest.mark.parametrize("heading", list(WALKTHROUGHS))
def test_each_walkthrough_runs_as_pasted(heading: str) -> None:
    output = pasted(sh_block(heading))
    for expected in WALKTHROUGHS[heading]:
        assert re.search(expected, output), f"{expected!r} not in:\n{output}"
    assert "Traceback" not in output
    assert output.count("mock stopped") == 1  # `kill %1 %2` stopped it cleanly


def test_the_secret_of_the_clockodo_walkthrough_is_in_the_mocks_own_output() -> None:
    output = pasted(sh_block("### A provider with a settings screen: Clockodo"))
    received = re.search(r"validation secret to enter at the provider: (\S+)", output)
    assert received, output  # what the receiver got
    logged = re.search(r"handshake of webhook 1: sent \S+ the secret (\S+);", output)
    assert logged, output  # what the mock says it sent
    assert logged.group(1) == received.group(1)


def test_the_profile_commands_run_as_pasted_in_an_activated_shell() -> None:
    commands = console_block("## The profiles")
    assert len(commands) >= 5
    script = "\n".join([f". {ROOT / '.venv' / 'bin' / 'activate'}", "set -e", *commands])
    done = subprocess.run(
        ["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "factorial" in done.stdout


def test_the_example_receiver_runs_under_the_venv_when_another_python_starts_it() -> None:
    outside = getattr(sys, "_base_executable", sys.executable)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    done = subprocess.run(
        [outside, "examples/receiver.py", "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: receiver.py")


def test_the_example_receiver_refuses_a_secret_it_cannot_verify_with() -> None:
    """One line and exit 2 at start, not a 500 to every delivery."""
    done = subprocess.run(
        [
            sys.executable,
            "examples/receiver.py",
            "--profile",
            "standard-webhooks",
            "--secret",
            "x!",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: --secret cannot sign profile 'standard-webhooks': the secret is not whsec_<base64>"
    )


LOAD_WALKTHROUGHS = {
    "## Load: a receiver under its provider's burst": [
        r"CONFORMANT: 5 passed",
        r"latency over time: load\.html",
        r"JUnit XML: load\.xml",
    ],
    "**More processes, more machines.**": [r"CONFORMANT: 6 passed", r"JSON report: load\.json"],
}


@pytest.mark.parametrize("heading", list(LOAD_WALKTHROUGHS))
def test_each_load_walkthrough_runs_as_pasted(heading: str, tmp_path: Path) -> None:
    """Pasted in a folder of its own (it writes its reports and plan where it runs)."""
    script = sh_block(heading).replace("examples/receiver.py", str(ROOT / "examples/receiver.py"))
    output = pasted(f"cd {tmp_path}\n{script}", timeout=120)
    for expected in LOAD_WALKTHROUGHS[heading]:
        assert re.search(expected, output), f"{expected!r} not in:\n{output}"
    assert "Traceback" not in output
