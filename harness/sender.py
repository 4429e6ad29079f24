"""The sender suite's run context: the harness plays the receiver of a webhook sender.

A run holds the capture server (each subscription under test gets its own path on it), the
way to make subscriptions (the sender's subscription API from the profile, a hookconform mock
provider's control API for settings-screen providers, or a user's `--subscribe-cmd`), the way
to make the sender emit an event (`--trigger CMD`, `--trigger-url URL`, or the mock's control
API when `--api` is a mock), and the clock: every window and delay the profile promises is
multiplied by the time scale the sender runs on, or, when `--api` is a hookconform mock on
a virtual clock, the suite advances that clock instead of waiting (harness.virtual_clock).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import secrets
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from harness import checks as registry
from harness import pointers
from harness.answering import HandshakeAnswers
from harness.capture import CapturedRequest, CaptureServer, Reply
from harness.errors import (
    ApiCallFailed,
    ConformanceFailure,
    DeliveryMissing,
    HandshakeMissing,
    HarnessError,
    SubscriptionRefused,
    TargetUnreachable,
)
from harness.mock_client import MockClient, WebhookRefused, mock_credentials
from harness.options import SenderOptions
from harness.profiles import Profile
from harness.report import Interrupted, Progress, Report, Result, now_iso, profile_block
from harness.subscriber import ApiResponse, ApiSubscription, SubscriptionClient
from harness.targets import Target, pin
from harness.transport import HttpClient, TransportError, call_json
from harness.virtual_clock import VirtualClock

SUCCESS = 200
GONE = (404, 410)  # a delete that finds nothing to delete: it is gone already
# How long to wait for a delivery when the profile promises no latency and --window is not
# given: long enough for a sender that queues its deliveries, short enough that a missing one
# costs a run seconds, not minutes.
DEFAULT_WINDOW = 10.0
# On a virtual clock, how long (real seconds) to wait for a request the advance did not bring:
# the advance returns once the mock has its answer, and the capture server records a request
# before it answers, so what was due is there already; this is only a grace for the rest.
ARRIVED = 0.5


class Blocked(Exception):
    """A check cannot judge: what it needed is missing, and another result says why."""


@dataclass
class Cleanup:
    """What the run made on the sender and whether it is gone again."""

    created: int = 0
    deleted: int = 0
    gone: int = 0  # already gone when deleted: the sender or a fuzzed DELETE removed it
    left: list[str] = field(default_factory=list)  # each: what it is and why it stayed
    _live: set[str] = field(default_factory=set, repr=False)  # made and not yet removed

    def made(self, key: str) -> bool:
        """Count a subscription the run made, once (a get-or-create answering one the run
        holds already is the same one); whether it is new."""
        if key in self._live:
            return False
        self._live.add(key)
        self.created += 1
        return True

    def removed(self, key: str, status: int) -> None:
        """Count a delete's answer once per subscription made: deleted, or already gone."""
        if key not in self._live or not (200 <= status < 300 or status in GONE):
            return
        self._live.discard(key)
        if status in GONE:
            self.gone += 1
        else:
            self.deleted += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "deleted": self.deleted,
            "gone": self.gone,
            "left": list(self.left),
        }


@dataclass
class Handle:
    """A subscription the run made: where its deliveries arrive and what it was given."""

    event: str
    path: str
    url: str
    secret: str | None
    subscription: ApiSubscription | None = None  # through a subscription API
    webhook_id: Any = None  # through a mock's control API
    created: ApiResponse | None = None
    handshakes: int = 0  # requests to the path that were handshakes, not deliveries
    pinged: CapturedRequest | None = None  # the ping a ping-event handshake sent
    taken: int = 0  # deliveries a check has waited for: what arrives beyond them is extra


@dataclass
class Sample:
    """The first delivery of an event, and when it was triggered."""

    handle: Handle
    request: CapturedRequest | None
    triggered: float
    reported_by: str | None = None  # the check that failed on its absence

    @property
    def latency(self) -> float | None:
        return max(0.0, self.request.arrived - self.triggered) if self.request else None


