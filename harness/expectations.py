"""What a delivery must look like, judged from the request alone: pure functions.

The sender checks call these on what the capture server recorded; each returns the list of
problems in words a person can act on, [] when the request keeps the profile's promises.
Everything is keyed by the profile's semantic kinds.
"""

from __future__ import annotations

import hmac
import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from harness import pointers
from harness.capture import CapturedRequest
from harness.profiles import Profile
from harness.schemas import error_messages, validator_for_schema


def json_body(request: CapturedRequest) -> tuple[Any, str | None]:
    """The JSON body, or None and why it is not JSON."""
    try:
        return request.json(), None
    except ValueError as exc:
        return None, f"the body is not JSON ({exc}): {request.body[:120]!r}"


def payload_problems(profile: Profile, event: str, request: CapturedRequest) -> list[str]:
    """How the body breaks the event's payload schema."""
    body, problem = json_body(request)
    if problem:
        return [problem]
    return profile.event(event).errors(body)


def content_type_problems(request: CapturedRequest) -> list[str]:
    content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return [f"Content-Type is {content_type or 'missing'!r}, expected 'application/json'"]
    return []


def authenticity_problems(
    profile: Profile, request: CapturedRequest, secret: str | None
) -> list[str]:
    """Whether the request carries the secret where the authenticity kind puts it."""
    rule = profile.semantics.authenticity
    kind = rule.kind
    if rule.none or (secret is None and rule.optional):
        return []
    if secret is None:
        return [f"no secret to compare with: pass the {kind} value the sender was given"]
    if rule.scheme is not None:
        return rule.scheme.verify(secret, dict(request.headers), request.body)
    if rule.header is not None:
        sent = request.header(rule.header)
        if sent is None:
            return [f"header {rule.header} is missing"]
        expected = secret
        if not hmac.compare_digest(sent, expected):
            return [f"header {rule.header} is {sent!r}, expected {expected!r}"]
        return []
    body, problem = json_body(request)
    if problem:
        return [problem]
    pointer = rule.pointer or ""
    try:
        sent = pointers.get(body, pointer)
    except (*pointers.MISSING, ValueError):
        return [f"the body has no {pointer} (the {kind})"]
    if sent != secret:
        return [f"the body's {pointer} is {sent!r}, expected {secret!r}"]
    return []


def header_problems(profile: Profile, event: str, request: CapturedRequest) -> list[str]:
    """Headers the event declares: required ones present, present ones valid."""
    problems = []
    for header in profile.event(event).headers:
        value = request.header(header.name)
        if value is None:
            if header.required:
                problems.append(f"required header {header.name} is missing")
            continue
        validator = validator_for_schema(dict(header.schema))
        problems.extend(f"header {header.name}: {m}" for m in error_messages(validator, value))
    return problems


def envelope_problems(profile: Profile, event: str, request: CapturedRequest) -> list[str]:
    """The envelope kind's promises: an array of one, the wrapped fields, the event name."""
    rule = profile.semantics.envelope
    body, problem = json_body(request)
    if problem:
        return [problem]
    if rule.kind == "array-of-one":
        if not isinstance(body, list) or len(body) != 1:
            shape = f"an array of {len(body)}" if isinstance(body, list) else type(body).__name__
            return [f"the body is {shape}, expected an array of one item"]
        return []
    if not isinstance(body, dict):
        return [f"the body is a {type(body).__name__}, expected an object"]
    if rule.kind == "resource":
        return []
    problems = []
    for part, pointer in rule.parts.items():
        try:
            value = pointers.get(body, pointer)
        except (*pointers.MISSING, ValueError):
            problems.append(f"the envelope has no {part} at {pointer}")
            continue
        if part == "event" and value != event:
            problems.append(f"the envelope's event at {pointer} is {value!r}, expected {event!r}")
        if part == "time":
            try:
                datetime.strptime(str(value), rule.time_format)
            except ValueError:
                problems.append(f"time {value!r} is not in the format {rule.time_format!r}")
    return problems


def expected_delays(profile: Profile, retries: int, time_scale: float) -> list[float]:
    """Seconds between attempt k and k+1 for the first `retries` retries, scaled."""
    return [delay * time_scale for delay in profile.semantics.retry.delays(retries)]


EXACT = 0.001  # seconds: how far from the schedule a gap on a virtual clock may be (float dust)


def schedule_problems(
    profile: Profile,
    arrivals: Sequence[float],
    time_scale: float,
    *,
    tolerance: float = 0.5,
    slack: float = 0.25,
    exact: bool = False,
) -> list[str]:
    """Whether the gaps between `arrivals` follow the retry schedule.

    A gap may be up to `tolerance` (relative) plus `slack` seconds later than scheduled, and
    no earlier than scheduled minus `tolerance`: a sender must not retry early. `exact` (a
    virtual clock): each gap is the scheduled one to the millisecond.
    """
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    problems = []
    for index, (gap, expected) in enumerate(
        zip(gaps, expected_delays(profile, len(gaps), time_scale), strict=True), start=1
    ):
        low, high = expected * (1 - tolerance), expected * (1 + tolerance) + slack
        if exact:
            low, high = expected - EXACT, expected + EXACT
        if not low <= gap <= high:
            problems.append(
                f"retry {index} came {gap:.3f} s after the previous attempt, "
                f"expected {expected:.3f} s (allowed {low:.3f} to {high:.3f} s)"
            )
    return problems
