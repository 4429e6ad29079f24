"""`hookconform mock` and `hookconform trigger` on the command line."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from mock_support import receiver, running

from harness.cli import cli
from mock_provider.faults import FAULTS


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_mock_help_lists_every_fault_with_one_line() -> None:
    code, output = invoke("mock", "--help")
    assert code == 0
    for name, line in FAULTS.items():
        assert any(row.split() == [name, *line.split()] for row in output.splitlines()), name
    for option in ("--profile", "--db", "--time-scale", "--allow-target", "--plan", "--basic-auth"):
        assert option in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--profile", "nope"], "unknown profile 'nope'"),
        (["--profile", "clockodo", "--plan", "gold"], "unknown plan 'gold'"),
        (["--profile", "clockodo", "--fault", "teleport"], "teleport"),
        (["--profile", "clockodo", "--basic-auth", "nocolon"], "USER:PASSWORD"),
        (["--profile", "clockodo", "--time-scale", "0"], "time-scale"),
        (["--profile", "clockodo", "--clock", "virtual", "--time-scale", "0.1"], "leave --time"),
        (["--profile", "clockodo", "--clock", "sundial"], "sundial"),
    ],
)
def test_mock_refuses_bad_options_with_one_line(args: list[str], message: str) -> None:
    code, output = invoke("mock", *args)
    assert code == 2
    assert message in output
    assert "Traceback" not in output


def test_mock_reports_a_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # The faults by the names --help lists (click's enum choice took only member names).
        faults = ["--fault", "no-retry", "--fault", "out-of-order"]
        code, output = invoke("mock", "--profile", "clockodo", *faults, "--port", str(port))
    assert code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in output


def test_trigger_waits_and_prints_each_delivery(tmp_path: Path) -> None:
    with receiver() as endpoint, running("hirehop") as (server, client):
        client.ok(
            "POST", "/_mock/webhooks", {"url": endpoint.url, "events": ["job.status.updated"]}
        )
        payload = tmp_path / "payload.json"
        payload.write_text(json.dumps({"event": "job.status.updated", "data": {}}))
        code, output = invoke(
            "trigger", "job.status.updated", "--mock", server.url, "--data", f"@{payload}",
            "--set", "/data/JOB_NAME=Stage", "--set", "/user_id=7", "--wait", "5",
        )  # fmt: skip
        assert code == 0, output
        assert "1 delivery(ies)" in output
        assert f"-> {endpoint.url}: delivered (HTTP 200, 1 attempt(s))" in output
        body = endpoint.wait_for(1)[0].json()
        assert body["data"] == {"JOB_NAME": "Stage"}
        assert body["user_id"] == 7


def test_trigger_generates_a_payload_and_reports_refusals() -> None:
    with running("clockodo") as (server, _):
        code, output = invoke("trigger", "entry.stopped", "--mock", server.control_url)
        assert code == 0
        assert "0 delivery(ies)" in output
        code, output = invoke("trigger", "no.such", "--mock", server.url)
        assert code == 2
        assert "the mock refused" in output
        assert "no.such" in output
        code, output = invoke("trigger", "entry.stopped", "--mock", server.url, "--data", "{x")
        assert code == 2
        assert "--data is not JSON" in output
        code, output = invoke("trigger", "entry.stopped", "--mock", server.url, "--set", "x=1")
        assert code == 2
        assert "/json/pointer=value" in output


def test_trigger_without_a_mock_says_so() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    code, output = invoke("trigger", "x", "--mock", f"http://127.0.0.1:{port}")
    assert code == 3  # unreachable, as for the receiver and sender suites
    assert f"Error: cannot reach the mock at http://127.0.0.1:{port}: connection refused" in output
    assert "Traceback" not in output


def test_trigger_sends_the_example_fresh_for_the_subscriber_and_generates_on_request() -> None:
    event = "employees/employee/update"
    with receiver() as endpoint, running("factorial") as (server, client):
        body = {"subscription_type": event, "target_url": endpoint.url, "company_id": "77"}
        path = "/api/2026-10-01/resources/api_public/webhook_subscriptions"
        client.ok("POST", path, body, headers={"x-api-key": "test-api-key"})
        for _ in range(2):
            code, output = invoke("trigger", event, "--mock", server.url, "--wait", "5")
            assert code == 0, output
            assert "note:" not in output  # the example is valid as sent
        code, output = invoke("trigger", event, "--mock", server.url, "--generate", "--wait", "5")
        assert code == 0, output
        first, second, generated = (r.json() for r in endpoint.wait_for(3))
    example = server.mock.profiles["factorial"].event(event).example()
    assert first["first_name"] == example["first_name"]  # readable: the profile's example
    assert first["id"] != second["id"]  # fresh ids on every trigger
    assert first["updated_at"][:4] == str(__import__("datetime").date.today().year)
    assert first["company_id"] == "77" != example["company_id"]  # the subscriber's own company
    assert generated["first_name"] != example["first_name"]
    code, output = invoke("trigger", event, "--mock", server.url, "--generate", "--data", "{}")
    assert code == 2
    assert "--generate and --data exclude each other" in output


def test_trigger_says_why_nothing_went_and_when_a_retry_is_due() -> None:
    with running("clockodo") as (server, client):
        code, output = invoke("trigger", "entry.stopped", "--mock", server.url)
        assert code == 0, output
        assert "no subscription receives this event: subscribe first" in output
        # A body without the token the mock inserts per subscription: no schema note for it.
        data = json.dumps({"event_name": "entry.stopped", "payload": {"entry": {"id": 7}}})
        code, output = invoke("trigger", "entry.stopped", "--mock", server.url, "--data", data)
        assert "token" not in output, output
    # The handshake's answer is a 200 (with the echo), every delivery a 500; real-time retries.
    failing = receiver(script=[200], status=500)
    with failing as endpoint, running("resthooks", time_scale=1.0) as (server, client):
        body = {"event": "contact.create", "target_url": endpoint.url}
        client.ok("POST", "/api/v1/subscription/", body)
        code, output = invoke("trigger", "contact.create", "--mock", server.url, "--wait", "3")
        assert code == 0, output
        assert "pending (HTTP 500, 1 attempt(s), next attempt at 20" in output
