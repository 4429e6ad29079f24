"""The wheel, installed non-editable, works from outside the repository."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROFILES = [
    *["clockodo", "factorial", "factorial-v1", "github", "hirehop", "resthooks", "shopify"],
    *["slack", "staffology", "standard-webhooks", "stripe", "zoom"],
]


@pytest.mark.slow
def test_installed_wheel_lists_every_profile(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(wheels),
            str(ROOT),
        ],
        check=True,
    )
    [wheel] = wheels.glob("hookconform-*.whl")

    # A fresh environment that borrows the dependencies from this one through a plain path
    # entry: the editable install of the repository (a .pth hook) is not carried over.
    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=True)
    python = fresh / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True,
    )

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    where = subprocess.run(
        [python, "-c", "import harness; print(harness.__file__)"],
        capture_output=True,
        text=True,
        cwd=outside,
        check=True,
    ).stdout
    assert where.startswith(str(fresh)), where

    listed = subprocess.run(
        [fresh / "bin" / "hookconform", "specs", "list"],
        capture_output=True,
        text=True,
        cwd=outside,
        check=True,
    ).stdout
    assert [line.split()[0] for line in listed.splitlines()] == PROFILES
    assert (
        str(ROOT)
        not in subprocess.run(
            [fresh / "bin" / "hookconform", "specs", "show", "resthooks"],
            capture_output=True,
            text=True,
            cwd=outside,
            check=True,
        ).stdout
    )
