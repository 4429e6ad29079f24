"""The sender suite against the mock provider over loopback: it passes, and every fault fails
the check that should catch it (harness.sender, harness.checks.sender)."""

from __future__ import annotations

import json
import shlex
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mock_support import ATTEMPT_TIMEOUT, resolver

from harness.errors import HarnessError, TargetUnreachable
from harness.options import SenderOptions
from harness.profiles import load_profiles
from harness.report import Report, summary, to_json, to_junit
from harness.sender import run_sender
from harness.serving import BackgroundServer
from harness.text import excerpt
from mock_provider.app import MockConfig
from mock_provider.faults import FAULTS as MOCK_FAULTS
from mock_provider.server import MockServer
from tests.receivers import drops_connections

CATALOG = load_profiles()
SCALE = 0.00005  # the tests that run on the real clock
REAL_WINDOW = 1.0  # their window: beyond a loaded machine's stall, yet short to watch quietly


def run(
    profile: str,
    *faults: str,
    events: tuple[str, ...] = (),
    window: float | None = None,
    checks: tuple[str, ...] = (),
    scale: float | None = None,
) -> Report:
    """The sender suite against a mock of `profile` on a virtual clock, which the suite
    advances (schedules exact, no sleeps), or on the real one at time scale `scale`."""
    config = MockConfig(
        profiles=[profile],
        time_scale=scale or 1.0,
        clock="real" if scale else "virtual",
        faults=list(faults),
        timeout=ATTEMPT_TIMEOUT,
        resolver=resolver(),  # S-api-fuzz's generated targets: no real name is looked up
    )
    with MockServer(config) as mock:
        chosen = SenderOptions(
            api=mock.url,
            time_scale=scale or 1.0,
            window=window if window is not None or not scale else REAL_WINDOW,
            attempt_timeout=ATTEMPT_TIMEOUT,
            events=events,
            checks=checks,
        )
        return run_sender(CATALOG.get(profile), chosen)


def failed(report: Report, level: str = "MUST") -> set[str]:
    return {r.check for r in report.results if r.status == "failed" and r.level == level}


@pytest.mark.parametrize("profile", sorted(p.name for p in CATALOG))
def test_the_mock_provider_passes_every_check(profile: str) -> None:
    report = run(profile)
    problems = [
        f"{r.name}: {r.status} {r.reason} {[f.lines() for f in r.failures]}"
        for r in report.results
        if r.status != "passed"
    ]
    assert problems == []
    assert report.exit_code == 0


# fault -> (profile it shows on, the check that must catch it)
FAULTS = {
    "no-retry": ("resthooks", "S-retry-after-failure"),
    "ignore-gone": ("resthooks", "S-gone-deactivates"),
    "no-overwrite": ("factorial-v1", "S-overwrite"),
    "wrong-challenge": ("factorial-v1", "S-headers"),
    "missing-challenge": ("factorial", "S-headers"),
    "schema-drift": ("staffology", "S-payload-schema"),
    "duplicate-delivery": ("resthooks", "S-no-retry-on-success"),
    "out-of-order": ("factorial", "S-latency"),
    "slow": ("factorial-v1", "S-latency"),
    "skip-validation": ("clockodo", "S-validation-before-activation"),
    "drop-token": ("clockodo", "S-headers"),
    "no-hook-secret": ("resthooks", "S-hook-secret-handshake"),
    "stale-timestamp": ("standard-webhooks", "S-signature"),
    "signs-reserialized": ("stripe", "S-signature"),
    "changing-id": ("standard-webhooks", "S-signature"),
    "any-answer": ("slack", "S-challenge-handshake"),
    "no-ping": ("github", "S-ping-event"),
}


def test_every_fault_has_a_check_that_catches_it() -> None:
    assert set(FAULTS) == set(MOCK_FAULTS)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_every_fault_fails_the_check_that_catches_it(fault: str) -> None:
    """Without the fault the check passes (the test above); with it, the run exits 1. On
    the virtual clock the held deliveries (out-of-order, slow) and what must not arrive are
    seen however loaded the machine is: the suite advances the clock past them."""
    profile, check = FAULTS[fault]
    events = tuple(list(CATALOG.get(profile).events)[:2])
    report = run(profile, fault, events=events, checks=(check,))
    assert report.exit_code == 1
    assert failed(report) == {check}, [(r.name, r.status) for r in report.results]


