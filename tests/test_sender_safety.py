"""The sender suite against a sender that is not the mock: a scripted drf-hooks service
(tests/scripted_sender.py) with a spec writer's profile, copied to a temporary folder.

The verdicts are right, and the sender is left as the suite found it: every target the suite
gave it is the capture server on loopback (the fuzzer's included), every hook the suite made
is gone at the end, also after Ctrl-C or SIGTERM midway, and nothing but the mock-detecting
GET goes to `/_mock/`.
"""

from __future__ import annotations

import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from mock_support import harness_process, resolver
from scripted_sender import TOKEN, ScriptedSender, serve

from harness.options import SenderOptions
from harness.profiles import Profile, load_profiles
from harness.sender import run_sender
from mock_provider.app import MockConfig
from mock_provider.server import MockServer

PROFILE = Path(__file__).parent / "specs" / "drf-hooks"


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("specs")
    shutil.copytree(PROFILE, root / "drf-hooks")
    return root


@pytest.fixture(scope="module")
def profile(specs: Path) -> Profile:
    return load_profiles([specs]).get("drf-hooks")


@pytest.fixture
def sender() -> Iterator[tuple[ScriptedSender, str]]:
    scripted = ScriptedSender()
    with serve(scripted) as url:
        yield scripted, url


def _options(url: str, **values: object) -> SenderOptions:
    return SenderOptions(
        api=url,
        headers={"Authorization": TOKEN},
        trigger_url=f"{url}/trigger",
        window=1.0,
        **values,  # type: ignore[arg-type]
    )


def _outcomes(report: object) -> dict[str, str]:
    return {r.name: r.status for r in report.results}  # type: ignore[attr-defined]


def _left_as_found(scripted: ScriptedSender, capture_prefix: str | None = None) -> None:
    assert scripted.hooks == {}, "the suite left hooks on the sender"
    assert not scripted.thread_died
    assert set(scripted.reached) <= {"127.0.0.1"}
    for target in scripted.targets:
        parts = urlsplit(target)
        assert parts.hostname == "127.0.0.1", target
        if capture_prefix:
            assert target.startswith(capture_prefix), target
    # Only the GET that tells a hookconform mock, at the API's base and at its root.
    assert set(scripted.control_calls) <= {"GET /_mock/profiles"}


def test_a_drf_hooks_sender_is_judged_conformant_and_left_as_it_was(
    profile: Profile, sender: tuple[ScriptedSender, str]
) -> None:
    scripted, url = sender
    report = run_sender(profile, _options(url))
    assert {name: status for name, status in _outcomes(report).items() if status != "passed"} == {}
    checks = {r.check for r in report.results}
    # get-or-create, redirects followed as requests does, the fuzzer: all judged.
    assert {"S-overwrite", "S-redirects", "S-api-fuzz", "S-unsubscribe"} <= checks
    assert report.exit_code == 0
    assert report.cleanup is not None
    assert report.cleanup["left"] == []
    assert report.cleanup["created"] >= len(checks)
    # Every subscription made is accounted for once: deleted, or found gone when deleted.
    assert report.cleanup["deleted"] + report.cleanup["gone"] == report.cleanup["created"]
    assert scripted.targets, "the fuzzer and the checks gave targets"
    _left_as_found(scripted)
    assert "window: 1 s, --window" in report.notes


def test_a_sender_that_drops_its_content_type_fails_only_the_headers_check(
    profile: Profile,
) -> None:
    # What drf-hooks itself does: a hook's own headers replace its default Content-Type.
    scripted = ScriptedSender(replace_headers=True)
    with serve(scripted) as url:
        report = run_sender(profile, _options(url, exclude_checks=("S-api-fuzz",)))
    failed = {name for name, status in _outcomes(report).items() if status != "passed"}
    assert failed == {f"S-headers[{event}]" for event in profile.events}
    [failure] = next(r for r in report.results if r.status == "failed").failures
    assert "Content-Type is missing" in str(failure)
    _left_as_found(scripted)


def test_the_fuzzer_touches_only_what_the_run_made(
    profile: Profile, sender: tuple[ScriptedSender, str]
) -> None:
    scripted, url = sender
    with scripted.lock:  # a hook of the sender's own user, made before the run: id 1, which
        scripted.hooks[1] = scripted_hook(1)  # a fuzzer tries first
        scripted.next_id = 2
    report = run_sender(profile, _options(url, checks=("S-api-fuzz",)))
    assert _outcomes(report) == {"S-api-fuzz": "passed"}
    assert list(scripted.hooks) == [1], "the run changed or deleted a hook it did not make"
    assert scripted.hooks[1] == scripted_hook(1)
    suite_targets = [t for t in scripted.targets if t != scripted_hook(1).target]
    assert suite_targets, "the fuzzer's creates set targets"
    assert all(urlsplit(t).hostname == "127.0.0.1" for t in suite_targets)
    assert report.cleanup is not None
    assert report.cleanup["created"] > 1  # its own subscription and the fuzzer's creates
    assert report.cleanup["left"] == []


def scripted_hook(pk: int) -> object:
    from scripted_sender import Hook

    moment = "2026-12-01T10:00:00+00:00"
    return Hook(pk, "contact.created", "https://crm.example/hooks", {}, moment, moment)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_run_deletes_what_it_made(
    specs: Path, sender: tuple[ScriptedSender, str], stop: signal.Signals, tmp_path: Path
) -> None:
    scripted, url = sender
    report = tmp_path / "sender.json"
    process = harness_process(
        "sender", "--profile", "drf-hooks", "--specs", str(specs), "--api", url,
        "-H", f"Authorization: {TOKEN}", "--trigger-url", f"{url}/trigger", "--window", "1",
        "--report", str(report),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not scripted.hooks:  # the run is under way: it has made a hook
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "no hook made within 30 s"
            time.sleep(0.01)
        process.send_signal(stop)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, output
    assert "INTERRUPTED" in output
    assert "cleanup: the suite made" in output
    assert "Traceback" not in output
    _left_as_found(scripted)
    import json

    written = json.loads(report.read_text(encoding="utf-8"))
    assert written["interrupted"] is True
    assert written["cleanup"]["left"] == []
    assert written["conformant"] is False


def test_the_mock_plays_the_profile_and_the_suite_finds_it_conformant(
    specs: Path, profile: Profile
) -> None:
    catalog = load_profiles([specs])
    config = MockConfig(["drf-hooks"], time_scale=0.001, timeout=2.0, resolver=resolver())
    with MockServer(config, catalog=catalog) as mock:
        report = run_sender(profile, SenderOptions(api=mock.url, window=1.0))
        problems = [(r.name, r.reason, r.failures) for r in report.results if r.status != "passed"]
        assert problems == []
        listed = mock.mock.store.subscriptions("drf-hooks")
    assert listed == []
