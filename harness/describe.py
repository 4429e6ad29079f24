"""A profile's semantics in plain words, for `hookconform specs show`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from harness.challenges import Answer
from harness.profiles import Profile
from harness.semantics import (
    AuthenticityRule,
    EnvelopeRule,
    EventsRule,
    FireAndForgetRule,
    GoneRule,
    HandshakeRule,
    LatencyRule,
    QuotasRule,
    RedirectsRule,
    RetryRule,
    SubscriptionRule,
    TimeoutRule,
)


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"


def _subscription(rule: SubscriptionRule) -> str:
    how = (
        "through the subscription API"
        if rule.managed_by_api
        else "by a person in the provider's settings screen"
    )
    events = "one event" if rule.one_event else "a set of events"
    if rule.overwrites:
        key = " and ".join(rule.key or ("type",))
        if rule.rejects_duplicates:
            duplicate = f"a second one for the same key is refused ({rule.duplicate_status})"
        elif rule.returns_existing:
            duplicate = "a create for an existing key answers the existing one (get-or-create)"
        else:
            duplicate = "a new one for the same key replaces the old"
        model = f"one subscription per {key}: {duplicate}"
    else:
        model = "each subscription is kept, several may share an event"
    return f"made {how}, each for {events}; {model}."


def _authenticity(rule: AuthenticityRule) -> str:
    origin = (
        f"the subscription's {rule.subscription_field!r}"
        if rule.per_subscription
        else f"the account setting {rule.account_setting!r}"
    )
    optional = " when one is set" if rule.optional else ""
    if rule.kind == "challenge-header":
        return f"{origin} is sent back in header {rule.header}{optional}."
    if rule.header_map:
        return (
            f"{origin} is a map of headers the subscriber chooses, sent on every delivery; "
            f"header {rule.header} carries the secret{optional}."
        )
    if rule.kind == "body-token":
        return f"{origin} is sent in the body at {rule.pointer}{optional}."
    scheme = rule.scheme
    if scheme is not None:
        several = f", several at once split by {scheme.separator!r}" if scheme.rotates else ""
        form = scheme.header_format.replace("{signatures}", scheme.signature_format)
        key = f"{scheme.key_prefix}base64-decoded" if scheme.key_encoding == "base64" else "raw"
        said = (
            f"header {scheme.header} ({form}{several}) carries an HMAC-"
            f"{scheme.algorithm.upper()} ({scheme.encoding}) of {scheme.signed!r} keyed with "
            f"{origin} ({key}){optional}"
        )
        if scheme.timestamped:
            where = scheme.timestamp_header or scheme.header
            ahead = f", {scheme.future_tolerance:g} s ahead" if scheme.future_tolerance else ""
            said += f"; the timestamp in {where} is accepted {scheme.tolerance:g} s old{ahead}"
        if scheme.id_header:
            said += f"; {scheme.id_header} is the delivery's id, the same on every retry"
        return said + "."
    return "nothing lets a receiver tell a real delivery from a forged one."


def _handshake(rule: HandshakeRule) -> str:
    if rule.echo:
        statuses = " or ".join(str(s) for s in rule.accept_statuses)
        without = {"inactive": "leaves it inactive", "fail": "fails the create"}
        return (
            f"during create the target gets header {rule.header} and must answer {statuses} "
            f"echoing it; a 2xx without the echo {without.get(rule.without_echo or '', '')}."
        )
    if rule.confirmation:
        where = " and ".join(
            f"query parameter {rule.query_param!r}" if w == "query" else f"body {rule.body_pointer}"
            for w in rule.secret_in
        )
        again = ", ".join(rule.revalidate_on) or "nothing"
        return (
            f"inactive until validated: a {rule.method} to the endpoint carries a secret "
            f"({where}) that a person enters back; changing {again} needs a new validation."
        )
    if rule.challenges and rule.request is not None:
        sent = rule.request
        parts = [f"query {dict(sent.query)}" if sent.query else ""]
        parts += [f"headers {dict(sent.headers)}" if sent.headers else ""]
        parts += [f"body {sent.body}" if sent.body is not None else ""]
        what = ", ".join(p for p in parts if p) or "nothing"
        answers = " or ".join(_answer(a) for a in rule.answers)
        return (
            f"before the endpoint is saved, a {sent.method} with {what} must get {answers} "
            f"within {rule.seconds:g} s."
        )
    if rule.pings:
        return f"a new subscription gets a {rule.event} delivery; any 2xx will do."
    return "none: a subscription is active at once."


def _answer(answer: Answer) -> str:
    said = " or ".join(map(str, answer.status))
    if answer.content_type:
        said += f" {answer.content_type}"
    if answer.body is not None:
        said += f" {answer.body!r}"
    if answer.json is not None:
        said += f" with {answer.json}"
    if answer.headers:
        said += f" with headers {answer.headers}"
    return said


def _envelope(rule: EnvelopeRule) -> str:
    detail = "the full resource" if rule.detail == "fat" else "the resource id only"
    if rule.kind == "array-of-one":
        return f"a JSON array of one item holding {detail}."
    if rule.kind == "wrapped":
        fields = ", ".join(f"{name} at {where}" for name, where in rule.parts.items())
        time = f"; time as {rule.time_format!r} UTC" if rule.time else ""
        return f"an object around {detail}: {fields}{time}."
    return f"{detail} at the top level of the body."


def _retry(rule: RetryRule) -> str:
    if not rule.enabled:
        return "never: one attempt per event."
    attempts = f"up to {rule.max_attempts} attempts" if rule.max_attempts else "attempts"
    window = f" within {_duration(rule.window_seconds)}" if rule.window_seconds else ""
    schedule = ", ".join(_duration(s) for s in rule.schedule)
    outcomes = ", ".join(sorted(rule.retry_on))
    after = (
        "then the subscription is deactivated"
        if rule.deactivates
        else "then the event is abandoned"
    )
    notify = (
        f"; the owner is notified at retries {', '.join(map(str, rule.notify_at_retries))}"
        if rule.notify_at_retries
        else ""
    )
    waits = f"waiting {schedule} (the last repeats)"
    return f"on {outcomes}: {attempts}{window}, {waits}; {after}{notify}."


def _gone(rule: GoneRule) -> str:
    if not rule.applies:
        return "no answer ends a subscription."
    statuses = " or ".join(str(s) for s in sorted(rule.statuses))
    return f"an answer of {statuses} {rule.action}s the subscription at once."


def _latency(rule: LatencyRule) -> str:
    if rule.max_seconds is not None:
        return f"the first attempt within {_duration(rule.max_seconds)} of the event."
    return "no promise."


def _timeout(rule: TimeoutRule) -> str:
    if rule.seconds is None:
        return "the provider waits indefinitely for an answer (no timeout)."
    return f"the provider waits {_duration(rule.seconds)} for an answer."


def _redirects(rule: RedirectsRule) -> str:
    if not rule.follows_any:
        return "not followed: a 3xx is the attempt's answer."
    statuses = ", ".join(str(s) for s in sorted(rule.statuses))
    to_get = ", ".join(str(s) for s in sorted(rule.to_get))
    method = f"; after {to_get} the next request is a GET" if to_get else ""
    return f"{statuses} followed to the Location, at most {rule.max_hops} hops{method}."


def _quotas(rule: QuotasRule) -> str:
    if not rule.limits:
        return "no limit on the number of subscriptions."
    parts = []
    for plan, limit in rule.limits.items():
        per = "per event type" if limit.per == "event-type" else "in all"
        parts.append(f"{plan}: {limit.max} {per}")
    default = f" (default plan {rule.default_plan})" if rule.default_plan else ""
    return "; ".join(parts) + default + "."


def _fire_and_forget(rule: FireAndForgetRule) -> str:
    if rule.enabled:
        return "yes: the answer is ignored, errors are not reported, nothing is retried."
    return "no: the answer decides what happens next."


def _events(rule: EventsRule) -> str:
    found = (
        "the provider's whole list"
        if rule.complete
        else "a part of the provider's list; more may be added"
    )
    if rule.versions is None:
        return found + "."
    by = "; ".join(f"{', '.join(vs)}: {d}" for d, vs in rule.versions.documents.items())
    field = rule.versions.field
    return f"{found}. Payloads follow the subscription's {field} ({by}; others: the webhooks)."


DESCRIBERS: dict[str, Callable[[Any], str]] = {
    "subscription": _subscription,
    "authenticity": _authenticity,
    "handshake": _handshake,
    "envelope": _envelope,
    "retry": _retry,
    "gone": _gone,
    "latency": _latency,
    "timeout": _timeout,
    "redirects": _redirects,
    "quotas": _quotas,
    "fire_and_forget": _fire_and_forget,
    "events": _events,
}


def describe_semantics(profile: Profile) -> Iterator[tuple[str, str, str]]:
    """(kind, sentence, provenance) for every semantic rule of the profile."""
    status = {True: "", False: "undocumented, generic default; ", "partial": "partly documented; "}
    for kind, describer in DESCRIBERS.items():
        rule = profile.semantics.rule(kind)
        provenance = status[rule.documented] + "source: " + ", ".join(rule.documents)
        yield kind, describer(rule), provenance