@pytest.mark.parametrize(
    ("profile", "scale", "checks"),
    [
        ("resthooks", 0.00005, ()),
        ("factorial", 0.00001, ("S-retry-schedule", "S-disable-after-exhaustion")),
    ],
)
def test_on_the_real_clock_the_suite_waits_scaled_time(
    profile: str, scale: float, checks: tuple[str, ...]
) -> None:
    """The real clock with --time-scale stays: the same suite passes, waiting scaled time
    (factorial's schedule checks alone: its 137 events cost the same on either clock). Its
    window is shorter than the sender's attempt timeout: the retry of an attempt that timed
    out is waited for past the timeout, not taken for missing."""
    report = run(profile, scale=scale, checks=checks)
    assert [r.name for r in report.results if r.status != "passed"] == []
    assert report.settings["clock"] == "real"
    assert set(checks) <= {r.check for r in report.results}


def test_the_cli_takes_the_real_clocks_scale_and_window(tmp_path: Path) -> None:
    """`hookconform sender --time-scale S --window W` against a mock on the real clock."""
    from click.testing import CliRunner

    from harness.cli import cli

    report = tmp_path / "r.json"
    config = MockConfig(["resthooks"], time_scale=SCALE, resolver=resolver())
    with MockServer(config) as mock:
        result = CliRunner().invoke(
            cli,
            [
                *("sender", "--profile", "resthooks", "--api", mock.url),
                *("--time-scale", str(SCALE), "--window", str(REAL_WINDOW)),
                *("--checks", "S-envelope", "--events", "contact.create"),
                *("--report", str(report)),
            ],
        )
    assert result.exit_code == 0, result.output
    settings = json.loads(report.read_text())["run"]["settings"]
    assert (settings["clock"], settings["time_scale"]) == ("real", SCALE)
    assert (settings["window_seconds"], settings["window_from"]) == (REAL_WINDOW, "--window")


def test_an_attempt_timeout_longer_than_the_capture_holds_an_answer_is_said() -> None:
    """The timeout scenario holds its answer past the sender's timeout; the capture holds
    one at most a minute, so a longer --attempt-timeout is noted, not judged wrongly."""
    config = MockConfig(
        ["resthooks"], clock="virtual", timeout=ATTEMPT_TIMEOUT, resolver=resolver()
    )
    with MockServer(config) as mock:
        options = SenderOptions(api=mock.url, attempt_timeout=59, checks=("S-retry-after-failure",))
        report = run_sender(CATALOG.get("resthooks"), options)
    [result] = report.results
    assert result.status == "passed", result.failures
    assert result.notes == [
        "the timeout scenario did not run: the capture holds an answer at most 60 s, not past "
        "an --attempt-timeout of 59 s"
    ]


def _port_holding(digits: str) -> socket.socket:
    """A listening socket on a free port whose number contains `digits`."""
    for port in (int(f"{p}{digits}{q}") for p in range(1, 7) for q in range(10)):
        listener = socket.socket()
        try:
            listener.bind(("127.0.0.1", port))
        except OSError:
            listener.close()
            continue
        return listener
    pytest.skip(f"no free port with {digits} in it")


def test_a_refusal_is_judged_by_its_status_not_by_the_text_around_it(
    write_profile: Callable[..., Path],
) -> None:
    """The sender refuses a duplicate with 400 where the profile says 422: S-overwrite fails,
    although the API's address (its port) holds "422"."""

    def duplicates(status: int) -> Callable[[dict, dict], None]:
        def edit(profile: dict, openapi: dict) -> None:
            rule = profile["semantics"]["subscription"]
            rule.update(on_duplicate="reject", duplicate_status=status)

        return edit

    write_profile("says-400", based_on="factorial-v1", edit=duplicates(400))
    root = write_profile("says-422", based_on="factorial-v1", edit=duplicates(422))
    catalog = load_profiles([root])
    listener = _port_holding("422")
    port = listener.getsockname()[1]
    listener.close()
    config = MockConfig(["says-400"], time_scale=SCALE, resolver=resolver(), specs=[str(root)])
    with MockServer(config, port=port, catalog=catalog) as mock:
        assert "422" in mock.url
        options = SenderOptions(
            api=mock.url, time_scale=SCALE, window=REAL_WINDOW, checks=("S-overwrite",)
        )
        report = run_sender(catalog.get("says-422"), options)
    [result] = report.results
    assert result.status == "failed"
    assert "400" in result.failures[0].api


def test_a_failure_says_what_arrived_and_what_was_expected() -> None:
    report = run("factorial-v1", "wrong-challenge", events=("employee_created",))
    [result] = [r for r in report.results if r.check == "S-headers"]
    [failure] = result.failures
    assert "header x-factorial-wh-challenge is" in str(failure)
    assert failure.expected == "the headers and authenticity value the profile promises"
    assert failure.arrived is not None
    assert failure.arrived.json()["first_name"]
    assert "x-factorial-wh-challenge" in result.source
    # The JSON report keeps all of it.
    [entry] = [c for c in to_json(report)["checks"] if c["id"] == "S-headers"]
    [written] = entry["results"][0]["failures"]
    assert written["kind"] == "DeliveryMalformed"
    assert written["expected"] == failure.expected
    assert written["source"] == result.source
    assert written["arrived"]["method"] == "POST"
    assert "x-factorial-wh-challenge" in {k.lower() for k in written["arrived"]["headers"]}
    assert written["arrived"]["body_excerpt"] == excerpt(failure.arrived.body)


