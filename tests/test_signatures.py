"""The signature schemes as the profiles give them: pure signing and verifying, no sockets.

The published vectors (Standard Webhooks' in its specification, GitHub's in its docs) are
the judges here; the official libraries judge the mock's deliveries over loopback in
tests/test_official_judges.py.
"""

from __future__ import annotations

import pytest

from harness.profiles import load_profiles
from harness.signatures import Scheme, SignatureError, Stamp

CATALOG = load_profiles()
SIGNING = sorted(p.name for p in CATALOG if p.semantics.authenticity.scheme is not None)
BODY = b'{"type":"contact.created","data":{"id":"\xc3\xbc"}}'
NOW = 1_700_000_000


def scheme(profile: str) -> Scheme:
    found = CATALOG.get(profile).semantics.authenticity.scheme
    assert found is not None
    return found


def secret_for(found: Scheme) -> str:
    return "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" if found.key_encoding == "base64" else "s3"


def test_standard_webhooks_published_vector() -> None:
    found = scheme("standard-webhooks")
    stamp = Stamp("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330)
    headers = found.headers(
        ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"], stamp, b'{"test": 2432232314}'
    )
    assert headers == {
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        "webhook-timestamp": "1614265330",
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    }


def test_github_documented_example() -> None:
    """docs.github.com, validating webhook deliveries: the secret and payload it shows."""
    found = scheme("github")
    headers = found.headers(["It's a Secret to Everybody"], Stamp("x", 0), b"Hello, World!")
    assert headers["X-Hub-Signature-256"] == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


@pytest.mark.parametrize(
    ("profile", "value"),
    [
        ("stripe", "t=1700000000,v1={sig}"),
        ("slack", "v0={sig}"),
        ("zoom", "v0={sig}"),
        ("shopify", "{sig}"),
        ("resthooks", "{sig}"),
    ],
)
def test_each_header_is_written_as_the_provider_writes_it(profile: str, value: str) -> None:
    found = scheme(profile)
    secret = secret_for(found)
    stamp = Stamp(found.new_id(), NOW)
    headers = found.headers([secret], stamp, BODY)
    assert headers[found.header] == value.format(sig=found.digest(secret, stamp, BODY))


@pytest.mark.parametrize("profile", SIGNING)
def test_a_signed_request_verifies_and_each_covered_part_changed_does_not(profile: str) -> None:
    found = scheme(profile)
    secret = secret_for(found)
    stamp = Stamp(found.new_id(), NOW)
    headers = found.headers([secret], stamp, BODY)
    assert found.verify(secret, headers, BODY, now=NOW) == []
    assert found.verify(found.other_secret(secret, "other"), headers, BODY)
    assert found.verify(secret, headers, BODY + b" ")
    assert found.verify(secret, {}, BODY)[0] == f"header {found.header} is missing"
    if found.signs_id and found.id_header:
        assert found.verify(secret, {**headers, found.id_header: found.new_id()}, BODY)
    if found.timestamped:
        later = found.headers([secret], Stamp(stamp.id, NOW + 1), BODY)
        relabelled = {**headers}
        for name in (found.timestamp_header, found.header):
            if name and name in later and name != found.header:
                relabelled[name] = later[name]
        if not found.timestamp_header:  # Stripe: the time is in the signature header
            relabelled[found.header] = headers[found.header].replace(str(NOW), str(NOW + 1))
        assert found.verify(secret, relabelled, BODY)


@pytest.mark.parametrize("profile", [p for p in SIGNING if scheme(p).rotates])
def test_rotation_any_one_signature_will_do(profile: str) -> None:
    found = scheme(profile)
    secret = secret_for(found)
    old = found.other_secret(secret, "other")
    headers = found.headers([old, secret], Stamp(found.new_id(), NOW), BODY)
    parsed = found.parse(headers)
    assert not isinstance(parsed, str)
    assert len(parsed.signatures) == 2
    assert found.verify(secret, headers, BODY) == []
    assert found.verify(old, headers, BODY) == []
    assert found.verify(found.new_secret(), headers, BODY)


def test_one_signature_only_where_the_sender_sends_one() -> None:
    found = scheme("slack")
    headers = found.headers(["a", "b"], Stamp("", NOW), BODY)
    assert headers["X-Slack-Signature"].count("v0=") == 1


@pytest.mark.parametrize("profile", [p for p in SIGNING if scheme(p).timestamped])
def test_the_tolerance_bounds_the_timestamp(profile: str) -> None:
    found = scheme(profile)
    secret = secret_for(found)
    headers = found.headers([secret], Stamp(found.new_id(), NOW), BODY)
    tolerance = found.tolerance or 0
    assert found.verify(secret, headers, BODY, now=NOW + tolerance) == []
    stale = found.verify(secret, headers, BODY, now=NOW + tolerance + 1)
    assert stale
    assert "old" in stale[0]
    ahead = found.verify(secret, headers, BODY, now=NOW - 3600)
    if found.future_tolerance is None:
        assert ahead == []  # e.g. Stripe's library checks only the past
    else:
        assert ahead
        assert "future" in ahead[0]


def test_stripe_ignores_other_schemes_in_its_header() -> None:
    found = scheme("stripe")
    stamp = Stamp("", NOW)
    signature = found.digest("whsec_x", stamp, BODY)
    headers = {"Stripe-Signature": f"t={NOW},v1={signature},v0=6ffbb59b2300aae63f27240690f"}
    assert found.verify("whsec_x", headers, BODY, now=NOW) == []


def test_a_secret_that_is_not_the_key_form_is_refused() -> None:
    with pytest.raises(SignatureError, match="whsec_<base64>"):
        scheme("standard-webhooks").key("not base64!")
    assert scheme("standard-webhooks").new_secret().startswith("whsec_")


def test_ids_are_stable_per_delivery_and_fresh_otherwise() -> None:
    found = scheme("standard-webhooks")
    key = "1f81eb52-5198-4599-803e-771906343485"
    assert found.id_for(key) == found.id_for(key) == "msg_1f81eb5251984599803e771906343485"
    assert found.new_id() != found.new_id()
    assert scheme("github").id_for(key) == key  # a GUID, as X-GitHub-Delivery
