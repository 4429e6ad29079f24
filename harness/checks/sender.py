"""The sender checks (S-...): the harness plays the receiver and watches what the sender does.

Each is a plain function over a `harness.sender.SenderRun` (and an event for the per-event
checks), registered once, applied by the profile's semantic kinds. Scenario checks use the
run's first event; the per-event checks use every event of the run.
"""

from __future__ import annotations

import functools

from harness.capture import MAX_DELAY, CapturedRequest, Reply
from harness.checks import check
from harness.errors import (
    ApiCallFailed,
    ApiFindings,
    DeliveryMalformed,
    DeliveryMissing,
    DuplicateMade,
    HandshakeMissing,
    RefusalMissing,
    SenderFailure,
    SubscriptionRefused,
    TooLate,
    UnexpectedDelivery,
    WrongSchedule,
    WrongState,
)
from harness.expectations import (
    authenticity_problems,
    content_type_problems,
    envelope_problems,
    header_problems,
    payload_problems,
    schedule_problems,
)
from harness.semantics import Semantics
from harness.sender import Handle, SenderRun

SUCCESS = 200
FAILURE = 500
REDIRECT = 302
SLACK = 1.5  # seconds of scheduling noise allowed on top of any promise (a loaded CI machine)
HELD_PAST = 2.0  # seconds past the sender's timeout that the timed-out attempt's answer comes


# When the scenario checks apply, by semantic kind (the docstrings show in `checks list`).


def _promises_latency(semantics: Semantics) -> bool:
    """latency.max_seconds is set"""
    return semantics.latency.max_seconds is not None


def _retries_apply(semantics: Semantics) -> bool:
    """retry.enabled == true and fire_and_forget.enabled == false"""
    return semantics.retries_apply


def _ends_on_gone(semantics: Semantics) -> bool:
    """gone.statuses is not empty and gone.action != none"""
    return semantics.gone.applies


def _deactivates_when_exhausted(semantics: Semantics) -> bool:
    """retries apply, retry.on_exhaustion == deactivate, max_attempts set, an active field"""
    return (
        semantics.retries_apply
        and semantics.retry.deactivates
        and semantics.retry.max_attempts is not None
        and semantics.subscription.managed_by_api
        and semantics.subscription.fields.active is not None
    )


def _delivered(run: SenderRun, handle: Handle, what: str) -> CapturedRequest:
    """Trigger the handle's event and return its first delivery; fail when none comes."""
    run.trigger(handle)
    try:
        return run.deliveries(handle, 1)[0]
    except TimeoutError:
        raise DeliveryMissing(
            f"nothing arrived within {run.window:g} s of triggering {handle.event} ({what})",
            expected=f"a delivery of {handle.event} to {handle.url}",
        ) from None


def fail_on(
    problems: list[str],
    request: CapturedRequest,
    expected: str,
    failure: type[SenderFailure] = DeliveryMalformed,
) -> None:
    if problems:
        raise failure("; ".join(problems), arrived=request, expected=expected)


def _expect_nothing(run: SenderRun, handle: Handle, problem: str, *, expected: str) -> None:
    """Watch `handle` for the quiet window; anything that arrives fails the check with
    `problem`, in which `{n}` stands for how many requests arrived."""
    arrived = run.quiet(handle)
    if arrived:
        raise UnexpectedDelivery(
            problem.format(n=len(arrived)), arrived=arrived[0], expected=expected
        )


def attempts_at(
    run: SenderRun, handle: Handle, count: int, *, timed_out: float = 0.0
) -> list[CapturedRequest]:
    """The first `count` attempts at the handle; fail saying how many came. `timed_out`:
    the seconds the sender spends on attempts that time out before it retries them (its
    per-attempt timeout, once for each), which the wait adds to the schedule's delays."""
    window = _retry_window(run, count) + timed_out
    first = f"was not answered within {timed_out:g} s" if timed_out else "answered with a failure"
    try:
        return run.deliveries(handle, count, timeout=window)
    except TimeoutError:
        got = run.received(handle)[handle.handshakes :]
        raise DeliveryMissing(
            f"{len(got)} attempt(s) arrived, expected {count} (the first {first})",
            arrived=got[-1] if got else None,
            expected=f"{count} attempts within {window:.2f} s",
        ) from None


def _retry_window(run: SenderRun, attempts: int) -> float:
    """How long `attempts` attempts may take to come: the window, then the schedule's
    delays as S-retry-schedule allows them (half again, and its slack on the real clock)."""
    total = run.profile.semantics.retry.offset(attempts - 1)
    slack = 0.0 if run.exact else SLACK * (attempts - 1)
    return run.window + run.scaled(total) * 1.5 + slack + 0.5 * attempts


