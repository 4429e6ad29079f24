"""The pytest plugin, run through pytester as a user's test suite would use it."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]


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


def test_capture_fixture_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest, urllib3

        @pytest.mark.parametrize("n", range(4))
        def test_each_worker_has_its_own_server(hookconform_capture, n):
            urllib3.request("POST", hookconform_capture.url, body=b"{}")
            assert len(hookconform_capture.wait_for(1, timeout=2)) == 1
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=4)
