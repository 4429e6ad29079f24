"""The receiver runner: hookconform plays the provider against a webhook endpoint.

`run_receiver(profile, options)` runs the receiver checks that apply to the profile against
`options.url` and returns a `Report`. The payloads (the profile's examples, and valid and
invalid payloads that schemathesis generates from the profile's `webhooks`) are planned per
event in a thread while the first checks already run. Requests go through one pooled client
(`harness.transport`) pinned to the address the URL resolved to when the run started, each
bounded by a total deadline; trials run on half of `--concurrency` workers, so that
R-concurrent is the check that probes the full width.

Stages, in order (`phase` in the registry): the handshakes; per event, the envelope gate and
then the payload checks; the concurrency burst; the timing check that looks back at every
answer.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from harness import checks as registry
from harness.errors import ConformanceFailure, ExchangeFailure, HarnessError, TargetUnreachable
from harness.options import ReceiverOptions
from harness.plans import EventPlan, Made, PlanBook, PlanSpec, iter_plans
from harness.profiles import Profile
from harness.report import Progress, Report, Result, now_iso, profile_block
from harness.signatures import Stamp
from harness.targets import Target, pin
from harness.text import excerpt
from harness.transport import HttpClient, TransportError
from harness.wire import WireRequest, delivery_request, event_headers


@dataclass
class Exchange:
    """One request sent and what came back: a status and body, or the error instead."""

    request: WireRequest
    url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    elapsed: float = 0.0
    error: str | None = None
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return self.status is not None and 200 <= self.status < 300

    def sent(self) -> dict[str, Any]:
        return {
            "method": self.request.method,
            "url": self.url,
            "headers": dict(self.request.headers),
            "body": excerpt(self.request.body),
        }

    def seen(self) -> dict[str, Any] | None:
        return {
            "status": self.status,
            "headers": self.headers,
            "body": excerpt(self.body, 300),
            "error": self.error,
            "elapsed": round(self.elapsed, 4),
        }


class Client:
    """One client for the whole run, pinned to the address the URL resolved to when the run
    started; never follows redirects, never retries, and gives up on an answer after
    `patience` seconds in all."""

    def __init__(self, target: Target, *, pool_size: int, patience: float) -> None:
        self.target = target
        self.patience = patience
        self.http = HttpClient(idle_per_target=pool_size)

    def send(self, request: WireRequest) -> Exchange:
        url = self.target.url
        if request.query:
            url += ("&" if "?" in url else "?") + urlencode(request.query)
        exchange = Exchange(request, url)
        try:
            answer = self.http.request(
                self.target,
                request.method,
                headers=request.headers,
                body=request.body,
                query=request.query,
                timeout=self.patience,
            )
        except TransportError as exc:
            exchange.elapsed, exchange.timed_out = exc.elapsed, exc.timed_out
            exchange.error = str(exc) if exc.timed_out else f"connection failed: {exc}"
            return exchange
        exchange.status = answer.status
        exchange.headers = dict(answer.headers)
        exchange.body = answer.body
        exchange.elapsed = answer.elapsed
        return exchange

    def close(self) -> None:
        self.http.close()


def check_reachable(target: Target, timeout: float = 5.0) -> None:
    """Raise `TargetUnreachable` unless a TCP connection to one of the target's addresses
    opens."""
    problem: OSError | None = None
    for address in target.addresses:
        try:
            with socket.create_connection((address, target.port), timeout=timeout):
                return
        except OSError as exc:
            problem = exc
    reason = problem.strerror or problem if problem else "no address"
    raise TargetUnreachable(f"cannot reach {target.url}: {reason}")


# --- the run -------------------------------------------------------------------------------


class Skip(Exception):
    """Raised by a check that cannot judge this case (e.g. no --secret for an optional rule)."""


class ReceiverRun:
    """What every trial shares: the profile, the settings, the client and the payload plan."""

    def __init__(
        self,
        profile: Profile,
        options: ReceiverOptions,
        client: Client,
        plans: PlanBook,
    ) -> None:
        self.profile = profile
        self.options = options
        self.secret = options.secret
        self.client = client
        self.plans = plans
        self.timeout = _timeout(profile, options)
        self.held = frozenset({"timeout"} if options.timeout is not None else ())
        self.results: dict[tuple[str, str | None], Result] = {}
        self._exchanges: dict[str | None, list[Exchange]] = {}
        self.lock = threading.Lock()
        self._memo: dict[Any, Any] = {}
        self._memo_locks: dict[Any, threading.Lock] = {}

    def once(self, key: Any, compute: Callable[[], Any]) -> tuple[Any, bool]:
        """`compute()`'s value for `key`, computed by the first caller only; and whether this
        caller computed it."""
        with self.lock:
            lock = self._memo_locks.setdefault(key, threading.Lock())
        with lock:
            if key in self._memo:
                return self._memo[key], False
            self._memo[key] = compute()
            return self._memo[key], True

    def headers_for(self, event: str) -> dict[str, str]:
        """The headers the provider sends with every `event` delivery (its event name, ...)."""
        found, _ = self.once(("event-headers", event), lambda: event_headers(self.profile, event))
        return dict(found)

    def record(self, event: str | None, exchange: Exchange) -> None:
        with self.lock:
            self._exchanges.setdefault(event, []).append(exchange)

    def exchanges(self, event: str | None) -> list[Exchange]:
        """Every exchange made so far for `event`, by any check."""
        with self.lock:
            return list(self._exchanges.get(event, []))

    def passed(self, check_id: str, event: str | None) -> bool | None:
        """Whether `check_id` passed for `event`; None when it did not run."""
        result = self.results.get((check_id, event))
        return None if result is None else result.status == "passed"


class _RunSecret:
    """The default of `Trial.request(secret=...)`: the secret the run was given."""


RUN_SECRET = _RunSecret()


class Trial:
    """One check on one event (or on the profile): what a check function is given."""

    def __init__(self, run: ReceiverRun, check: registry.Check, event: str | None) -> None:
        self.run = run
        self.check = check
        self.event = event
        self.profile = run.profile
        self.sent = 0
        self.source = check.source_for(run.profile)

    @property
    def plan(self) -> EventPlan:
        assert self.event is not None, f"{self.check.id} is a profile-wide check"
        return self.run.plans[self.event]

    def send(self, request: WireRequest, *, event: str | None = None) -> Exchange:
        """Send `request` to the receiver and remember the exchange for `event` (default: ours)."""
        exchange = self.run.client.send(request)
        self.run.record(event or self.event, exchange)
        self.sent += 1
        return exchange

    def request(
        self,
        payload: Any,
        *,
        secret: str | _RunSecret | None = RUN_SECRET,
        extra_headers: dict[str, str] | None = None,
        signing: Stamp | None = None,
        event: str | None = None,
    ) -> WireRequest:
        """The delivery of `payload` as the provider sends it for `event` (default: the
        trial's) with the event's declared headers, the run's secret by default, and a
        signature over `signing` (by default a fresh id and the present)."""
        event = event or self.event
        headers = self.run.headers_for(event) if event else {}
        return delivery_request(
            self.profile,
            payload,
            secret=self.run.secret if isinstance(secret, _RunSecret) else secret,
            extra_headers={**headers, **(extra_headers or {})},
            signing=signing,
        )

    def deliver(self, payload: Any, **kwargs: Any) -> Exchange:
        return self.send(self.request(payload, **kwargs))

    def expect(
        self,
        exchange: Exchange,
        accepted: Callable[[Exchange], bool],
        failure: type[ExchangeFailure],
        expected: str,
    ) -> None:
        """Raise `failure` unless `accepted(exchange)`."""
        if not accepted(exchange):
            raise failure(
                request=exchange.sent(),
                response=exchange.seen(),
                expected=expected,
                source=self.source,
            )

    def skip(self, reason: str) -> None:
        raise Skip(reason)

    def once(self, key: Any, send_all: Callable[[], list[tuple[str, Exchange]]]) -> Any:
        """Exchanges that several checks judge, sent by whichever trial asks first."""
        exchanges, computed = self.run.once(key, send_all)
        if not computed:
            self.sent += len(exchanges)
        return exchanges


def run_receiver(
    profile: Profile,
    options: ReceiverOptions,
    *,
    progress: Progress | None = None,
) -> Report:
    """Run the receiver suite for `profile` against `options.url` and report what it found.

    Raises `HarnessError` for bad options and `TargetUnreachable` when nothing listens at the
    URL before any check ran.
    """
    progress = progress or Progress(enabled=False)
    target = pin(options.url)
    if options.max_examples < 1 or options.concurrency < 1:
        raise HarnessError("--max-examples and --concurrency must be at least 1")
    if options.timeout is not None and options.timeout <= 0:
        raise HarnessError("--timeout must be more than 0 seconds")
    events = list(options.events) or list(profile.events)
    for event in events:
        profile.event(event)
    chosen = registry.select(
        registry.registered("receiver", profile), options.checks, options.exclude_checks
    )
    check_secret(profile, options.secret)
    timeout = _timeout(profile, options)
    # Checks other than R-responds-in-time judge the answer, not its speed: they wait longer.
    patience = max(2 * timeout, timeout + 5.0)
    check_reachable(target, timeout=min(patience, 5.0))

    started, clock = now_iso(), time.perf_counter()
    plans = PlanBook(events)
    cache_dir = None if options.no_cache else Path(options.cache_dir)
    spec = PlanSpec(
        secret=options.secret,
        max_examples=options.max_examples,
        concurrency=options.concurrency,
        seed_value=options.seed,
        negatives=any(c.id in NEGATIVE_CHECKS for c in chosen),
        cache_dir=cache_dir,
    )
    made = Made()
    planned = iter_plans(profile, events, spec, made)
    client = Client(target, pool_size=options.concurrency, patience=patience)
    run = ReceiverRun(profile, options, client, plans)
    units = [(c, e) for c in chosen for e in ([None] if c.scope == "profile" else events)]
    progress.stage(
        f"running {len(units)} checks x events against {options.url}"
        f" ({_address(target)})"
        f" (payloads for {len(events)} event(s) generated on the way)"
    )
    progress.start(len(units))
    generator = threading.Thread(
        target=plans.fill, args=(planned, progress), name="hookconform-plans", daemon=True
    )
    generator.start()
    workers = max(1, options.concurrency // 2)
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hookconform") as pool:
            for stage in _stages(chosen):
                batches = _batches(stage, events)
                # list(): wait for the whole stage, and re-raise what a worker raised
                list(pool.map(lambda b: [_run_one(run, c, e, progress) for c, e in b], batches))
    finally:
        generator.join()
        client.close()
    if isinstance(plans.error, HarnessError):
        raise plans.error
    if plans.error is not None:  # e.g. Hypothesis finds no payload a schema allows
        error = plans.error
        raise HarnessError(f"cannot generate payloads: {type(error).__name__}: {error}")
    progress.finish()
    progress.stage(made.line() + (f" ({cache_dir}/)" if cache_dir else " (no cache)"))
    ordered = [run.results[(c.id, e)] for c, e in sorted(units, key=lambda u: u[0].id)]
    return Report(
        suite="receiver",
        profile=profile_block(profile),
        target=options.url,
        settings={
            "events": events,
            "checks": [c.id for c in chosen],
            "max_examples": options.max_examples,
            "address": _address(target),
            "timeout_seconds": timeout,
            "concurrency": options.concurrency,
            "seed": options.seed,
            "payload_cache": str(cache_dir) if cache_dir else None,
        },
        results=ordered,
        started=started,
        duration=time.perf_counter() - clock,
    )


def _address(target: Target) -> str:
    """Where the run's requests go: the address the URL's host resolved to, and its port."""
    shown = ", ".join(f"[{a}]" if ":" in a else a for a in target.addresses)
    return f"{shown}:{target.port}"


# How long the harness waits for an answer when the provider waits indefinitely: a run must
# end, and an endpoint that needs longer is broken for any practical sender.
NO_TIMEOUT_WAIT = 30.0


def _timeout(profile: Profile, options: ReceiverOptions) -> float:
    """The provider's timeout: `--timeout`, else the profile's `timeout.seconds` (30 s when
    the provider has none)."""
    if options.timeout is not None:
        return options.timeout
    seconds = profile.semantics.timeout.seconds
    return NO_TIMEOUT_WAIT if seconds is None else seconds


# Checks that send negative payloads: the plan generates them only when one of these runs.
NEGATIVE_CHECKS = ("R-malformed-input", "R-rejects-malformed")


def _stages(chosen: Sequence[registry.Check]) -> list[list[registry.Check]]:
    """The checks in stages, by phase; consecutive per-event phases make one stage, in which
    each event goes through the phases in order without waiting for the other events."""
    stages: list[list[registry.Check]] = []
    for phase in sorted({c.phase for c in chosen}):
        checks = [c for c in chosen if c.phase == phase]
        per_event = all(c.scope == "event" for c in checks)
        previous = stages[-1] if stages else []
        if per_event and previous and all(c.scope == "event" for c in previous):
            previous.extend(checks)
        else:
            stages.append(checks)
    return stages


def _batches(
    stage: Sequence[registry.Check], events: Sequence[str]
) -> list[list[tuple[registry.Check, str | None]]]:
    """What the workers run for a stage: per event, its checks in phase order (so a check
    sees what it `requires` for that event); a profile-wide check alone."""
    batches: list[list[tuple[registry.Check, str | None]]] = [
        [(c, None)] for c in stage if c.scope == "profile"
    ]
    ordered = sorted((c for c in stage if c.scope == "event"), key=lambda c: c.phase)
    if ordered:
        batches += [[(c, event) for c in ordered] for event in events]
    return batches


def check_secret(profile: Profile, secret: str | None) -> None:
    """Refuse a run without the secret the profile needs, or with one it cannot sign with."""
    rule = profile.semantics.authenticity
    if rule.secret_required and secret is None:
        raise HarnessError(
            f"profile {profile.name!r} needs --secret: the value your receiver expects "
            f"({rule.kind} at {rule.where})"
        )
    problem = rule.secret_problem(secret) if secret is not None else None
    if problem:
        raise HarnessError(f"--secret cannot sign profile {profile.name!r}: {problem}")


def _blocker(run: ReceiverRun, check: registry.Check, event: str | None) -> str | None:
    """Why `check` cannot run for `event`: a required check failed there (or everywhere)."""
    for required in check.requires:
        if event is not None and run.passed(required, event) is False:
            return f"{required} failed for this event"
        if event is None:
            with run.lock:
                outcomes = [
                    r.status == "passed" for (c, _), r in run.results.items() if c == required
                ]
            if outcomes and not any(outcomes):
                return f"{required} failed for every event"
    return None


def _run_one(
    run: ReceiverRun, check: registry.Check, event: str | None, progress: Progress
) -> Result:
    level = check.level_for(run.profile, run.held)
    result = Result(
        check=check.id,
        level=level,
        declared_level=check.level,
        summary=check.summary,
        source=check.source_for(run.profile),
        event=event,
    )
    blocker = _blocker(run, check, event)
    if blocker:
        result.status, result.reason = "blocked", blocker
        return _record(run, result, progress)
    trial = Trial(run, check, event)
    started = time.perf_counter()
    try:
        check.function(trial)
    except Skip as exc:
        result.status, result.reason = "skipped", str(exc)
    except ConformanceFailure as exc:
        result.status = "failed"
        result.failures.append(exc)
    except Exception as exc:  # a bug in a check: report it, do not lose the run
        result.status, result.reason = "error", f"{type(exc).__name__}: {exc}"
    result.duration = time.perf_counter() - started
    result.sent = trial.sent
    return _record(run, result, progress)


def _record(run: ReceiverRun, result: Result, progress: Progress) -> Result:
    """Keep `result` where later checks of the same event look (`requires`)."""
    with run.lock:
        run.results[(result.check, result.event)] = result
    progress.advance(result.name)
    return result
