"""Judges no one here wrote: the providers' own verifiers against the harness, both ways.

- Receivers whose verification is done by the official libraries (tests/receivers/official.py:
  standardwebhooks, svix, stripe, slack_sdk; GitHub's, Shopify's and Zoom's documented
  recipes) pass the receiver suite of their profile; each one-defect variant fails exactly the
  check(s) made for that defect. The README's second defect -> check table is DEFECTS.
- The mock's deliveries (and its handshakes) are what the libraries accept; with the faults
  stale-timestamp and signs-reserialized they are what the libraries refuse.
- The Standard Webhooks test vector, and each library's own signer, give what the profile's
  `harness.signatures.Scheme` gives.

Everything runs on 127.0.0.1; no test waits for a provider's real delays.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, NamedTuple

import pytest
import slack_sdk.signature
import standardwebhooks.webhooks
import stripe
import svix.webhooks
from werkzeug.test import Client

from harness.capture import CapturedRequest, CaptureServer, Reply
from harness.live_mock import LiveMock
from harness.profiles import load_profiles
from harness.signatures import Stamp
from tests.receivers import SMALL, run_cli, run_suite, serve
from tests.receivers import official as o

CATALOG = load_profiles()
# Secrets in each provider's own form (the Standard Webhooks one is its test vector's; Slack's
# and GitHub's are their documentation's examples).
SECRETS = {
    "standard-webhooks": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    "stripe": "whsec_hookconform0test0secret",
    "slack": "8f742231b10e8888abcd99yyyzzz85a5",
    "github": "It's a Secret to Everybody",
    "shopify": "hookconform-shopify-secret",
    "zoom": "hookconform-zoom-secret-token",
}

JUDGES: dict[str, tuple[type[o.Official], str]] = {
    "standardwebhooks": (o.StandardWebhooks, "standard-webhooks"),
    "svix": (o.Svix, "standard-webhooks"),
    "stripe": (o.Stripe, "stripe"),
    "slack_sdk": (o.Slack, "slack"),
    "github recipe": (o.GitHub, "github"),
    "shopify recipe": (o.Shopify, "shopify"),
    "zoom recipe": (o.Zoom, "zoom"),
}


def _suite(receiver: type[o.Official], profile_name: str) -> Any:
    """A small run of the receiver suite (two events, two payloads each) against `receiver`."""
    profile = CATALOG.get(profile_name)
    secret = SECRETS[profile_name]
    with serve(receiver(secret)) as url:
        return run_suite(url, profile, secret=secret, events=list(profile.events)[:2], **SMALL)


@pytest.mark.parametrize("judge", list(JUDGES))
def test_a_receiver_verified_by_the_official_library_passes_its_profile(judge: str) -> None:
    receiver, profile = JUDGES[judge]
    run = _suite(receiver, profile)
    assert run.exit_code == 0, run.output
    assert run.failing() == set(), run.output
    assert "CONFORMANT" in run.output


def test_the_command_passes_a_stripe_receiver(tmp_path: Any) -> None:
    """`hookconform receiver URL --profile stripe --secret S`, as a user runs it."""
    secret = SECRETS["stripe"]
    events = ",".join(list(CATALOG.get("stripe").events)[:2])
    with serve(o.Stripe(secret)) as url:
        run = run_cli(
            url,
            *("--profile", "stripe", "--secret", secret, "--events", events),
            *("--max-examples", "2", "--concurrency", "4"),
            report=tmp_path / "report.json",
        )
    assert run.exit_code == 0, run.output
    assert run.report["conformant"] is True
    assert run.failing() == set()


class Defect(NamedTuple):
    receiver: type[o.Official]
    profile: str
    checks: frozenset[str]  # the MUST checks that fail, no more, no less


STALE = "R-rejects-stale-timestamp"
FUTURE = "R-rejects-future-timestamp"

# The README's table of the official-library receivers is this list.
DEFECTS = {
    "standardwebhooks: re-serialises before verifying": Defect(
        o.StandardWebhooksReserialises, "standard-webhooks", frozenset({"R-verifies-raw-bytes"})
    ),
    "stripe: re-serialises before verifying": Defect(
        o.StripeReserialises, "stripe", frozenset({"R-verifies-raw-bytes"})
    ),
    "slack_sdk: re-serialises before verifying": Defect(
        o.SlackReserialises, "slack", frozenset({"R-verifies-raw-bytes"})
    ),
    "github recipe: re-serialises before verifying": Defect(
        o.GitHubReserialises, "github", frozenset({"R-verifies-raw-bytes"})
    ),
    "standardwebhooks: no timestamp check": Defect(
        o.StandardWebhooksAnyTime, "standard-webhooks", frozenset({STALE, FUTURE})
    ),
    "stripe: a huge tolerance": Defect(o.StripeAnyTime, "stripe", frozenset({STALE})),
    "slack_sdk: no timestamp check": Defect(o.SlackAnyTime, "slack", frozenset({STALE, FUTURE})),
    "zoom recipe: no timestamp check": Defect(o.ZoomAnyTime, "zoom", frozenset({STALE})),
    "standardwebhooks: only the first signature": Defect(
        o.StandardWebhooksFirstSignature,
        "standard-webhooks",
        frozenset({"R-accepts-rotated-signatures"}),
    ),
    "stripe: only the first signature": Defect(
        o.StripeFirstSignature, "stripe", frozenset({"R-accepts-rotated-signatures"})
    ),
    "slack_sdk: answers the challenge with ok": Defect(
        o.SlackAnswersOk, "slack", frozenset({"R-challenge-handshake"})
    ),
    "zoom recipe: encryptedToken over the wrong key": Defect(
        o.ZoomWrongKey, "zoom", frozenset({"R-challenge-handshake"})
    ),
}


@pytest.mark.parametrize("defect", list(DEFECTS))
def test_each_defect_fails_exactly_its_checks(defect: str) -> None:
    case = DEFECTS[defect]
    run = _suite(case.receiver, case.profile)
    assert run.exit_code == 1, run.output
    assert run.failing("MUST") == case.checks, run.output
    for check in case.checks:
        assert f"--- MUST {check}" in run.output


# The mock's deliveries, judged by the libraries -----------------------------------------

Verdict = Callable[[str, CapturedRequest], bool]


def _standardwebhooks(secret: str, request: CapturedRequest) -> bool:
    try:
        standardwebhooks.webhooks.Webhook(secret).verify(request.body, dict(request.headers))
    except standardwebhooks.webhooks.WebhookVerificationError:
        return False
    return True


def _svix(secret: str, request: CapturedRequest) -> bool:
    try:
        svix.webhooks.Webhook(secret).verify(request.body, dict(request.headers))
    except svix.webhooks.WebhookVerificationError:
        return False
    return True


def _stripe(secret: str, request: CapturedRequest) -> bool:
    header = request.header("Stripe-Signature")
    try:
        stripe.Webhook.construct_event(request.body, header, secret)
    except stripe.SignatureVerificationError:
        return False
    return True


def _slack(secret: str, request: CapturedRequest) -> bool:
    verifier = slack_sdk.signature.SignatureVerifier(secret)
    timestamp = request.header("X-Slack-Request-Timestamp")
    return verifier.is_valid(request.body, timestamp, request.header("X-Slack-Signature"))


LIBRARIES: dict[str, dict[str, Verdict]] = {
    "standard-webhooks": {"standardwebhooks": _standardwebhooks, "svix": _svix},
    "stripe": {"stripe": _stripe},
    "slack": {"slack_sdk": _slack},
}


def _answered_by(receiver: o.Official) -> Callable[[CapturedRequest], Reply | None]:
    """A capture handshake that hands a challenge request to an official receiver (which
    verifies it with its library) and replies what it answers; None for a delivery."""

    def handshake(request: CapturedRequest) -> Reply | None:
        try:
            body = request.json()
        except ValueError:
            return None
        if not isinstance(body, dict) or body.get("type", body.get("event")) not in (
            "url_verification",
            "endpoint.url_validation",
        ):
            return None
        answer = Client(receiver).post(request.path, data=request.body, headers=request.headers)
        return Reply(answer.status_code, dict(answer.headers), answer.get_data())

    return handshake


@pytest.fixture
def capture() -> Iterator[CaptureServer]:
    with CaptureServer() as server:
        yield server


def _deliveries(mock: LiveMock, capture: CaptureServer) -> list[CapturedRequest]:
    """Each event of the profile triggered once; the requests the capture got for them."""
    capture.clear()
    events = list(mock.profile.events)
    for event in events:
        mock.trigger(event)
    capture.wait_for(len(events), timeout=10)
    mock.wait_for_deliveries(len(events), timeout=10)
    return capture.requests


def _webhook(mock: LiveMock, capture: CaptureServer) -> str:
    """A settings-screen webhook for every event to the capture; the account's secret."""
    profile = mock.profile
    secret = mock.control.checked("GET", "/settings")["settings"][profile.name]["signing_secret"]
    handshakes = {"slack": o.Slack, "zoom": o.Zoom}
    if profile.name in handshakes:
        capture.handshake = _answered_by(handshakes[profile.name](secret))
    hook = {"profile": profile.name, "url": capture.url_for("hooks")}
    mock.control.checked("POST", "/webhooks", {**hook, "events": list(profile.events)})
    return str(secret)