# Per event: judged on one delivery of each event.


@check(id="S-payload-schema", level="MUST", side="sender", rule="envelope")
def payload_schema(run: SenderRun, event: str) -> None:
    """Every delivered body validates against its event's payload schema."""
    request = run.sampled(event)
    expected = f"a body valid against the {event} schema"
    fail_on(payload_problems(run.profile, event, request), request, expected)


@check(id="S-headers", level="MUST", side="sender", rule="authenticity")
def headers(run: SenderRun, event: str) -> None:
    """Content type, challenge, token, export key, signature and declared headers as promised."""
    request = run.sampled(event)
    problems = [
        *content_type_problems(request),
        *authenticity_problems(run.profile, request, run.sample(event).handle.secret),
        *header_problems(run.profile, event, request),
    ]
    fail_on(problems, request, "the headers and authenticity value the profile promises")


@check(id="S-envelope", level="MUST", side="sender", rule="envelope")
def envelope(run: SenderRun, event: str) -> None:
    """The envelope as the profile says: array of one item, wrapped fields, the event name."""
    request = run.sampled(event)
    kind = run.profile.semantics.envelope.kind
    fail_on(envelope_problems(run.profile, event, request), request, f"a {kind} envelope")


@check(
    id="S-latency",
    level="MUST",
    side="sender",
    rule="latency",
    applies_to=_promises_latency,
)
def latency(run: SenderRun, event: str) -> None:
    """The first attempt arrives within the profile's latency promise (scaled)."""
    promise = run.scaled(run.profile.semantics.latency.max_seconds or 0.0)
    request = run.sampled(event)
    took = run.sample(event).latency or 0.0
    slack = 0.0 if run.exact else SLACK  # a virtual clock has no scheduling noise
    if took > promise + slack:
        raise TooLate(
            f"the first attempt came {took:.3f} s after the event",
            arrived=request,
            expected=f"within {promise:.3f} s (+{slack:g} s slack)",
        )


# Per profile: scenarios on the run's first event.


def first_event(run: SenderRun) -> str:
    """The event the scenario checks use: the run's first, but a ping-event handshake's ping
    where there is another (the harness answers pings itself, as handshakes)."""
    events = run.events()
    handshake = run.profile.semantics.handshake
    return next((e for e in events if not (handshake.pings and e == handshake.event)), events[0])


@check(
    id="S-overwrite",
    level="MUST",
    side="sender",
    rule="subscription",
    scope="profile",
    applies_to=[("subscription.model", "overwrite-per-type")],
)
def overwrite(run: SenderRun) -> None:
    """A second subscription for the same type replaces the first; only the new URL receives."""
    event = first_event(run)
    old = run.subscribe(event)
    rule = run.profile.semantics.subscription
    if rule.rejects_duplicates:
        _expect_refused(run, event, rule.duplicate_status)
        return
    if rule.returns_existing:
        _expect_existing(run, old)
        return
    new = run.subscribe(event)
    _delivered(run, new, "after overwrite")
    stale = run.quiet(old)[old.handshakes :] or run.received(old)[old.handshakes :]
    if stale:
        raise UnexpectedDelivery(
            f"the replaced subscription still received {len(stale)} delivery(ies)",
            arrived=stale[0],
            expected=f"deliveries of {event} only to the new URL {new.url}",
        )


def _expect_existing(run: SenderRun, old: Handle) -> None:
    """The same create again answers the subscription made first, and one event is still
    delivered once."""
    again = run.subscribe(old.event, path=old.path, secret=old.secret)
    first = old.subscription.id if old.subscription else None
    second = again.subscription.id if again.subscription else None
    if first is None or str(first) != str(second):
        raise DuplicateMade(
            "creating the same subscription again made another one",
            api=again.created.summary() if again.created else "",
            expected=f"the existing subscription {first} (on_duplicate: existing)",
        )
    _delivered(run, old, "after creating it twice")
    _expect_nothing(
        run,
        old,
        "{n} more delivery(ies) of one event after creating the same subscription twice",
        expected="one delivery: there is one subscription",
    )


def _expect_refused(run: SenderRun, event: str, status: int) -> None:
    try:
        handle = run.subscribe(event)
    except SubscriptionRefused as refused:
        if refused.status == status:
            return
        raise
    raise RefusalMissing(
        "a second subscription for the same key was accepted",
        api=handle.created.summary() if handle.created else "",
        expected=f"{status}, as on_duplicate: reject says",
    )


