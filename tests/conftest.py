"""Shared test fixtures: a deterministic Hypothesis profile and a builder of profile folders."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, settings

from harness.profiles import bundled_specs_dir

# Deterministic everywhere, CI included: the same examples on every run.
settings.register_profile(
    "hookconform",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile("hookconform")

SPECS = bundled_specs_dir()


def read_bundled(name: str, filename: str) -> dict[str, Any]:
    return yaml.safe_load((SPECS / name / filename).read_text(encoding="utf-8"))


WriteProfile = Callable[..., Path]


@pytest.fixture
def write_profile(tmp_path: Path) -> WriteProfile:
    """Write a profile folder under tmp_path/specs and return that specs folder.

    `write_profile("acme", profile={...}, openapi={...})` writes the documents as given;
    `based_on="resthooks"` starts from a copy of a bundled profile and applies `edit`, a
    function that changes the two documents in place.
    """
    root = tmp_path / "specs"

    def write(
        name: str,
        *,
        profile: dict[str, Any] | None = None,
        openapi: dict[str, Any] | None = None,
        based_on: str | None = None,
        edit: Callable[[dict[str, Any], dict[str, Any]], None] | None = None,
        raw: dict[str, str] | None = None,
    ) -> Path:
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        if based_on:
            profile = copy.deepcopy(read_bundled(based_on, "profile.yaml"))
            openapi = copy.deepcopy(read_bundled(based_on, "openapi.yaml"))
            profile["name"] = name
        if edit:
            edit(profile, openapi)
        if profile is not None:
            (folder / "profile.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
        if openapi is not None:
            (folder / "openapi.yaml").write_text(yaml.safe_dump(openapi), encoding="utf-8")
        for filename, text in (raw or {}).items():
            (folder / filename).write_text(text, encoding="utf-8")
        return root

    return write
