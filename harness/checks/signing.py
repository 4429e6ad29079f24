"""The sender checks (S-*) of signatures and of the challenge and ping handshakes.

The harness plays the receiver: it verifies what arrives by the profile's signature scheme
(`harness.signatures`), answers the challenge by the profile's data (`harness.answering`)
and sees whether the sender refuses a wrong answer. Applied by the semantic kinds; the mock's
faults `stale-timestamp`, `signs-reserialized`, `changing-id`, `any-answer` and `no-ping`
each make one of these fail.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from harness.capture import CapturedRequest
from harness.checks import check
from harness.checks.sender import FAILURE, attempts_at, fail_on, first_event
from harness.errors import (
    DeliveryMalformed,
    DeliveryMissing,
    HandshakeMissing,
    RefusalMissing,
    SubscriptionRefused,
    WrongState,
)
from harness.expectations import authenticity_problems, payload_problems
from harness.sender import SenderRun


def _verified(run: SenderRun, request: CapturedRequest, secret: str, number: int) -> list[str]:
    scheme = run.profile.semantics.authenticity.scheme
    assert scheme is not None
    now = request.arrived_at.timestamp()
    problems = scheme.verify(secret, dict(request.headers), request.body, now=now)
    return [f"attempt {number}: {p}" for p in problems]


@check(
    id="S-signature",
    level="MUST",
    side="sender",
    rule="authenticity",
    scope="profile",
    applies_to=[("authenticity.signs", True)],
    source="the profile's authenticity rule (the signature scheme, timestamp, id)",
)
def signature(run: SenderRun) -> None:
    """Every attempt is signed over its exact bytes, freshly dated, with one id per delivery."""
    scheme = run.profile.semantics.authenticity.scheme
    assert scheme is not None
    retried = run.profile.semantics.retries_apply
    handle = run.subscribe(first_event(run), replies=[FAILURE] if retried else [])
    if handle.secret is None:
        run.note("the signature was not checked: no secret is known (pass --secret)")
        return
    run.trigger(handle)
    try:
        attempts = attempts_at(run, handle, 2) if retried else run.deliveries(handle, 1)
    except TimeoutError:
        raise DeliveryMissing(
            f"nothing arrived within {run.window:g} s of triggering {handle.event}",
            expected=f"a signed delivery of {handle.event}",
        ) from None
    expected = (
        f"{scheme.header} signed over the bytes sent with the secret"
        + (f", dated within {scheme.tolerance:g} s" if scheme.timestamped else "")
        + (f", the same {scheme.id_header} on every attempt" if scheme.id_header else "")
    )
    for number, attempt in enumerate(attempts, 1):
        fail_on(_verified(run, attempt, handle.secret, number), attempt, expected)
    if scheme.id_header and len(attempts) > 1:
        ids = [a.header(scheme.id_header) for a in attempts]
        if len(set(ids)) > 1:
            raise DeliveryMalformed(
                f"{scheme.id_header} changed between the attempts of one delivery: "
                f"{', '.join(map(repr, ids))} (a receiver deduplicates retries by it)",
                arrived=attempts[-1],
                expected=expected,
            )


def _challenge_problems(run: SenderRun, request: CapturedRequest) -> list[str]:
    """How a request differs from the profile's challenge request."""
    rule = run.profile.semantics.handshake
    sent = rule.request
    assert sent is not None
    query = dict(parse_qsl(request.query, keep_blank_values=True))
    if sent.recognise(request.method, query, dict(request.headers), request.body) is None:
        return [
            f"{request.method} {request.path}?{request.query} with {request.body[:160]!r} is "
            f"not the challenge ({sent.method}, query {dict(sent.query)}, body {sent.body})"
        ]
    secret = run.handshake_secret
    if sent.signed and secret is not None:
        return authenticity_problems(run.profile, request, secret)
    return []


@check(
    id="S-challenge-handshake",
    level="MUST",
    side="sender",
    rule="handshake",
    scope="profile",
    applies_to=[("handshake", "challenge")],
    source="the profile's handshake rule (request, answers, seconds)",
)
def challenge_handshake(run: SenderRun) -> None:
    """The challenge comes before the endpoint is saved; a wrong answer keeps it from saving."""
    rule = run.profile.semantics.handshake
    event = first_event(run)
    handle = run.subscribe(event)
    sent = run.received(handle)[: handle.handshakes]
    expected = f"a {rule.request.method if rule.request else ''} challenge while it is saved"
    if not sent:
        raise HandshakeMissing(
            "the endpoint was saved without a challenge request to it first", expected=expected
        )
    fail_on(_challenge_problems(run, sent[0]), sent[0], expected)
    shown = run.state(handle)
    if shown is not None and shown.active is False:
        raise WrongState(
            "the endpoint answered the challenge right, yet the subscription is not active",
            api=str(shown.raw),
            expected="active",
        )
    if run.client is None and run.mock is None:
        run.note("a wrong answer was not tried: subscriptions are made by --subscribe-cmd")
        return
    try:
        wrong = run.subscribe(event, answer=False)
    except SubscriptionRefused as refused:
        if refused.status is not None and 400 <= refused.status < 500:
            return
        raise
    shown = run.state(wrong)
    if shown is None or shown.active is False:
        return  # saved but not active: nothing will be delivered to it
    raise RefusalMissing(
        "the endpoint answered the challenge wrongly, yet it was saved and is active",
        api=str(shown.raw),
        expected="the save fails (4xx) or the subscription stays inactive",
    )


@check(
    id="S-ping-event",
    level="MUST",
    side="sender",
    rule="handshake",
    scope="profile",
    applies_to=[("handshake", "ping-event")],
    source="the profile's handshake rule (event, seconds)",
)
def ping_event(run: SenderRun) -> None:
    """A new subscription gets the ping event, valid and signed, within the window."""
    rule = run.profile.semantics.handshake
    event = rule.event or ""
    handle = run.subscribe(first_event(run))
    ping = handle.pinged
    if ping is None:
        raise HandshakeMissing(
            f"no {event} delivery arrived within {run.window:g} s of making the subscription",
            expected=f"a {event} delivery to {handle.url} when it is made",
        )
    problems = payload_problems(run.profile, event, ping)
    if handle.secret is not None:
        problems += authenticity_problems(run.profile, ping, handle.secret)
    fail_on(problems, ping, f"a {event} delivery valid for its schema, signed")