@check(
    id="S-unsubscribe",
    level="MUST",
    side="sender",
    rule="subscription",
    scope="profile",
    applies_to=[("subscription.management", "api")],
)
def unsubscribe(run: SenderRun) -> None:
    """After delete nothing arrives, and the list no longer shows the subscription."""
    event = first_event(run)
    handle = run.subscribe(event)
    deleted = run.unsubscribe(handle)
    if deleted is not None and not deleted.ok:
        raise ApiCallFailed(
            "the delete call failed",
            api=deleted.summary(),
            status=deleted.status,
            expected="a 2xx answer",
        )
    run.trigger(handle)
    _expect_nothing(
        run,
        handle,
        "a delivery arrived after the subscription was deleted",
        expected="nothing",
    )
    if run.state(handle) is not None:
        raise WrongState(
            "the API still shows the deleted subscription", expected="gone from the list"
        )


def _same_event(first: CapturedRequest, again: CapturedRequest, run: SenderRun) -> list[str]:
    """A retry carries the same event: the body is the same but for the envelope's send time."""
    time_pointer = run.profile.semantics.envelope.time
    try:
        a, b = first.json(), again.json()
    except ValueError:
        return [] if first.body == again.body else ["the retry's body differs from the first"]
    if time_pointer and isinstance(a, dict) and isinstance(b, dict):
        key = time_pointer.strip("/")
        a, b = {**a, key: None}, {**b, key: None}
    return [] if a == b else ["the retry carries a different body than the first attempt"]


@check(
    id="S-retry-after-failure",
    level="MUST",
    side="sender",
    rule="retry",
    scope="profile",
    applies_to=_retries_apply,
)
def retry_after_failure(run: SenderRun) -> None:
    """After a 500 (and, separately, a timeout) a retry arrives within the window, same event."""
    event = first_event(run)
    handle = run.subscribe(event, replies=[FAILURE])
    run.trigger(handle)
    first, again = attempts_at(run, handle, 2)
    fail_on(_same_event(first, again, run), again, "the same event again")
    timeout = run.attempt_timeout
    if timeout is None:
        run.note(
            "the timeout scenario did not run: pass --attempt-timeout SECONDS (the sender's "
            "per-attempt timeout) to check that a timed-out attempt is retried"
        )
        return
    if timeout + HELD_PAST > MAX_DELAY:
        run.note(
            f"the timeout scenario did not run: the capture holds an answer at most "
            f"{MAX_DELAY:g} s, not past an --attempt-timeout of {timeout:g} s"
        )
        return
    slow = run.subscribe(event, replies=[Reply(SUCCESS, delay=timeout + HELD_PAST)])
    run.trigger(slow)
    first, again = attempts_at(run, slow, 2, timed_out=timeout)
    fail_on(_same_event(first, again, run), again, "the same event again after a timeout")


@check(
    id="S-retry-schedule",
    level="MUST",
    side="sender",
    rule="retry",
    scope="profile",
    applies_to=_retries_apply,
)
def retry_schedule(run: SenderRun) -> None:
    """Delays between attempts follow the profile's schedule (scaled) within a tolerance."""
    rule = run.profile.semantics.retry
    attempts = min(4, rule.max_attempts or 4)
    handle = run.subscribe(first_event(run), replies=[FAILURE] * (attempts - 1))
    run.trigger(handle)
    arrived = attempts_at(run, handle, attempts)
    times = [r.arrived for r in arrived]
    problems = schedule_problems(
        run.profile, times, run.options.time_scale, slack=SLACK, exact=run.exact
    )
    how = "exactly, on the mock's virtual clock" if run.exact else "scaled"
    expected = f"retries after {rule.delays(attempts - 1)} s, {how}"
    fail_on(problems, arrived[-1], expected, WrongSchedule)


@check(
    id="S-no-retry-on-success",
    level="MUST",
    side="sender",
    rule="retry",
    scope="profile",
    applies_to=[("fire_and_forget.enabled", False)],
)
def no_retry_on_success(run: SenderRun) -> None:
    """A 2xx answer is final (one attempt), and a 3xx is retried only if the profile says so."""
    event = first_event(run)
    handle = run.subscribe(event, replies=[SUCCESS])
    _delivered(run, handle, "success")
    _expect_nothing(
        run,
        handle,
        "{n} more attempt(s) after a 200 answer",
        expected="exactly one attempt",
    )
    retries_3xx = run.profile.semantics.retries_apply and run.profile.semantics.retry.retries("3xx")
    redirected = run.subscribe(event, replies=[REDIRECT])
    _delivered(run, redirected, "redirect")
    if retries_3xx:
        attempts_at(run, redirected, 2)
        return
    _expect_nothing(
        run,
        redirected,
        f"a {REDIRECT} answer was retried ({{n}} more attempt(s))",
        expected="no retry after a 3xx: the profile does not retry redirects",
    )


