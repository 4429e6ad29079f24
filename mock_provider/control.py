"""The control API under /_mock/: trigger events, manage settings-screen webhooks, read the log.

Described by its own OpenAPI document (`OPENAPI`, served at /_mock/openapi.json).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from harness.errors import HarnessError
from harness.profiles import Profile
from harness.transport import FRAMING, header_problem
from harness.wire import set_pointer
from mock_provider.faults import FAULTS, check_names
from mock_provider.jsonapi import MAX_DEPTH, ApiError, depth, field, json_response, read_object
from mock_provider.outbound import Outcome
from mock_provider.store import DELIVERY_STATUSES, Delivery, Subscription
from mock_provider.subscriptions import new_secret

if TYPE_CHECKING:
    from mock_provider.app import Mock

PREFIX = "/_mock"
NO_DATA: Any = object()


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


def outcome_view(outcome: Outcome) -> dict[str, Any]:
    return {
        "status_code": outcome.status_code,
        "error": outcome.error,
        "duration_ms": outcome.duration_ms,
        "response_excerpt": outcome.excerpt,
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
            set_pointer(payload, where, copy.deepcopy(value))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise ApiError(
                422, "pointer not applicable", f"{where!r} cannot be set in the payload ({exc!r})"
            ) from None
    if depth(payload) > MAX_DEPTH:
        raise ApiError(
            422, "too deeply nested", f"the payload would nest deeper than {MAX_DEPTH} levels"
        )
    return payload


class ControlApi:
    """The JSON control API; `mock` holds the store, engine and services."""

    def __init__(self, mock: Mock) -> None:
        self.mock = mock
        self.routes: list[tuple[str, re.Pattern[str], Callable[..., Response]]] = [
            ("GET", re.compile(r"/openapi\.json"), self.openapi),
            ("GET", re.compile(r"/profiles"), self.profiles),
            ("GET", re.compile(r"/profiles/([A-Za-z0-9_.-]+)/openapi\.json"), self.profile_openapi),
            ("POST", re.compile(r"/events"), self.trigger),
            ("GET", re.compile(r"/subscriptions"), self.subscriptions),
            ("GET", re.compile(r"/subscriptions/([0-9]{1,18})"), self.subscription),
            ("POST", re.compile(r"/webhooks"), self.create_webhook),
            ("PATCH", re.compile(r"/webhooks/([0-9]{1,18})"), self.update_webhook),
            ("DELETE", re.compile(r"/webhooks/([0-9]{1,18})"), self.delete_webhook),
            ("POST", re.compile(r"/webhooks/([0-9]{1,18})/validate"), self.validate),
            ("POST", re.compile(r"/webhooks/([0-9]{1,18})/confirm"), self.confirm),
            ("GET", re.compile(r"/deliveries"), self.deliveries),
            ("GET", re.compile(r"/deliveries/([0-9]{1,18})"), self.delivery),
            ("POST", re.compile(r"/deliveries/([0-9]{1,18})/redeliver"), self.redeliver),
            ("GET", re.compile(r"/notifications"), self.notifications),
            ("POST", re.compile(r"/reset"), self.reset),
            ("GET", re.compile(r"/faults"), self.faults),
            ("PUT", re.compile(r"/faults"), self.set_faults),
            ("GET", re.compile(r"/settings"), self.settings),
            ("PUT", re.compile(r"/settings"), self.set_settings),
        ]

    def handle(self, request: Request, path: str) -> Response:
        allowed = set()
        for method, pattern, handler in self.routes:
            match = pattern.fullmatch(path)
            if not match:
                continue
            if method != request.method:
                allowed.add(method)
                continue
            ids: list[Any] = [int(g) if g.isdigit() else g for g in match.groups()]
            if any(isinstance(i, int) and i > 2**62 for i in ids):
                raise ApiError(404, "not found", f"no such id in {path}")
            return handler(request, *ids)
        if allowed:
            raise ApiError(
                405,
                "method not allowed",
                f"{request.method} {PREFIX}{path}: allowed {', '.join(sorted(allowed))}",
                headers={"Allow": ", ".join(sorted(allowed))},
            )
        raise ApiError(404, "not found", f"no control API call at {PREFIX}{path}")

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
        if profile is not None:
            name = _secret_field(profile)
            if name:
                view[name] = subscription.secret
        return view

    # calls ------------------------------------------------------------------------------

    def openapi(self, request: Request) -> Response:
        return json_response(OPENAPI)

    def profiles(self, request: Request) -> Response:
        return json_response(
            {
                "profiles": [
                    {
                        "name": p.name,
                        "title": p.title,
                        "management": p.semantics["subscription"]["management"],
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
        document = dict(self.mock.profiles[name].openapi)
        document["servers"] = [{"url": "/" if self.mock.single else f"/{name}"}]
        return json_response(document)

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
        fired = self.fire(body.get("profile"), event_type, data, overrides, seed, headers)
        return json_response(fired, 202)

    def fire(
        self,
        profile_name: Any,
        event_type: str,
        data: Any = NO_DATA,
        overrides: dict[str, Any] | None = None,
        seed: int = 0,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Trigger an event: the given payload, or one generated from the event schema."""
        profile = self.find_profile(profile_name)
        event = profile.events.get(event_type)
        if event is None:
            raise ApiError(
                422, "unknown event type", f"{event_type!r} is not an event of {profile.name!r}"
            )
        if data is NO_DATA:
            try:
                data = self.mock.generate(profile, event_type, seed)
            except Exception as exc:  # a schema the generator cannot satisfy
                raise ApiError(
                    422, "cannot generate", f"no payload for {event_type!r}: give one ({exc})"
                ) from None
        payload = data
        payload = apply_overrides(payload, overrides or {})
        event_id, deliveries = self.mock.engine.trigger(profile, event_type, payload, headers)
        return {
            "event_id": event_id,
            "deliveries": deliveries,
            "payload": payload,
            "schema_errors": event.errors(payload)[:10],
        }

    def subscriptions(self, request: Request) -> Response:
        profile = request.args.get("profile")
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
        profile = self.find_profile(body.get("profile"), settings_screen=True)
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
        updated = self.mock.subscriptions.update(
            profile,
            subscription,
            events=_events(body, required=False),
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
        outcome = self.mock.subscriptions.validate(profile, subscription)
        return json_response(outcome_view(outcome))

    def confirm(self, request: Request, subscription_id: int) -> Response:
        subscription, _ = self.find_subscription(subscription_id)
        body = read_object(request, self.mock.config.body_limit)
        confirmed = self.mock.subscriptions.confirm(subscription, field(body, "secret", str))
        return json_response(self.subscription_view(confirmed))

    def deliveries(self, request: Request) -> Response:
        filters: dict[str, Any] = {}
        for name in ("subscription", "event"):
            raw = request.args.get(name)
            if raw is not None:
                if not re.fullmatch(r"[0-9]{1,18}", raw):
                    raise ApiError(400, "invalid parameter", f"{name} must be an id, not {raw!r}")
                filters[name] = int(raw)
        status = request.args.get("status")
        if status is not None and status not in DELIVERY_STATUSES:
            raise ApiError(
                400, "invalid parameter", f"status must be one of {', '.join(DELIVERY_STATUSES)}"
            )
        found = self.mock.store.deliveries(status=status, **filters)
        return json_response({"deliveries": [delivery_view(d) for d in found]})

    def delivery(self, request: Request, delivery_id: int) -> Response:
        return json_response(delivery_view(self.find_delivery(delivery_id)))

    def redeliver(self, request: Request, delivery_id: int) -> Response:
        return json_response({"delivery_id": self.deliver_again(delivery_id)}, 202)

    def deliver_again(self, delivery_id: int) -> int:
        """A new delivery of a delivery's event to its subscription; the new id."""
        delivery = self.find_delivery(delivery_id)
        subscription = self.mock.store.subscription(delivery.subscription_id)
        if subscription is None:
            raise ApiError(409, "subscription gone", "the delivery's subscription was removed")
        return self.mock.engine.redeliver(delivery, subscription)

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
        profile = self.find_profile(body.get("profile"))
        values = field(body, "settings", dict)
        known = _account_settings(profile)
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
        for name, value in values.items():
            self.mock.store.set_setting(profile.name, name, value)
        return self.settings(request)


def _settings_screen(profile: Profile) -> bool:
    return profile.semantics["subscription"]["management"] == "settings-screen"


def _secret_field(profile: Profile) -> str | None:
    source = profile.semantics["authenticity"].get("value_from") or {}
    return source.get("subscription_field")


def _account_settings(profile: Profile) -> list[str]:
    source = profile.semantics["authenticity"].get("value_from") or {}
    return [source["account_setting"]] if "account_setting" in source else []


def _events(body: dict[str, Any], *, required: bool) -> list[str] | None:
    if "events" in body:
        events = field(body, "events", list)
        if not events or not all(isinstance(e, str) for e in events):
            raise ApiError(400, "wrong type", "'events' must be a non-empty list of event names")
        return events
    event = field(body, "event", str, required=required)
    return None if event is None else [event]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}
