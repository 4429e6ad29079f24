"""The reports (harness.report): terminal summary, JSON report and JUnit XML."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.errors import BadInputNotRejected, DeliveryNotAccepted
from harness.profiles import load_profiles
from harness.report import REPORT_SCHEMA, Progress, Report, Result, to_json, to_junit
from tests.receivers import IgnoresAuthenticity, run_cli, serve

CLOCKODO = load_profiles().get("clockodo")
TOKEN_QUOTE = "Mit Hilfe des Tokens sind Sie sich sicher"


def test_a_failing_run_shows_request_response_expectation_and_source(tmp_path: Path) -> None:
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    with serve(IgnoresAuthenticity(CLOCKODO, "tok-1")) as url:
        run = run_cli(
            url, "--profile", "clockodo", "--secret", "tok-1", "--events", "entry.stopped",
            "--max-examples", "1", "--concurrency", "2", "--junit", str(junit), report=report,
        )  # fmt: skip
    assert run.exit_code == 1
    out = run.output
    assert "--- MUST R-rejects-forged[entry.stopped] FAILED" in out
    assert f"sent:     POST {url}" in out
    assert '"token":"forged-tok-1"' in out  # the body excerpt
    assert "seen:     HTTP 200 after" in out
    assert "expected: anything but a 2xx to a delivery with a wrong value at /token" in out
    assert TOKEN_QUOTE in out
    assert "NOT CONFORMANT" in out

    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["schema"] == REPORT_SCHEMA
    assert data["profile"]["name"] == "clockodo"
    assert data["profile"]["kinds"]["authenticity"] == "body-token"
    assert data["target"] == url
    assert data["exit_code"] == 1
    assert data["conformant"] is False
    assert data["run"]["settings"]["events"] == ["entry.stopped"]
    forged = next(c for c in data["checks"] if c["id"] == "R-rejects-forged")
    (result,) = forged["results"]
    assert result["event"] == "entry.stopped"
    assert result["status"] == "failed"
    assert result["sent"] == 1
    failure = result["failures"][0]
    assert failure["kind"] == "ForgeryAccepted"
    assert failure["request"]["headers"]["Content-Type"] == "application/json"
    assert failure["response"]["status"] == 200
    assert TOKEN_QUOTE in failure["source"]
    validation = next(c for c in data["checks"] if c["id"] == "R-validation-handshake")
    assert validation["results"][0]["event"] is None
    assert validation["results"][0]["sent"] == 1

    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == sum(len(c["results"]) for c in data["checks"])
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["R-rejects-forged[entry.stopped]"]
    assert suite.get("failures") == "1"


def _result(level: str, status: str, failure: Exception | None = None) -> Result:
    return Result(
        check="R-x",
        level=level,
        declared_level="MUST",
        summary="Something.",
        source="doc",
        event="a.b",
        status=status,  # type: ignore[arg-type]
        failures=[failure] if failure else [],
    )


def _report(*results: Result) -> Report:
    return Report(
        suite="receiver",
        profile={"name": "p"},
        target="http://127.0.0.1:1/",
        settings={"seed": 0},
        results=list(results),
        started="2026-01-01T00:00:00Z",
        duration=0.5,
    )


def _failure(cls: type, body: str = "{}") -> Exception:
    return cls(
        request={"method": "POST", "url": "u", "headers": {}, "body": body},
        response={"status": 500, "headers": {}, "body": "", "error": None, "elapsed": 0.01},
        expected="a 4xx",
        source="doc",
    )


def test_a_should_failure_is_not_a_junit_failure_and_keeps_exit_0() -> None:
    report = _report(_result("SHOULD", "failed", _failure(BadInputNotRejected)))
    assert report.exit_code == 0
    case = ET.fromstring(to_junit(report)).find("testsuite/testcase")
    assert case is not None
    assert case.find("failure") is None
    system_out = case.find("system-out")
    assert system_out is not None
    assert "SHOULD not met" in (system_out.text or "")
    assert to_json(report)["conformant"] is True


def test_a_blocked_must_is_not_conformant_and_a_junit_failure_a_blocked_should_skipped() -> None:
    """CI goes red exactly when the exit code is 1, whatever blocked the MUST."""
    report = _report(_result("MUST", "blocked"), _result("SHOULD", "blocked"))
    assert report.exit_code == 1
    suite = ET.fromstring(to_junit(report)).find("testsuite")
    assert suite is not None
    must, should = suite.findall("testcase")
    assert must.find("failure") is not None
    assert should.find("skipped") is not None
    assert (suite.get("failures"), suite.get("skipped")) == ("1", "1")


def test_junit_properties_are_clean_text() -> None:
    report = _report(_result("MUST", "passed"))
    report.target = "curl -s \x1b[31mhttp://x"
    report.settings = {"checks": ["R-a", "R-b"]}
    properties = ET.fromstring(to_junit(report)).find("testsuite/properties")
    assert properties is not None
    shown = {p.get("name"): p.get("value") for p in properties}
    assert shown == {"target": "curl -s \ufffd[31mhttp://x", "checks": "R-a,R-b"}


def test_junit_survives_control_characters_from_generated_payloads() -> None:
    failure = _failure(DeliveryNotAccepted, body='{"name":"\x16\x00\ud800"}')
    text = to_junit(_report(_result("MUST", "failed", failure)))
    case = ET.fromstring(text).find("testsuite/testcase/failure")
    assert case is not None
    assert "\ufffd" in (case.text or "")


def test_progress_prints_stages_and_a_final_count_off_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    progress.stage("generating payloads for 2 event(s)")
    progress.note("generating payloads: a (1/2)")  # terminal only
    progress.start(2)
    progress.advance("R-x[a]")
    progress.advance("R-x[b]")
    progress.finish()
    assert stream.getvalue().splitlines() == [
        "generating payloads for 2 event(s)",
        "[   2/2] checks x events done",
    ]