def _redirect_statuses(run: SenderRun) -> list[int]:
    """The 3xx answers to try: for a provider that follows redirects, one status after which
    it keeps the method and one after which it turns to GET (where it has them); otherwise
    307, the redirect a follower would repeat the POST for."""
    rule = run.profile.semantics.redirects
    if not rule.follows_any:
        return [307]
    kept = sorted(rule.statuses - rule.to_get)
    to_get = sorted(rule.statuses & rule.to_get)
    return [found[0] for found in (kept, to_get) if found]


@check(
    id="S-redirects",
    level="MUST",
    side="sender",
    rule="redirects",
    scope="profile",
)
def redirects(run: SenderRun) -> None:
    """A 3xx is followed to its Location only if the profile says so, with the method it says."""
    rule = run.profile.semantics.redirects
    event = first_event(run)
    for status in _redirect_statuses(run):
        landing = run.spare_path()
        location = run.capture.url_for(landing)
        handle = run.subscribe(event, replies=[Reply(status, headers={"Location": location})])
        first = _delivered(run, handle, f"answered {status} with a Location")
        if not rule.follows(status):
            arrived = run.quiet_path(landing)
            if arrived:
                raise UnexpectedDelivery(
                    f"the {status} answer was followed to its Location",
                    arrived=arrived[0],
                    expected="no request to the Location: the profile says redirects are not "
                    "followed",
                )
            continue
        method = rule.method_after(status, first.method)
        try:
            [followed] = run.capture.wait_for(1, run.patience(run.window), path=landing)
        except TimeoutError:
            raise DeliveryMissing(
                f"the {status} answer was not followed to {location}",
                arrived=first,
                expected=f"a {method} to the Location within {run.window:g} s",
            ) from None
        problems = [] if followed.method == method else [f"followed with {followed.method}"]
        if method == first.method and followed.body != first.body:
            problems.append("the request to the Location carries another body")
        fail_on(problems, followed, f"a {method} of the same delivery after {status}")


@check(
    id="S-gone-deactivates",
    level="MUST",
    side="sender",
    rule="gone",
    scope="profile",
    applies_to=_ends_on_gone,
)
def gone_deactivates(run: SenderRun) -> None:
    """After the profile's Gone status nothing more arrives and the subscription shows inactive."""
    event = first_event(run)
    for status in sorted(run.profile.semantics.gone.statuses):
        handle = run.subscribe(event, replies=[status])
        _delivered(run, handle, f"answered {status}")
        # The sender reads the answer after the capture server has sent it: an event
        # triggered before it shows the subscription ended races that answer, so wait for
        # the state first (the check below still fails a sender that never shows it).
        run.wait_until(functools.partial(_inactive, run, handle), timeout=run.window)
        run.trigger(handle)
        _expect_nothing(
            run,
            handle,
            f"{{n}} more delivery(ies) after a {status} answer",
            expected=f"nothing after {status}: the subscription is ended",
        )
        shown = run.state(handle)
        if shown is not None and shown.active:
            raise WrongState(
                f"the subscription still shows active after a {status} answer",
                api=str(shown.raw),
                expected="inactive or removed",
            )


@check(
    id="S-disable-after-exhaustion",
    level="MUST",
    side="sender",
    rule="retry",
    scope="profile",
    applies_to=_deactivates_when_exhausted,
)
def disable_after_exhaustion(run: SenderRun) -> None:
    """After the last attempt the subscription is disabled; re-enabling it works."""
    attempts = run.profile.semantics.retry.max_attempts or 1
    handle = run.subscribe(first_event(run), replies=[FAILURE] * attempts)
    run.trigger(handle)
    attempts_at(run, handle, attempts)
    if not run.wait_until(functools.partial(_inactive, run, handle), timeout=run.window):
        raise WrongState(
            f"the subscription is still active after {attempts} failed attempts",
            expected="disabled (active flag false)",
        )
    assert run.client is not None
    assert handle.subscription is not None
    answer = run.client.update(handle.subscription, active=True)
    if not answer.ok or _inactive(run, handle):
        raise ApiCallFailed(
            "re-enabling the subscription failed",
            api=answer.summary(),
            status=answer.status,
            expected="active",
        )
    _delivered(run, handle, "after re-enabling")


def _inactive(run: SenderRun, handle: Handle) -> bool:
    shown = run.state(handle)
    return shown is None or shown.active is False


