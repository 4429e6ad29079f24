"""The control API under /_mock/: trigger events, manage settings-screen webhooks, read the log.

Described by its own OpenAPI document (`control_openapi.yaml`, filled in for the running mock
by `control_openapi.document`, served at /_mock/openapi.json).
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from werkzeug.routing import BaseConverter, Map
from werkzeug.wrappers import Request, Response

from harness import pointers
from harness.errors import HarnessError
from harness.profiles import Profile
from harness.transport import FRAMING, header_problem
from harness.wire import authenticate, stamp
from mock_provider import control_openapi, routing, served_openapi
from mock_provider.delivery import Advanced
from mock_provider.faults import FAULTS, check_names
from mock_provider.http_json import (
    MAX_DEPTH,
    ApiError,
    depth,
    field,
    has_body,
    json_response,
    read_object,
)
from mock_provider.realistic import example_payload, owner_fields
from mock_provider.store import DELIVERY_STATUSES, Delivery, Handshake, Subscription
from mock_provider.subscriptions import new_secret

if TYPE_CHECKING:
    from mock_provider.app import Mock

PREFIX = "/_mock"
_CONVERTERS = {"id": "row", "name": "string"}
NO_DATA: Any = object()
PAYLOAD_SOURCES = ("example", "generated")  # what a trigger without data sends
# A page of the delivery log: how many deliveries by default and at most, and in which order.
PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
ORDERS = ("oldest", "newest")


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds")


def delivery_view(delivery: Delivery) -> dict[str, Any]:
    """A delivery with every attempt, as the control API answers it."""
    return {
        "id": delivery.id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "profile": delivery.profile,
        "subscription_id": delivery.subscription_id,
        "target_url": delivery.target_url,
        "status": delivery.status,
        "created_at": _iso(delivery.created_at),
        "next_attempt_at": _iso(delivery.next_due) if delivery.next_due is not None else None,
        "attempts": [
            {
                "number": a.number,
                "at": _iso(a.at),
                "status_code": a.status_code,
                "duration_ms": a.duration_ms,
                "error": a.error,
                "request": a.request,
                "response_excerpt": a.response_excerpt,
            }
            for a in delivery.attempts
        ],
    }


def handshake_view(handshake: Handshake) -> dict[str, Any]:
    """A handshake request as the control API answers it: the secret it carried, the
    request and what the endpoint answered."""
    sent = handshake.request
    return {
        "kind": handshake.kind,
        "secret": handshake.secret,
        "at": _iso(sent.at),
        "url": handshake.url,
        "request": sent.request,
        "status_code": sent.status_code,
        "error": sent.error,
        "duration_ms": sent.duration_ms,
        "response_excerpt": sent.response_excerpt,
    }


def apply_overrides(payload: Any, overrides: dict[str, Any]) -> Any:
    """The payload with every JSON pointer set; 422 naming the first that cannot be, or when
    the result nests deeper than the mock delivers."""
    for where, value in overrides.items():
        if where == "":
            payload = copy.deepcopy(value)
            continue
        if not where.startswith("/"):
            raise ApiError(422, "invalid pointer", f"{where!r}: a JSON pointer starts with '/'")
        if where.count("/") > MAX_DEPTH:
            raise ApiError(422, "pointer too deep", f"a pointer has at most {MAX_DEPTH} segments")
        try:
            pointers.put(payload, where, copy.deepcopy(value))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise ApiError(
                409,
                "pointer not applicable",
                f"{where!r} cannot be set in this payload: its shape does not allow it ({exc!r})",
            ) from None
    if depth(payload) > MAX_DEPTH:
        raise ApiError(
            422, "too deeply nested", f"the payload would nest deeper than {MAX_DEPTH} levels"
        )
    return payload


# How long an advance of the virtual clock waits for its attempts by default and at most (real
# seconds), and how far one call may move it (about 31 years: a float's epoch stays exact to
# the microsecond).
WAIT_SECONDS = 30.0
MAX_WAIT_SECONDS = 600.0
MAX_ADVANCE_SECONDS = 1e9


def _seconds(body: dict[str, Any], name: str, default: float, most: float) -> float:
    value = field(body, name, (int, float), required=False, default=default)
    if not 0 <= value <= most:
        raise ApiError(400, "wrong value", f"{name!r} is from 0 to {most:g} seconds, not {value}")
    return float(value)


def _timestamp(text: str) -> float:
    """An RFC 3339 date-time with its offset, as epoch seconds; 400 otherwise."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ApiError(
            400, "wrong value", f"'to' is an RFC 3339 time with its offset, not {text!r}"
        )
    return moment.timestamp()


