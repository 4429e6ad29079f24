"""The pytest plugin, run through pytester as a user's test suite would use it.

The receivers and mocks under test run in this process on loopback ports; the inner pytest
runs in-process too (and its xdist workers as subprocesses), reaching them over sockets.
"""

from __future__ import annotations

import re
import shutil
import socket
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mock_support import resolver
from werkzeug.wrappers import Request, Response

from harness import checks as registry
from harness.cli import cli
from harness.profiles import bundled_specs_dir, load_profiles
from mock_provider.app import MockConfig
from mock_provider.server import MockServer
from tests.receivers import EXAMPLE, AnswersSlowly, Receiver, answer, serve

pytest_plugins = ["pytester"]

# pytester forgets the modules an in-process inner run imports; the checks register once.
registry.load()
CATALOG = load_profiles()
RESTHOOKS = CATALOG.get("resthooks")
FACTORIAL_EVENT = next(iter(CATALOG.get("factorial").events))
SECRET = "s3cret"
README = Path(__file__).resolve().parents[1] / "README.md"
# Quick inner runs: few generated payloads, no cache folder in the pytester directory.
QUICK = ("-p", "no:cacheprovider", "--hookconform-max-examples", "2")


class Recording(Receiver):
    """The reference receiver, counting the requests it was sent."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.count = 0

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.count += 1
        return super().handle(request)


class AcceptsEverything(Receiver):
    """Completes the handshake, then answers 200 to anything: forged (a MUST) and malformed
    (a SHOULD) deliveries included."""

    def handle(self, request: Request) -> Response:
        return self.handshake(request) or answer(200)


@pytest.fixture(scope="module")
def sloppy_url() -> Iterator[str]:
    with serve(AcceptsEverything(RESTHOOKS, SECRET)) as url:
        yield url


@pytest.fixture
def recording() -> Iterator[tuple[Recording, str]]:
    receiver = Recording(RESTHOOKS, None)
    with serve(receiver) as url:
        yield receiver, url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _receiver_ids(profile: str = "resthooks") -> list[str]:
    """The items a receiver run of `profile` must collect, from the checks registry."""
    loaded = CATALOG.get(profile)
    ids = []
    for check in registry.registered("receiver", loaded):
        events = loaded.events if check.scope == "event" else [None]
        ids += [f"hookconform::{check.id}" + (f"[{e}]" if e else "") for e in events]
    return ids


# --- profiles and the capture server --------------------------------------------------------


def test_profile_fixture_validates_payloads(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_valid(hookconform_profile):
            profile = hookconform_profile("clockodo")
            profile.validate("entry.stopped", profile.event("entry.stopped").example())

        def test_invalid(hookconform_profile):
            hookconform_profile("clockodo").validate("entry.stopped", {"token": 1})
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*Payload does not match the event schema (clockodo, entry.stopped):*",
            "*$: 'event_name' is a required property*",
        ]
    )


def test_capture_fixture_records_and_is_reset_between_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import urllib3

        def test_first(hookconform_capture):
            hookconform_capture.respond_with(503)
            answer = urllib3.request("POST", hookconform_capture.url_for("a"), body=b"{}")
            assert answer.status == 503
            assert len(hookconform_capture.wait_for(1, timeout=2)) == 1

        def test_second_sees_a_clean_server(hookconform_capture):
            assert hookconform_capture.requests == []
            answer = urllib3.request("POST", hookconform_capture.url, body=b"{}")
            assert answer.status == 200
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


# --- conformance items ----------------------------------------------------------------------


def test_without_a_target_the_plugin_adds_no_items(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_mine="def test_mine(): pass")
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--collect-only", "-q", "--hookconform-profile", "resthooks"
    )
    assert result.ret == 0
    assert [line for line in result.outlines if "::" in line] == ["test_mine.py::test_mine"]


def test_one_item_per_check_and_event_from_ini_and_command_line(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\nhookconform_profile = resthooks\nhookconform_seed = 3\n")
    url = f"http://127.0.0.1:{_free_port()}/hooks"  # collecting sends nothing
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--collect-only", "-q", "--hookconform-receiver", url
    )
    assert result.ret == 0
    collected = [line for line in result.outlines if line.startswith("hookconform::")]
    assert collected == _receiver_ids("resthooks")
    assert "hookconform::R-validation-handshake" not in "\n".join(collected)  # clockodo's only
    narrowed = pytester.runpytest(
        *("-p", "no:cacheprovider", "--collect-only", "-q", "--hookconform-receiver", url),
        *("--hookconform-checks", "R-envelope,R-concurrent"),
        *("--hookconform-events", "contact.update"),
    )
    assert [line for line in narrowed.outlines if line.startswith("hookconform::")] == [
        "hookconform::R-concurrent",
        "hookconform::R-envelope[contact.update]",
    ]
    by_level = pytester.runpytest(
        *("-p", "no:cacheprovider", "--collect-only", "-q", "--hookconform-receiver", url),
        *("-k", "SHOULD and contact.delete"),
    )
    should = {
        c.id
        for c in registry.registered("receiver", RESTHOOKS)
        if c.level_for(RESTHOOKS) == "SHOULD"
    }
    assert should  # resthooks has SHOULD checks, so the selection is not empty by accident
    assert [line for line in by_level.outlines if line.startswith("hookconform::")] == [
        f"hookconform::{check}[contact.delete]" for check in sorted(should)
    ]


def test_failures_show_the_conformance_message_and_junit_lists_each_item(
    pytester: pytest.Pytester, sloppy_url: str
) -> None:
    xml = pytester.path / "conformance.xml"
    result = pytester.runpytest(
        *QUICK,
        *("--hookconform-receiver", sloppy_url, "--hookconform-profile", "resthooks"),
        *("--hookconform-secret", SECRET, "-rx", f"--junitxml={xml}"),
    )
    ids = _receiver_ids("resthooks")
    # R-rejects-forged on both events, R-verifies-raw-bytes, R-rejects-malformed's SHOULDs
    result.assert_outcomes(passed=len(ids) - 7, failed=4, xfailed=3)
    result.stdout.fnmatch_lines(
        [
            "*_ hookconform receiver R-rejects-forged on contact.create _*",
            "MUST R-rejects-forged[[]contact.create] FAILED: *",
            "Forged delivery accepted: expected anything but a 2xx *; got HTTP 200",
            f"sent:     POST {sloppy_url}",
            "          X-Hook-Signature: *",
            "seen:     HTTP 200 after *",
            "expected: anything but a 2xx to a delivery with X-Hook-Signature made with *",
            "source:   https://resthooks.org/*",
        ]
    )
    result.stdout.fnmatch_lines(
        ["XFAIL hookconform::R-rejects-malformed[[]contact.create] - SHOULD not met: *4xx*"]
    )
    assert "Traceback" not in result.stdout.str()
    assert not re.search(r"harness[/\\]\w+\.py", result.stdout.str())  # no harness frames

    cases = ET.parse(xml).getroot().findall(".//testcase")
    assert [f"{c.get('classname')}::{c.get('name')}" for c in cases] == ids
    by_name = {c.get("name"): c for c in cases}
    forged = by_name["R-rejects-forged[contact.update]"]
    failure = forged.find("failure")
    assert failure is not None
    assert "Forged delivery accepted" in (failure.text or "")
    assert "source:   https://resthooks.org/" in (failure.text or "")
    properties = {p.get("name"): p.get("value") for p in forged.iter("property")}
    assert properties["level"] == "MUST"
    assert properties["event"] == "contact.update"
    assert properties["check"] == "R-rejects-forged"
    malformed = by_name["R-rejects-malformed[contact.update]"].find("skipped")
    assert malformed is not None
    assert malformed.get("type") == "pytest.xfail"
    failing = {c.get("name") for c in cases if c.find("failure") is not None}
    forged = {f"R-rejects-forged[{e}]" for e in RESTHOOKS.events}
    assert failing == {*forged, "R-verifies-raw-bytes"}


def test_k_selects_items_and_only_the_selected_checks_run(
    pytester: pytest.Pytester, recording: tuple[Recording, str]
) -> None:
    receiver, url = recording
    result = pytester.runpytest(
        *QUICK,
        *("--hookconform-receiver", url, "--hookconform-profile", "resthooks", "-rs"),
        *("-k", "contact.create and (R-envelope or R-rejects-forged)"),
    )
    # No secret: resthooks' signature is optional, so R-rejects-forged cannot judge.
    result.assert_outcomes(passed=1, skipped=1, deselected=len(_receiver_ids()) - 2)
    result.stdout.fnmatch_lines(["SKIPPED [[]1] *: skipped: no --secret given*"])
    assert receiver.count == 1  # R-envelope's one delivery, nothing of the other checks


def test_an_unreachable_target_fails_each_item_with_one_line(pytester: pytest.Pytester) -> None:
    url = f"http://127.0.0.1:{_free_port()}/hooks"
    result = pytester.runpytest(
        *QUICK,
        *("--hookconform-receiver", url, "--hookconform-profile", "resthooks"),
        *("--hookconform-checks", "R-envelope"),
    )
    result.assert_outcomes(failed=len(RESTHOOKS.events))
    result.stdout.fnmatch_lines([f"hookconform could not run: cannot reach {url}*"])
    assert "Traceback" not in result.stdout.str()


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (
            ["--hookconform-receiver", "http://127.0.0.1:9/"],
            "",
            "*hookconform: --hookconform-profile NAME is needed with a hookconform target*",
        ),
        (
            ["--hookconform-receiver", "http://127.0.0.1:9/", "--hookconform-profile", "acme"],
            "",
            "*hookconform: unknown profile*acme*",
        ),
        (
            ["--hookconform-receiver", "http://127.0.0.1:9/", "--hookconform-checks", "R-nope"],
            "hookconform_profile = resthooks",
            "*hookconform: unknown check id(s): R-nope*",
        ),
        (["--hookconform-max-examples", "0"], "", "*--hookconform-max-examples*at least 1*"),
        (["--hookconform-time-scale", "inf"], "", "*--hookconform-time-scale*finite number*"),
        (
            ["--hookconform-receiver", "notaurl"],
            "",
            "*--hookconform-receiver: 'notaurl' is not an http(s) URL*",
        ),
        ([], "hookconform_seed = many", "*ini option hookconform_seed: not a whole number*"),
        (
            [],
            "hookconform_no_cache = maybe",
            "*ini option hookconform_no_cache: must be true or false, not 'maybe'*",
        ),
    ],
)
def test_bad_options_are_usage_errors(
    pytester: pytest.Pytester, args: list[str], ini: str, message: str
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str()


def test_sender_items_against_a_faulty_mock(pytester: pytest.Pytester) -> None:
    config = MockConfig(
        profiles=["staffology"], time_scale=0.0001, faults=["schema-drift"], resolver=resolver()
    )
    with MockServer(config) as mock:
        result = pytester.runpytest(
            *QUICK,
            *("--hookconform-sender-api", mock.url, "--hookconform-profile", "staffology"),
            *("--hookconform-time-scale", "0.0001", "-k", "JobCompleted"),
            *("--hookconform-checks", "S-payload-schema,S-headers"),
        )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "MUST S-payload-schema[[]JobCompleted] FAILED: *",
            "arrived:  POST /staffology-*",
            "          body: [[]{*schema-drift*",
            "expected: a body valid against the JobCompleted schema",
            "source:   *",
        ]
    )


def test_the_payload_cache_folder_from_ini_and_no_cache(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nhookconform_profile = resthooks\nhookconform_cache_dir = kept\n")
    run = (*QUICK, "--hookconform-secret", "k", "-k", "R-envelope and contact.create")
    kept = pytester.path / "kept"
    with serve(Receiver(RESTHOOKS, "k")) as url:
        cached = pytester.runpytest(*run, "--hookconform-receiver", url)
        assert cached.ret == 0
        assert (kept / "plans").is_dir()
        shutil.rmtree(kept)
        afresh = pytester.runpytest(*run, "--hookconform-receiver", url, "--hookconform-no-cache")
    assert afresh.ret == 0
    assert not kept.exists()


# --- every run option of the CLI suites ------------------------------------------------------


def test_every_cli_run_option_is_a_plugin_option_and_an_ini_value(
    pytester: pytest.Pytester,
) -> None:
    shown = pytester.runpytest("-p", "no:cacheprovider", "--help").stdout.str()
    plugin = set(re.findall(r"--hookconform-([a-z][a-z-]+)", shown))
    # The reports are pytest's own (--junitxml); the target is --hookconform-sender-api.
    theirs = {"report", "junit", "api"}
    for side in ("receiver", "sender"):
        params = cli.commands[side].params
        options = {o[2:] for p in params for o in p.opts if o.startswith("--")} - theirs
        assert options - plugin == set(), side
    for name in ("specs", "header", "auth", "window", "timeout", "attempt_timeout", "concurrency"):
        assert f"hookconform_{name} " in shown


def test_the_specs_option_and_ini_load_a_spec_writers_folder(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    folder = tmp_path / "mine" / "acme-hooks"
    shutil.copytree(bundled_specs_dir() / "resthooks", folder)
    profile = folder / "profile.yaml"
    profile.write_text(
        profile.read_text(encoding="utf-8").replace("name: resthooks", "name: acme-hooks", 1),
        encoding="utf-8",
    )
    url = f"http://127.0.0.1:{_free_port()}/hooks"  # collecting sends nothing
    collect = ("-p", "no:cacheprovider", "--collect-only", "-q", "--hookconform-receiver", url)
    missing = pytester.runpytest(*collect, "--hookconform-profile", "acme-hooks")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    missing.stderr.fnmatch_lines(["*unknown profile*acme-hooks*"])
    given = pytester.runpytest(
        *collect, "--hookconform-profile", "acme-hooks", "--hookconform-specs", str(folder.parent)
    )
    assert given.ret == 0
    expected = _receiver_ids("resthooks")
    assert [line for line in given.outlines if line.startswith("hookconform::")] == expected
    pytester.makeini(
        f"[pytest]\nhookconform_profile = acme-hooks\nhookconform_specs =\n    {folder}\n"
    )
    from_ini = pytester.runpytest(*collect)
    assert [line for line in from_ini.outlines if line.startswith("hookconform::")] == expected


def test_the_receiver_timeout_and_concurrency_options_reach_the_run(
    pytester: pytest.Pytester,
) -> None:
    receiver = Recording(RESTHOOKS, None)
    with serve(receiver) as url:
        common = (*QUICK, "--hookconform-receiver", url, "--hookconform-profile", "resthooks")
        burst = pytester.runpytest(
            *common, "--hookconform-checks", "R-concurrent", "--hookconform-concurrency", "3"
        )
        burst.assert_outcomes(passed=1)
        assert receiver.count == 3
    slow = AnswersSlowly(RESTHOOKS, None)
    with serve(slow) as url:
        pytester.makeini("[pytest]\nhookconform_timeout = 0.05\n")
        timed = pytester.runpytest(
            *(*QUICK, "--hookconform-receiver", url, "--hookconform-profile", "resthooks"),
            *("--hookconform-checks", "R-responds-in-time", "-k", "contact.create"),
        )
        timed.assert_outcomes(failed=1, deselected=len(RESTHOOKS.events) - 1)
        timed.stdout.fnmatch_lines(["*every answer within 0.05 s, the provider's timeout*"])
        pytester.makeini("[pytest]\n")
        relaxed = pytester.runpytest(
            *(*QUICK, "--hookconform-receiver", url, "--hookconform-profile", "resthooks"),
            *("--hookconform-checks", "R-responds-in-time", "-k", "contact.create"),
            *("--hookconform-timeout", "2"),
        )
        relaxed.assert_outcomes(passed=1, deselected=len(RESTHOOKS.events) - 1)


def test_the_sender_credentials_options_reach_the_api(pytester: pytest.Pytester) -> None:
    config = MockConfig(["factorial", "staffology"], time_scale=0.0001, resolver=resolver())
    with MockServer(config) as mock:

        def run(profile: str, *args: str) -> pytest.RunResult:
            return pytester.runpytest(
                *(*QUICK, "--hookconform-sender-api", mock.url, "--hookconform-profile", profile),
                *("--hookconform-time-scale", "0.0001", "--hookconform-checks", "S-envelope"),
                *("--hookconform-window", "3"),  # what must arrive is waited for no longer
                *("--hookconform-events", next(iter(CATALOG.get(profile).events)), *args),
            )

        wrong_key = run("factorial", "--hookconform-header", "x-api-key: wrong")
        wrong_key.assert_outcomes(failed=1)
        wrong_key.stdout.fnmatch_lines(["api: * -> 401 *"])
        # Repeated, all are sent: were only the last kept, the key would be missing.
        both = run(
            "factorial",
            *("--hookconform-header", "x-api-key: test-api-key"),
            *("--hookconform-header", "X-Request-Source: ci"),
        )
        both.assert_outcomes(passed=1)
        wrong_password = run("staffology", "--hookconform-auth", "test:wrong")
        wrong_password.assert_outcomes(failed=1)
        wrong_password.stdout.fnmatch_lines(["api: * -> 401 *"])


def test_the_sender_window_and_attempt_timeout_options_reach_the_run(
    pytester: pytest.Pytester,
) -> None:
    def run(mock: MockServer, *args: str) -> pytest.RunResult:
        return pytester.runpytest(
            *(*QUICK, "--hookconform-sender-api", mock.url, "--hookconform-profile", "factorial"),
            *("--hookconform-time-scale", "0.00001", "--hookconform-events", FACTORIAL_EVENT),
            *args,
        )

    held = MockConfig(["factorial"], time_scale=0.00001, faults=["slow"], resolver=resolver())
    with MockServer(held) as mock:
        started = time.monotonic()
        late = run(mock, "--hookconform-checks", "S-envelope", "--hookconform-window", "0.3")
        assert time.monotonic() - started < 10
    late.assert_outcomes(failed=1)
    late.stdout.fnmatch_lines(["*nothing arrived within 0.3 s of triggering*"])
    # The mock waits 3 s for an answer; a sender said to time out after 0.2 s is not it.
    patient = MockConfig(["factorial"], time_scale=0.00001, timeout=3.0, resolver=resolver())
    with MockServer(patient) as mock:
        checks = ("--hookconform-checks", "S-retry-after-failure", "--hookconform-window")
        run(mock, *checks, "2").assert_outcomes(passed=1)
        wrong = run(mock, *checks, "0.5", "--hookconform-attempt-timeout", "0.2")
    wrong.assert_outcomes(failed=1)
    wrong.stdout.fnmatch_lines(
        ["1 attempt(s) arrived, expected 2 (the first was not answered within 0.2 s)*"]
    )


# --- the mock provider fixtures and the marker ----------------------------------------------


def test_mock_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from hypothesis import given, settings
        from harness.capture import Reply
        from harness.errors import HarnessError
        from harness.strategies import payloads

        @pytest.fixture(scope="session")
        def hookconform_mock_options():
            return {"profile": "resthooks", "time_scale": 0.001}

        def test_subscribe_trigger_and_wait(hookconform_mock, hookconform_capture):
            hookconform_capture.respond_with(200, echo=["X-Hook-Secret"])
            made = hookconform_mock.subscribe("contact.update", hookconform_capture.url_for("a"))
            assert made.target_url == hookconform_capture.url_for("a")
            fired = hookconform_mock.trigger("contact.update", set={"/id": 7})
            [delivery] = hookconform_mock.wait_for_deliveries(1, timeout=5)
            assert delivery["status"] == "delivered"
            assert delivery["event_id"] == fired["event_id"]
            handshake, request = hookconform_capture.wait_for(2, timeout=5)
            assert handshake.header("X-Hook-Secret")
            assert request.json()["id"] == 7

        def test_state_is_reset_between_tests(hookconform_mock):
            assert hookconform_mock.subscriptions() == []
            assert hookconform_mock.deliveries() == []

        def test_settings_screen_webhooks_validate(make_hookconform_mock, hookconform_capture):
            clockodo = make_hookconform_mock(profile="clockodo", time_scale=0.001)
            webhook = clockodo.subscribe("entry.stopped", hookconform_capture.url, secret="t1")
            assert webhook.active is False
            outcome = clockodo.validate(webhook.id)
            assert outcome["status_code"] == 200
            [validation] = hookconform_capture.wait_for(1, timeout=5)
            secret = validation.json()["secret"]
            assert clockodo.confirm(webhook.id, secret)["active"] is True
            clockodo.trigger("entry.stopped")
            [delivery] = clockodo.wait_for_deliveries(1, timeout=5)
            assert hookconform_capture.wait_for(2, timeout=5)[1].json()["token"] == "t1"

        def test_faults(make_hookconform_mock, hookconform_capture):
            mock = make_hookconform_mock(profile="resthooks", time_scale=0.001, faults=["no-retry"])
            hookconform_capture.respond_with(500, echo=["X-Hook-Secret"])
            hookconform_capture.script([Reply(200, echo=("X-Hook-Secret",))])
            mock.subscribe("contact.create", hookconform_capture.url)
            mock.trigger("contact.create", data={"id": 1})
            [delivery] = mock.wait_for_deliveries(1, timeout=5)
            assert delivery["status"] == "failed"
            assert len(delivery["attempts"]) == 1

        def test_a_virtual_clock_makes_each_retry_when_advanced(
            make_hookconform_mock, hookconform_capture
        ):
            mock = make_hookconform_mock(profile="resthooks", clock="virtual")
            hookconform_capture.respond_with(500, echo=["X-Hook-Secret"])
            hookconform_capture.script([Reply(200, echo=("X-Hook-Secret",))])
            mock.subscribe("contact.create", hookconform_capture.url)
            mock.trigger("contact.create", data={"id": 1})
            mock.advance(0)
            assert len(hookconform_capture.wait_for(2, timeout=5)) == 2  # handshake, attempt 1
            mock.advance(4)
            assert len(hookconform_capture.requests) == 2  # resthooks retries after 5 s
            assert mock.advance(1)["attempts"] == 1
            assert mock.advance(30)["attempts"] == 1
            [delivery] = mock.deliveries()
            assert len(delivery["attempts"]) == 3
            with pytest.raises(HarnessError, match="needs a virtual clock"):
                make_hookconform_mock(profile="resthooks", time_scale=0.001).advance(1)

        def test_waiting_too_long_says_how_many_came(hookconform_mock):
            with pytest.raises(TimeoutError, match="0 of 1 deliveries settled within 0.1 s"):
                hookconform_mock.wait_for_deliveries(1, timeout=0.1)

        @settings(max_examples=5)
        @given(payload=payloads("resthooks", "contact.delete"))
        def test_payloads_by_profile_name(hookconform_profile, payload):
            hookconform_profile("resthooks").validate("contact.delete", payload)
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=7)


def test_mock_fixture_without_a_profile_says_how_to_choose_one(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile("def test_it(hookconform_mock): pass")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*hookconform_mock: which profile should the mock play?*"])


def test_wrong_fixture_and_marker_arguments_are_one_clear_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_unknown_profile(make_hookconform_mock):
            make_hookconform_mock(profile="acme")

        def test_option_typo(make_hookconform_mock):
            make_hookconform_mock(profile="resthooks", time_scal=0.1)

        def test_fault_typo(make_hookconform_mock):
            make_hookconform_mock(profile="resthooks", faults=["no-retry", "teleport"])

        def test_unknown_event(make_hookconform_mock):
            make_hookconform_mock(profile="resthooks", time_scale=0.001).trigger("contact.explode")

        @pytest.mark.hookconform("R-envelope", profile="resthooks", evnt="contact.create")
        def test_marker_typo():
            pass

        @pytest.mark.hookconform("R-envelope", "R-rejects-forged", profile="resthooks")
        def test_two_checks():
            pass

        @pytest.mark.hookconform("R-envelope", profile="acme")
        def test_marker_unknown_profile():
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=4, errors=3)
    result.stdout.fnmatch_lines_random(
        [
            "*make_hookconform_mock: unknown profile 'acme'*",
            "*make_hookconform_mock: unknown fault(s) 'teleport' (known: no-retry*",
            "*make_hookconform_mock: *unexpected keyword argument 'time_scal'*",
            "*no event 'contact.explode'*",
            "*hookconform marker: one check per marker*not evnt*",
            "*hookconform marker: one check per marker*not 'R-rejects-forged'*",
            "*hookconform marker: unknown profile 'acme'*",
        ]
    )
    assert "During handling" not in result.stdout.str()


def test_session_teardown_does_not_wait_out_a_delivery_to_a_slow_capture(
    pytester: pytest.Pytester,
) -> None:
    """Captures stop before mocks, whatever order the test asked for them in."""
    pytester.makepyfile(
        """
        def test_pending(hookconform_capture, make_hookconform_mock):
            mock = make_hookconform_mock(profile="factorial-v1", timeout=30)
            hookconform_capture.respond_with(200, delay=60)
            mock.subscribe("employee_created", hookconform_capture.url)
            mock.trigger("employee_created", data={"id": 1})
            hookconform_capture.wait_for(1, timeout=5)
        """
    )
    started = time.monotonic()
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert time.monotonic() - started < 15  # not the 30 s attempt timeout


def test_marker_runs_one_check_against_the_overridden_url(
    pytester: pytest.Pytester, sloppy_url: str
) -> None:
    with serve(Receiver(RESTHOOKS, SECRET)) as good_url:
        pytester.makepyfile(
            test_marked=f"""
            import pytest

            @pytest.fixture
            def hookconform_receiver_url(request):
                return {good_url!r} if "good" in request.node.name else {sloppy_url!r}

            @pytest.mark.hookconform("R-rejects-forged", profile="resthooks", secret={SECRET!r})
            def test_good_receiver_refuses_forgeries():
                pass

            @pytest.mark.hookconform(
                "R-rejects-forged", profile="resthooks", event="contact.delete", secret={SECRET!r}
            )
            def test_sloppy_receiver_takes_forgeries():
                raise AssertionError("the body must not run after the check failed")

            @pytest.mark.hookconform("R-rejects-malformed", profile="resthooks")
            def test_sloppy_receiver_takes_garbage():
                pass

            @pytest.mark.hookconform("R-validation-handshake", profile="resthooks")
            def test_a_check_that_does_not_apply():
                pass

            @pytest.mark.hookconform("R-nope", profile="resthooks")
            def test_an_unknown_check():
                pass
            """
        )
        result = pytester.runpytest(*QUICK, "-rsx")
    result.assert_outcomes(passed=1, failed=1, xfailed=1, skipped=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_sloppy_receiver_takes_forgeries _*",
            "MUST R-rejects-forged[[]contact.delete] FAILED: *",
            "Forged delivery accepted: *",
            "source:   https://resthooks.org/*",
        ]
    )
    output = result.stdout.str()
    assert "the body must not run" not in output
    assert "R-rejects-forged[contact.create]" not in output  # event= narrowed the run
    assert "During handling" not in output
    result.stdout.fnmatch_lines(["*hookconform marker: 'R-nope' is not a receiver check*"])
    result.stdout.fnmatch_lines(
        [
            "*R-validation-handshake does not apply to profile 'resthooks'*",
            "*SHOULD not met: R-rejects-malformed*",
        ]
    )


def test_marker_without_a_url_says_how_to_give_one(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hookconform("R-envelope", profile="resthooks")
        def test_it():
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*override the hookconform_receiver_url fixture*"])


# --- pytest-xdist ---------------------------------------------------------------------------


def test_under_xdist_servers_are_per_worker_and_the_suite_runs_once(
    pytester: pytest.Pytester, recording: tuple[Recording, str]
) -> None:
    receiver, url = recording
    pytester.makepyfile(
        """
        import os, pytest, urllib3

        @pytest.mark.parametrize("n", range(4))
        def test_each_worker(hookconform_capture, hookconform_mock, tmp_path_factory, n):
            urllib3.request("POST", hookconform_capture.url, body=b"{}")
            assert len(hookconform_capture.wait_for(1, timeout=2)) == 1
            hookconform_mock.trigger("contact.create", data={"id": n})
            assert len(hookconform_mock.deliveries()) == 0  # nobody subscribed
            shared = tmp_path_factory.getbasetemp().parent
            name = f"{os.environ['PYTEST_XDIST_WORKER']}-{n}"
            (shared / f"{name}.mock").write_text(hookconform_mock.url)
            (shared / f"{name}.capture").write_text(hookconform_capture.url)
        """
    )
    result = pytester.runpytest(
        *QUICK,
        *("--hookconform-receiver", url, "--hookconform-profile", "resthooks"),
        *("-k", "R-envelope or each_worker", "-n", "2"),
    )
    result.assert_outcomes(passed=4 + len(RESTHOOKS.events))
    assert receiver.count == len(RESTHOOKS.events)  # one delivery per event, not per worker
    for kind in ("mock", "capture"):
        written = list(pytester.path.parent.rglob(f"gw*-*.{kind}"))
        by_worker = {p.name.split("-")[0]: p.read_text() for p in written}
        assert len(by_worker) == 2, written  # both workers ran some
        assert len(set(by_worker.values())) == 2  # each its own server and port


# --- the README's example -------------------------------------------------------------------


def _readme_example() -> str:
    section = README.read_text(encoding="utf-8").split("## Use in pytest", 1)[1]
    section = section.split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1, "the pytest section has one Python example"
    return blocks[0]


def test_the_readme_example_runs(pytester: pytest.Pytester) -> None:
    # The example's `live_server` is the user's app; here it is the reference receiver.
    pytester.makeconftest(
        f"""
        import importlib.util, threading, types
        import pytest
        from werkzeug.serving import make_server
        from harness.profiles import load_profiles

        spec = importlib.util.spec_from_file_location("reference_receiver", {str(EXAMPLE)!r})
        reference = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(reference)

        @pytest.fixture
        def live_server():
            app = reference.Receiver(load_profiles().get("resthooks"), "my-signing-secret")
            server = make_server("127.0.0.1", 0, app, threaded=True)
            thread = threading.Thread(target=server.serve_forever, args=(0.02,))
            thread.start()
            yield types.SimpleNamespace(url=f"http://127.0.0.1:{{server.port}}")
            server.shutdown()
            thread.join()
            server.server_close()
        """
    )
    pytester.makepyfile(test_readme=_readme_example())
    result = pytester.runpytest(*QUICK)
    result.assert_outcomes(passed=3)


def test_a_load_stage_runs_as_items_through_its_child_process(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    """`--hookconform-load-rate` and `-duration` add the L- checks as items; Locust runs in
    its own child process, never in pytest's (it patches the standard library)."""
    xml = pytester.path / "load.xml"
    with serve(Receiver(RESTHOOKS)) as url:
        result = pytester.runpytest(
            *QUICK,
            *("--hookconform-receiver", url, "--hookconform-profile", "resthooks"),
            *("--hookconform-load-rate", "20", "--hookconform-load-duration", "2"),
            *("-k", "L-", f"--junitxml={xml}"),
        )
    load_checks = registry.registered("load", RESTHOOKS)
    result.assert_outcomes(passed=len(load_checks))
    names = {c.get("name") for c in ET.parse(xml).getroot().iter("testcase")}
    assert names == {c.id for c in load_checks}
    assert "gevent" not in sys.modules  # Locust was never imported here


def test_a_load_option_without_a_receiver_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "--hookconform-profile",
        "resthooks",
        "--hookconform-sender-api",
        "http://127.0.0.1:9",
        "--hookconform-load-rate",
        "5",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*load-rate and -duration need --hookconform-receiver*"])
