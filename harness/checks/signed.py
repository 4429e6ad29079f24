"""The receiver checks of signed deliveries and challenge handshakes (R-*).

A signature scheme (`harness.signatures`) promises more than "the right secret": the
signature covers the raw bytes as sent, a timestamp bounds how long a captured delivery can
be replayed, and during a secret rotation a delivery carries several signatures, any one of
which must do. Each check here sends correctly signed deliveries that a careless receiver
gets wrong, and each applies by the scheme's parameters, never by provider. The challenge
handshake checks send the profile's challenge request and judge the answer by its data.

All are profile-wide: the signature and the handshake do not depend on the event, so each
is judged once, on the first event whose simplest delivery was accepted.
"""

from __future__ import annotations

import json
from typing import Any

from harness.challenges import fill, new_challenge
from harness.checks import check
from harness.checks.forging import fresh, scheme_of, signed
from harness.checks.receiver import HANDSHAKE, PAYLOADS
from harness.errors import (
    DeliveryNotAccepted,
    ForgeryAccepted,
    HandshakeFailed,
    ReplayAccepted,
)
from harness.receiver import Trial
from harness.wire import WireRequest, challenge_request, encode

MARGIN = 60  # seconds past the tolerance a replayed delivery is dated
RAW_BYTES = (
    "shared/PROVIDERS.md: receivers must verify over the raw bytes (re-serialising the JSON "
    "breaks the signature)"
)


def _base(trial: Trial) -> tuple[str, Any]:
    """The event and payload the profile-wide signature checks sign: the first event whose
    simplest delivery was accepted (else the first event)."""
    run = trial.run
    if run.secret is None:
        trial.skip("no --secret given: the profile's signature is optional")
    events = [e for e in run.plans if run.passed("R-envelope", e) is not False] or list(run.plans)
    plan = run.plans[events[0]]
    return events[0], plan.examples[0] if plan.examples else plan.slot("envelope")


def _replayed(trial: Trial, offset: float, words: str) -> None:
    event, payload = _base(trial)
    request = trial.request(payload, signing=fresh(trial, offset), event=event)
    trial.expect(
        trial.send(request, event=event),
        lambda x: not x.ok,
        ReplayAccepted,
        f"anything but a 2xx to a delivery signed correctly {words}",
    )


@check(
    id="R-rejects-stale-timestamp",
    level="MUST",
    side="receiver",
    applies_to=[("authenticity.bounds_age", True)],
    source=(
        "the profile's authenticity rule (timestamp.tolerance_seconds); Standard Webhooks: "
        "verify the timestamp is within a tolerance, to prevent replay attacks"
    ),
    rule="authenticity",
    scope="profile",
    phase=PAYLOADS,
    requires=["R-envelope"],
)
def rejects_stale_timestamp(trial: Trial) -> None:
    """A correctly signed delivery whose timestamp is older than the tolerance gets no 2xx."""
    tolerance = scheme_of(trial).tolerance or 0.0
    _replayed(
        trial,
        -(tolerance + MARGIN),
        f"{tolerance + MARGIN:g} s ago, past the {tolerance:g} s tolerance (a replay)",
    )


@check(
    id="R-rejects-future-timestamp",
    level="MUST",
    side="receiver",
    applies_to=[("authenticity.bounds_future", True)],
    source="the profile's authenticity rule (timestamp.future_tolerance_seconds)",
    rule="authenticity",
    scope="profile",
    phase=PAYLOADS,
    requires=["R-envelope"],
)
def rejects_future_timestamp(trial: Trial) -> None:
    """A correctly signed delivery dated beyond the tolerance ahead gets no 2xx."""
    ahead = scheme_of(trial).future_tolerance or 0.0
    _replayed(
        trial,
        ahead + MARGIN,
        f"{ahead + MARGIN:g} s in the future, past the {ahead:g} s tolerance",
    )


@check(
    id="R-accepts-rotated-signatures",
    level="MUST",
    side="receiver",
    applies_to=[("authenticity.rotates", True)],
    source=(
        "the profile's authenticity rule (separator); Standard Webhooks: consumers try each "
        "signature until one matches (zero-downtime secret rotation)"
    ),
    rule="authenticity",
    scope="profile",
    phase=PAYLOADS,
    requires=["R-envelope"],
)
def accepts_rotated_signatures(trial: Trial) -> None:
    """Several signatures of which one (not the first) is valid get a 2xx; none valid, no 2xx."""
    event, payload = _base(trial)
    secret = trial.run.secret or ""
    genuine = trial.request(payload, event=event)
    scheme = scheme_of(trial)
    old = [scheme.other_secret(secret, "retired"), scheme.other_secret(secret, "retiring")]
    rotated = signed(trial, genuine.body, secrets=[*old, secret], stamp=fresh(trial), like=genuine)
    trial.expect(
        trial.send(rotated, event=event),
        lambda x: x.ok,
        DeliveryNotAccepted,
        "a 2xx to a delivery with three signatures, the last one made with the secret "
        "(a secret rotation: any one valid signature will do)",
    )
    forged = signed(trial, genuine.body, secrets=old, stamp=fresh(trial), like=genuine)
    trial.expect(
        trial.send(forged, event=event),
        lambda x: not x.ok,
        ForgeryAccepted,
        "anything but a 2xx to a delivery with two signatures, neither made with the secret",
    )


