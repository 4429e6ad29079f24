"""Writing a derived file, or checking that the committed one is what a tool derives today
(`--check`: exit 1 and say how to regenerate it when it differs)."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(target: Path, text: str, *, check: bool, regenerate: str) -> int:
    """Write `text` to `target`, or with `check` compare them; the exit code."""
    if check:
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            print(f"{target} is stale: run {regenerate}", file=sys.stderr)
            return 1
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0
