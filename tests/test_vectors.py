"""`hookconform vectors`: signature test vectors that other libraries' test suites load.

The vectors are judged here by the scheme they come from and by what a reader of the JSON
alone would do; the official libraries judge the standard-webhooks ones in
tests/test_official_judges.py.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.profiles import load_profiles

CATALOG = load_profiles()
SIGNING = sorted(p.name for p in CATALOG if p.semantics.authenticity.scheme is not None)


def vectors(*args: str) -> dict:
    result = CliRunner().invoke(cli, ["vectors", *args])
    assert result.exit_code == 0, result.output
    loaded: dict = json.loads(result.stdout)
    return loaded


@pytest.mark.parametrize("profile", SIGNING)
def test_every_verdict_is_the_schemes_and_the_set_is_complete(profile: str) -> None:
    found = vectors("--profile", profile)
    scheme = CATALOG.get(profile).semantics.authenticity.scheme
    assert scheme is not None
    names = [v["name"] for v in found["vectors"]]
    assert len(names) == len(set(names))
    for vector in found["vectors"]:
        body = base64.b64decode(vector["body_base64"])
        assert body.decode() == vector["body"]
        problems = scheme.verify(vector["secret"], vector["headers"], body, now=vector["now"])
        assert (problems == []) == (vector["expected"] == "valid"), (vector["name"], problems)
        assert vector["reason"]
    wanted = {"compact", "other-bytes", "wrong-secret", "changed-body", "missing-signature"}
    wanted |= {"rotated", "rotated-none-valid"} if scheme.rotates else set()
    wanted |= {"stale-timestamp", "changed-timestamp"} if scheme.timestamped else set()
    wanted |= {"future-timestamp"} if scheme.future_tolerance else set()
    wanted |= {"wrong-id", "missing-id"} if scheme.signs_id else set()
    assert wanted <= set(names)


def test_the_published_standard_webhooks_vector_is_among_them() -> None:
    published = vectors("--profile", "standard-webhooks")["vectors"][0]
    assert published["name"] == "published"
    assert published["secret"] == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    assert published["headers"]["webhook-signature"] == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )
    assert published["body"] == '{"test": 2432232314}'


def test_the_same_vectors_come_out_every_time_and_go_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "stripe.json"
    result = CliRunner().invoke(cli, ["vectors", "--profile", "stripe", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text()) == vectors("--profile", "stripe")
    assert f"vectors: {target}" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "factorial"], "profile 'factorial' does not sign its deliveries"),
        (["--profile", "nope"], "unknown profile 'nope'"),
        (["--profile", "stripe", "--output", "/no/such/dir/v.json"], "folder does not exist"),
        ([], "Missing option '--profile'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["vectors", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_the_readme_snippet_judges_the_vectors_with_the_official_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's "Test vectors for library authors" snippet, pasted as it is, with
    `standardwebhooks` (the reference library, from the test extra) as the verifier."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    snippet = re.search(
        r"```python\n(import base64, datetime, json, pathlib\n.*?)```", readme, re.S
    )
    assert snippet is not None
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        cli, ["vectors", "--profile", "standard-webhooks", "--output", "sw-vectors.json"]
    )
    assert result.exit_code == 0, result.output
    exec(compile(snippet.group(1), "README.md", "exec"), {})  # raises on a wrong verdict
