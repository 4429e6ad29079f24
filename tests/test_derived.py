"""The derived parts of the bundled profiles are what their tools derive today: a change of
the SDK version (pyproject's test extra) without `make derive` fails here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_factorial_events_are_derived_from_the_installed_sdk() -> None:
    tool = ROOT / "tools" / "derive_factorial.py"
    done = subprocess.run(
        [sys.executable, str(tool), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
