"""A profile's semantics in plain words, for `hookconform specs show`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from harness.profiles import Profile

Rule = dict[str, Any]


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"


def _subscription(rule: Rule) -> str:
    how = {
        "api": "through the subscription API",
        "settings-screen": "by a person in the provider's settings screen",
    }[rule["management"]]
    events = "one event" if rule["events_per_subscription"] == "one" else "a set of events"
    if rule["model"] == "overwrite-per-type":
        key = " and ".join(rule.get("key", ["type"]))
        duplicate = (
            "a new one for the same key replaces the old"
            if rule.get("on_duplicate", "overwrite") == "overwrite"
            else f"a second one for the same key is refused ({rule.get('duplicate_status', 422)})"
        )
        model = f"one subscription per {key}: {duplicate}"
    else:
        model = "each subscription is kept, several may share an event"
    return f"made {how}, each for {events}; {model}."


def _authenticity(rule: Rule) -> str:
    origin = rule.get("value_from", {})
    origin_text = (
        f"the subscription's {origin['subscription_field']!r}"
        if "subscription_field" in origin
        else f"the account setting {origin.get('account_setting')!r}"
    )
    optional = " when one is set" if rule.get("optional") else ""
    kind = rule["kind"]
    if kind == "challenge-header":
        return f"{origin_text} is sent back in header {rule['header']}{optional}."
    if kind == "body-token":
        return f"{origin_text} is sent in the body at {rule['pointer']}{optional}."
    if kind == "hmac-signature":
        return (
            f"header {rule['header']} carries an HMAC-{rule['algorithm'].upper()} of the body "
            f"({rule['encoding']}) keyed with {origin_text}{optional}."
        )
    return "nothing lets a receiver tell a real delivery from a forged one."


def _handshake(rule: Rule) -> str:
    kind = rule["kind"]
    if kind == "hook-secret-echo":
        statuses = " or ".join(str(s) for s in rule["accept_statuses"])
        without = {
            "inactive": "leaves it inactive",
            "fail": "fails the create",
        }[rule["without_echo"]]
        return (
            f"during create the target gets header {rule['header']} and must answer {statuses} "
            f"echoing it; a 2xx without the echo {without}."
        )
    if kind == "secret-confirmation":
        where = " and ".join(
            f"query parameter {rule['query_param']!r}"
            if w == "query"
            else f"body {rule['body_pointer']}"
            for w in rule["secret_in"]
        )
        again = ", ".join(rule.get("revalidate_on", [])) or "nothing"
        return (
            f"inactive until validated: a {rule['method']} to the endpoint carries a secret "
            f"({where}) that a person enters back; changing {again} needs a new validation."
        )
    return "none: a subscription is active at once."


def _envelope(rule: Rule) -> str:
    detail = "the full resource" if rule["detail"] == "fat" else "the resource id only"
    kind = rule["kind"]
    if kind == "array-of-one":
        return f"a JSON array of one item holding {detail}."
    if kind == "wrapped":
        fields = ", ".join(f"{name} at {where}" for name, where in rule["fields"].items())
        time = f"; time as {rule['time_format']!r} UTC" if "time_format" in rule else ""
        return f"an object around {detail}: {fields}{time}."
    return f"{detail} at the top level of the body."


def _retry(rule: Rule) -> str:
    if not rule["enabled"]:
        return "never: one attempt per event."
    attempts = f"up to {rule['max_attempts']} attempts" if "max_attempts" in rule else "attempts"
    window = f" within {_duration(rule['window_seconds'])}" if "window_seconds" in rule else ""
    schedule = ", ".join(_duration(s) for s in rule["schedule"])
    outcomes = ", ".join(rule["retry_on"])
    after = {
        "deactivate": "then the subscription is deactivated",
        "keep": "then the event is abandoned",
    }[rule["on_exhaustion"]]
    notify = (
        f"; the owner is notified at retries {', '.join(map(str, rule['notify_at_retries']))}"
        if rule.get("notify_at_retries")
        else ""
    )
    waits = f"waiting {schedule} (the last repeats)"
    return f"on {outcomes}: {attempts}{window}, {waits}; {after}{notify}."


def _gone(rule: Rule) -> str:
    if not rule["statuses"] or rule["action"] == "none":
        return "no answer ends a subscription."
    statuses = " or ".join(str(s) for s in rule["statuses"])
    return f"an answer of {statuses} {rule['action']}s the subscription at once."


def _latency(rule: Rule) -> str:
    if "max_seconds" in rule:
        return f"the first attempt within {_duration(rule['max_seconds'])} of the event."
    return "no promise."


def _timeout(rule: Rule) -> str:
    return f"the provider waits {_duration(rule['seconds'])} for an answer."


def _quotas(rule: Rule) -> str:
    if not rule["limits"]:
        return "no limit on the number of subscriptions."
    parts = []
    for plan, limit in rule["limits"].items():
        per = "per event type" if limit["per"] == "event-type" else "in all"
        parts.append(f"{plan}: {limit['max']} {per}")
    default = f" (default plan {rule['default_plan']})" if "default_plan" in rule else ""
    return "; ".join(parts) + default + "."


def _fire_and_forget(rule: Rule) -> str:
    if rule["enabled"]:
        return "yes: the answer is ignored, errors are not reported, nothing is retried."
    return "no: the answer decides what happens next."


def _events(rule: Rule) -> str:
    if rule["complete"]:
        return "the provider's whole list."
    return "a part of the provider's list; more may be added."


DESCRIBERS: dict[str, Callable[[Rule], str]] = {
    "subscription": _subscription,
    "authenticity": _authenticity,
    "handshake": _handshake,
    "envelope": _envelope,
    "retry": _retry,
    "gone": _gone,
    "latency": _latency,
    "timeout": _timeout,
    "quotas": _quotas,
    "fire_and_forget": _fire_and_forget,
    "events": _events,
}


def _sources(rule: Rule) -> str:
    source = rule["source"]
    items = source if isinstance(source, list) else [source]
    docs = (item if isinstance(item, str) else item["doc"] for item in items)
    return ", ".join(dict.fromkeys(docs))


def describe_semantics(profile: Profile) -> Iterator[tuple[str, str, str]]:
    """(kind, sentence, provenance) for every semantic rule of the profile."""
    for kind, describer in DESCRIBERS.items():
        rule = profile.semantics[kind]
        documented = rule.get("documented", True)
        status = {
            True: "",
            False: "undocumented, generic default; ",
            "partial": "partly documented; ",
        }
        provenance = status[documented] + "source: " + _sources(rule)
        yield kind, describer(rule), provenance