def validation_secrets(profile: Profile, request: CapturedRequest) -> dict[str, Any]:
    """The secret a validation request carries, by where the handshake kind puts it."""
    rule = profile.semantics.handshake
    found: dict[str, Any] = {}
    if "query" in rule.secret_in and rule.query_param:
        found["query"] = parse_qs(request.query).get(rule.query_param, [None])[0]
    if "body" in rule.secret_in and rule.body_pointer:
        try:
            found["body"] = pointers.get(request.json(), rule.body_pointer)
        except (ValueError, *pointers.MISSING):
            found["body"] = None
    return found


def _capture_server(host: str) -> CaptureServer:
    try:
        return CaptureServer(host=host)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise HarnessError(f"cannot listen on --callback-host {host}: {reason}") from None


class SenderRun:
    """Everything a sender check needs: subscribe, trigger, watch, with the scaled clock."""

    def __init__(self, profile: Profile, options: SenderOptions) -> None:
        self.profile = profile
        self.options = options
        self._names = itertools.count(1)
        self._handles: list[Handle] = []
        self._samples: dict[str, Sample] = {}
        self._owed: list[ApiSubscription] = []  # still to delete at the end (`sweep`)
        self.cleaned = Cleanup()
        self.notes: list[str] = []  # what the running check did not do, and why
        self.check_id = ""  # the check now running
        self.attempt_timeout = options.attempt_timeout
        self.http = HttpClient()
        try:
            self._connect(profile, options)
            # Last, so that a refusal above leaves no listening socket behind.
            self.capture = _capture_server(options.callback_host)
            if self.virtual is not None:
                self.capture.clock = self.virtual.now
            self.answers = HandshakeAnswers(profile, lambda: self.handshake_secret)
            self.capture.handshake = self.answers
        except BaseException:
            self.http.close()
            raise

    def _connect(self, profile: Profile, options: SenderOptions) -> None:
        """Find out whether `--api` is a mock, build the subscription client, and refuse to
        start when there is no way to subscribe or to trigger."""
        # Pinned once: every call goes to the addresses the names had when the run started.
        self.api = pin(options.api) if options.api else None
        self.trigger_target = pin(options.trigger_url) if options.trigger_url else None
        self.mock = MockClient.detect(self.api, self.http) if self.api else None
        self.virtual = VirtualClock.detect(self.mock) if self.mock is not None else None
        if self.virtual is not None and options.time_scale != 1.0:
            raise HarnessError(
                f"--time-scale does not apply: the mock at {options.api} runs a virtual clock,"
                " which the suite advances itself"
            )
        self.mock_profile = self._mock_profile()
        headers, basic_auth = dict(options.headers), options.basic_auth
        if self.mock is not None and not headers and not basic_auth:
            headers, basic_auth = mock_credentials(profile)
        self.client = (
            SubscriptionClient(
                profile, self._api_base(), headers=headers, basic_auth=basic_auth, http=self.http
            )
            if profile.semantics.subscription.managed_by_api and options.api
            else None
        )
        self._check_can_run()

    # Lifecycle.

    def __enter__(self) -> SenderRun:
        self.capture.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.cleanup()
            self.sweep()
        finally:
            self.capture.stop()
            self.http.close()

    def _mock_profile(self) -> str | None:
        if self.mock is None:
            return None
        listed = self.mock.checked("GET", "/profiles")["profiles"]
        names = [p["name"] for p in listed]
        if self.profile.name not in names and len(names) != 1:
            raise HarnessError(
                f"the mock at {self.mock.url} serves {', '.join(names)}, not {self.profile.name!r}"
            )
        return self.profile.name if self.profile.name in names else names[0]

    def _api_base(self) -> Target:
        """The subscription API's base: a mock serving several profiles mounts each under
        `/<profile>/`."""
        assert self.api is not None
        base = self.api.path.split("?")[0].rstrip("/")
        if self.mock is not None and base == self.mock.root.path:
            listed = self.mock.checked("GET", "/profiles")["profiles"]
            if len(listed) > 1:
                return self.api.with_path(f"{base}/{self.mock_profile}")
        return self.api.with_path(base)

    def _check_can_run(self) -> None:
        by_api = self.profile.semantics.subscription.managed_by_api
        if by_api and not self.options.api:
            raise HarnessError("--api URL is needed: the sender's subscription API base URL")
        if not by_api and not (self.mock or self.options.subscribe_cmd):
            raise HarnessError(
                f"profile {self.profile.name!r} is configured in a settings screen: pass "
                "--subscribe-cmd, or a hookconform mock provider as --api"
            )
        if not (self.mock or self.options.trigger_cmd or self.options.trigger_url):
            raise HarnessError(
                "no way to make the sender emit events: pass --trigger CMD or --trigger-url "
                "URL (not needed when --api is a hookconform mock provider)"
            )

    def cleanup(self) -> None:
        """Delete what the run subscribed so far. A subscription the API would not delete is
        tried again at the end (`sweep`); what cannot be deleted at all is noted in
        `cleaned.left`."""
        for handle in reversed(self._handles):  # the same one twice: the second is a 404
            try:
                answer = self.unsubscribe(handle)
            except (HarnessError, ConformanceFailure) as exc:
                answer, failure = None, str(exc)
            else:
                failure = "" if answer is None or answer.ok else f"answered {answer.status}"
                if answer is not None and answer.status in GONE:
                    failure = ""
            if failure and handle.subscription is not None:
                self._owed.append(handle.subscription)
            elif failure:
                self.cleaned.left.append(f"{self._named(handle)}: {failure}")
        self._handles.clear()

    def sweep(self) -> None:
        """At the end: delete what is still owed, and every subscription the sender lists
        whose target is this run's capture server, whoever made it (the fuzzer's creates)."""
        if self.client is None:
            return
        mine = self.capture.url_for("")
        owed = {str(s.id): s for s in self._owed}
        if self.client.can("list"):
            with contextlib.suppress(HarnessError, ConformanceFailure):
                _, listed = self.client.list()
                for found in listed:
                    if str(found.target_url).startswith(mine) and str(found.id) not in owed:
                        owed[str(found.id)] = found
                        self.cleaned.made(f"api:{found.id}")  # if the run did not see it made
        for subscription in owed.values():
            shown = f"subscription {subscription.id} ({subscription.target_url})"
            try:
                answer = self.client.delete(subscription)
            except (HarnessError, ConformanceFailure) as exc:
                self.cleaned.left.append(f"{shown}: {exc}")
                continue
            self.cleaned.removed(f"api:{subscription.id}", answer.status)
            if not answer.ok and answer.status not in GONE:
                self.cleaned.left.append(f"{shown}: delete answered {answer.status}")
        self._owed.clear()

    def made(self, subscription: ApiSubscription) -> None:
        """Note a subscription something other than `subscribe` made (the fuzzer's creates):
        the sweep deletes it."""
        if self.cleaned.made(f"api:{subscription.id}"):
            self._owed.append(subscription)

    def note(self, text: str) -> None:
        """Say what the running check leaves out and why (shown with its result)."""
        self.notes.append(text)

    @staticmethod
    def _key(handle: Handle) -> str:
        """What tells the handle's subscription from the others the run made."""
        if handle.subscription is not None:
            return f"api:{handle.subscription.id}"
        if handle.webhook_id is not None:
            return f"mock:{handle.webhook_id}"
        return f"cmd:{handle.url}"

    @staticmethod
    def _named(handle: Handle) -> str:
        made = handle.subscription.id if handle.subscription else handle.webhook_id
        return f"subscription {made} ({handle.url})" if made is not None else handle.url

    # The clock.

    def scaled(self, seconds: float) -> float:
        return seconds * self.options.time_scale

    @property
    def exact(self) -> bool:
        """Whether time is the mock's virtual clock: schedules are checked with no slack."""
        return self.virtual is not None

    def now(self) -> float:
        """The time on the run's clock (monotonic, or the mock's virtual time)."""
        return self.virtual.now() if self.virtual is not None else time.monotonic()

    @property
    def window(self) -> float:
        """How long to wait for something that should arrive (or should not)."""
        if self.options.window is not None:
            return self.options.window
        promise = self.profile.semantics.latency.max_seconds
        if promise is None:
            return DEFAULT_WINDOW
        return max(self.scaled(promise), 1.0)

    @property
    def window_from(self) -> str:
        """Where `window` comes from, in words (the report says it)."""
        if self.options.window is not None:
            return "--window"
        if self.profile.semantics.latency.max_seconds is None:
            return "the default: the profile promises no latency (--window to change it)"
        return "the profile's latency promise, scaled (at least 1 s)"

    @property
    def quiet_window(self) -> float:
        """How long to watch for something that must not arrive. On a virtual clock: the
        window and the whole retry schedule after it, which costs nothing to pass."""
        if self.virtual is not None:
            retry = self.profile.semantics.retry
            if not self.profile.semantics.retries_apply:
                return self.window
            return self.window + (retry.window_seconds or retry.offset(retry.max_attempts or 1))
        return min(self.window, 1.0) if self.options.window is None else self.options.window

    # Events.

    def events(self) -> list[str]:
        chosen = list(self.options.events) or list(self.profile.events)
        for name in chosen:
            self.profile.event(name)
        return chosen

    # Subscribing.

    def subscribe(
        self,
        event: str,
        *,
        replies: list[Reply | int] | None = None,
        secret: str | None = "generate",
        activate: bool = True,
        echo: bool = True,
        handshake_status: int | None = None,
        path: str | None = None,
        answer: bool = True,
    ) -> Handle:
        """Subscribe a fresh capture path (or `path`, to subscribe the same URL again) to
        `event`.

        `replies` scripts the path's answers to deliveries (then 200). What the handshake kind
        needs comes first: the answer to the X-Hook-Secret request while the create call is
        open (`echo`, `handshake_status`), the right answer to a challenge (a wrong one
        without `answer`), and, with `activate`, the validation of a secret-confirmation
        webhook. A ping-event handshake's ping is waited for (within the window) and counted
        as a handshake request (`Handle.pinged`).
        """
        path = path or f"{self.profile.name}-{next(self._names)}"
        url = self.capture.url_for(path)
        handshake = self.profile.semantics.handshake
        if not answer:
            self.answers.wrong.add("/" + path.strip("/"))
        script: list[Reply | int] = []
        if handshake.echo and self.client is not None:
            status = handshake_status or handshake.accept_statuses[0]
            script.append(Reply(status, echo=(handshake.header or "",) if echo else ()))
        if handshake.confirmation and activate:
            script.append(SUCCESS)
        self.capture.script([*script, *(replies or [])], path=path)
        if secret == "generate":
            secret = self._secret_for()
        handle = Handle(event=event, path=path, url=url, secret=secret)
        if self.client is not None:
            response, made = self.client.create(
                event, url, secret=self._subscription_secret(secret)
            )
            handle.created, handle.subscription = response, made
            if not response.ok:
                raise SubscriptionRefused(
                    "the sender refused a valid subscription",
                    api=response.summary(),
                    status=response.status,
                    expected="a 2xx answer with the new subscription",
                )
        elif self.options.subscribe_cmd:
            self._run(self.options.subscribe_cmd, event=event, url=url, secret=secret)
        else:
            handle.webhook_id = self._mock_webhook(event, url, secret)
        self.cleaned.made(self._key(handle))
        self._handles.append(handle)
        handle.handshakes = len(self.capture.requests_for(path))
        if handshake.echo and handle.handshakes:
            # The handshake's secret is the shared secret from then on (Asana's X-Hook-Secret
            # keys X-Hook-Signature): the sender chose it, not the harness.
            handle.secret = self.capture.requests_for(path)[0].header(handshake.header or "")
        elif handshake.echo and script:
            self.capture.script(replies or [], path=path)  # no handshake came: deliveries first
        if handshake.confirmation and activate:
            self.validate(handle)
        if handshake.pings:
            with contextlib.suppress(TimeoutError):
                handle.pinged = self.arrivals(handle, handle.handshakes + 1)[-1]
                handle.handshakes += 1
        return handle

    def validate(self, handle: Handle) -> CapturedRequest:
        """Press "validate" and confirm the secret the endpoint received (through the mock).

        Returns the validation request; `HandshakeMissing` when none comes or it carries no
        secret where the profile says, `ApiCallFailed` when the confirmation is refused.
        """
        rule = self.profile.semantics.handshake
        if self.mock is None:
            raise HarnessError(
                "validating a webhook is a person's action in the provider's settings screen: "
                "pass a hookconform mock provider as --api to drive it"
            )
        before = len(self.received(handle))
        self.mock.checked("POST", f"/webhooks/{handle.webhook_id}/validate")
        try:
            request = self.arrivals(handle, before + 1)[before]
        except TimeoutError:
            raise HandshakeMissing(
                "no validation request arrived after pressing validate",
                expected=f"a {rule.method} carrying the secret to {handle.url}",
            ) from None
        found = validation_secrets(self.profile, request)
        missing = [where for where, value in found.items() if not value]
        if missing:
            raise HandshakeMissing(
                f"the validation request has no secret in its {' and '.join(missing)}",
                arrived=request,
                expected=f"the secret in the {' and '.join(rule.secret_in)}",
            )
        secret = next(iter(found.values()))
        status, answer = self.mock.call(
            "POST", f"/webhooks/{handle.webhook_id}/confirm", {"secret": secret}
        )
        if status != 200:
            raise ApiCallFailed(
                "confirming with the secret the endpoint received failed",
                api=f"{status} {answer}",
                status=status,
                expected="200 and the webhook active",
            )
        handle.handshakes = len(self.received(handle))
        return request

    def sampled(self, event: str) -> CapturedRequest:
        """The shared delivery of `event`. When none came, the first check to ask fails with
        `DeliveryMissing`; the others are `Blocked`, pointing at it."""
        sample = self.sample(event)
        if sample.request is not None:
            return sample.request
        if sample.reported_by is not None and sample.reported_by != self.check_id:
            raise Blocked(f"no delivery of {event} arrived (see {sample.reported_by}[{event}])")
        sample.reported_by = self.check_id
        raise DeliveryMissing(
            f"nothing arrived within {self.window:g} s of triggering {event}",
            expected=f"a delivery of {event}",
        )

    def sample(self, event: str) -> Sample:
        """One delivery of `event` to a fresh subscription, shared by the per-event checks."""
        if event not in self._samples:
            handle = self.subscribe(event)
            # The event happened when the trigger returned, not when it was asked for: the
            # time a trigger takes (a mock generating the payload, a sender's handler saving
            # the change) is not delivery latency. A delivery sent during the trigger counts
            # as at once.
            self.trigger(handle)
            triggered = self.now()
            try:
                request = self.deliveries(handle, 1)[0]
            except TimeoutError:
                request = None
            self._samples[event] = Sample(handle, request, triggered)
            self.unsubscribe(handle)
        return self._samples[event]

    @functools.cached_property
    def handshake_secret(self) -> str | None:
        """The secret a challenge is answered with (asked once, while the first is open)."""
        return self._secret_for()

    def _secret_for(self) -> str | None:
        """The secret to subscribe with: what the authenticity kind takes from a subscription."""
        rule = self.profile.semantics.authenticity
        if rule.account_setting is not None:
            return self.account_secret(rule.account_setting)
        if rule.per_subscription:
            return f"hc-{secrets.token_hex(6)}"
        return None

    def _subscription_secret(self, secret: str | None) -> str | None:
        return secret if self.profile.semantics.authenticity.per_subscription else None

    def account_secret(self, setting: str) -> str | None:
        """An account-wide value (HireHop's export key): --secret, or the mock's setting."""
        if self.options.secret is not None:
            return self.options.secret
        if self.mock is not None:
            status, answer = self.mock.call("GET", "/settings")
            if status == 200 and isinstance(answer, dict):
                value = answer.get("settings", {}).get(self.mock_profile or "", {}).get(setting)
                return str(value) if value is not None else None
        return None

    def _mock_webhook(self, event: str, url: str, secret: str | None) -> Any:
        """A webhook made as a person would in the settings screen, through the mock."""
        assert self.mock is not None  # _check_can_run made sure of a way to subscribe
        assert self.mock_profile is not None
        try:
            return self.mock.create_webhook(self.profile, self.mock_profile, event, url, secret)[
                "id"
            ]
        except WebhookRefused as refused:
            raise SubscriptionRefused(
                "the mock refused the webhook", api=str(refused), status=refused.status
            ) from None

    def move(self, handle: Handle) -> Handle:
        """Point the handle's subscription at a new capture path; the handle for the new URL."""
        path = f"{handle.path}-moved"
        moved = Handle(
            event=handle.event,
            path=path,
            url=self.capture.url_for(path),
            secret=handle.secret,
            subscription=handle.subscription,
            webhook_id=handle.webhook_id,
        )
        if self.client is not None and handle.subscription is not None:
            answer = self.client.update(handle.subscription, target_url=moved.url)
            if not answer.ok:
                raise ApiCallFailed(
                    "changing the target URL failed",
                    api=answer.summary(),
                    status=answer.status,
                    expected="2xx",
                )
        elif self.mock is not None:
            self.mock.checked("PATCH", f"/webhooks/{handle.webhook_id}", {"url": moved.url})
        else:
            raise HarnessError("changing a URL needs the subscription API or the mock")
        self._handles = [moved if h is handle else h for h in self._handles]
        return moved

    def unsubscribe(self, handle: Handle) -> ApiResponse | None:
        """Delete the handle's subscription; the API's answer (None: not made through it)."""
        if handle in self._handles:
            self._handles.remove(handle)
        if self.client is not None and handle.subscription is not None:
            answer = self.client.delete(handle.subscription)
            self.cleaned.removed(self._key(handle), answer.status)
            return answer
        if self.mock is not None and handle.webhook_id is not None:
            status, _ = self.mock.call("DELETE", f"/webhooks/{handle.webhook_id}")
            self.cleaned.removed(self._key(handle), status)
            return None
        if self.options.subscribe_cmd:
            self.cleaned.left.append(
                f"{handle.url} ({handle.event}): made by --subscribe-cmd, which hookconform "
                "cannot undo; remove it in the sender"
            )
        return None

    def state(self, handle: Handle) -> ApiSubscription | None:
        """The subscription as the sender shows it now; None when it is gone."""
        if self.client is not None and handle.subscription is not None:
            return self.client.find(handle.subscription)
        if self.mock is not None:
            status, answer = self.mock.call("GET", "/subscriptions")
            for item in answer.get("subscriptions", []) if status == 200 else []:
                if str(item.get("id")) == str(handle.webhook_id):
                    return ApiSubscription(
                        item["id"], handle.event, item.get("target_url", ""), item.get("active")
                    )
        return None

    # Triggering.

    def trigger(self, handle: Handle) -> None:
        """Make the sender emit `handle.event` once."""
        if self.options.trigger_cmd:
            self._run(self.options.trigger_cmd, event=handle.event, handle=handle)
        elif self.trigger_target is not None:
            try:
                answer = call_json(
                    self.http, self.trigger_target, "POST", body={"type": handle.event}, timeout=30
                )
            except TransportError as exc:
                raise HarnessError(f"--trigger-url {self.options.trigger_url}: {exc}") from None
            if not 200 <= answer.status < 300:
                raise HarnessError(
                    f"--trigger-url {self.options.trigger_url} answered {answer.status}"
                )
        else:
            assert self.mock is not None  # _check_can_run made sure of a way to trigger
            self.mock.checked(
                "POST", "/events", {"profile": self.mock_profile, "type": handle.event}
            )

    def _run(self, command: str | None, **values: Any) -> None:
        handle: Handle | None = values.get("handle")
        env = {
            **os.environ,
            "HOOKCONFORM_EVENT": values["event"],
            "HOOKCONFORM_PROFILE": self.profile.name,
            "HOOKCONFORM_URL": values.get("url") or (handle.url if handle else ""),
            "HOOKCONFORM_SECRET": values.get("secret") or (handle.secret if handle else "") or "",
            "HOOKCONFORM_SUBSCRIPTION": json.dumps(
                handle.subscription.raw if handle and handle.subscription else {}
            ),
        }
        done = subprocess.run(
            command or "", shell=True, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise HarnessError(
                f"command {command!r} exited {done.returncode}: {done.stderr.strip()[:300]}"
            )

    # Watching.

    def arrivals(
        self, handle: Handle, count: int, timeout: float | None = None
    ) -> list[CapturedRequest]:
        """The first `count` requests to the handle's path; TimeoutError when they do not come.
        On a virtual clock the attempts due now are made first, then, if they are not enough,
        the clock is advanced by `timeout` (by then whatever was due has arrived)."""
        timeout = timeout or self.window
        if self.virtual is not None:
            for step in (0.0, timeout):
                self.virtual.advance(step)
                if len(self.capture.requests_for(handle.path)) >= count:
                    break
        timeout = self.patience(timeout)
        return self.capture.wait_for(count, timeout, path=handle.path)[:count]

    def deliveries(
        self, handle: Handle, count: int, timeout: float | None = None
    ) -> list[CapturedRequest]:
        """The first `count` deliveries (handshake requests left out); TimeoutError when late."""
        wanted = handle.handshakes + count
        found = self.arrivals(handle, wanted, timeout)[handle.handshakes : wanted]
        handle.taken = max(handle.taken, count)
        return found

    def quiet(self, handle: Handle, seconds: float | None = None) -> list[CapturedRequest]:
        """Watch the handle's path for `seconds`; what arrived beyond the deliveries a check
        waited for, meanwhile or before (should be nothing)."""
        self.quiet_path(handle.path, seconds)
        return self.received(handle)[handle.handshakes + handle.taken :]

    def spare_path(self) -> str:
        """A capture path no subscription uses (a redirect's Location)."""
        return f"{self.profile.name}-{next(self._names)}-spare"

    def quiet_path(self, path: str, seconds: float | None = None) -> list[CapturedRequest]:
        """Watch `path` for `seconds` (the quiet window); what arrived there meanwhile."""
        before = len(self.capture.requests_for(path))
        seconds = self.quiet_window if seconds is None else seconds
        if self.virtual is not None:
            self.virtual.advance(seconds)
        else:
            time.sleep(seconds)
        return self.capture.requests_for(path)[before:]

    def received(self, handle: Handle) -> list[CapturedRequest]:
        """Every request to the handle's path so far, handshake requests included."""
        return self.capture.requests_for(handle.path)

    def patience(self, timeout: float) -> float:
        """How long, in real seconds, to wait for what should come within `timeout` on the
        run's clock: on a virtual clock it has come once the advance returned, so a short
        grace for the last bytes (a virtual window of minutes is no real wait)."""
        return min(timeout, ARRIVED) if self.virtual is not None else timeout

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Poll `predicate` until it holds or `timeout` passes (for states the API shows)."""
        if self.virtual is not None:
            self.virtual.advance(0.0)  # what is due now is made first
        deadline = time.monotonic() + self.patience(timeout)
        while True:
            if predicate():
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)


def run_sender(
    profile: Profile, options: SenderOptions, *, progress: Progress | None = None
) -> Report:
    """Run the sender suite for `profile` against the sender `options.api` and report.

    Checks run one after the other, by phase (S-api-fuzz last, so that what it does to the
    API cannot change another check's outcome), then by id: they subscribe and trigger on
    the same sender, and a subscription of one must not overwrite or use up the quota of
    another's. Each check deletes what it subscribed before the next starts, and at the end
    the run deletes every subscription whose target is its capture server (the report's
    `cleanup`). Interrupted (`KeyboardInterrupt`), it cleans up the same way and raises
    `Interrupted` with the report of what it did.
    """
    progress = progress or Progress(enabled=False)
    if options.time_scale <= 0:
        raise HarnessError("--time-scale must be more than 0")
    found = registry.registered("sender", profile)
    chosen = registry.select(found, options.checks, options.exclude_checks)
    started, clock = now_iso(), time.perf_counter()
    results: list[Result] = []
    interrupted = False
    rule = profile.semantics.authenticity
    problem = rule.secret_problem(options.secret) if options.secret is not None else None
    if problem:
        raise HarnessError(f"--secret cannot sign profile {profile.name!r}: {problem}")
    with SenderRun(profile, options) as run:
        events = run.events()
        units = [(c, e) for c in chosen for e in ([None] if c.scope == "profile" else events)]
        units.sort(key=lambda unit: unit[0].phase)  # stable: by id within a phase
        progress.start(len(units))
        try:
            for check, event in units:
                results.append(_run_check(run, check, event))
                progress.advance(results[-1].name)
                if check.scope == "profile":
                    run.cleanup()
        except KeyboardInterrupt:
            interrupted = True
    progress.finish()
    notes = [f"window: {run.window:g} s, {run.window_from}"]
    if run.exact:
        notes.append(
            "clock: the mock's virtual clock, advanced by the suite (schedules checked exactly)"
        )
    report = Report(
        suite="sender",
        profile=profile_block(profile),
        target=options.api or options.trigger_url or options.trigger_cmd or "",
        settings={
            "events": events,
            "checks": [c.id for c in chosen],
            "time_scale": options.time_scale,
            "clock": "virtual" if run.exact else "real",
            "window_seconds": run.window,
            "window_from": run.window_from,
            "mock_provider": run.mock is not None,
        },
        results=results,
        started=started,
        duration=time.perf_counter() - clock,
        notes=notes,
        cleanup=run.cleaned.to_json(),
        interrupted=interrupted,
    )
    if interrupted:
        raise Interrupted(report)
    return report


def _run_check(run: SenderRun, check: registry.Check, event: str | None) -> Result:
    result = Result(
        check=check.id,
        level=check.level_for(run.profile),
        declared_level=check.level,
        summary=check.summary,
        source=check.source_for(run.profile),
        event=event,
    )
    started = time.perf_counter()
    run.check_id, run.notes = check.id, []
    try:
        if event is None:
            check.function(run)
        else:
            check.function(run, event)
    except Blocked as exc:
        result.status, result.reason = "blocked", str(exc)
    except ConformanceFailure as exc:
        if not exc.source:
            exc.source = result.source
        result.status = "failed"
        result.failures.append(exc)
    except TargetUnreachable:
        raise
    except HarnessError as exc:
        result.status, result.reason = "error", str(exc)
    except Exception as exc:  # a bug in a check, or a sender gone mid-run: keep the report
        result.status, result.reason = "error", f"{type(exc).__name__}: {exc}"
    result.duration = time.perf_counter() - started
    result.notes = list(run.notes)
    return result
