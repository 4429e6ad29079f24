"""`hookconform specs validate` catches what would break a run: every reference a profile
makes is resolved, each one that does not is `FILE: JSON-PATH: message` and exit 2.

Each case starts from the drf-hooks profile of tests/specs, copied to a temporary folder,
and breaks one thing in it, as a spec writer would by mistake."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from harness.cli import cli
from harness.profiles import load_profiles

PROFILE = Path(__file__).parent / "specs" / "drf-hooks"
Edit = Callable[[dict[str, Any], dict[str, Any]], None]


def _broken(tmp_path: Path, edit: Edit) -> Path:
    folder = tmp_path / "drf-hooks"
    shutil.copytree(PROFILE, folder)
    profile = yaml.safe_load((folder / "profile.yaml").read_text(encoding="utf-8"))
    openapi = yaml.safe_load((folder / "openapi.yaml").read_text(encoding="utf-8"))
    edit(profile, openapi)
    (folder / "profile.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    (folder / "openapi.yaml").write_text(yaml.safe_dump(openapi), encoding="utf-8")
    return folder


def _semantics(profile: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = profile["semantics"]
    return found


def _typo_in_a_field(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
    _semantics(profile)["subscription"]["fields"]["target_url"] = "targt"


def _unknown_operation(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
    _semantics(profile)["subscription"]["operations"]["get"] = "hooks_retreive"


def _envelope_pointer_nowhere(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
    _semantics(profile)["envelope"]["fields"]["event"] = "/hook/name"


def _misspelt_placeholder(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
    _semantics(profile)["handshake"] = {
        "kind": "challenge",
        "request": {"method": "GET", "query": {"challenge": "{chalenge}"}},
        "answers": [{"status": [200], "body": "{challenge}"}],
        "seconds": 10,
        "source": "https://www.dropbox.com/developers/reference/webhooks",
    }


def _time_in_an_answer(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
    _misspelt_placeholder(profile, openapi)
    handshake = _semantics(profile)["handshake"]
    handshake["request"]["query"] = {"challenge": "{challenge}", "at": "{now}"}  # fine here
    handshake["answers"] = [{"status": [200], "body": "{challenge} {now_ms}"}]


def _token_pointer_nowhere(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
    _semantics(profile)["authenticity"] = {
        "kind": "body-token",
        "pointer": "/hook/token",
        "value_from": {"subscription_field": "headers"},
        "source": "https://github.com/am-flow/drf-hooks",
    }


def _renamed_id_parameter(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
    item = openapi["paths"].pop("/hooks/{pk}/")
    item["parameters"][0]["name"] = "hook"
    openapi["paths"]["/hooks/{hook}/"] = item


def _two_unknown_parameters(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
    del _semantics(profile)["subscription"]["id_parameter"]
    item = openapi["paths"].pop("/hooks/{pk}/")
    item["parameters"].append({"name": "tenant", "in": "path", "required": True})
    openapi["paths"]["/{tenant}/hooks/{pk}/"] = item


def _unused_parameter(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
    _semantics(profile)["retry"]["schedule"] = [5, 30]


def _missing_file(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
    profile["sources"].append("./docs/not-written-yet.md")


CASES: list[tuple[str, Edit, list[tuple[str, str, str]]]] = [
    (
        "a typo in subscription.fields",
        _typo_in_a_field,
        [
            (
                "profile.yaml",
                "$.semantics.subscription.fields.target_url",
                "'targt' is not a property of the subscription object (get's answer declares "
                "created, event, id, target, updated)",
            ),
            (
                "profile.yaml",
                "$.semantics.subscription.fields.target_url",
                "'targt' is not a property of the create request body (it declares event, "
                "headers, target)",
            ),
        ],
    ),
    (
        "an operationId that names no operation",
        _unknown_operation,
        [
            (
                "profile.yaml",
                "$.semantics.subscription.operations.get",
                "no operation 'hooks_retreive' in openapi.yaml's paths",
            )
        ],
    ),
    (
        "an envelope pointer no example contains",
        _envelope_pointer_nowhere,
        [
            (
                "profile.yaml",
                "$.semantics.envelope.fields.event",
                "/hook/name is not in every example the provider sends: missing in "
                "contact.created (docs), contact.deleted (docs)",
            )
        ],
    ),
    (
        "a token pointer no example contains",
        _token_pointer_nowhere,
        [
            (
                "profile.yaml",
                "$.semantics.authenticity.pointer",
                "/hook/token is not in every example",
            )
        ],
    ),
    (
        "an id parameter the paths do not have",
        _renamed_id_parameter,
        [
            (
                "profile.yaml",
                "$.semantics.subscription.id_parameter",
                "{pk} is in none of the get, update and delete paths (/hooks/{hook}/)",
            ),
            (
                "openapi.yaml",
                "$.paths['/hooks/{hook}/'].get",
                "path parameter {hook} of get (GET /hooks/{hook}/) has no value: name it with "
                "semantics.subscription.id_parameter",
            ),
        ],
    ),
    (
        "two path parameters and no id_parameter",
        _two_unknown_parameters,
        [
            (
                "openapi.yaml",
                "$.paths['/{tenant}/hooks/{pk}/'].delete",
                "path parameter {tenant} of delete",
            ),
            (
                "openapi.yaml",
                "$.paths['/{tenant}/hooks/{pk}/'].delete",
                "path parameter {pk} of delete",
            ),
        ],
    ),
    (
        "a misspelt placeholder in a handshake template",
        _misspelt_placeholder,
        [
            (
                "profile.yaml",
                "$.semantics.handshake.request.query.challenge",
                "unknown placeholder {chalenge} (known: {challenge}, {hmac}, {now}, {now_ms},",
            )
        ],
    ),
    (
        "the time of sending in an answer",
        _time_in_an_answer,
        [
            (
                "profile.yaml",
                "$.semantics.handshake.answers[0].body",
                "{now_ms} is the time a request is sent: not in answers",
            )
        ],
    ),
    (
        "a parameter the kind does not use",
        _unused_parameter,
        [
            (
                "profile.yaml",
                "$.semantics.retry.schedule",
                "retry enabled false does not use 'schedule' (it uses no parameters): remove it",
            )
        ],
    ),
    (
        "a cited file that is not there",
        _missing_file,
        [("profile.yaml", "$.sources[2]", "cited file './docs/not-written-yet.md' not found")],
    ),
]


@pytest.mark.parametrize(("edit", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_broken_reference_fails_validate_with_its_file_and_path(
    tmp_path: Path, edit: Edit, expected: list[tuple[str, str, str]]
) -> None:
    folder = _broken(tmp_path, edit)
    result = CliRunner().invoke(cli, ["specs", "validate", str(folder)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    for file, path, message in expected:
        wanted = f"{folder / file}: {path}: {message}"
        assert any(line.startswith(wanted) for line in lines), (wanted, lines)


def test_the_profile_as_written_validates(tmp_path: Path) -> None:
    folder = _broken(tmp_path, lambda profile, openapi: None)
    result = CliRunner().invoke(cli, ["specs", "validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert load_profiles([folder]).get("drf-hooks").id_parameter == "pk"


def test_without_id_parameter_the_id_is_derived_from_the_paths(tmp_path: Path) -> None:
    def rename(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
        del _semantics(profile)["subscription"]["id_parameter"]
        _renamed_id_parameter(profile, openapi)

    folder = _broken(tmp_path, rename)
    assert load_profiles([folder]).get("drf-hooks").id_parameter == "hook"


def test_a_derived_profile_that_switches_kinds_takes_only_its_own_rules(tmp_path: Path) -> None:
    own = {
        "authenticity": {
            "kind": "challenge-header",
            "header": "X-Acme-Token",
            "value_from": {"account_setting": "token"},
            "source": "https://acme.example/docs/webhooks",
        },
        "handshake": {"kind": "none", "source": "https://acme.example/docs/webhooks"},
        "retry": {"enabled": False, "source": "https://acme.example/docs/webhooks"},
    }
    folder = tmp_path / "acme"
    folder.mkdir()
    document = {"name": "acme", "title": "Acme", "extends": "resthooks", "semantics": own}
    (folder / "profile.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    acme = load_profiles([folder]).get("acme")
    for rule, written in own.items():
        assert acme.raw_semantics[rule] == written  # no HMAC, X-Hook-Secret or schedule left
    assert acme.semantics.authenticity.algorithm is None
    assert acme.semantics.handshake.header is None
    assert acme.semantics.retry.schedule == ()
    assert acme.semantics.retry.documented is True  # resthooks' "partial" is not inherited
    parent = load_profiles().get("resthooks")
    assert acme.raw_semantics["envelope"] == parent.raw_semantics["envelope"]  # same kind: kept