@pytest.mark.parametrize("profile", list(LIBRARIES))
def test_the_mocks_deliveries_are_what_the_libraries_accept(
    profile: str, capture: CaptureServer
) -> None:
    mock = LiveMock.start(profile, time_scale=0.001)
    try:
        secret = _webhook(mock, capture)
        judges = LIBRARIES[profile]
        delivered = _deliveries(mock, capture)
        assert {(name, judge(secret, r)) for name, judge in judges.items() for r in delivered} == {
            (name, True) for name in judges
        }
        for fault in ("stale-timestamp", "signs-reserialized"):
            mock.set_faults([fault])
            faulty = _deliveries(mock, capture)
            verdicts = {(name, judge(secret, r)) for name, judge in judges.items() for r in faulty}
            assert verdicts == {(name, False) for name in judges}, fault
    finally:
        mock.stop()


@pytest.mark.parametrize("profile", ["slack", "zoom"])
def test_the_mocks_challenge_is_answered_by_the_official_receiver(
    profile: str, capture: CaptureServer
) -> None:
    """The webhook is made only once the handshake's answer is right: the official receiver
    verified the mock's signed challenge and answered it as the provider documents."""
    mock = LiveMock.start(profile, time_scale=0.001)
    try:
        _webhook(mock, capture)
        [handshake] = capture.requests
        assert handshake.status == 200
        [made] = mock.subscriptions()
        assert made["target_url"] == capture.url_for("hooks")
    finally:
        mock.stop()