ERRORS = {
    "400": _error("Malformed JSON or a field of the wrong type"),
    "404": _error("No such id"),
    "409": _error("Not possible in the current state"),
    "413": _error("Body too large"),
    "422": _error("Refused, with the reason"),
}


def _op(
    summary: str, responses: dict[str, Any], body: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": {**responses, **ERRORS}}
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    operation.update(extra)
    return operation


_NULLABLE_STRING = {"type": ["string", "null"]}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
    "info": {
        "title": "hookconform mock provider: control API",
        "version": "1",
        "description": "Trigger events, manage settings-screen webhooks, read the delivery log.",
    },
    "paths": {
        "/_mock/profiles": {
            "get": _op(
                "The served profiles and their events",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["profiles"],
                            "properties": {"profiles": {"type": "array", "items": _ref("Profile")}},
                        },
                        "The profiles",
                    )
                },
            )
        },
        "/_mock/profiles/{name}/openapi.json": {
            "get": _op(
                "A served profile's OpenAPI document (subscription API and events)",
                {"200": _json({"type": "object", "required": ["openapi"]}, "The document")},
                parameters=[
                    {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
            )
        },
        "/_mock/events": {
            "post": _op(
                "Trigger an event: deliver it to every subscription of its type",
                {"202": _json(_ref("Triggered"), "The event and its deliveries")},
                _ref("Trigger"),
            )
        },
        "/_mock/subscriptions": {
            "get": _op(
                "Every subscription (webhook), whatever made it",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["subscriptions"],
                            "properties": {
                                "subscriptions": {"type": "array", "items": _ref("Subscription")}
                            },
                        },
                        "The subscriptions",
                    )
                },
                parameters=[{"name": "profile", "in": "query", "schema": {"type": "string"}}],
            )
        },
        "/_mock/subscriptions/{id}": {
            "get": _op(
                "One subscription",
                {"200": _json(_ref("Subscription"), "The subscription")},
                parameters=[ID],
            )
        },
        "/_mock/webhooks": {
            "post": _op(
                "Create a webhook as a person would in a settings screen",
                {"201": _json(_ref("Subscription"), "The webhook")},
                _ref("WebhookCreate"),
            )
        },
        "/_mock/webhooks/{id}": {
            "parameters": [ID],
            "patch": _op(
                "Change a webhook's URL, event(s), token or active flag",
                {"200": _json(_ref("Subscription"), "The webhook")},
                _ref("WebhookUpdate"),
            ),
            "delete": _op("Remove a webhook", {"204": {"description": "Removed"}}),
        },
        "/_mock/webhooks/{id}/validate": {
            "post": _op(
                "Send the endpoint a validation request carrying a fresh secret",
                {"200": _json(_ref("Outcome"), "What the endpoint answered")},
                parameters=[ID],
            )
        },
        "/_mock/webhooks/{id}/confirm": {
            "post": _op(
                "Confirm a webhook with the secret its endpoint received",
                {"200": _json(_ref("Subscription"), "The webhook, now active")},
                {
                    "type": "object",
                    "required": ["secret"],
                    "properties": {"secret": {"type": "string"}},
                },
                parameters=[ID],
            )
        },
        "/_mock/deliveries": {
            "get": _op(
                "The delivery log, with every attempt",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["deliveries"],
                            "properties": {
                                "deliveries": {"type": "array", "items": _ref("Delivery")}
                            },
                        },
                        "The deliveries",
                    )
                },
                parameters=[
                    {
                        "name": "subscription",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 0},
                    },
                    {"name": "event", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                    {"name": "status", "in": "query", "schema": {"enum": list(DELIVERY_STATUSES)}},
                ],
            )
        },
        "/_mock/deliveries/{id}": {
            "get": _op(
                "One delivery", {"200": _json(_ref("Delivery"), "The delivery")}, parameters=[ID]
            )
        },
        "/_mock/deliveries/{id}/redeliver": {
            "post": _op(
                "Deliver the same event to the same subscription again",
                {
                    "202": _json(
                        {
                            "type": "object",
                            "required": ["delivery_id"],
                            "properties": {"delivery_id": {"type": "integer"}},
                        },
                        "The new delivery",
                    )
                },
                parameters=[ID],
            )
        },
        "/_mock/notifications": {
            "get": _op(
                "Notifications the provider would send the account owner (e.g. failing retries)",
                {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["notifications"],
                            "properties": {
                                "notifications": {"type": "array", "items": {"type": "object"}}
                            },
                        },
                        "The notifications",
                    )
                },
            )
        },
        "/_mock/reset": {
            "post": _op(
                "Forget every subscription, event and delivery",
                {"200": _json({"type": "object", "required": ["reset"]}, "Reset")},
            )
        },
        "/_mock/faults": {
            "get": _op("The active faults", {"200": _json(_ref("Faults"), "The faults")}),
            "put": _op(
                "Replace the active faults",
                {"200": _json(_ref("Faults"), "The faults")},
                {
                    "type": "object",
                    "required": ["faults"],
                    "properties": {"faults": {"type": "array", "items": {"enum": list(FAULTS)}}},
                },
            ),
        },
        "/_mock/settings": {
            "get": _op(
                "Account settings (e.g. an export key)",
                {"200": _json(_ref("Settings"), "The settings")},
            ),
            "put": _op(
                "Change account settings",
                {"200": _json(_ref("Settings"), "The settings")},
                {
                    "type": "object",
                    "required": ["settings"],
                    "properties": {
                        "profile": {"type": "string"},
                        "settings": {"type": "object", "additionalProperties": {"type": "string"}},
                    },
                },
            ),
        },
    },
    "components": {
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error", "detail"],
                "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
            },
            "Profile": {
                "type": "object",
                "required": ["name", "title", "events"],
                "properties": {
                    "name": {"type": "string"},
                    "title": {"type": "string"},
                    "management": {"enum": ["api", "settings-screen"]},
                    "events": {"type": "array", "items": {"type": "string"}},
                },
            },
            "Trigger": {
                "type": "object",
                "required": ["type"],
                "properties": {
                    "profile": {"type": "string"},
                    "type": {"type": "string"},
                    "data": {
                        "description": "The payload; generated from the event schema when absent"
                    },
                    "set": {
                        "type": "object",
                        "description": "JSON pointer -> value, each applied or the call is refused",
                    },
                    "seed": {"type": "integer"},
                    "headers": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "Values for the event headers (default: from the schemas)",
                    },
                },
            },
            "Triggered": {
                "type": "object",
                "required": ["event_id", "deliveries"],
                "properties": {
                    "event_id": {"type": "integer"},
                    "deliveries": {"type": "array", "items": {"type": "integer"}},
                    "payload": {},
                    "schema_errors": {"type": "array", "items": {"type": "string"}},
                },
            },
            "Subscription": {
                "type": "object",
                "required": ["id", "profile", "events", "target_url", "active", "state"],
                "properties": {
                    "id": {"type": "integer"},
                    "profile": {"type": "string"},
                    "events": {"type": "array", "items": {"type": "string"}},
                    "target_url": {"type": "string"},
                    "active": {"type": "boolean"},
                    "state": {"enum": ["active", "inactive", "pending"]},
                    "reason": {"type": "string"},
                    "created_at": {"type": "string"},
                    "object": {"type": "object"},
                },
            },
            "WebhookCreate": {
                "type": "object",
                "required": ["url"],
                "properties": {
                    "profile": {"type": "string"},
                    "url": {"type": "string"},
                    "event": {"type": "string"},
                    "events": {"type": "array", "items": {"type": "string"}},
                    "token": {"type": "string"},
                },
            },
            "WebhookUpdate": {
                "type": "object",
                "properties": {
                    "url": {"type": "string"},
                    "event": {"type": "string"},
                    "events": {"type": "array", "items": {"type": "string"}},
                    "token": {"type": "string"},
                    "active": {"type": "boolean"},
                },
            },
            "Outcome": {
                "type": "object",
                "required": ["status_code"],
                "properties": {
                    "status_code": {"type": ["integer", "null"]},
                    "error": _NULLABLE_STRING,
                    "duration_ms": {"type": "number"},
                    "response_excerpt": {"type": "string"},
                },
            },
            "Attempt": {
                "type": "object",
                "required": [
                    "at",
                    "status_code",
                    "duration_ms",
                    "error",
                    "request",
                    "response_excerpt",
                ],
                "properties": {
                    "number": {"type": "integer"},
                    "at": {"type": "string"},
                    "status_code": {"type": ["integer", "null"]},
                    "duration_ms": {"type": "number"},
                    "error": _NULLABLE_STRING,
                    "request": {
                        "type": "object",
                        "required": ["headers", "body"],
                        "properties": {
                            "method": {"type": "string"},
                            "headers": {
                                "type": "object",
                                "additionalProperties": {"type": "string"},
                            },
                            "query": {"type": "object"},
                            "body": {"type": "string"},
                        },
                    },
                    "response_excerpt": {"type": "string"},
                },
            },
            "Delivery": {
                "type": "object",
                "required": [
                    "id",
                    "event_id",
                    "subscription_id",
                    "target_url",
                    "status",
                    "attempts",
                ],
                "properties": {
                    "id": {"type": "integer"},
                    "event_id": {"type": "integer"},
                    "event_type": {"type": "string"},
                    "profile": {"type": "string"},
                    "subscription_id": {"type": "integer"},
                    "target_url": {"type": "string"},
                    "status": {"enum": list(DELIVERY_STATUSES)},
                    "created_at": {"type": "string"},
                    "attempts": {"type": "array", "items": _ref("Attempt")},
                },
            },
            "Faults": {
                "type": "object",
                "required": ["faults", "available"],
                "properties": {
                    "faults": {"type": "array", "items": {"enum": list(FAULTS)}},
                    "available": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            },
            "Settings": {
                "type": "object",
                "required": ["settings"],
                "properties": {
                    "settings": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                        },
                    }
                },
            },
        }
    },
}
