"""Merging and addressing YAML documents (harness.documents)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.documents import json_path, merge_patch, read_yaml


@pytest.mark.parametrize(
    ("target", "patch", "expected"),
    [
        ({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": 9}}, {"a": 1, "b": {"c": 9, "d": 3}}),
        ({"a": 1, "b": 2}, {"b": None}, {"a": 1}),
        ({"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
        ({"a": {"b": 1}}, {"a": "flat"}, {"a": "flat"}),
        ({"a": 1}, {"new": {"email": None}}, {"a": 1, "new": {"email": None}}),
    ],
)
def test_merge_patch(target: dict, patch: dict, expected: dict) -> None:
    assert merge_patch(target, patch) == expected


def test_merge_patch_leaves_its_inputs_alone() -> None:
    target, patch = {"a": {"b": 1}}, {"a": {"c": 2}}
    merge_patch(target, patch)
    assert target == {"a": {"b": 1}}
    assert patch == {"a": {"c": 2}}


def test_json_path_quotes_keys_that_are_not_identifiers() -> None:
    parts = ["webhooks", "contact.create", "content", "application/json", "examples", 0]
    assert (
        json_path(parts) == "$.webhooks['contact.create'].content['application/json'].examples[0]"
    )
    assert json_path([]) == "$"


def test_read_yaml_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: 1\nb: [2\n")
    data, problem = read_yaml(path)
    assert data is None
    assert problem is not None
    assert problem.message.startswith("malformed YAML at line 3, column 1")


def test_read_yaml_gives_aliases_their_own_copies(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: &x {k: 1}\nb: *x\n")
    data, _ = read_yaml(path)
    data["a"]["k"] = 2
    assert data["b"]["k"] == 1
