"""The cache folder (harness.cache): where it is, how it is turned off, and that it only
ever keeps what was found valid."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import cache, schemas

CHECK = (
    "from harness.schemas import schema_problems; "
    "print(len(schema_problems({'type': 'nope'})), len(schema_problems({'type': 'string'})))"
)


def test_the_folder_is_the_variable_else_xdg_else_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOOKCONFORM_CACHE", str(tmp_path / "mine"))
    assert cache.folder() == tmp_path / "mine"
    monkeypatch.setenv("HOOKCONFORM_CACHE", "OFF")
    assert cache.folder() is None
    monkeypatch.delenv("HOOKCONFORM_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.folder() == tmp_path / "xdg" / "hookconform"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.folder() == Path.home() / ".cache" / "hookconform"


def test_marks_are_kept_and_a_folder_that_cannot_be_written_is_no_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOOKCONFORM_CACHE", str(tmp_path))
    marks = cache.Entries("part")
    assert "ab12" not in marks
    marks.put("ab12")
    assert "ab12" in marks
    assert "ab13" not in cache.Entries("part")
    assert [p.name for p in (tmp_path / "part").rglob("*")] == ["ab", "ab12"]
    (tmp_path / "blocked").write_text("a file where a folder should be")
    blocked = cache.Entries("blocked")
    blocked.put("cd34")
    assert "cd34" not in blocked
    monkeypatch.setenv("HOOKCONFORM_CACHE", "off")
    off = cache.Entries("part")
    off.put("ef56")
    assert "ab12" not in off
    assert not (tmp_path / "part" / "ef" / "ef56").exists()


def test_only_a_valid_schema_is_remembered_and_the_next_process_trusts_it(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "HOOKCONFORM_CACHE": str(tmp_path)}
    run = [sys.executable, "-c", CHECK]
    first = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    assert first.stdout.split() == ["1", "0"]
    kept = [p for p in (tmp_path / "schema-checks").rglob("*") if p.is_file()]
    assert len(kept) == 1
    second = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    assert second.stdout.split() == ["1", "0"]  # the invalid one is checked again, and fails
    assert [p for p in (tmp_path / "schema-checks").rglob("*") if p.is_file()] == kept
    # A mark is believed: planted for the invalid schema, the next process takes it as valid.
    text = json.dumps({"type": "nope"}, sort_keys=True)
    planted = cache.key(f"{schemas._CHECKER_VERSION}\n{text}")
    (tmp_path / "schema-checks" / planted[:2]).mkdir(exist_ok=True)
    (tmp_path / "schema-checks" / planted[:2] / planted).touch()
    third = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    assert third.stdout.split() == ["0", "0"]


PARSE = (
    "import sys; from pathlib import Path; from harness.documents import read_yaml; "
    "data, problem = read_yaml(Path(sys.argv[1])); print(data if problem is None else problem)"
)


def test_a_yaml_document_is_parsed_once_per_content(tmp_path: Path) -> None:
    env = {**os.environ, "HOOKCONFORM_CACHE": str(tmp_path / "cache")}
    document = tmp_path / "doc.yaml"

    def parsed() -> str:
        run = [sys.executable, "-c", PARSE, str(document)]
        return subprocess.run(run, env=env, capture_output=True, text=True, check=True).stdout

    document.write_text("a: 1\nwhen: 2021-10-22\n", encoding="utf-8")
    assert parsed() == "{'a': 1, 'when': '2021-10-22'}\n"
    kept = [p for p in (tmp_path / "cache" / "parsed-yaml").rglob("*") if p.is_file()]
    assert [p.read_text() for p in kept] == ['{"a": 1, "when": "2021-10-22"}']
    kept[0].write_text('{"a": 3}')  # what is kept is what is read back
    assert parsed() == "{'a': 3}\n"
    kept[0].write_text("{damaged")
    assert parsed() == "{'a': 1, 'when': '2021-10-22'}\n"
    document.write_text("a: 2\n", encoding="utf-8")  # other content, another entry
    assert parsed() == "{'a': 2}\n"
    document.write_text("a: [unclosed\n", encoding="utf-8")
    assert "malformed YAML at line 2" in parsed()
    assert len([p for p in (tmp_path / "cache" / "parsed-yaml").rglob("*") if p.is_file()]) == 2
