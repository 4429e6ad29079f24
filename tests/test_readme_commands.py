"""The README's commands work as written: the profile commands pasted into a shell whose
venv is activated, and the example receiver started by a Python outside the venv."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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
