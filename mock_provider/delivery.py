"""The delivery engine: worker threads sending the outbox over one pooled HTTP client.

Every decision is keyed by the profile's semantic kinds: `retry` (enabled, max_attempts,
window_seconds, schedule, retry_on, on_exhaustion, notify_at_retries), `gone` (statuses,
action), `fire_and_forget`, `authenticity` (through harness.wire). Time is the mock's clock
(`mock_provider.clock`): on the real one every schedule and window is multiplied by its
scale, so a test with 0.001 sees "retry after 5 min" after 0.3 s; a virtual one stands still
until `advance` moves it from one due attempt to the next.
"""

from __future__ import annotations

import collections
import copy
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harness import pointers
from harness.profiles import Profile
from harness.semantics import RetryRule
from harness.signatures import Stamp
from harness.wire import (
    WireRequest,
    auth_headers,
    delivery_request,
    encode,
    event_headers,
    new_stamp,
)
from mock_provider.clock import Clock, VirtualClock
from mock_provider.faults import Fault, Faults
from mock_provider.outbound import Outbound, Outcome, activity, logged_attempt
from mock_provider.store import Attempt, Delivery, Record, Store, Subscription

log = logging.getLogger(__name__)

# How long the out-of-order fault holds a delivery waiting for a newer one to overtake it, and
# how far past the latency promise the slow fault holds a first attempt. Not scaled: it must
# stay well past the sender suite's latency slack (1.5 s) at any time scale. (On a virtual
# clock these are virtual seconds too: they cost nothing.)
OUT_OF_ORDER_HOLD = 3.0
OUT_OF_ORDER_GAP = 0.05
# How long the log writer lets records gather after the first before it commits them: under
# load a transaction then takes the records of all workers at once, not of one or two, and the
# writer is woken that much less (a record is logged at most this much later; none is lost).
GATHER_SECONDS = 0.001


# Where a subscription keeps the headers its subscriber chose (authenticity subscriber-headers),
# beside the provider's own fields; not a name any schema declares, so never shown.
SENT_HEADERS = "hookconform:sent-headers"


def subscriber_headers(profile: Profile, subscription: Subscription) -> dict[str, str]:
    """The headers the subscriber chose, but the one that carries the secret (the wire
    module sets that one, so that the faults apply to it)."""
    chosen = subscription.object.get(SENT_HEADERS) or {}
    own = profile.semantics.authenticity.own_headers
    return {k: v for k, v in chosen.items() if k.lower() not in own}


def authenticity_secret(profile: Profile, subscription: Subscription, store: Store) -> str | None:
    """The value the authenticity kind sends: from the subscription or an account setting."""
    setting = profile.semantics.authenticity.account_setting
    if setting is not None:
        return store.setting(profile.name, setting)
    return subscription.secret


def _drift_candidates(payload: Any) -> list[Any]:
    """Bodies close to `payload` that likely break its schema, mildest first."""
    candidates: list[Any] = []
    item = payload[0] if isinstance(payload, list) and payload else payload
    if isinstance(item, dict):
        for key in item:
            broken = copy.deepcopy(item)
            broken[key] = {"schema-drift": [key]}
            candidates.append([broken] if item is not payload else broken)
            changed = copy.deepcopy(item)
            del changed[key]
            candidates.append([changed] if item is not payload else changed)
    if isinstance(payload, list):
        candidates.append([])
    candidates.append("schema-drift")
    return candidates


STALE_BY = 600.0  # seconds past the tolerance a stale-timestamp fault dates a signature


def signing_stamp(profile: Profile, key: str, faults: Faults) -> Stamp:
    """What an attempt's signature covers: the delivery's id (`key`: the same on every
    attempt of a delivery) and the present, as the active faults leave them."""
    scheme = profile.semantics.authenticity.scheme
    now = time.time()
    if scheme is None:
        return Stamp("", int(now))
    ident = scheme.new_id() if Fault.CHANGING_ID in faults else scheme.id_for(key)
    if Fault.STALE_TIMESTAMP in faults:
        now -= (scheme.tolerance or 300.0) + STALE_BY
    return Stamp(ident, int(now))