def test_trigger_and_subscribe_commands_get_the_documented_environment(tmp_path: Path) -> None:
    """A settings-screen sender driven only by user commands (HireHop through the mock)."""
    log = tmp_path / "seen.jsonl"
    script = tmp_path / "hook.py"
    script.write_text(
        "import json, os, sys, urllib.request\n"
        "mock, action = sys.argv[1], sys.argv[2]\n"
        "env = {k: v for k, v in os.environ.items() if k.startswith('HOOKCONFORM_')}\n"
        f"open({str(log)!r}, 'a').write(json.dumps([action, env]) + '\\n')\n"
        "body = {'profile': env['HOOKCONFORM_PROFILE']}\n"
        "if action == 'subscribe':\n"
        "    body.update(url=env['HOOKCONFORM_URL'], events=[env['HOOKCONFORM_EVENT']])\n"
        "    path = '/_mock/webhooks'\n"
        "else:\n"
        "    body.update(type=env['HOOKCONFORM_EVENT'])\n"
        "    path = '/_mock/events'\n"
        "request = urllib.request.Request(mock + path, json.dumps(body).encode(),\n"
        "                                 {'Content-Type': 'application/json'})\n"
        "urllib.request.urlopen(request)\n"
    )
    scale = SCALE
    with MockServer(MockConfig(["hirehop"], time_scale=scale, resolver=resolver())) as mock:
        command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))} {mock.url}"
        export_key = json.loads(
            __import__("urllib.request").request.urlopen(f"{mock.url}/_mock/settings").read()
        )["settings"]["hirehop"]["export_key"]
        options = SenderOptions(
            subscribe_cmd=f"{command} subscribe",
            trigger_cmd=f"{command} trigger",
            secret=export_key,
            time_scale=scale,
            window=REAL_WINDOW,
            events=("job.status.updated",),
        )
        report = run_sender(CATALOG.get("hirehop"), options)
    assert report.exit_code == 0, [(r.name, r.status, r.failures, r.reason) for r in report.results]
    seen = [json.loads(line) for line in log.read_text().splitlines()]
    actions = {action for action, _ in seen}
    assert actions == {"subscribe", "trigger"}
    for _, env in seen:
        assert env["HOOKCONFORM_EVENT"] == "job.status.updated"
        assert env["HOOKCONFORM_PROFILE"] == "hirehop"
        assert env["HOOKCONFORM_URL"].startswith("http://127.0.0.1:")


def test_usage_errors() -> None:
    resthooks = CATALOG.get("resthooks")
    with pytest.raises(HarnessError, match="--api URL is needed"):
        run_sender(resthooks, SenderOptions(trigger_cmd="true"))
    with pytest.raises(HarnessError, match="configured in a settings screen"):
        run_sender(CATALOG.get("hirehop"), SenderOptions(trigger_cmd="true"))
    with pytest.raises(HarnessError, match="no way to make the sender emit events"):
        run_sender(CATALOG.get("hirehop"), SenderOptions(subscribe_cmd="true"))
    not_a_key = SenderOptions(api="http://127.0.0.1:9", secret="not base64!")
    with pytest.raises(HarnessError, match="cannot sign profile 'standard-webhooks'"):
        run_sender(CATALOG.get("standard-webhooks"), not_a_key)
    unusable = SenderOptions(subscribe_cmd="true", trigger_cmd="true", callback_host="192.0.2.1")
    with pytest.raises(HarnessError, match=r"cannot listen on --callback-host 192\.0\.2\.1"):
        run_sender(CATALOG.get("hirehop"), unusable)


def test_unreachable_api_is_exit_3_material() -> None:
    with pytest.raises(TargetUnreachable):
        run_sender(
            CATALOG.get("resthooks"), SenderOptions(api="http://127.0.0.1:9", trigger_cmd="true")
        )