def _reordered(value: Any) -> Any:
    """`value` with every object's members in reverse order."""
    if isinstance(value, dict):
        return {k: _reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reordered(v) for v in value]
    return value


def _floated(value: Any) -> Any:
    """`value` with every integer written as its float (1 -> 1.0), the same number."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value) if abs(value) < 2**53 else value
    if isinstance(value, dict):
        return {k: _floated(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floated(v) for v in value]
    return value


def raw_variants(payload: Any) -> list[tuple[str, bytes]]:
    """The same JSON in other bytes than the compact form a provider sends and a receiver
    would re-serialise to: key order, whitespace, escapes, number forms. Each is as valid as
    `payload`; a form that comes out the same bytes (one key, no non-ASCII) is left out."""
    found = [
        ("members in reverse order", json.dumps(_reordered(payload), separators=(",", ":"))),
        ("indented with spaces and newlines", json.dumps(payload, indent=2) + "\n"),
        (
            "non-ASCII as \\u escapes and / as \\/",
            json.dumps(payload, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/"),
        ),
    ]
    found.append(("integers written as 1.0", json.dumps(_floated(payload), separators=(",", ":"))))
    # Only bytes other than the compact form (which other checks send) and each other.
    seen = {encode(payload)}
    kept = []
    for label, text in found:
        if text.encode() not in seen:
            seen.add(text.encode())
            kept.append((label, text.encode()))
    return kept


@check(
    id="R-verifies-raw-bytes",
    level="MUST",
    side="receiver",
    applies_to=[("authenticity.signs", True)],
    rule="authenticity",
    scope="profile",
    phase=PAYLOADS,
    requires=["R-envelope"],
    source=RAW_BYTES,
)
def verifies_raw_bytes(trial: Trial) -> None:
    """Signed bodies in other bytes than compact JSON get a 2xx; one byte added after, no 2xx."""
    event, payload = _base(trial)
    secret = trial.run.secret or ""
    genuine = trial.request(payload, event=event)
    for label, body in raw_variants(json.loads(genuine.body)):
        request = signed(trial, body, secrets=[secret], stamp=fresh(trial), like=genuine)
        trial.expect(
            trial.send(request, event=event),
            lambda x: x.ok,
            DeliveryNotAccepted,
            f"a 2xx to a delivery signed over its exact bytes, the JSON {label} (a receiver "
            "that re-serialises before verifying rejects it)",
        )
    tampered = WireRequest(genuine.method, genuine.headers, genuine.body + b" ", genuine.query)
    trial.expect(
        trial.send(tampered, event=event),
        lambda x: not x.ok,
        ForgeryAccepted,
        "anything but a 2xx to a delivery with one byte (a space) added after it was signed "
        "(a receiver that re-serialises before verifying accepts it)",
    )


@check(
    id="R-challenge-handshake",
    level="MUST",
    side="receiver",
    applies_to=[("handshake", "challenge")],
    source="the profile's handshake rule (request, answers, seconds)",
    rule="handshake",
    scope="profile",
    phase=HANDSHAKE,
)
def challenge_handshake(trial: Trial) -> None:
    """The profile's challenge request gets one of its right answers within the time limit."""
    rule = trial.profile.semantics.handshake
    secret = trial.run.secret
    challenge = new_challenge()
    exchange = trial.send(challenge_request(trial.profile, secret, challenge))
    answer = (exchange.status, exchange.headers, exchange.body)
    problems = rule.answer_problems(
        challenge, secret, answer, elapsed=exchange.elapsed, error=exchange.error
    )
    values = rule.challenge_values(challenge, secret)
    limit = rule.seconds
    wanted = " or ".join(
        f"{' or '.join(map(str, a.status))} {a.content_type or ''} "
        f"{json.dumps(fill(a.json, values)) if a.json is not None else fill(a.body or '', values)}"
        for a in rule.answers
    )
    within = f" within {limit:g} s" if limit is not None else ""
    trial.expect(
        exchange,
        lambda x: not problems,
        HandshakeFailed,
        f"{wanted}{within}; it differs: {'; '.join(problems)}",
    )


@check(
    id="R-ping-handshake",
    level="MUST",
    side="receiver",
    applies_to=[("handshake", "ping-event")],
    source="the profile's handshake rule (event, seconds)",
    rule="handshake",
    scope="profile",
    phase=HANDSHAKE,
)
def ping_handshake(trial: Trial) -> None:
    """The ping event a new subscription gets, delivered as the provider does, gets a 2xx."""
    rule = trial.profile.semantics.handshake
    event = rule.event or ""
    found = trial.profile.event(event)
    if event in trial.run.plans:
        plan = trial.run.plans[event]
        payload = plan.examples[0] if plan.examples else plan.slot("envelope")
    else:  # --events left it out: its first example
        payload = next(iter(found.examples.values()), {})
    exchange = trial.send(trial.request(payload, event=event), event=event)
    limit = rule.seconds
    within = f" within {limit:g} s" if limit is not None else ""
    trial.expect(
        exchange,
        lambda x: x.ok and (limit is None or x.elapsed <= limit),
        HandshakeFailed,
        f"a 2xx to the {event} event{within}",
    )