@check(
    id="S-fire-and-forget",
    level="SHOULD",
    side="sender",
    rule="fire_and_forget",
    scope="profile",
    applies_to=[("fire_and_forget.enabled", True)],
)
def fire_and_forget(run: SenderRun) -> None:
    """One attempt whatever the answer: a 500 is neither retried nor reported."""
    handle = run.subscribe(first_event(run), replies=[FAILURE])
    _delivered(run, handle, "answered 500")
    _expect_nothing(
        run,
        handle,
        "{n} more attempt(s) after a 500",
        expected="exactly one attempt: the provider does not wait for the answer",
    )


@check(
    id="S-validation-before-activation",
    level="MUST",
    side="sender",
    rule="handshake",
    scope="profile",
    applies_to=[("handshake", "secret-confirmation")],
)
def validation_before_activation(run: SenderRun) -> None:
    """Nothing before validation; the secret arrives as promised; a new URL needs it again."""
    event = first_event(run)
    handle = run.subscribe(event, activate=False)
    run.trigger(handle)
    _expect_nothing(
        run,
        handle,
        "a delivery arrived before the webhook was validated",
        expected="nothing until validated",
    )
    run.validate(handle)
    _delivered(run, handle, "after validation")
    if "url" not in run.profile.semantics.handshake.revalidate_on:
        return
    moved = run.move(handle)
    run.trigger(moved)
    _expect_nothing(
        run,
        moved,
        "a delivery arrived at a changed URL before it was validated again",
        expected="the webhook inactive until validated again",
    )


@check(
    id="S-hook-secret-handshake",
    level="MUST",
    side="sender",
    rule="handshake",
    scope="profile",
    applies_to=[("handshake", "hook-secret-echo"), ("subscription.management", "api")],
)
def hook_secret_handshake(run: SenderRun) -> None:
    """Create blocks on the X-Hook-Secret echo; no echo -> inactive; a failure fails the create."""
    rule = run.profile.semantics.handshake
    header = rule.header or ""
    event = first_event(run)
    echoed = run.subscribe(event)
    handshake = run.received(echoed)
    if not handshake or handshake[0].header(header) is None:
        raise HandshakeMissing(
            f"create returned without sending {header} to the target first",
            api=echoed.created.summary() if echoed.created else "",
            expected=f"a POST with {header} while the create call is open",
        )
    shown = run.state(echoed)
    if shown is None or shown.active is False:
        raise WrongState(
            "the subscription is not active although the target echoed the secret",
            api=str(shown.raw if shown else "not found"),
            expected="active",
        )
    silent = run.subscribe(event, replies=[], echo=False)
    shown = run.state(silent)
    if rule.without_echo == "inactive" and shown is not None and shown.active:
        raise WrongState(
            "the target answered 200 without the echo, yet the subscription is active",
            api=str(shown.raw),
            expected="inactive until confirmed",
        )
    try:
        refused = run.subscribe(event, replies=[], echo=False, handshake_status=FAILURE)
    except SubscriptionRefused as failed:
        if failed.status is not None and 400 <= failed.status < 500:
            return
        raise RefusalMissing(
            "the target answered 500 to the handshake and create did not answer 4xx",
            api=failed.api,
            status=failed.status,
            expected="a 4xx that says why",
        ) from None
    raise RefusalMissing(
        "the target answered 500 to the handshake, yet create succeeded",
        api=refused.created.summary() if refused.created else "",
        expected="the create call fails with a 4xx",
    )


@check(
    id="S-api-fuzz",
    level="MUST",
    side="sender",
    rule="subscription",
    scope="profile",
    phase=1,  # after every other check: nothing it does can change their outcome
    applies_to=[("subscription.management", "api")],
)
def api_fuzz(run: SenderRun) -> None:
    """schemathesis on the subscription API: no 5xx, answers match their schemas."""
    from harness.fuzz import fuzz_subscription_api  # schemathesis loads slowly

    try:
        own = run.subscribe(first_event(run))  # the one subscription its generated ids may name
    except SubscriptionRefused as refused:
        own = None
        run.note(f"the API made no subscription for the fuzzer to use ({refused.api})")
    problems, left_out = fuzz_subscription_api(run, own)
    if left_out:
        run.note(
            f"not fuzzed, as they could change a subscription the suite did not make: "
            f"{', '.join(left_out)}"
        )
    if problems:
        first = problems[0]
        raise ApiFindings(
            f"{len(problems)} problem(s); first: {first.title}",
            api=first.detail,
            expected="no server error and every answer as the OpenAPI document says",
        )
