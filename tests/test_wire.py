"""Deliveries on the wire, keyed by the profile's envelope and authenticity kinds."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from harness.profiles import load_profiles
from harness.wire import (
    delivery_request,
    hook_secret_request,
    sign,
    validation_request,
)

CATALOG = load_profiles()
NOW = datetime(2024, 3, 5, 7, 8, 9, tzinfo=UTC)


def test_sign_matches_the_published_hmac_sha256_vector() -> None:
    body = b"The quick brown fox jumps over the lazy dog"
    assert sign(body, "key") == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    assert sign(body, "key", encoding="base64") == "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="


def test_challenge_header_profile_sends_the_challenge() -> None:
    profile = CATALOG.get("factorial-v1")
    event = next(iter(profile.events.values()))
    request = delivery_request(profile, event.example(), secret="2zal4e6d")
    assert request.headers["x-factorial-wh-challenge"] == "2zal4e6d"
    assert request.json() == event.example()


def test_body_token_profile_puts_the_token_in_the_body() -> None:
    profile = CATALOG.get("clockodo")
    example = profile.event("entry.stopped").example()
    request = delivery_request(profile, example, secret="my-token")
    assert request.json() == {**example, "token": "my-token"}
    profile.validate("entry.stopped", request.json())


def test_wrapped_envelope_gets_the_send_time_in_its_format() -> None:
    profile = CATALOG.get("hirehop")
    example = profile.event("invoice.status.updated").example()
    body = delivery_request(profile, example, secret="22u43mrjwe7u", now=NOW).json()
    assert body["time"] == "2024-03-05 07:08:09"
    assert body["export_key"] == "22u43mrjwe7u"
    profile.validate("invoice.status.updated", body)


def test_signature_profile_signs_the_exact_body() -> None:
    profile = CATALOG.get("resthooks")
    request = delivery_request(profile, {"id": 1}, secret="s3cret")
    assert request.body == b'{"id":1}'
    assert request.headers["X-Hook-Signature"] == sign(b'{"id":1}', "s3cret")


def test_no_secret_no_authenticity_header() -> None:
    request = delivery_request(CATALOG.get("resthooks"), {"id": 1})
    assert "X-Hook-Signature" not in request.headers
    assert request.headers["Content-Type"] == "application/json"


def test_validation_request_carries_the_secret_both_ways() -> None:
    request = validation_request(CATALOG.get("clockodo"), "abc-123")
    assert request.query == {"secret": "abc-123"}
    assert json.loads(request.body) == {"secret": "abc-123"}


def test_hook_secret_request() -> None:
    request = hook_secret_request(CATALOG.get("resthooks"), "xyz")
    assert request.headers["X-Hook-Secret"] == "xyz"
