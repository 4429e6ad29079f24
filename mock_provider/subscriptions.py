"""Subscriptions as the profile's semantics say: targets, overwrite, quotas and handshakes.

Shared by the profile's own subscription API (`profile_api`) and the control API (settings
screen profiles). Keyed by semantic kinds only:

- `subscription.model` / `key` / `on_duplicate`: overwrite-per-type replaces the subscription
  with the same key (or refuses with `duplicate_status`, or answers the existing one
  unchanged); many-per-event adds one each time.
- `quotas.limits[plan]`: at most `max` subscriptions per account or per event type.
- `handshake.kind`: `hook-secret-echo` sends the secret while the create call is open and
  checks the echo; `secret-confirmation` leaves the subscription pending until a validation
  request's secret is confirmed; `revalidate_on: [url]` makes a URL change pending again;
  `challenge` sends the profile's challenge request while the create call is open and
  refuses the create (422) unless the answer is a right one within `seconds` (a URL change
  is challenged again); `ping-event` delivers the `event` to a new subscription (its answer
  changes nothing).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.challenges import new_challenge
from harness.profiles import Profile
from harness.wire import WireRequest, challenge_request, hook_secret_request, validation_request
from mock_provider.faults import Fault, Faults
from mock_provider.http_json import ApiError
from mock_provider.outbound import Outbound, Outcome, activity, logged_attempt
from mock_provider.store import Store, Subscription


def new_secret() -> str:
    return secrets.token_urlsafe(18)


@dataclass
class Sent:
    """A handshake request sent before its subscription was stored, to log once it is."""

    secret: str
    request: WireRequest
    outcome: Outcome


class Subscriptions:
    """Creates, changes, validates and removes subscriptions by the profile's semantics."""

    def __init__(
        self,
        store: Store,
        outbound: Outbound,
        faults: Faults,
        *,
        plan: str | None = None,
    ) -> None:
        self.store = store
        self.outbound = outbound
        self.faults = faults
        self.plan = plan
        # Delivers a ping-event handshake's event to a new subscription (set by the app,
        # which owns the delivery engine).
        self.ping: Callable[[Profile, Subscription], None] | None = None

    # creation ---------------------------------------------------------------------------

    def create(
        self,
        profile: Profile,
        *,
        events: list[str],
        target_url: Any,
        secret: str | None = None,
        scope: Mapping[str, Any] | None = None,
        object: Mapping[str, Any] | None = None,
        public_id: Any = None,
        enabled: bool = True,
    ) -> tuple[Subscription, bool]:
        """A new subscription, or the one it overwrote; (subscription, created)."""
        target_url = self.outbound.check(target_url)
        self.check_events(profile, events, object or {})
        rule = profile.semantics.subscription
        scope = dict(scope or {})
        object = dict(object or {})
        existing = None
        if rule.overwrites and Fault.NO_OVERWRITE not in self.faults:
            key = self._key(profile, events, target_url, object, scope)
            existing = next(
                (
                    s
                    for s in self.store.subscriptions(profile.name)
                    if self._key(profile, s.events, s.target_url, s.object, s.scope) == key
                ),
                None,
            )
            if existing is not None and rule.rejects_duplicates:
                raise ApiError(
                    rule.duplicate_status,
                    "has already been taken",
                    f"a subscription for {', '.join(events)} exists (id {existing.public_id})",
                )
            if existing is not None and rule.returns_existing:
                return existing, False  # get-or-create: the same one, unchanged
        if existing is None:
            self._check_quota(profile, events)
        state, reason, secret, pending, sent = self._handshake(profile, target_url, secret, enabled)
        if existing is not None:
            updated = self.store.update_subscription(
                existing.id,
                target_url=target_url,
                state=state,
                reason=reason,
                secret=secret,
                pending_secret=pending,
                object=object,  # an overwrite replaces: no field of the old one lingers
            )
            assert updated is not None
            self._log(profile, updated, sent)
            return updated, False
        created = self.store.add_subscription(
            profile=profile.name,
            events=events,
            target_url=target_url,
            state=state,
            reason=reason,
            secret=secret,
            pending_secret=pending,
            scope=scope,
            object=object,
            public_id=public_id,
        )
        self._log(profile, created, sent)
        self._pinged(profile, created)
        return created, True

    def _pinged(self, profile: Profile, subscription: Subscription) -> None:
        if profile.semantics.handshake.pings and Fault.NO_PING not in self.faults and self.ping:
            self.ping(profile, subscription)

    def _handshake_deadline(self, profile: Profile) -> float:
        return self.outbound.deadline_for(profile, handshake=True)

    def _secret_of(self, profile: Profile, secret: str | None) -> str | None:
        """The secret a handshake uses: the subscription's, or the account setting's."""
        setting = profile.semantics.authenticity.account_setting
        return self.store.setting(profile.name, setting) if setting else secret

    def _challenge(self, profile: Profile, target_url: str, secret: str | None) -> Sent:
        """Send the challenge handshake; a 422 unless the answer is right and in time."""
        rule = profile.semantics.handshake
        challenge = new_challenge()
        key = self._secret_of(profile, secret)
        token = self.store.setting(profile.name, rule.token_setting) if rule.token_setting else None
        request = challenge_request(profile, key, challenge, token=token)
        outcome = self.outbound.send(
            target_url, request, deadline=self._handshake_deadline(profile)
        )
        sent = Sent(challenge, request, outcome)
        answer = (outcome.status_code, outcome.headers, outcome.excerpt.encode())
        elapsed = outcome.duration_ms / 1000
        problems = rule.answer_problems(
            challenge, key, answer, elapsed=elapsed, error=outcome.error
        )
        if problems and Fault.ACCEPTS_WRONG_ANSWER not in self.faults:
            activity.info(
                "challenge handshake: sent %s the challenge %s; the answer is not right (%s):"
                " not saved",
                target_url,
                challenge,
                "; ".join(problems),
            )
            raise ApiError(
                422,
                "handshake failed",
                f"the endpoint's answer to the challenge is not right: {'; '.join(problems)}",
            )
        return sent

    def check_events(
        self, profile: Profile, events: list[str], object: Mapping[str, Any] | None = None
    ) -> None:
        """Refuse no event, an unknown one, or one the subscription's API version (in
        `object`) does not have."""
        if not events:
            raise ApiError(422, "missing event", "name at least one event type")
        unknown = [e for e in events if e not in profile.events]
        if unknown:
            raise ApiError(
                422,
                "unknown event type",
                f"{', '.join(map(repr, unknown))} is not an event of profile {profile.name!r}",
            )
        version = profile.version_of(object or {})
        missing = [e for e in events if version and e not in profile.versions[version].events]
        if missing:
            raise ApiError(
                422,
                "unknown event type",
                f"{', '.join(map(repr, missing))} is not an event of API version {version}",
            )
        if profile.semantics.subscription.one_event and len(events) > 1:
            raise ApiError(422, "one event only", "a subscription of this profile has one event")

    def _key(
        self,
        profile: Profile,
        events: list[str],
        target_url: str,
        object: Mapping[str, Any],
        scope: Mapping[str, Any],
    ) -> tuple[str, ...]:
        """What makes two subscriptions the same: the `key` fields (the event and the
        target URL by their roles, any other field by its value), and the path scope."""
        rule = profile.semantics.subscription
        by_role = {
            rule.fields.event or "event": ",".join(sorted(events)),
            rule.fields.target_url or "target_url": target_url,
        }
        values = [by_role.get(name, str(object.get(name))) for name in rule.identity]
        return (*values, *(str(scope[k]) for k in sorted(scope)))

    def _check_quota(self, profile: Profile, events: list[str]) -> None:
        quotas = profile.semantics.quotas
        plan = quotas.plan(self.plan)
        if plan is None:
            return
        if plan not in quotas.limits:
            raise ApiError(403, "unknown plan", f"plan {plan!r} has no quota in {profile.name!r}")
        limit = quotas.limits[plan]
        existing = self.store.subscriptions(profile.name)
        if limit.per == "event-type":
            for event in events:
                count = sum(1 for s in existing if event in s.events)
                if count >= limit.max:
                    raise ApiError(
                        403,
                        "quota exceeded",
                        f"plan {plan!r} allows {limit.max} webhooks per event type;"
                        f" {event!r} has {count}",
                    )
        elif len(existing) >= limit.max:
            raise ApiError(
                403,
                "quota exceeded",
                f"plan {plan!r} allows {limit.max} webhooks per account; there are {len(existing)}",
            )

    def _handshake(
        self, profile: Profile, target_url: str, secret: str | None, enabled: bool
    ) -> tuple[str, str, str | None, str | None, Sent | None]:
        """(state, reason, secret, pending secret, handshake request sent) of a subscription
        being created."""
        rule = profile.semantics.handshake
        if rule.confirmation:
            return "pending", "awaiting validation and confirmation", secret, None, None
        sent = None
        if rule.challenges:
            sent = self._challenge(profile, target_url, secret)
        if rule.echo and Fault.NO_HOOK_SECRET not in self.faults:
            header = rule.header or ""
            hook_secret = new_secret()
            request = hook_secret_request(profile, hook_secret)
            outcome = self.outbound.send(
                target_url, request, deadline=self._handshake_deadline(profile)
            )
            sent = Sent(hook_secret, request, outcome)
            secret = secret or hook_secret
            echoed = outcome.headers.get(header.lower()) == hook_secret
            if outcome.status_code in rule.accept_statuses and echoed:
                pass
            elif outcome.category == "2xx" and rule.without_echo == "inactive":
                reason = f"the target did not echo {header}"
                return "pending", reason, secret, hook_secret, sent
            else:
                got = outcome.error or f"HTTP {outcome.status_code}"
                expected = " or ".join(str(s) for s in rule.accept_statuses)
                raise ApiError(
                    422,
                    "handshake failed",
                    f"the target answered {got} to the {header} handshake;"
                    f" it must answer {expected} echoing the header",
                )
        if not enabled:
            return "inactive", "disabled", secret, None, sent
        return "active", "", secret, None, sent

    def _log(self, profile: Profile, subscription: Subscription, sent: Sent | None) -> None:
        """Keep a handshake request with the secret it carried, and say it at the terminal."""
        if sent is None:
            return
        kind = profile.semantics.handshake.kind
        attempt = logged_attempt(1, sent.request, sent.outcome, self.store.now())
        self.store.add_handshake(
            subscription.id, kind, sent.secret, subscription.target_url, attempt
        )
        answer = sent.outcome.error or f"HTTP {sent.outcome.status_code}"
        what = "challenge" if profile.semantics.handshake.challenges else "secret"
        activity.info(
            "%s handshake of webhook %s: sent %s the %s %s; it answered %s",
            kind,
            subscription.id,
            subscription.target_url,
            what,
            sent.secret,
            answer,
        )

    # changes ----------------------------------------------------------------------------

    def update(
        self,
        profile: Profile,
        subscription: Subscription,
        *,
        events: list[str] | None = None,
        target_url: Any = None,
        secret: str | None = None,
        enabled: bool | None = None,
        object: Mapping[str, Any] | None = None,
    ) -> Subscription:
        """Change a subscription; a URL change re-opens a handshake that says so."""
        changes: dict[str, Any] = {}
        state, reason = subscription.state, subscription.reason
        if events is not None:
            self.check_events(profile, events, {**subscription.object, **(object or {})})
            changes["events"] = events
        if target_url is not None and target_url != subscription.target_url:
            changes["target_url"] = self.outbound.check(target_url)
            rule = profile.semantics.handshake
            if rule.challenges:
                sent = self._challenge(profile, target_url, secret or subscription.secret)
                self._log(profile, subscription, sent)
            if rule.confirmation and "url" in rule.revalidate_on:
                state, reason = "pending", "the URL changed: validate and confirm again"
                changes["pending_secret"] = None
        if enabled is True and state == "inactive":
            state, reason = "active", ""
        elif enabled is False and state != "inactive":
            state, reason = "inactive", "disabled"
        if secret is not None:
            changes["secret"] = secret
        if object:
            changes["object"] = {**subscription.object, **object}
        updated = self.store.update_subscription(
            subscription.id, state=state, reason=reason, **changes
        )
        assert updated is not None
        return updated

    def delete(self, subscription: Subscription) -> None:
        self.store.delete_subscription(subscription.id)

    # handshakes after creation ----------------------------------------------------------

    def validate(self, profile: Profile, subscription: Subscription) -> Outcome:
        """Send the endpoint a fresh secret (secret-confirmation); what it answered."""
        if not profile.semantics.handshake.confirmation:
            raise ApiError(
                409,
                "no validation",
                f"profile {profile.name!r} has no secret-confirmation handshake",
            )
        secret = new_secret()
        self.store.update_subscription(subscription.id, pending_secret=secret)
        request = validation_request(profile, secret)
        outcome = self.outbound.send(
            subscription.target_url, request, deadline=self._handshake_deadline(profile)
        )
        self._log(profile, subscription, Sent(secret, request, outcome))
        return outcome

    def confirm(self, subscription: Subscription, secret: Any) -> Subscription:
        """Activate a pending subscription when `secret` is the one its handshake sent."""
        if subscription.pending_secret is None:
            raise ApiError(
                409,
                "nothing to confirm",
                "no secret was sent to this webhook's endpoint yet: validate it first",
            )
        if not isinstance(secret, str) or not secrets.compare_digest(
            secret.encode(), subscription.pending_secret.encode()
        ):
            raise ApiError(403, "wrong secret", "the secret does not match the one sent")
        updated = self.store.update_subscription(
            subscription.id, state="active", reason="", pending_secret=None
        )
        assert updated is not None
        return updated