# Test vectors ---------------------------------------------------------------------------

VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _scheme(profile: str) -> Any:
    scheme = CATALOG.get(profile).semantics.authenticity.scheme
    assert scheme is not None
    return scheme


def test_the_standard_webhooks_vector_through_the_library_and_the_profile() -> None:
    stamp = datetime.fromtimestamp(VECTOR_TIMESTAMP, tz=UTC)
    library = standardwebhooks.webhooks.Webhook(VECTOR_SECRET)
    assert library.sign(VECTOR_ID, stamp, VECTOR_BODY.decode()) == VECTOR_SIGNATURE

    scheme = _scheme("standard-webhooks")
    headers = scheme.headers([VECTOR_SECRET], Stamp(VECTOR_ID, VECTOR_TIMESTAMP), VECTOR_BODY)
    assert headers == {
        "webhook-signature": VECTOR_SIGNATURE,
        "webhook-timestamp": str(VECTOR_TIMESTAMP),
        "webhook-id": VECTOR_ID,
    }
    assert scheme.verify(VECTOR_SECRET, headers, VECTOR_BODY) == []
    # The vector is from 2021: both refuse it today, as a replay.
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError, match="too old"):
        library.verify(VECTOR_BODY, headers)
    [stale] = scheme.verify(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TIMESTAMP + 301)
    assert "the tolerance is 300 s" in stale


def test_another_key_of_the_same_form_is_a_key_the_library_takes() -> None:
    """What the checks forge with (and the mock's own secret) is a whsec_ key too."""
    scheme = _scheme("standard-webhooks")
    for secret in (scheme.other_secret(VECTOR_SECRET, "forged"), scheme.new_secret()):
        assert secret.startswith("whsec_")
        assert secret != VECTOR_SECRET
        library = standardwebhooks.webhooks.Webhook(secret)
        signed = scheme.headers([secret], Stamp(VECTOR_ID, VECTOR_TIMESTAMP), VECTOR_BODY)
        stamp = datetime.fromtimestamp(VECTOR_TIMESTAMP, tz=UTC)
        assert library.sign(VECTOR_ID, stamp, VECTOR_BODY.decode()) == signed["webhook-signature"]


BODY = json.dumps({"type": "ünïcode", "n": 1}, ensure_ascii=False).encode()


def test_stripes_and_slacks_own_signers_give_what_the_profile_gives() -> None:
    stripe_secret, slack_secret = SECRETS["stripe"], SECRETS["slack"]
    signed = _scheme("stripe").headers([stripe_secret], Stamp("", VECTOR_TIMESTAMP), BODY)
    own = stripe.WebhookSignature.generate_signature_header(
        BODY.decode(), stripe_secret, VECTOR_TIMESTAMP
    )
    assert signed == {"Stripe-Signature": own}

    signed = _scheme("slack").headers([slack_secret], Stamp("", VECTOR_TIMESTAMP), BODY)
    own = slack_sdk.signature.SignatureVerifier(slack_secret).generate_signature(
        timestamp=str(VECTOR_TIMESTAMP), body=BODY
    )
    assert signed == {
        "X-Slack-Signature": own,
        "X-Slack-Request-Timestamp": str(VECTOR_TIMESTAMP),
    }
