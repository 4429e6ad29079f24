"""A profile's subscription API, served at its real paths from its OpenAPI document.

The routes (`mock_provider.routes`) give each request its operation and role and check its
values; the subscriptions service (`mock_provider.subscriptions`) applies the profile's
semantics; the answers are shaped by the response schemas and the profile's vocabulary
(`mock_provider.shaping`). The roles:

- create, list, get, update, delete: the subscription records (a delete without an id in
  the path finds the subscription by the body's fields, as Factorial v1 deletes by type);
- deliveries, delivery: the delivery log of one subscription, newest first, paged by the
  vocabulary's log parameters;
- sample: an example body of the event named in the path.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from werkzeug.wrappers import Request, Response

from harness.profiles import Profile
from harness.transport import header_problem
from mock_provider import auth
from mock_provider.delivery import SENT_HEADERS, Engine, attempt_body
from mock_provider.http_json import ApiError, empty_response, json_response
from mock_provider.routes import JSON, Route, Routes
from mock_provider.shaping import Shapes, counterpart, iso
from mock_provider.store import Delivery, Store, Subscription
from mock_provider.subscriptions import Subscriptions

PAGING_LIMIT = 100
MAX_PAGE = 10**9  # a page number past any log, small enough for SQLite's OFFSET
# The mock's paging cursors: the row id in decimal (opaque to clients; the served document
# states the form, so that a client generated from it sends only cursors the mock reads).
CURSOR_PATTERN = "^[0-9]{1,18}$"

Values = dict[str, Any]


class ProfileApi:
    """The subscription API of one `management: api` profile."""

    def __init__(
        self,
        profile: Profile,
        service: Subscriptions,
        store: Store,
        engine: Engine,
        credentials: auth.Credentials,
        body_limit: int,
    ) -> None:
        self.profile = profile
        self.service = service
        self.store = store
        self.engine = engine
        self.credentials = credentials
        self.body_limit = body_limit
        self.rule = profile.semantics.subscription
        self.words = self.rule.vocabulary
        self.routes = Routes(profile)
        self.shapes = Shapes(profile)
        roles = self.routes.by_role
        collection = roles.get("create") or roles.get("list")
        self.collection_params = collection.path_params if collection else ()
        self.item_route = roles.get("get") or roles.get("update") or roles.get("delete")
        self.id_param = profile.id_parameter
        self.scope_params = [
            p
            for p in self.collection_params
            if collection and "enum" not in collection.parameters[(p, "path")].schema
        ]
        source = roles.get("get") or roles.get("create")
        self.object_schema = self.routes.response_schema(source.operation) if source else {}
        self.object_props = self.shapes.properties(self.object_schema)

    # dispatch ---------------------------------------------------------------------------

    def handle(self, request: Request, path: str) -> Response:
        route, raw = self.routes.match(request, path)
        op = route.operation
        try:
            return self._answer(route, raw, request)
        except ApiError as exc:
            if exc.status == 422:
                exc.status = self.routes.bad_status(op)
            declared = self.routes.refusal(op, exc)
            if declared is None:
                raise
            schema, validator = declared
            body = self.shapes.refusal(schema, validator.is_valid, exc.error, exc.detail)
            return json_response(body, exc.status, headers=exc.headers)

    def _answer(self, route: Route, raw: Mapping[str, str], request: Request) -> Response:
        op = route.operation
        headers = dict(request.headers.items())
        refused = auth.check(self.profile.openapi, op.spec, headers, self.credentials)
        if refused:
            headers = auth.challenge_header(self.profile.openapi)
            raise ApiError(401, "unauthorized", refused, headers=headers)
        values = self.routes.path_values(route, raw)
        query = self.routes.query(route, request)
        handler: Callable[[Route, Values, Values, Request], Response] | None = getattr(
            self, f"_{route.role}", None
        )
        if route.role is None or handler is None:
            raise ApiError(404, "not emulated", f"the mock does not serve {op.operation_id}")
        return handler(route, values, query, request)

    # mapping ----------------------------------------------------------------------------

    def _to_object(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """Request fields under the object's field names."""
        found = {}
        for name, value in document.items():
            target = counterpart(name, self.object_props)
            if target and target != self.rule.fields.id:
                found[target] = value
        return found

    def _scope(self, path: Mapping[str, Any]) -> dict[str, Any]:
        return {name: path[name] for name in self.scope_params if name in path}

    def _find(self, path: Mapping[str, Any]) -> Subscription:
        wanted = str(path.get(self.id_param or "", ""))
        scope = self._scope(path)
        for subscription in self.store.subscriptions(self.profile.name):
            if str(subscription.public_id) == wanted and subscription.scope == scope:
                return subscription
        raise ApiError(404, "not found", f"no subscription {wanted!r}")

    def _new_public_id(self) -> Any:
        schema = self.profile.resolve(self.object_props.get(self.rule.fields.id or "id", {}))
        if schema.get("format") == "uuid":
            return str(uuid.uuid4())
        return None  # the row id

    def _object_path(self, subscription: Subscription) -> str | None:
        values = {**self.rule.path_parameters, **subscription.scope}
        values[self.id_param or "id"] = subscription.public_id
        return self.routes.path_to(self.item_route, values)

    def _secret_field(self) -> str | None:
        name = self.profile.semantics.authenticity.subscription_field
        return name if name in self.object_props else None

    def _header_map(self, document: Mapping[str, Any]) -> dict[str, str] | None:
        """The headers a subscriber-headers body sets (None: it sets none); a 422 when they
        are not a map of headers a request can carry."""
        rule = self.profile.semantics.authenticity
        field = rule.subscription_field
        if not rule.header_map or field is None or document.get(field) is None:
            return None
        found = document[field]
        if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
            raise ApiError(422, "invalid headers", f"{field} must map header names to strings")
        for name, value in found.items():
            problem = header_problem(str(name), value)
            if problem:
                raise ApiError(422, "invalid headers", f"{field}: {problem}")
        return {str(k): v for k, v in found.items()}

    def _secret(self, document: Mapping[str, Any], obj: Mapping[str, Any]) -> str | None:
        """The secret a create or update sets: the secret field's value, or the value of the
        authenticity header in a subscriber-headers map."""
        headers = self._header_map(document)
        if headers is not None:
            wanted = (self.profile.semantics.authenticity.header or "").lower()
            return next((v for k, v in headers.items() if k.lower() == wanted), None)
        field = self._secret_field()
        secret = obj.get(field) if field else None
        return secret if isinstance(secret, str) else None

    # answers ----------------------------------------------------------------------------

    def present(
        self, subscription: Subscription, schema: Any = None, *, path: Values | None = None
    ) -> dict[str, Any]:
        """The subscription as the API shows it, shaped by `schema` (the object's), on the
        request path whose parameters are `path` (they decide the form of its id)."""
        schema = self.object_schema if schema is None else schema
        props = self.shapes.properties(schema)
        fields = self.rule.fields
        known: dict[str, Any] = dict(subscription.object)
        where = {**subscription.scope, **(path or {})}
        known[fields.id or "id"] = self.rule.id_form(where, subscription.public_id)
        if fields.event:
            many = self.profile.resolve(props.get(fields.event, {})).get("type") == "array"
            known[fields.event] = subscription.events if many else subscription.events[0]
        if fields.target_url:
            known[fields.target_url] = subscription.target_url
        if fields.active:
            known[fields.active] = subscription.active
        return self.shapes.shape(schema, known, self._counters(subscription), subscription.scope)

    def _counters(self, subscription: Subscription) -> dict[str, Callable[[Any], Any]]:
        """The counters a subscription object may show, each computed only when shown."""

        def last_delivery(schema: Any) -> Any:
            found = self.store.deliveries(subscription=subscription.id, limit=1, newest_first=True)
            return self.record(found[0], self.shapes.object_branch(schema)) if found else None

        return {
            "deliveries": lambda _: self.store.count_deliveries(subscription=subscription.id),
            "last_delivery": last_delivery,
            "created": lambda _: iso(subscription.created_at),
        }

    def record(self, delivery: Delivery, schema: Any) -> dict[str, Any]:
        """A delivery as the API's delivery log shows it, shaped by `schema`."""
        last = delivery.attempts[-1] if delivery.attempts else None
        if delivery.status == "pending":
            state = "processing" if self.engine.is_processing(delivery.id) else "queued"
        else:
            state = "delivered" if delivery.status == "delivered" else "failed"
        facts = {
            "id": delivery.public_id,
            "event": delivery.event_type,
            "url": delivery.target_url,
            "attempts": delivery.attempt_count,
            "status_code": last.status_code if last else None,
            "state": state,
            "message": (last.error or f"HTTP {last.status_code}")[:150] if last else None,
            "created": iso(delivery.created_at),
            "payload": attempt_body(last) if last else delivery.payload,
        }
        return self.shapes.record(facts, schema)

    # the roles --------------------------------------------------------------------------

    def _create(self, route: Route, path: Values, query: Values, request: Request) -> Response:
        document = self.routes.body(route, request, self.body_limit)
        obj = self._to_object(document)
        fields = self.rule.fields
        events = obj.get(fields.event or "event")
        events = events if isinstance(events, list) else [events]
        secret_field = self._secret_field()
        secret = self._secret(document, obj)
        headers = self._header_map(document)
        if headers is not None:
            obj[SENT_HEADERS] = headers
        for name, value in path.items():
            # A path value the field's schema refuses (Factorial's "v2" for a dated
            # api_version) is not stored: the field takes its schema's default.
            target = counterpart(name, self.object_props)
            if (
                target
                and target not in obj
                and name not in self.scope_params
                and self.routes.accepts(self.object_props[target], value)
            ):
                obj[target] = value
        enabled = obj.get(fields.active, True) if fields.active else True
        parts = set(fields.names().values())
        subscription, _ = self.service.create(
            self.profile,
            events=[e for e in events if isinstance(e, str)] or [str(events[0])],
            target_url=obj.get(fields.target_url or "target_url"),
            secret=secret,
            scope=self._scope(path),
            object={k: v for k, v in obj.items() if k not in parts or k == secret_field},
            public_id=self._new_public_id(),
            enabled=enabled is not False,
        )
        status, response = self.routes.success(route.operation)
        headers = {}
        if "Location" in response.get("headers", {}):
            location = self._object_path(subscription)
            if location:
                headers["Location"] = location
        return _declared(response, status, lambda: self.present(subscription, path=path), headers)

    def _list(self, route: Route, path: Values, query: Values, request: Request) -> Response:
        words = self.words.list
        scope = self._scope(path)
        found = [s for s in self.store.subscriptions(self.profile.name) if s.scope == scope]
        presented = [(s, self.present(s, path=path)) for s in found]
        for name, value in query.items():
            target = (
                None if name in words.paging_parameters else counterpart(name, self.object_props)
            )
            if target:
                presented = [(s, o) for s, o in presented if _same(o.get(target), value)]
        limit = min(int(query.get(words.query.get("limit", ""), PAGING_LIMIT)), PAGING_LIMIT)
        after, before = (_cursor(query, words.query.get(role)) for role in ("after", "before"))
        window = [
            (s, o)
            for s, o in presented
            if (after is None or s.id > after) and (before is None or s.id < before)
        ]
        page_items = window[-limit:] if before is not None and after is None else window[:limit]
        schema = self.routes.response_schema(route.operation)
        item_schema = self.shapes.items(schema)
        references = self.shapes.is_reference(item_schema, self.rule.fields.event)
        items = [
            self.shapes.reference(
                item_schema, s.public_id, ", ".join(s.events), self._object_path(s)
            )
            if references
            else self.present(s, item_schema, path=path)
            for s, _ in page_items
        ]
        first, last = (page_items[0][0], page_items[-1][0]) if page_items else (None, None)
        page = {
            "total": len(presented),
            "limit": limit,
            "has_next": last is not None and window[-1][0].id != last.id,
            "has_previous": first is not None and presented[0][0].id != first.id,
            "first": str(first.id) if first else None,
            "last": str(last.id) if last else None,
        }
        status, _ = self.routes.success(route.operation)
        return json_response(self.shapes.listing(schema, items, page), status)

    def _get(self, route: Route, path: Values, query: Values, request: Request) -> Response:
        status, _ = self.routes.success(route.operation)
        return json_response(self.present(self._find(path), path=path), status)

    def _update(self, route: Route, path: Values, query: Values, request: Request) -> Response:
        subscription = self._find(path)
        document = self.routes.body(route, request, self.body_limit)
        obj = self._to_object(document)
        fields = self.rule.fields
        events = obj.pop(fields.event or "event", None)
        target = obj.pop(fields.target_url or "target_url", None)
        enabled = obj.pop(fields.active, None) if fields.active else None
        secret = self._secret(document, obj)
        headers = self._header_map(document)
        if headers is not None:
            obj[SENT_HEADERS] = headers
        updated = self.service.update(
            self.profile,
            subscription,
            events=None if events is None else (events if isinstance(events, list) else [events]),
            target_url=target,
            secret=secret,
            enabled=enabled if isinstance(enabled, bool) else None,
            object=obj,
        )
        status, _ = self.routes.success(route.operation)
        return json_response(self.present(updated, path=path), status)

    def _delete(self, route: Route, path: Values, query: Values, request: Request) -> Response:
        if self.id_param and self.id_param in path:
            subscription = self._find(path)
        else:
            wanted = self._to_object(self.routes.body(route, request, self.body_limit))
            scope = self._scope(path)
            candidates = [
                s
                for s in self.store.subscriptions(self.profile.name)
                if s.scope == scope
                and all(_same(self.present(s, path=path).get(k), v) for k, v in wanted.items())
            ]
            if not candidates:
                raise ApiError(404, "not found", f"no subscription matches {json.dumps(wanted)}")
            subscription = candidates[0]
        shown = self.present(subscription, path=path)
        self.service.delete(subscription)
        status, response = self.routes.success(route.operation)
        return _declared(response, status, lambda: shown)

    def _sample(self, route: Route, path: Values, query: Values, request: Request) -> Response:
        name = self.routes.event_parameter(route) or ""
        event = self.profile.events.get(str(path.get(name, "")))
        if event is None:
            raise ApiError(404, "not found", f"no event {path.get(name)!r}")
        if not event.examples:
            raise ApiError(404, "not found", f"no sample of {event.name}")
        return json_response(event.example())

    def _deliveries(self, route: Route, path: Values, query: Values, request: Request) -> Response:
        subscription = self._find(path)
        words = self.words.log.query
        size = min(max(int(query.get(words.get("size", ""), PAGING_LIMIT)), 1), PAGING_LIMIT)
        number = min(max(int(query.get(words.get("page", ""), 0)), 0), MAX_PAGE)
        found = self.store.deliveries(
            subscription=subscription.id, limit=size, offset=number * size, newest_first=True
        )
        schema = self.routes.response_schema(route.operation)
        item_schema = self.shapes.items(schema)
        record_route = self.routes.by_role.get("delivery")
        record_id = record_route.path_params[-1] if record_route else "id"
        items = [
            self.record(d, item_schema)
            if self.shapes.is_record(item_schema)
            else self.shapes.reference(
                item_schema,
                d.public_id,
                d.event_type,
                self.routes.path_to(record_route, {**path, record_id: d.public_id}),
            )
            for d in found
        ]
        return json_response(self.shapes.listing(schema, items, {"total": len(items)}))

    def _delivery(self, route: Route, path: Values, query: Values, request: Request) -> Response:
        subscription = self._find(path)
        wanted = str(path[route.path_params[-1]])
        delivery = self.store.delivery_by_public_id(wanted)
        if delivery is None or delivery.subscription_id != subscription.id:
            raise ApiError(404, "not found", f"no delivery {wanted!r} for this subscription")
        schema = self.routes.response_schema(route.operation)
        return json_response(self.record(delivery, schema))


def _declared(
    response: Mapping[str, Any],
    status: int,
    document: Callable[[], Any],
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The answer a declared response gives: `document` when it declares a JSON body (and
    the status may have one), else no body."""
    if status == 204 or JSON not in response.get("content", {}):
        return empty_response(status, headers=headers)
    return json_response(document(), status, headers=headers)


def _same(shown: Any, wanted: Any) -> bool:
    if isinstance(shown, bool) or isinstance(wanted, bool):
        return str(shown).lower() == str(wanted).lower()
    return str(shown) == str(wanted)


def _cursor(query: Mapping[str, Any], name: str | None) -> int | None:
    if name is None or name not in query:
        return None
    if not re.fullmatch(CURSOR_PATTERN, str(query[name])):
        raise ApiError(400, "invalid cursor", f"{name}: {query[name]!r} is not a cursor")
    return int(query[name])