class RowId(BaseConverter):
    """A path segment that is a row id: ASCII digits that fit SQLite's integers."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)


class ControlApi:
    """The JSON control API; `mock` holds the store, engine and services.

    Its routes are the operations of its OpenAPI document for this mock, each an operationId
    naming the method that answers it, so the document and the routes cannot disagree (an
    operation the mock does not offer, such as settings when no served profile has one, is
    a 405 like any other method).
    """

    def __init__(self, mock: Mock) -> None:
        self.mock = mock
        self._triggers = itertools.count()  # each trigger's number: which example, which ids
        rules = [
            routing.rule(path, method, operation["operationId"], _CONVERTERS)
            for path, item in control_openapi.document(mock)["paths"].items()
            for method, operation in item.items()
            if method != "parameters"
        ]
        self.routes = Map(rules, converters={"row": RowId}, strict_slashes=False)

    def handle(self, request: Request, path: str) -> Response:
        unknown = "no control API call"
        endpoint, values = routing.match(self.routes, request, PREFIX + path, unknown)
        handler: Callable[..., Response] = getattr(self, endpoint)
        return handler(request, *values.values())

    # lookups ----------------------------------------------------------------------------

    def find_profile(self, name: Any, *, settings_screen: bool = False) -> Profile:
        mounted = self.mock.profiles
        if name is not None:
            if not isinstance(name, str):
                raise ApiError(400, "wrong type", "'profile' must be a string")
            if name not in mounted:
                raise ApiError(
                    422, "unknown profile", f"{name!r} is not served (served: {', '.join(mounted)})"
                )
            return mounted[name]
        candidates = list(mounted.values())
        if settings_screen:
            candidates = [p for p in candidates if _settings_screen(p)] or candidates
        if len(candidates) == 1:
            return candidates[0]
        raise ApiError(
            400,
            "missing field",
            f"'profile' is required: several are served ({', '.join(mounted)})",
        )

    def find_subscription(self, subscription_id: int) -> tuple[Subscription, Profile]:
        found = self.mock.store.subscription(subscription_id)
        if found is None or found.profile not in self.mock.profiles:
            raise ApiError(404, "not found", f"no subscription {subscription_id}")
        return found, self.mock.profiles[found.profile]

    def find_delivery(self, delivery_id: int) -> Delivery:
        found = self.mock.store.delivery(delivery_id)
        if found is None:
            raise ApiError(404, "not found", f"no delivery {delivery_id}")
        return found

    def subscription_view(self, subscription: Subscription) -> dict[str, Any]:
        profile = self.mock.profiles.get(subscription.profile)
        view: dict[str, Any] = {
            "id": subscription.id,
            "profile": subscription.profile,
            "events": subscription.events,
            "target_url": subscription.target_url,
            "active": subscription.active,
            "state": subscription.state,
            "reason": subscription.reason,
            "created_at": _iso(subscription.created_at),
        }
        api = self.mock.apis.get(subscription.profile)
        view["object"] = api.present(subscription) if api else subscription.object
        view["handshakes"] = [
            handshake_view(h) for h in self.mock.store.handshakes(subscription.id)
        ]
        if profile is not None:
            name = _secret_field(profile)
            if name:
                view[name] = subscription.secret
        return view

    # calls ------------------------------------------------------------------------------

    def openapi(self, request: Request) -> Response:
        return json_response(control_openapi.document(self.mock))

    def profiles(self, request: Request) -> Response:
        return json_response(
            {
                "profiles": [
                    {
                        "name": p.name,
                        "title": p.title,
                        "management": p.semantics.subscription.management,
                        "events": list(p.events),
                    }
                    for p in self.mock.profiles.values()
                ]
            }
        )

    def profile_openapi(self, request: Request, name: str) -> Response:
        """A served profile's OpenAPI document, its server being this mock."""
        if name not in self.mock.profiles:
            raise ApiError(404, "not found", f"{name!r} is not served")
        served = served_openapi.document(self.mock, self.mock.profiles[name])
        return json_response(served)

    def trigger(self, request: Request) -> Response:
        body = read_object(request, self.mock.config.body_limit)
        event_type = field(body, "type", str)
        overrides = field(body, "set", dict, required=False, default={})
        seed = field(body, "seed", int, required=False, default=0)
        data = copy.deepcopy(body["data"]) if "data" in body else NO_DATA
        headers = field(body, "headers", dict, required=False, default={})
        if not all(isinstance(v, str) for v in headers.values()):
            raise ApiError(400, "wrong type", "'headers' must map header names to strings")
        framing = [name for name in headers if name.lower() in FRAMING]
        if framing:
            raise ApiError(
                422,
                "header not settable",
                f"{', '.join(framing)} frame(s) the message: the mock sets them itself",
            )
        for name, value in headers.items():
            problem = header_problem(name, value)
            if problem:
                raise ApiError(400, "invalid header", problem)
        source = field(body, "payload", str, required=False, default="example")
        profile_name = field(body, "profile", str, required=False)
        fired = self.fire(profile_name, event_type, data, overrides, seed, headers, source)
        return json_response(fired, 202)

    def fire(
        self,
        profile_name: Any,
        event_type: str,
        data: Any = NO_DATA,
        overrides: dict[str, Any] | None = None,
        seed: int = 0,
        headers: dict[str, str] | None = None,
        source: str = "example",
    ) -> dict[str, Any]:
        """Trigger an event: the given payload, else (`source`) the profile's example made
        fresh for each subscriber (`mock_provider.realistic`; the event schema's generated
        payload where the event has no example), or with `source="generated"` one generated
        from the event schema of each API version its subscribers are on (`events.versions`).

        The answer describes the first event made; `events` lists each (one per distinct
        payload), with the document its payloads follow when that is a version's."""
        if source not in PAYLOAD_SOURCES:
            choices = " or ".join(map(repr, PAYLOAD_SOURCES))
            raise ApiError(400, "wrong value", f"'payload' is {choices}, not {source!r}")
        profile = self.find_profile(profile_name)
        if event_type not in profile.events:
            raise ApiError(
                422, "unknown event type", f"{event_type!r} is not an event of {profile.name!r}"
            )

        number, now = next(self._triggers), self.mock.clock.now()
        generated: dict[int, Any] = {}  # by variant: a generated payload is the same for all

        def payload(variant: Profile, subscription: Subscription | None) -> Any:
            body = data
            event = variant.event(event_type)
            if body is NO_DATA and source == "example" and event.examples:
                scope, obj = (subscription.scope, subscription.object) if subscription else ({}, {})
                owner = owner_fields(scope, obj)
                body = example_payload(event, number, now, owner)
            elif body is NO_DATA:
                if id(variant) not in generated:
                    generated[id(variant)] = self._generated(variant, event_type, seed)
                body = generated[id(variant)]
            return apply_overrides(body, overrides or {})

        fired = self.mock.engine.trigger(profile, event_type, payload, headers)
        events = [
            {
                "event_id": one.event_id,
                "deliveries": one.deliveries,
                "payload": one.payload,
                "schema_errors": _errors_as_sent(one.variant, event_type, one.payload),
                "document": one.variant.version_document,
            }
            for one in fired
        ]
        return {**events[0], "events": events}

    def _generated(self, profile: Profile, event_type: str, seed: int) -> Any:
        try:
            return self.mock.generate(profile, event_type, seed)
        except Exception as exc:  # a schema the generator cannot satisfy
            raise ApiError(
                422, "cannot generate", f"no payload for {event_type!r}: give one ({exc})"
            ) from None

    def subscriptions(self, request: Request) -> Response:
        profile = _query(request, "profile")
        if profile is not None and profile not in self.mock.profiles:
            served = ", ".join(self.mock.profiles)
            raise ApiError(400, "unknown profile", f"{profile!r} is not served ({served})")
        found = self.mock.store.subscriptions(profile)
        return json_response(
            {
                "subscriptions": [
                    self.subscription_view(s) for s in found if s.profile in self.mock.profiles
                ]
            }
        )

    def subscription(self, request: Request, subscription_id: int) -> Response:
        found, _ = self.find_subscription(subscription_id)
        return json_response(self.subscription_view(found))

    def create_webhook(self, request: Request) -> Response:
        body = read_object(request, self.mock.config.body_limit)
        profile = self.find_profile(
            field(body, "profile", str, required=False), settings_screen=True
        )
        secret_name = _secret_field(profile)
        subscription = self.make_webhook(
            profile,
            _events(body, required=True) or [],
            field(body, "url", str),
            field(body, secret_name, str, required=False) if secret_name else None,
        )
        return json_response(self.subscription_view(subscription), 201)

    def make_webhook(
        self, profile: Profile, events: list[str], url: str, secret: str | None = None
    ) -> Subscription:
        """Create a webhook the way the provider's settings screen does."""
        if not _settings_screen(profile):
            create = profile.subscription_operation("create")
            where = f" ({create.method} {create.path})" if create else ""
            raise ApiError(
                409,
                "managed through the API",
                f"profile {profile.name!r} creates subscriptions through its API{where}",
            )
        if _secret_field(profile) and not secret:
            secret = new_secret()
        subscription, _ = self.mock.subscriptions.create(
            profile, events=events, target_url=url, secret=secret
        )
        return subscription

    def update_webhook(self, request: Request, subscription_id: int) -> Response:
        subscription, profile = self.find_subscription(subscription_id)
        body = read_object(request, self.mock.config.body_limit)
        secret_name = _secret_field(profile)
        events = _events(body, required=False)
        others = {e for p in self.mock.profiles.values() if p is not profile for e in p.events}
        foreign = [e for e in events or [] if e not in profile.events and e in others]
        if foreign:
            raise ApiError(
                409,
                "another profile's event",
                f"{', '.join(foreign)}: not an event of this webhook's profile {profile.name!r}",
            )
        updated = self.mock.subscriptions.update(
            profile,
            subscription,
            events=events,
            target_url=field(body, "url", str, required=False),
            secret=field(body, secret_name, str, required=False) if secret_name else None,
            enabled=field(body, "active", bool, required=False),
        )
        return json_response(self.subscription_view(updated))

    def delete_webhook(self, request: Request, subscription_id: int) -> Response:
        subscription, _ = self.find_subscription(subscription_id)
        self.mock.subscriptions.delete(subscription)
        return Response(b"", status=204)

    def validate(self, request: Request, subscription_id: int) -> Response:
        subscription, profile = self.find_subscription(subscription_id)
        self.mock.subscriptions.validate(profile, subscription)
        sent = self.mock.store.handshakes(subscription.id)[-1]
        return json_response(handshake_view(sent))

    def confirm(self, request: Request, subscription_id: int) -> Response:
        subscription, _ = self.find_subscription(subscription_id)
        body = read_object(request, self.mock.config.body_limit)
        confirmed = self.mock.subscriptions.confirm(subscription, field(body, "secret", str))
        return json_response(self.subscription_view(confirmed))

    def deliveries(self, request: Request) -> Response:
        filters: dict[str, Any] = {}
        for name in ("subscription", "event"):
            raw = _query(request, name)
            if raw is not None:
                filters[name] = _row_id(name, raw)
        status = _query(request, "status")
        if status is not None and status not in DELIVERY_STATUSES:
            raise ApiError(
                400, "invalid parameter", f"status must be one of {', '.join(DELIVERY_STATUSES)}"
            )
        event_type = _query(request, "type")
        known = {e for p in self.mock.profiles.values() for e in p.events}
        if event_type is not None and event_type not in known:
            raise ApiError(400, "invalid parameter", f"type {event_type!r} is no served event")
        filters |= {"status": status, "event_type": event_type}
        raw_limit = _query(request, "limit")
        limit = PAGE_SIZE if raw_limit is None else _page_size(raw_limit)
        order = _query(request, "order") or "oldest"
        if order not in ORDERS:
            raise ApiError(
                400, "invalid parameter", f"order is {' or '.join(ORDERS)}, not {order!r}"
            )
        cursors = {name: _query(request, name) for name in ("after", "before")}
        after, before = (
            _row_id(name, raw) if raw is not None else None for name, raw in cursors.items()
        )
        newest = order == "newest"
        store = self.mock.store
        found = store.deliveries(
            **filters, limit=limit, newest_first=newest, after=after, before=before
        )

        def link(cursor: str, at: int) -> str | None:
            """The page on the `cursor` side of delivery `at`, when there is one."""
            bound: dict[str, Any] = {"after": None, "before": None, cursor: at}
            if not store.deliveries(**filters, limit=1, newest_first=newest, **bound):
                return None
            kept = ("subscription", "event", "type", "status", "limit", "order")
            given = {k: v for k, v in request.args.items() if k in kept}
            return f"{PREFIX}/deliveries?{urlencode({**given, cursor: at})}"

        return json_response(
            {
                "deliveries": [delivery_view(d) for d in found],
                "total": store.count_deliveries(**filters),
                "next": link("after", found[-1].id) if found else None,
                "previous": link("before", found[0].id) if found else None,
            }
        )

    def delivery(self, request: Request, delivery_id: int) -> Response:
        return json_response(delivery_view(self.find_delivery(delivery_id)))

    def redeliver(self, request: Request, delivery_id: int) -> Response:
        data = NO_DATA
        if has_body(request):
            body = read_object(request, self.mock.config.body_limit)
            unknown = sorted(set(body) - {"data"})
            if unknown:
                raise ApiError(400, "unknown field", f"{unknown[0]!r}: the body takes only 'data'")
            data = body.get("data", NO_DATA)
        return json_response(self.deliver_again(delivery_id, data), 202)

    def deliver_again(self, delivery_id: int, data: Any = NO_DATA) -> dict[str, Any]:
        """A new delivery of a delivery's event to its subscription, or with `data` of an
        edited copy of it (a new event of the same type for that subscription alone, sent as
        every delivery is: enveloped, stamped, signed); the new delivery's id, and how `data`
        breaks the event's schema."""
        delivery = self.find_delivery(delivery_id)
        subscription = self.mock.store.subscription(delivery.subscription_id)
        if subscription is None or subscription.profile not in self.mock.profiles:
            raise ApiError(409, "subscription gone", "the delivery's subscription was removed")
        if data is NO_DATA:
            return {"delivery_id": self.mock.engine.redeliver(delivery, subscription)}
        if depth(data) > MAX_DEPTH:
            raise ApiError(
                422, "too deeply nested", f"the payload nests deeper than {MAX_DEPTH} levels"
            )
        profile = self.mock.profiles[subscription.profile]
        variant = profile.for_subscription(subscription.object, delivery.event_type)
        new_id = self.mock.engine.deliver_edited(delivery, subscription, data)
        errors = _errors_as_sent(variant, delivery.event_type, data)
        return {"delivery_id": new_id, "schema_errors": errors}

    # the clock ------------------------------------------------------------------------

    def clock(self, request: Request) -> Response:
        return json_response(self.clock_view())

    def clock_view(self, advanced: Advanced | None = None) -> dict[str, Any]:
        """The clock: its mode, its time, and for a virtual one the attempts due and not yet
        made and when the next falls due; after an advance, how it went."""
        clock, engine = self.mock.clock, self.mock.engine
        now = clock.now()
        view: dict[str, Any] = {"mode": clock.mode, "now": _iso(now), "epoch": now}
        if not clock.virtual:
            return {**view, "time_scale": clock.scale}
        next_due = self.mock.store.next_due()
        view |= {
            "in_flight": engine.in_flight() if advanced is None else advanced.in_flight,
            "next_due": _iso(next_due) if next_due is not None else None,
        }
        if advanced is not None:
            view |= {"to": _iso(advanced.to), "attempts": advanced.attempts, "done": advanced.done}
        return view

    def advance_clock(self, request: Request) -> Response:
        body = read_object(request, self.mock.config.body_limit)
        unknown = sorted(set(body) - {"advance_seconds", "to", "wait_seconds"})
        if unknown:
            raise ApiError(
                400,
                "unknown field",
                f"{unknown[0]!r}: the body takes 'advance_seconds' or 'to', and 'wait_seconds'",
            )
        if ("advance_seconds" in body) == ("to" in body):
            raise ApiError(400, "missing field", "give one of 'advance_seconds' and 'to'")
        wait = _seconds(body, "wait_seconds", WAIT_SECONDS, MAX_WAIT_SECONDS)
        if not self.mock.clock.virtual:
            raise ApiError(
                409,
                "real clock",
                "the mock runs on the real clock: start it with --clock virtual to advance it",
            )
        now = self.mock.clock.now()
        if "to" in body:
            to = _timestamp(field(body, "to", str))
            if to < now:
                raise ApiError(
                    400, "wrong value", f"'to' is before the mock's time {_iso(now)}: time runs on"
                )
            if to - now > MAX_ADVANCE_SECONDS:
                raise ApiError(
                    400,
                    "wrong value",
                    f"'to' is more than {MAX_ADVANCE_SECONDS:g} seconds after the mock's time",
                )
        else:
            to = now + _seconds(body, "advance_seconds", 0.0, MAX_ADVANCE_SECONDS)
        advanced = self.mock.engine.advance(to, wait)
        return json_response(self.clock_view(advanced))

    def notifications(self, request: Request) -> Response:
        found = self.mock.store.notifications()
        return json_response({"notifications": [{**n, "at": _iso(n["at"])} for n in found]})

    def reset(self, request: Request) -> Response:
        self.mock.store.reset()
        return json_response({"reset": True})

    def faults(self, request: Request) -> Response:
        return json_response({"faults": self.mock.faults.active, "available": FAULTS})

    def set_faults(self, request: Request) -> Response:
        body = read_object(request, self.mock.config.body_limit)
        names = field(body, "faults", list)
        if not all(isinstance(n, str) for n in names):
            raise ApiError(400, "wrong type", "'faults' must be a list of names")
        try:
            self.mock.faults.replace(check_names(names))
        except HarnessError as exc:
            raise ApiError(422, "unknown fault", str(exc)) from None
        return self.faults(request)

    def settings(self, request: Request) -> Response:
        return json_response({"settings": self.mock.store.settings()})

    def set_settings(self, request: Request) -> Response:
        body = read_object(request, self.mock.config.body_limit)
        profile = self.find_profile(field(body, "profile", str, required=False))
        values = field(body, "settings", dict)
        known = profile.semantics.account_settings
        for name, value in values.items():
            if name not in known:
                raise ApiError(
                    422,
                    "unknown setting",
                    f"{name!r} is not an account setting of {profile.name!r}"
                    f" (known: {', '.join(known) or 'none'})",
                )
            if not isinstance(value, str) or not value:
                raise ApiError(400, "wrong type", f"{name!r} must be a non-empty string")
            signing = profile.semantics.authenticity  # the signing secret must be able to sign
            problem = signing.secret_problem(value) if name == signing.account_setting else None
            if problem:
                raise ApiError(422, "not a signing key", f"{name!r}: {problem}")
        for name, value in values.items():
            self.mock.store.set_setting(profile.name, name, value)
        return self.settings(request)


