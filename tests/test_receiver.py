"""`hookconform receiver`: options, exit codes, repeatability and the payload plan."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from harness.errors import HarnessError, TargetUnreachable
from harness.options import ReceiverOptions
from harness.plans import PlanSpec, plan_payloads
from harness.profiles import load_profiles
from harness.receiver import run_receiver
from harness.strategies import close_schemas
from tests.receivers import (
    AnswersSlowly,
    Receiver,
    drops_connections,
    run_cli,
    run_suite,
    serve,
)

CATALOG = load_profiles()
RESTHOOKS = CATALOG.get("resthooks")


class RecordingReceiver(Receiver):
    """The reference receiver, keeping every body it was sent."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.bodies: list[bytes] = []

    def handle(self, request: Request) -> Response:
        self.bodies.append(request.get_data())
        return super().handle(request)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_url_exits_3_as_a_real_process() -> None:
    url = f"http://127.0.0.1:{_free_port()}/hooks"
    done = subprocess.run(
        [sys.executable, "-m", "harness", "receiver", url, "--profile", "staffology"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert f"cannot reach {url}" in done.stderr
    assert "Traceback" not in done.stderr


def test_unreachable_is_raised_before_any_payload_is_generated() -> None:
    options = ReceiverOptions(url=f"http://127.0.0.1:{_free_port()}/")
    with pytest.raises(TargetUnreachable):
        run_receiver(RESTHOOKS, options)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "resthooks", "--checks", "R-nope"], "unknown check id(s): R-nope"),
        (["--profile", "resthooks", "--events", "contact.explode"], "no event 'contact.explode'"),
        (["--profile", "clockodo"], "profile 'clockodo' needs --secret"),
        (
            ["--profile", "standard-webhooks", "--secret", "s3cret-value"],
            "--secret cannot sign profile 'standard-webhooks': the secret is not whsec_<base64>",
        ),
        (["--profile", "nope"], "unknown profile 'nope'"),
        (["--profile", "resthooks", "--max-examples", "0"], "Invalid value for '--max-examples'"),
        (["--profile", "resthooks", "--report", "/no/such/dir/r.json"], "folder does not exist"),
        (["--profile", "resthooks", "--junit", "/tmp"], "it is a folder"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    with serve(Receiver(RESTHOOKS)) as url:
        run = run_cli(url, *args)
    assert run.exit_code == 2
    assert message in run.output
    assert "Traceback" not in run.output


def test_a_url_that_is_not_http_is_a_usage_error() -> None:
    with pytest.raises(HarnessError, match="not an http"):
        run_receiver(RESTHOOKS, ReceiverOptions(url="ftp://127.0.0.1/hooks"))


def _generated_bodies(seed: int) -> list[bytes]:
    receiver = RecordingReceiver(RESTHOOKS, "k")
    with serve(receiver) as url:
        run_suite(
            url,
            RESTHOOKS,
            secret="k",
            seed=seed,
            max_examples=2,
            events=["contact.create", "contact.update"],
            checks=["R-accepts-generated"],
        )
    return sorted(receiver.bodies)


def test_the_seed_makes_a_run_repeatable() -> None:
    first = _generated_bodies(seed=1)
    assert len(first) == 4  # two events, two payloads each
    assert _generated_bodies(seed=1) == first
    assert _generated_bodies(seed=2) != first


def test_checks_and_exclude_checks_narrow_the_run() -> None:
    with serve(Receiver(RESTHOOKS, "k")) as url:
        only = run_suite(url, RESTHOOKS, secret="k", checks=["R-envelope", "R-concurrent"])
        without = run_suite(
            url, RESTHOOKS, secret="k", max_examples=1, exclude_checks=["R-concurrent"]
        )
    assert [c["id"] for c in only.report["checks"]] == ["R-concurrent", "R-envelope"]
    ids = {c["id"] for c in without.report["checks"]}
    assert "R-concurrent" not in ids
    assert {"R-envelope", "R-hook-secret-handshake", "R-rejects-forged"} <= ids


def test_without_a_secret_an_optional_proof_is_not_judged() -> None:
    with serve(Receiver(RESTHOOKS)) as url:
        run = run_suite(url, RESTHOOKS, max_examples=1, events=["contact.create"])
    assert run.exit_code == 0
    assert run.statuses("R-rejects-forged") == {"skipped"}
    assert "no --secret given" in run.output


def _slow_profile(write_profile: Any, documented: bool) -> Any:
    def edit(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
        profile["semantics"]["timeout"] = {"seconds": 0.1, "source": "https://example.com/slow"}
        if not documented:
            profile["semantics"]["timeout"]["documented"] = False

    root = write_profile("slowhooks", based_on="resthooks", edit=edit)
    return load_profiles([root]).get("slowhooks")


@pytest.mark.parametrize(
    ("documented", "level", "exit_code"), [(True, "MUST", 1), (False, "SHOULD", 0)]
)
def test_a_must_on_an_undocumented_rule_is_reported_as_should(
    write_profile: Any, documented: bool, level: str, exit_code: int
) -> None:
    profile = _slow_profile(write_profile, documented)
    with serve(AnswersSlowly(profile)) as url:
        run = run_suite(
            url, profile, events=["contact.create"], checks=["R-envelope", "R-responds-in-time"]
        )
    assert run.exit_code == exit_code, run.output
    check = run.check("R-responds-in-time")
    assert (check["level"], check["declared_level"]) == (level, "MUST")
    assert run.statuses("R-responds-in-time") == {"failed"}
    assert "every answer within 0.1 s" in run.output


def test_plan_never_repeats_a_valid_delivery() -> None:
    profile = RESTHOOKS  # three events with one schema: the same payloads would come up
    spec = PlanSpec(secret="c", max_examples=5, concurrency=4, seed_value=0)
    plans = plan_payloads(profile, list(profile.events), spec)
    fresh = [json.dumps(p, sort_keys=True) for plan in plans.values() for p in plan.fresh]
    assert len(fresh) == len(set(fresh))
    examples = {json.dumps(p, sort_keys=True) for plan in plans.values() for p in plan.examples}
    assert not examples & set(fresh)
    for name, plan in plans.items():
        assert all(profile.event(name).is_valid(p) for p in plan.fresh)


def test_plan_has_integral_floats_and_negatives_no_event_accepts() -> None:
    profile = CATALOG.get("staffology")
    spec = PlanSpec(secret=None, max_examples=8, concurrency=4, seed_value=0)
    plans = plan_payloads(profile, list(profile.events), spec)

    def floats(node: Any) -> bool:
        if isinstance(node, float):
            return node.is_integer()
        if isinstance(node, dict):
            return any(floats(v) for v in node.values())
        return isinstance(node, list) and any(floats(v) for v in node)

    assert any(floats(p) for plan in plans.values() for p in plan.generated())
    negatives = [p for plan in plans.values() for p in plan.negative]
    assert negatives
    for payload in negatives:
        assert not any(event.is_valid(payload) for event in profile.events.values())


def test_the_json_report_is_written_by_the_command(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    with serve(Receiver(RESTHOOKS, "k")) as url:
        run = run_cli(
            url, "--profile", "resthooks", "--secret", "k", "--max-examples", "1",
            "--events", "contact.create", report=report,
        )  # fmt: skip
    assert run.exit_code == 0, run.output
    assert run.report["conformant"] is True
    assert f"JSON report: {report}" in run.output


def test_closed_documents_close_schemas_only() -> None:
    document = {
        "paths": {
            "/e": {
                "schema": {"properties": {"properties": {"type": "object", "properties": {}}}},
                "examples": {"x": {"value": {"properties": 1}}},
            }
        },
        "components": {
            "schemas": {
                "Base": {"properties": {"id": {}, "inner": {"properties": {"a": {}}}}},
                "Both": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Base"},
                        {"properties": {"inner": {"properties": {"b": {}}}}},
                    ]
                },
                "Map": {"properties": {"a": {}}, "additionalProperties": {"type": "string"}},
            }
        },
    }
    closed = close_schemas(document)
    schema = closed["paths"]["/e"]["schema"]
    assert schema["additionalProperties"] is False
    assert set(schema["properties"]) == {"properties"}  # a field named "properties" stays one
    assert schema["properties"]["properties"]["additionalProperties"] is False
    assert closed["paths"]["/e"]["examples"] == {"x": {"value": {"properties": 1}}}
    schemas = closed["components"]["schemas"]
    assert "additionalProperties" not in schemas["Base"]  # an allOf branch elsewhere
    assert "additionalProperties" not in schemas["Both"]["allOf"][1]
    # Nor an object inside a branch: the other branch declares more of it (`inner.b`).
    assert "additionalProperties" not in schemas["Base"]["properties"]["inner"]
    assert "additionalProperties" not in schemas["Both"]["allOf"][1]["properties"]["inner"]
    assert schemas["Map"]["additionalProperties"] == {"type": "string"}
    assert "additionalProperties" not in document["components"]["schemas"]["Base"]


def test_a_receiver_that_drops_every_connection_fails_not_errors() -> None:
    """Nothing is ever answered: R-responds-in-time fails (it used to crash with an error)."""
    with drops_connections() as base:
        run = run_suite(f"{base}/hooks", RESTHOOKS, secret="k", checks=["R-responds-in-time"])
    [check] = run.report["checks"]
    assert {r["status"] for r in check["results"]} == {"failed"}, run.output
    assert "connection failed" in run.output
    assert run.exit_code == (1 if check["level"] == "MUST" else 0)


def test_a_payload_generation_failure_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from hypothesis.errors import Unsatisfiable

    def unsatisfiable(*args: Any, **kwargs: Any) -> Any:
        raise Unsatisfiable("no value satisfies the schema")

    monkeypatch.setattr("harness.plans.sample", unsatisfiable)
    failing = pytest.raises(HarnessError, match="cannot generate payloads: Unsatisfiable")
    options = ReceiverOptions(url="", checks=("R-accepts-generated",), no_cache=True)
    with serve(Receiver(RESTHOOKS)) as url, failing:
        run_receiver(RESTHOOKS, replace(options, url=url))