def _reserialized(
    profile: Profile, request: WireRequest, secret: str | None, stamp: Stamp
) -> WireRequest:
    """`request` signed over its body as `json.dumps` re-serialises it (sorted keys, spaces)
    while the bytes sent stay as they were: what a sender that signs an object gets wrong."""
    if profile.semantics.authenticity.scheme is None or secret is None:
        return request
    try:
        again = json.dumps(request.json(), sort_keys=True).encode()
    except ValueError:
        return request
    signed = auth_headers(profile, again, secret, stamp=stamp)
    return WireRequest(request.method, {**request.headers, **signed}, request.body, request.query)


def build_request(
    profile: Profile,
    event: str,
    payload: Any,
    secret: str | None,
    faults: Faults,
    headers: dict[str, str] | None = None,
    signing: Stamp | None = None,
) -> WireRequest:
    """The request for one attempt, with the event's headers and the active faults applied;
    a signature covers `signing` (the delivery's id and the attempt's time)."""
    rule = profile.semantics.authenticity
    if Fault.WRONG_CHALLENGE in faults and not rule.none:
        scheme = rule.scheme
        wrong = scheme.other_secret(secret, "wrong") if scheme and secret else None
        secret = wrong or f"wrong-{secret or 'challenge'}"
    signing = signing or new_stamp(profile)  # one stamp for the request and any fault's
    extra: dict[str, Any] = {"secret": secret, "extra_headers": headers, "signing": signing}
    request = delivery_request(profile, payload, **extra)
    if Fault.SCHEMA_DRIFT in faults:
        checked = profile.event(event)
        for candidate in _drift_candidates(payload):
            drifted = delivery_request(profile, candidate, **extra)
            if checked.errors(drifted.json()):
                request = drifted
                break
    if Fault.RESERIALIZED_SIGNATURE in faults:
        request = _reserialized(profile, request, secret, signing)
    if Fault.MISSING_CHALLENGE in faults and rule.header:
        headers = {k: v for k, v in request.headers.items() if k != rule.header}
        request = WireRequest(request.method, headers, request.body, request.query)
    if Fault.DROP_TOKEN in faults and rule.kind == "body-token" and rule.pointer:
        body = request.json()
        pointers.remove(body, rule.pointer)
        request = WireRequest(request.method, request.headers, encode(body), request.query)
    return request


@dataclass
class Fired:
    """One event a trigger recorded: its body, the profile (or version variant) the body
    comes from, and the deliveries made for it."""

    event_id: int
    variant: Profile
    payload: Any
    deliveries: list[int]
    subscriptions: list[Subscription]


@dataclass(frozen=True)
class Advanced:
    """Where an advance of the virtual clock got to: the time now and the time asked for,
    the attempts made on the way, and those due and not yet made when it stopped waiting."""

    now: float
    to: float
    attempts: int
    in_flight: int

    @property
    def done(self) -> bool:
        return self.now >= self.to and self.in_flight == 0


@dataclass(frozen=True)
class _Done:
    """A worker is through with a delivery: its records, to be logged; once they are, the
    delivery may be claimed again (None: records made outside a worker, nothing claimed)."""

    delivery_id: int | None
    records: list[Record]