def _errors_as_sent(profile: Profile, event_type: str, payload: Any) -> list[str]:
    """How `payload` breaks the event schema once the mock has filled in what it fills in per
    delivery (the envelope's send time, a body token: `harness.wire`)."""
    secret = "filled-in-per-subscription"  # the mock puts each subscriber's own there
    sent = authenticate(profile, stamp(profile, payload), secret)
    return profile.event(event_type).errors(sent)[:10]


def _query(request: Request, name: str) -> str | None:
    """A query parameter given at most once; 400 when it is repeated."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise ApiError(400, "invalid parameter", f"{name} is given {len(values)} times")
    return values[0] if values else None


def _row_id(name: str, raw: str) -> int:
    """A query parameter that is a row id; 400 otherwise."""
    if not re.fullmatch(RowId.regex, raw):
        raise ApiError(400, "invalid parameter", f"{name} must be an id, not {raw!r}")
    return int(raw)


def _page_size(raw: str) -> int:
    """The `limit` of a page of the log; 400 outside 1 to MAX_PAGE_SIZE."""
    if not re.fullmatch("[0-9]{1,9}", raw) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise ApiError(
            400,
            "invalid parameter",
            f"limit must be an integer from 1 to {MAX_PAGE_SIZE}, not {raw!r}",
        )
    return int(raw)


def _settings_screen(profile: Profile) -> bool:
    return not profile.semantics.subscription.managed_by_api


def _secret_field(profile: Profile) -> str | None:
    return profile.semantics.authenticity.subscription_field


def _events(body: dict[str, Any], *, required: bool) -> list[str] | None:
    if "events" in body and "event" in body:
        raise ApiError(400, "both given", "give 'event' or 'events', not both")
    if "events" in body:
        events = field(body, "events", list)
        if not events or not all(isinstance(e, str) for e in events):
            raise ApiError(400, "wrong type", "'events' must be a non-empty list of event names")
        return events
    event = field(body, "event", str, required=required)
    return None if event is None else [event]
