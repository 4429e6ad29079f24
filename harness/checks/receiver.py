"""The receiver checks (R-*): what an endpoint must do with everything its provider sends.

Each check is given a `harness.receiver.Trial` (the profile, the event, the payload plan and
a `send`) and raises a `harness.errors.ExchangeFailure` subclass when the receiver's answer is
wrong. Which checks apply, and what they send, follows the profile's semantic kinds.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from harness import pointers
from harness.checks import check, not_
from harness.checks.forging import signature_forgeries
from harness.describe import DESCRIBERS
from harness.errors import (
    AnswerTooSlow,
    BadInputNotRejected,
    DeliveryNotAccepted,
    ForgeryAccepted,
    HandshakeFailed,
    ServerErrorOnBadInput,
)
from harness.receiver import Exchange, Trial
from harness.wire import (
    CONTENT_TYPE,
    WireRequest,
    auth_headers,
    encode,
    hook_secret_request,
    validation_request,
)

# The stages of a receiver run, in order (the registry's `phase`).
HANDSHAKE, GATE, PAYLOADS, BURST, LOOK_BACK = range(5)

UNKNOWN_FIELD = "x_hookconform_unknown"
UNKNOWN_VALUE = {"note": "a field this receiver has never seen", "list": [1, 2.5, None, "ü"]}
UNKNOWN_HEADERS = {"X-Hookconform-Unknown": "1", "X-Request-Id": "hookconform-0001"}

ROBUSTNESS = (
    "https://www.standardwebhooks.com/ (an answer other than 2xx, a timeout or a dropped "
    "connection is a failed attempt, and failed attempts are retried); schemathesis's "
    "not_a_server_error and negative_data_rejection"
)


def _accepted(exchange: Exchange) -> bool:
    return exchange.ok


def _envelope_words(trial: Trial) -> str:
    return DESCRIBERS["envelope"](trial.profile.semantics.envelope).rstrip(".")


def _expect_accepted(trial: Trial, exchange: Exchange, what: str) -> None:
    trial.expect(exchange, _accepted, DeliveryNotAccepted, f"a 2xx answer to {what}")


@check(
    id="R-envelope",
    level="MUST",
    side="receiver",
    rule="envelope",
    phase=GATE,
    source="the profile's envelope rule",
)
def envelope(trial: Trial) -> None:
    """The simplest valid delivery in the envelope (array of one, wrapped...) gets a 2xx."""
    exchange = trial.deliver(trial.plan.slot("envelope"))
    _expect_accepted(
        trial,
        exchange,
        f"the simplest valid {trial.event} delivery, shaped as {_envelope_words(trial)}",
    )


@check(
    id="R-accepts-examples",
    level="MUST",
    side="receiver",
    rule="envelope",
    phase=PAYLOADS,
    requires=["R-envelope"],
    source="the examples in the profile's openapi.yaml webhooks",
)
def accepts_examples(trial: Trial) -> None:
    """Each example payload of the event, delivered exactly as the provider would, gets a 2xx."""
    if trial.event and not trial.profile.event(trial.event).examples:
        trial.skip("no source gives an example of it: generated payloads are its tests")
    if not trial.plan.examples:
        trial.skip("its examples are the same as another event's, already sent there")
    for number, payload in enumerate(trial.plan.examples, 1):
        exchange = trial.deliver(payload)
        _expect_accepted(trial, exchange, f"example {number} of {trial.event}")


@check(
    id="R-accepts-generated",
    level="MUST",
    side="receiver",
    rule="envelope",
    phase=PAYLOADS,
    requires=["R-envelope"],
    source="the event schemas in the profile's openapi.yaml webhooks",
)
def accepts_generated(trial: Trial) -> None:
    """Generated schema-valid payloads (unicode, empty strings, integral floats...) get a 2xx."""
    generated = trial.plan.generated()
    if not generated:
        trial.skip("the schema admits no payload beyond those other checks sent")
    for payload in generated:
        exchange = trial.deliver(payload)
        _expect_accepted(trial, exchange, f"a generated payload valid for {trial.event}")


def _bad_inputs(trial: Trial) -> list[tuple[str, WireRequest]]:
    """Malformed JSON, an empty body, a wrong content type, then payloads that break every
    event schema of the profile; each carries the authenticity proof it can carry."""
    secret = trial.run.secret
    plan = trial.plan
    good = trial.request(plan.examples[0] if plan.examples else plan.slot("envelope"))

    def raw(body: bytes, content_type: str = CONTENT_TYPE) -> WireRequest:
        headers = {**good.headers, "Content-Type": content_type}
        headers.update(auth_headers(trial.profile, body, secret))
        return WireRequest(good.method, headers, body)

    inputs = [
        ("malformed JSON (a body cut in half)", raw(good.body[: max(1, len(good.body) // 2)])),
        ("an empty body", raw(b"")),
        ("a JSON body sent as text/plain", raw(good.body, "text/plain")),
    ]
    inputs += [
        (f"payload {n} that breaks the schema", trial.request(payload))
        for n, payload in enumerate(trial.plan.negative, 1)
    ]
    return inputs


def _bad_exchanges(trial: Trial) -> list[tuple[str, Exchange]]:
    """The bad inputs and the answers to them, sent once per event for both checks that judge
    them."""

    def send_all() -> list[tuple[str, Exchange]]:
        return [(label, trial.send(request)) for label, request in _bad_inputs(trial)]

    return trial.once(("bad-inputs", trial.event), send_all)


@check(
    id="R-malformed-input",
    level="MUST",
    side="receiver",
    phase=PAYLOADS,
    source=ROBUSTNESS,
)
def malformed_input(trial: Trial) -> None:
    """Malformed, empty, mistyped or invalid bodies never get a 5xx or a dropped connection."""
    for label, exchange in _bad_exchanges(trial):
        trial.expect(
            exchange,
            lambda x: x.status is not None and x.status < 500,
            ServerErrorOnBadInput,
            f"an answer below 500 to {label} (a provider retries a 5xx or a dropped "
            "connection with the same garbage)",
        )


@check(
    id="R-rejects-malformed",
    level="SHOULD",
    side="receiver",
    phase=PAYLOADS,
    source=ROBUSTNESS,
)
def rejects_malformed(trial: Trial) -> None:
    """Malformed, empty, mistyped or schema-breaking bodies get a 4xx."""
    for label, exchange in _bad_exchanges(trial):
        trial.expect(
            exchange,
            lambda x: x.status is not None and 400 <= x.status < 500,
            BadInputNotRejected,
            f"a 4xx answer to {label}",
        )


def _without(document: Any, pointer: str) -> Any:
    """A copy of `document` without the member at `pointer` (unchanged when it is absent)."""
    trimmed = copy.deepcopy(document)
    pointers.remove(trimmed, pointer)
    return trimmed


def _challenge_forgeries(trial: Trial, payload: Any, wrong: str) -> list[tuple[str, WireRequest]]:
    header = trial.profile.semantics.authenticity.header
    return [
        (f"a wrong value in {header}", trial.request(payload, secret=wrong)),
        (f"no {header} header", trial.request(payload, secret=None)),
    ]


def _token_forgeries(trial: Trial, payload: Any, wrong: str) -> list[tuple[str, WireRequest]]:
    pointer = trial.profile.semantics.authenticity.pointer or ""
    forged = trial.request(payload, secret=wrong)
    missing = _without(forged.json(), pointer)
    return [
        (f"a wrong value at {pointer}", forged),
        (f"no value at {pointer}", WireRequest(forged.method, forged.headers, encode(missing))),
    ]


# How to forge a delivery, by authenticity kind.
FORGERIES: dict[str, Callable[[Trial, Any, str], list[tuple[str, WireRequest]]]] = {
    "challenge-header": _challenge_forgeries,
    "subscriber-headers": _challenge_forgeries,  # the header is the secret, as a challenge
    "body-token": _token_forgeries,
    "hmac-signature": signature_forgeries,
    "signature": signature_forgeries,
}


@check(
    id="R-rejects-forged",
    level="MUST",
    side="receiver",
    applies_to=[("authenticity", not_("none"))],
    rule="authenticity",
    phase=PAYLOADS,
    requires=["R-envelope"],
    source="the profile's authenticity rule",
)
def rejects_forged(trial: Trial) -> None:
    """A wrong or missing challenge, token, export key or signature gets no 2xx."""
    kind = trial.profile.semantics.authenticity.kind
    secret = trial.run.secret
    if secret is None:
        trial.skip("no --secret given: the profile's authenticity proof is optional")
        return
    if kind not in FORGERIES:
        trial.skip(f"hookconform cannot forge authenticity kind {kind!r}")
    scheme = trial.profile.semantics.authenticity.scheme
    wrong = scheme.other_secret(secret, "forged") if scheme else f"forged-{secret}"
    for label, request in FORGERIES[kind](trial, trial.plan.slot("envelope"), wrong):
        trial.expect(
            trial.send(request),
            lambda x: not x.ok,
            ForgeryAccepted,
            f"anything but a 2xx to a delivery with {label}",
        )


def _with_unknown_field(payload: Any, pointer: str) -> Any | None:
    extended = copy.deepcopy(payload)
    try:
        node = pointers.get(extended, pointer)
    except pointers.MISSING:
        return None
    if not isinstance(node, dict):
        return None
    node[UNKNOWN_FIELD] = UNKNOWN_VALUE
    return extended


@check(
    id="R-tolerates-unknown-fields",
    level="MUST",
    side="receiver",
    rule="envelope",
    phase=PAYLOADS,
    requires=["R-envelope"],
    source="the profile's envelope rule",
)
def tolerates_unknown_fields(trial: Trial) -> None:
    """Deliveries with fields or headers the schema does not name get a 2xx."""
    envelope = trial.profile.semantics.envelope
    base = trial.plan.examples[0] if trial.plan.examples else trial.plan.slot("headers")
    places = {"the resource": envelope.data_pointer}
    if envelope.kind == "wrapped":
        places["the envelope"] = ""
    validator = trial.profile.event(trial.event or "")
    for where, pointer in places.items():
        extended = _with_unknown_field(base, pointer)
        if extended is not None and validator.is_valid(extended):
            exchange = trial.deliver(extended)
            _expect_accepted(trial, exchange, f"a delivery with an unknown field in {where}")
    exchange = trial.deliver(trial.plan.slot("headers"), extra_headers=UNKNOWN_HEADERS)
    names = ", ".join(UNKNOWN_HEADERS)
    _expect_accepted(trial, exchange, f"a delivery with unknown headers ({names})")


@check(
    id="R-accepts-duplicate",
    level="MUST",
    side="receiver",
    applies_to=[("retry.enabled", True)],
    rule="retry",
    phase=PAYLOADS,
    requires=["R-envelope"],
    source="the profile's retry rule",
)
def accepts_duplicate(trial: Trial) -> None:
    """The same delivery sent twice, as a retry sends it, gets a 2xx both times."""
    request = trial.request(trial.plan.slot("duplicate"))
    _expect_accepted(trial, trial.send(request), "the first copy of a delivery")
    _expect_accepted(
        trial, trial.send(request), "the same delivery again (a retry resends it unchanged)"
    )


@check(
    id="R-responds-in-time",
    level="MUST",
    side="receiver",
    rule="timeout",
    phase=LOOK_BACK,
    source="the profile's timeout rule",
    applies_to=[("timeout", not_("none"))],  # a provider that waits forever sets no limit
)
def responds_in_time(trial: Trial) -> None:
    """Every answer to the event's deliveries, by any check, comes within the provider's timeout."""
    trial.deliver(trial.plan.slot("envelope"))  # timed even when run alone
    sent = trial.run.exchanges(trial.event)
    # Dropped connections are other checks' business, unless nothing was ever answered.
    timed = [x for x in sent if x.status is not None or x.timed_out] or sent
    slowest = max(timed, key=lambda x: (x.status is None, x.elapsed))
    limit = trial.run.timeout
    trial.expect(
        slowest,
        lambda x: x.status is not None and x.elapsed <= limit,
        AnswerTooSlow,
        f"every answer within {limit:g} s, the provider's timeout (slowest of "
        f"{len(timed)} answers shown)",
    )


@check(
    id="R-concurrent",
    level="MUST",
    side="receiver",
    scope="profile",
    phase=BURST,
    requires=["R-envelope"],
    source="https://www.standardwebhooks.com/ (providers deliver from many workers at once)",
)
def concurrent(trial: Trial) -> None:
    """--concurrency deliveries sent at the same moment all get a 2xx."""
    run = trial.run
    events = [e for e in run.plans if run.passed("R-envelope", e) is not False]
    count = run.options.concurrency
    chosen = [events[i % len(events)] for i in range(count)]
    jobs = [(e, run.plans[e].burst_payload(i // len(events))) for i, e in enumerate(chosen)]
    start = threading.Barrier(count)

    def fire(job: tuple[str, Any]) -> Exchange:
        request = trial.request(job[1], event=job[0])
        with contextlib.suppress(threading.BrokenBarrierError):
            start.wait(timeout=10)  # when broken, send anyway: a looser burst, not a lost one
        return trial.send(request, event=job[0])

    with ThreadPoolExecutor(max_workers=count, thread_name_prefix="hookconform-burst") as burst:
        exchanges = list(burst.map(fire, jobs))
    for exchange in exchanges:
        _expect_accepted(trial, exchange, f"each of {count} deliveries sent at the same moment")


@check(
    id="R-validation-handshake",
    level="MUST",
    side="receiver",
    applies_to=[("handshake", "secret-confirmation")],
    rule="handshake",
    scope="profile",
    phase=HANDSHAKE,
    source="the profile's handshake rule",
)
def validation_handshake(trial: Trial) -> None:
    """The endpoint validation request with its secret gets a 2xx, not an unknown-event error."""
    secret = f"hookconform-validation-{trial.run.options.seed}"
    exchange = trial.send(validation_request(trial.profile, secret))
    where = DESCRIBERS["handshake"](trial.profile.semantics.handshake).rstrip(".")
    _expect_accepted(trial, exchange, f"the validation request ({where})")


@check(
    id="R-hook-secret-handshake",
    level="MUST",
    side="receiver",
    applies_to=[("handshake", "hook-secret-echo")],
    rule="handshake",
    scope="profile",
    phase=HANDSHAKE,
    source="the profile's handshake rule",
)
def hook_secret_handshake(trial: Trial) -> None:
    """A POST with the hook-secret header gets an accepted status that echoes the header."""
    rule = trial.profile.semantics.handshake
    header, statuses = rule.header or "", rule.accept_statuses
    secret = f"hookconform-hook-secret-{trial.run.options.seed}"
    exchange = trial.send(hook_secret_request(trial.profile, secret))
    trial.expect(
        exchange,
        lambda x: rule.echoed(secret, x.status, x.headers),
        HandshakeFailed,
        f"{' or '.join(map(str, statuses))} with header {header}: {secret}",
    )