@pytest.fixture
def mock_process(tmp_path: Path) -> Iterator[str]:
    """`hookconform mock` as a real process on a free port; its base URL."""
    import subprocess
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness",
            "mock",
            "--profile",
            "resthooks",
            "--port",
            str(port),
            "--clock",
            "virtual",
            "--db",
            str(tmp_path / "mock.db"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


def test_cli_against_a_real_mock_process(mock_process: str, tmp_path: Path) -> None:
    import subprocess

    report_path, junit_path = tmp_path / "r.json", tmp_path / "r.xml"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "sender",
            "--profile",
            "resthooks",
            "--api",
            mock_process,
            "--report",
            str(report_path),
            "--junit",
            str(junit_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CONFORMANT" in done.stdout
    report = json.loads(report_path.read_text())
    assert report["suite"] == "sender"
    assert report["profile"]["kinds"]["handshake"] == "hook-secret-echo"
    assert report["exit_code"] == 0
    ids = {c["id"] for c in report["checks"]}
    assert {"S-hook-secret-handshake", "S-gone-deactivates", "S-api-fuzz"} <= ids
    assert 'name="S-headers[contact.create]"' in junit_path.read_text()


def _broken_api(environ: dict, start_response: Callable) -> list[bytes]:
    """A subscription API that answers every call with a server error."""
    start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
    return [b"boom"]


def test_api_fuzz_reports_server_errors_as_a_failed_check() -> None:
    with BackgroundServer(_broken_api) as api:
        report = run_sender(
            CATALOG.get("resthooks"),
            SenderOptions(api=api.url, trigger_cmd="true", checks=("S-api-fuzz",)),
        )
    [result] = report.results
    assert (result.status, report.exit_code) == ("failed", 1), result.reason
    [failure] = result.failures
    assert "first: Server error" in str(failure)
    assert "-> 500" in failure.api


def test_a_mock_that_dies_mid_run_is_reported_not_raised(tmp_path: Path) -> None:
    import subprocess

    command = [sys.executable, "-m", "harness", "mock", "--profile", "clockodo", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        api = process.stdout.readline().split()[1].rstrip("/")  # "API:  http://...:PORT/"
        options = SenderOptions(
            api=api,
            trigger_cmd=f"kill {process.pid}",
            window=0.3,
            checks=("S-payload-schema",),
        )
        report = run_sender(CATALOG.get("clockodo"), options)
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
    statuses = {r.status for r in report.results}
    assert "error" in statuses, [(r.name, r.status, r.reason) for r in report.results]
    errored = next(r for r in report.results if r.status == "error")
    assert "the mock's control API failed" in errored.reason


def test_an_api_that_drops_connections_fails_the_checks_not_the_harness() -> None:
    """Reachable but never answering is the sender's failure (exit 1), as in the receiver suite."""
    with drops_connections() as api:
        options = SenderOptions(
            api=api, trigger_cmd="true", events=("contact.create",), checks=("S-payload-schema",)
        )
        report = run_sender(CATALOG.get("resthooks"), options)
    [result] = report.results
    assert (result.status, report.exit_code) == ("failed", 1), result.reason
    assert "got no answer" in str(result.failures[0])


def test_a_missing_delivery_is_one_failure_and_the_checks_that_shared_it_are_blocked() -> None:
    checks = ("S-envelope", "S-headers", "S-payload-schema")
    config = MockConfig(profiles=["staffology"], time_scale=SCALE, resolver=resolver())
    with MockServer(config) as mock:
        options = SenderOptions(
            api=mock.url,
            trigger_cmd="true",
            window=0.3,
            events=("Employee_Created",),
            checks=checks,
        )
        report = run_sender(CATALOG.get("staffology"), options)
    statuses = {r.check: (r.status, r.reason) for r in report.results}
    assert statuses["S-envelope"] == ("failed", "")  # the first to need it says why
    for check in ("S-headers", "S-payload-schema"):
        assert statuses[check] == (
            "blocked",
            "no delivery of Employee_Created arrived (see S-envelope[Employee_Created])",
        )
    assert report.exit_code == 1
    text = summary(report)
    assert "BLOCKED (1 of 1): no delivery of Employee_Created arrived (see S-envelope" in text
    assert text.count("nothing arrived within") == 1


def test_the_report_says_which_window_was_used_and_what_a_check_left_out() -> None:
    config = MockConfig(profiles=["resthooks"], time_scale=SCALE, resolver=resolver())
    with MockServer(config) as mock:
        options = SenderOptions(api=mock.url, time_scale=SCALE, checks=("S-retry-after-failure",))
        report = run_sender(CATALOG.get("resthooks"), options)
    [result] = report.results
    assert result.status == "passed"
    assert result.notes == [
        "the timeout scenario did not run: pass --attempt-timeout SECONDS (the sender's "
        "per-attempt timeout) to check that a timed-out attempt is retried"
    ]
    assert report.settings["window_seconds"] == 10.0
    assert report.settings["window_from"].startswith("the default: the profile promises no")
    text = summary(report)
    assert "note: S-retry-after-failure: the timeout scenario did not run" in text
    assert "window: 10 s, the default: the profile promises no latency" in text
    assert "cleanup: the suite made 1 subscription(s) and deleted 1; none is left" in text
    written = to_json(report)
    assert written["checks"][0]["results"][0]["notes"] == result.notes
    assert written["cleanup"] == {"created": 1, "deleted": 1, "gone": 0, "left": []}
    junit = to_junit(report)
    assert "the timeout scenario did not run" in junit