class Engine:
    """Turns events into deliveries and works the outbox with worker threads."""

    def __init__(
        self,
        store: Store,
        profiles: Mapping[str, Profile],
        faults: Faults,
        outbound: Outbound,
        *,
        clock: Clock | None = None,
        workers: int = 8,
    ) -> None:
        self.store = store
        self.profiles = profiles
        self.faults = faults
        self.outbound = outbound
        self.clock = clock or Clock()
        self.workers = workers
        self.reserve = max(1, workers // 4)  # workers kept for origins that have none busy
        # Attempts are logged by one writer thread, many per transaction (group commit); a
        # delivery stays claimed until its log is committed.
        self._log: queue.Queue[_Done | None] = queue.Queue()
        self._batching = False
        self._attempting = threading.local()  # a worker's records of the delivery under way
        # Claimed deliveries wait per target origin; a worker takes the next from an origin
        # that has fewer than its fair share of the workers busy (see `_take`).
        self._claimed: dict[int, str] = {}
        self._waiting: dict[str, collections.deque[int]] = {}
        self._busy: collections.Counter[str] = collections.Counter()
        # One lock, two conditions: the dispatcher (and an advance of the clock) wait on
        # `_wake` for the log or a trigger to change what is owed; the workers wait on `_ready`
        # for claimed work. Each is woken only for its own news, not on every attempt.
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._ready = threading.Condition(self._lock)
        self._changes = 0  # news for the dispatcher, counted: none is lost while it reads
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self._worked = 0  # deliveries the workers have been through (an advance counts them)

    # life cycle -----------------------------------------------------------------------

    def start(self) -> None:
        self._stopping = False
        self._claimed.clear()
        self._waiting.clear()
        self._busy.clear()
        self._batching = True
        self._writer = threading.Thread(target=self._write, name="mock-writer", daemon=True)
        self._threads = [threading.Thread(target=self._dispatch, name="mock-dispatch", daemon=True)]
        self._threads += [
            threading.Thread(target=self._work, name=f"mock-worker-{i}", daemon=True)
            for i in range(self.workers)
        ]
        for thread in [self._writer, *self._threads]:
            thread.start()

    def stop(self) -> None:
        """Stop after the attempts under way; everything they did is logged first."""
        with self._lock:
            self._stopping = True
            self._news()
            self._ready.notify_all()
        for thread in self._threads:
            thread.join()
        if self._batching:
            self._log.put(None)
            self._writer.join()
        self._batching = False
        self._threads = []

    def _record(self, delivery_id: int, attempt: Attempt | None, **outcome: Any) -> None:
        record = Record(delivery_id, attempt, **outcome)
        made: list[Record] | None = getattr(self._attempting, "records", None)
        if made is not None:  # a worker's: logged with its release (one item per delivery)
            made.append(record)
        elif self._batching:
            self._log.put(_Done(None, [record]))
        else:
            self.store.record_attempts([record])

    def _write(self) -> None:
        while True:
            batch = [self._log.get()]
            time.sleep(GATHER_SECONDS)
            while len(batch) < 512:
                try:
                    batch.append(self._log.get_nowait())
                except queue.Empty:
                    break
            records = [r for item in batch if item is not None for r in item.records]
            try:
                if records:
                    self.store.record_attempts(records)
            except Exception:  # the rows stay owed and are tried again
                log.exception("could not log %d attempts", len(records))
            with self._lock:
                for item in batch:
                    if item is not None and item.delivery_id is not None:
                        self._claimed.pop(item.delivery_id, None)
                self._news()
            if None in batch:
                return

    def _news(self) -> None:
        """Tell the dispatcher and an advance that what is owed or claimed changed (with the
        lock held)."""
        self._changes += 1
        self._wake.notify_all()

    def wake(self) -> None:
        with self._lock:
            self._news()

    def is_processing(self, delivery_id: int) -> bool:
        """Whether a delivery is claimed by the workers (waiting for one or under way)."""
        return delivery_id in self._claimed

    # events -----------------------------------------------------------------------------

    def receives(self, subscription: Subscription) -> bool:
        """Whether a subscription gets deliveries now."""
        if subscription.active:
            return True
        return subscription.state == "pending" and Fault.SKIP_VALIDATION in self.faults

    def trigger(
        self,
        profile: Profile,
        event: str,
        payload: Callable[[Profile, Subscription | None], Any],
        headers: Mapping[str, str] | None = None,
        *,
        to: list[Subscription] | None = None,
    ) -> list[Fired]:
        """Record an event and a delivery for every subscription that receives it (`to`:
        for these, whatever their events, e.g. a ping-event handshake's ping).

        `payload(variant, subscription)` is the body for a subscription whose payloads come
        from `variant` (the profile, or the variant of its API version: `events.versions`);
        it is asked for each (once, with the profile and None, when none receives the
        event), and each distinct body is one event. The event's declared headers get values
        from their schemas; `headers` overrides them.
        """
        now = self.clock.now()
        targets = (
            to
            if to is not None
            else [
                s
                for s in self.store.subscriptions(profile.name)
                if event in s.events and self.receives(s)
            ]
        )
        bodies: list[tuple[Profile, Any, list[Subscription]]] = []
        for subscription in targets:
            variant = profile.for_subscription(subscription.object, event)
            body = payload(variant, subscription)
            same = next((b for b in bodies if b[1] == body), None)
            if same is None:
                bodies.append((variant, body, [subscription]))
            else:  # the same body for several subscriptions: one event
                same[2].append(subscription)
        if not bodies:
            bodies.append((profile, payload(profile, None), []))
        hold = Fault.OUT_OF_ORDER in self.faults
        promise = (profile.semantics.latency.max_seconds or 0.0) * self.clock.scale
        # On a virtual clock the promise is the provider's own (no scale): a hold inside it
        # would go unseen, so there the out-of-order hold starts after it.
        holding = OUT_OF_ORDER_HOLD + (promise if self.clock.virtual else 0.0)
        due = now + (holding if hold else 0.0)
        if Fault.SLOW in self.faults:
            # Past the promise however it is scaled, by as much as the out-of-order hold.
            due = max(due, now + promise + OUT_OF_ORDER_HOLD)
        fired: list[Fired] = []
        for variant, body, members in bodies:
            event_id, deliveries = self.store.add_event(
                profile.name,
                event,
                body,
                [(s.id, s.target_url, due) for s in members],
                {**event_headers(profile, event), **(headers or {})},
            )
            fired.append(Fired(event_id, variant, body, deliveries, list(members)))
        if hold:
            # A delivery waits; a newer one for the same subscription goes at once and the
            # waiting ones follow it, newest first.
            dues = {}
            made = [pair for f in fired for pair in zip(f.subscriptions, f.deliveries, strict=True)]
            for subscription, delivery_id in made:
                older = [d for d in self.store.held(subscription.id) if d != delivery_id]
                if older:
                    dues[delivery_id] = now
                for rank, held in enumerate(reversed(older), start=1):
                    dues[held] = now + rank * OUT_OF_ORDER_GAP
            self.store.reschedule(dues)
        self.wake()
        return fired

    def redeliver(self, delivery: Delivery, subscription: Subscription) -> int:
        """A new delivery of `delivery`'s event to `subscription`, due now."""
        delivery_id = self.store.redeliver(delivery.id, subscription.target_url)
        self.wake()
        return delivery_id

    def deliver_edited(self, delivery: Delivery, subscription: Subscription, payload: Any) -> int:
        """A new event of `delivery`'s type and headers carrying `payload`, delivered to
        `subscription` alone, due now."""
        target = (subscription.id, subscription.target_url, self.clock.now())
        _, made = self.store.add_event(
            delivery.profile, delivery.event_type, payload, [target], delivery.headers
        )
        self.wake()
        return made[0]

    # the virtual clock ------------------------------------------------------------------

    def advance(self, to: float, wait: float) -> Advanced:
        """Move the virtual clock to `to`, making every attempt that falls due on the way at
        the time it falls due, in schedule order: the clock stops at each due time until the
        attempts due by then are made and logged (a failed one schedules its retry from
        there), then moves to the next. Returns when the clock is at `to`, or after `wait`
        real seconds with the clock where it got to and the attempts still in flight."""
        clock = self.clock
        if not isinstance(clock, VirtualClock):
            raise TypeError("only a virtual clock is advanced")
        deadline = time.monotonic() + wait
        with self._wake:
            worked = self._worked
            while True:
                left = deadline - time.monotonic()
                if not self._wake.wait_for(self._settled, timeout=max(left, 0.0)):
                    break
                next_due = self.store.next_due()
                if next_due is None or next_due > to:
                    clock.move_to(to)
                    break
                clock.move_to(next_due)
                self._news()
            return Advanced(clock.now(), to, self._worked - worked, self._in_flight())

    def _settled(self) -> bool:
        """Nothing claimed and nothing owed that is due (with `_wake` held)."""
        if self._claimed:
            return False
        next_due = self.store.next_due()
        return next_due is None or next_due > self.clock.now()

    def _in_flight(self) -> int:
        return max(len(self._claimed), self.store.due_count(self.clock.now()))

    def in_flight(self) -> int:
        """The attempts due now and not yet logged."""
        with self._wake:
            return self._in_flight()

    # the outbox -------------------------------------------------------------------------

    def _dispatch(self) -> None:
        """Claim due deliveries for the workers, per target origin: up to `depth` at a time
        each, refilled once an origin is down to `low`, so that an origin that owes much can
        neither keep another's work from being claimed nor its database reads from batching."""
        depth, low, most = self.workers * 2, self.workers, self.workers * 64
        after: str | None = None  # where the last round of claims stopped: the next starts there
        while True:
            # The outbox is read without the lock, so that workers finishing and the writer
            # releasing claims never wait for the database; news that comes meanwhile is
            # counted, and then the dispatcher reads again instead of sleeping.
            with self._lock:
                if self._stopping:
                    return
                claimed, changes = dict(self._claimed), self._changes
            now = self.clock.now()
            room = most - len(claimed)
            due = self.store.due(now, room, depth, low, claimed, after) if room else []
            if not due:
                next_due = self.store.next_due(claimed)
                # Due, but every origin has its fill claimed: wait for a worker to finish.
                wait = 0.2 if next_due is None or next_due <= now else next_due - now
                with self._lock:
                    if self._changes == changes and not self._stopping:
                        self._wake.wait(min(max(wait, 0.001), 0.2))
                continue
            with self._lock:
                fresh = [(d, o) for d, o in due if d not in self._claimed]
                for delivery_id, origin in fresh:
                    self._claimed[delivery_id] = origin
                    self._waiting.setdefault(origin, collections.deque()).append(delivery_id)
                self._ready.notify(len(fresh))
            after = due[-1][1]

    def _take(self) -> tuple[int, str] | None:
        """The next claimed delivery whose origin may have another worker.

        Each origin with work gets `workers // origins` workers at most (one at least), and
        beyond its first only while more than `reserve` workers are free: origins come and
        go (a retry waiting for its time has no work now), so without the reserve receivers
        that hang until their deadline could take every worker between two bursts, and the
        next delivery to a healthy receiver would wait out their deadlines.
        """
        active = set(self._waiting) | {o for o, n in self._busy.items() if n}
        share = max(1, self.workers // max(len(active), 1))
        free = self.workers - sum(self._busy.values())
        for origin in list(self._waiting):
            waiting, busy = self._waiting[origin], self._busy[origin]
            if waiting and busy < share and (busy == 0 or free > self.reserve):
                # Round robin: the origin served goes to the back of the line.
                self._waiting[origin] = self._waiting.pop(origin)
                self._busy[origin] += 1
                taken = waiting.popleft()
                if not waiting:
                    del self._waiting[origin]
                return taken, origin
        return None

    def _work(self) -> None:
        while True:
            with self._lock:
                taken = self._ready.wait_for(lambda: self._stopping or self._take())
                if taken is True:
                    return
            assert isinstance(taken, tuple)
            delivery_id, origin = taken
            made: list[Record] = []
            self._attempting.records = made
            try:
                if not self._stopping:
                    self.attempt(delivery_id)
            except Exception as exc:  # a bug must neither kill the worker nor loop forever
                log.error("delivery %s failed unexpectedly: %r", delivery_id, exc)
                self._record(delivery_id, None, status="failed")
            finally:
                self._attempting.records = None
                with self._lock:
                    self._worked += 1
                    self._busy[origin] -= 1
                    if self._waiting:  # work this worker's share may have held back
                        self._ready.notify()
                self._log.put(_Done(delivery_id, made))

    def attempt(self, delivery_id: int) -> None:
        """Make the next attempt of a delivery and record it with its consequences."""
        work = self.store.work(delivery_id)
        if work is None:
            return
        delivery, subscription = work
        profile = self.profiles.get(delivery.profile)
        if subscription is None or profile is None or not self.receives(subscription):
            self._record(delivery_id, None, status="abandoned")
            return
        secret = authenticity_secret(profile, subscription, self.store)
        headers = {**subscriber_headers(profile, subscription), **delivery.headers}
        variant = profile.for_subscription(subscription.object, delivery.event_type)
        signing = signing_stamp(profile, delivery.public_id, self.faults)
        request = build_request(
            variant, delivery.event_type, delivery.payload, secret, self.faults, headers, signing
        )
        number = delivery.attempt_count + 1
        deadline = self.outbound.deadline_for(profile)
        redirects = profile.semantics.redirects
        outcome = self.outbound.send(
            subscription.target_url, request, deadline=deadline, redirects=redirects
        )
        attempt = logged_attempt(number, request, outcome, self.clock.now())
        activity.info(
            "delivery %s (%s, event %s) to %s, attempt %s: %s",
            delivery_id,
            delivery.event_type,
            delivery.event_id,
            subscription.target_url,
            number,
            _describe(attempt),
        )
        semantics = profile.semantics
        if semantics.fire_and_forget.enabled:
            self._record(delivery_id, attempt, status="delivered")
            return
        gone = semantics.gone
        if gone.ends(outcome.status_code) and Fault.IGNORE_GONE not in self.faults:
            self._gone(delivery_id, attempt, subscription, gone.action, outcome)
            return
        retry = semantics.retry
        answered = outcome.status_code is not None
        accepted = outcome.category == "2xx" or (
            retry.enabled and answered and not retry.retries(outcome.category)
        )
        if accepted:
            self._record(delivery_id, attempt, status="delivered")
            if Fault.DUPLICATE_DELIVERY in self.faults:
                again = self.outbound.send(
                    subscription.target_url, request, deadline=deadline, redirects=redirects
                )
                made = logged_attempt(number + 1, request, again, self.clock.now())
                self._record(delivery_id, made, status="delivered")
            return
        self._failed(delivery, attempt, subscription, retry)

    def _gone(
        self,
        delivery_id: int,
        attempt: Attempt,
        subscription: Subscription,
        action: str,
        outcome: Outcome,
    ) -> None:
        reason = f"gone: the endpoint answered {outcome.status_code}"
        if action == "delete":
            self._record(delivery_id, attempt, status="failed", delete_subscription=subscription.id)
        elif action == "deactivate":
            self._record(
                delivery_id,
                attempt,
                status="failed",
                subscription=(subscription.id, "inactive", reason),
            )
        else:
            self._record(delivery_id, attempt, status="failed")

    def _failed(
        self,
        delivery: Delivery,
        attempt: Attempt,
        subscription: Subscription,
        retry: RetryRule,
    ) -> None:
        number = attempt.number
        notifications = []
        if number - 1 in retry.notify_at_retries:
            notifications.append(
                (
                    subscription.id,
                    "retry-failed",
                    f"retry {number - 1} of delivery {delivery.id} to {subscription.target_url}"
                    f" failed: {_describe(attempt)}",
                )
            )
        if not retry.enabled or Fault.NO_RETRY in self.faults:
            self._record(delivery.id, attempt, status="failed", notifications=notifications)
            return
        next_due = self.clock.now() + retry.delay(number) * self.clock.scale
        # The window is measured on the schedule's own clock (the next attempt's offset from
        # the event), so the time the attempts themselves take does not shorten it.
        if not retry.exhausted(number):
            self._record(
                delivery.id,
                attempt,
                status="pending",
                next_due=next_due,
                notifications=notifications,
            )
            return
        change = None
        message = f"delivery {delivery.id} abandoned after {number} attempts"
        if retry.deactivates:
            change = (subscription.id, "inactive", f"retries exhausted after {number} attempts")
            message += "; the subscription is deactivated"
        notifications.append((subscription.id, "exhausted", message))
        self._record(
            delivery.id, attempt, status="failed", subscription=change, notifications=notifications
        )


def _describe(attempt: Attempt) -> str:
    return attempt.error or f"HTTP {attempt.status_code}"


def attempt_body(attempt: Attempt) -> Any:
    """The JSON body an attempt sent (its text when it is not JSON)."""
    text = attempt.request.get("body", "")
    try:
        return json.loads(text)
    except ValueError:
        return text
