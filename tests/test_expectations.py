"""Judging a recorded delivery against the profile (harness.expectations): pure logic."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from harness.capture import CapturedRequest
from harness.expectations import (
    authenticity_problems,
    content_type_problems,
    envelope_problems,
    header_problems,
    payload_problems,
    schedule_problems,
)
from harness.profiles import load_profiles
from harness.wire import delivery_request

CATALOG = load_profiles()


def captured(body: Any, headers: dict[str, str] | None = None) -> CapturedRequest:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return CapturedRequest(
        method="POST",
        path="/x",
        query="",
        headers=tuple((headers or {"Content-Type": "application/json"}).items()),
        body=raw,
        truncated=False,
        arrived=0.0,
        arrived_at=datetime.now(UTC),
        status=200,
    )


def as_sent(profile: str, event: str, secret: str | None) -> CapturedRequest:
    loaded = CATALOG.get(profile)
    request = delivery_request(loaded, loaded.event(event).example(), secret=secret)
    return captured(request.body, request.headers)


@pytest.mark.parametrize(
    ("profile", "event", "secret"),
    [
        ("factorial", "employees/employee/update", "ch4ll3nge"),
        ("clockodo", "entry.stopped", "tok"),
        ("hirehop", "job.status.updated", "22u43mrjwe7u"),
        ("resthooks", "contact.create", "s3cret"),
        ("staffology", "Employee_Created", None),
    ],
)
def test_what_the_provider_sends_has_no_problems(profile: str, event: str, secret: str) -> None:
    request = as_sent(profile, event, secret)
    loaded = CATALOG.get(profile)
    assert payload_problems(loaded, event, request) == []
    assert authenticity_problems(loaded, request, secret) == []
    assert envelope_problems(loaded, event, request) == []
    assert header_problems(loaded, event, request) == []
    assert content_type_problems(request) == []


def test_wrong_and_missing_authenticity_are_named() -> None:
    factorial = CATALOG.get("factorial")
    request = as_sent("factorial", "employees/employee/update", "right")
    assert authenticity_problems(factorial, request, "other") == [
        "header x-factorial-wh-challenge is 'right', expected 'other'"
    ]
    clockodo = CATALOG.get("clockodo")
    body = {
        k: v for k, v in as_sent("clockodo", "entry.stopped", "t").json().items() if k != "token"
    }
    assert authenticity_problems(clockodo, captured(body), "t") == [
        "the body has no /token (the body-token)"
    ]
    resthooks = CATALOG.get("resthooks")
    signed = as_sent("resthooks", "contact.create", "s3cret")
    tampered = captured(signed.body + b" ", dict(signed.headers))
    assert authenticity_problems(resthooks, tampered, "s3cret")[0].startswith(
        "header X-Hook-Signature is"
    )


def test_envelope_problems() -> None:
    staffology = CATALOG.get("staffology")
    item = as_sent("staffology", "Employee_Created", None).json()[0]
    assert envelope_problems(staffology, "Employee_Created", captured(item)) == [
        "the body is dict, expected an array of one item"
    ]
    hirehop = CATALOG.get("hirehop")
    body = as_sent("hirehop", "job.status.updated", "k").json()
    body["time"] = "2024-01-01T10:00:00Z"
    body["event"] = "invoice.status.updated"
    assert envelope_problems(hirehop, "job.status.updated", captured(body)) == [
        "the envelope's event at /event is 'invoice.status.updated', expected 'job.status.updated'",
        "time '2024-01-01T10:00:00Z' is not in the format '%Y-%m-%d %H:%M:%S'",
    ]


def test_content_type_and_headers() -> None:
    assert content_type_problems(captured({}, {"Content-Type": "text/plain"})) == [
        "Content-Type is 'text/plain', expected 'application/json'"
    ]
    factorial = CATALOG.get("factorial")
    request = captured({}, {"x-factorial-author-type": "robot"})
    [problem] = header_problems(factorial, "employees/employee/update", request)
    assert problem.startswith("header x-factorial-author-type: $: 'robot' is not one of")


def test_schedule_problems_follow_the_scaled_schedule() -> None:
    resthooks = CATALOG.get("resthooks")  # 5 s, 30 s, 300 s, 3600 s
    on_time = [0.0, 5.0, 35.0, 335.0]
    assert schedule_problems(resthooks, on_time, 1.0) == []
    scaled = [t * 0.01 for t in on_time]
    assert schedule_problems(resthooks, scaled, 0.01) == []
    early = [0.0, 1.0, 31.0]
    assert schedule_problems(resthooks, early, 1.0) == [
        "retry 1 came 1.000 s after the previous attempt, expected 5.000 s "
        "(allowed 2.500 to 7.750 s)"
    ]


def test_body_that_is_not_json() -> None:
    resthooks = CATALOG.get("resthooks")
    [problem] = payload_problems(resthooks, "contact.create", captured(b"<xml/>"))
    assert problem.startswith("the body is not JSON")
