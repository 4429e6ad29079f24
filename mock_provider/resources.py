"""A profile's subscription API served from its OpenAPI document.

The routes are the profile's `paths`; each operation plays a role named in
`semantics.subscription.operations` (create, list, get, update, delete). An operation with
the same method and request and response schemas as a named one plays the same role (an
API served at two paths). Two more roles are recognised by shape, not by name: a GET with a
path parameter whose enum names the profile's events answers a sample body (`sample`), and
GETs below the get operation's path answer the delivery log (`deliveries`, `delivery`).

Request bodies are checked against the operation's request schema. A request field maps to
the object field of the same name, or to the one it ends with or that ends with it
(`subscription_type` -> `type`, path parameter `version` -> `api_version`). Answers are built
from the response schemas: the object's declared properties; a list as a bare array or as
an object with an array and a paging object; list items that lack the event field are
references `{id, name, url, ...}` to the object's API address.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jsonschema import Draft202012Validator
from werkzeug.wrappers import Request, Response

from harness.documents import pointer
from harness.profiles import Operation, Profile
from harness.schemas import error_messages, registry_for, validator_for
from harness.wire import get_pointer
from mock_provider import auth
from mock_provider.delivery import Engine, body_of
from mock_provider.jsonapi import ApiError, empty_response, json_response, read_object
from mock_provider.store import Delivery, Store, Subscription
from mock_provider.subscriptions import Subscriptions

JSON = "application/json"
PAGING_LIMIT = 100
MAX_PAGE = 10**9  # a page number past any log, small enough for SQLite's OFFSET
CRUD_ROLES = ("create", "list", "get", "update", "delete")
CURSOR_PARAMETERS = ("after_id", "before_id")


def _norm(name: str) -> str:
    """A field name without case and separators: statusCode == status_code."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def counterpart(name: str, candidates: Any) -> str | None:
    """The candidate that `name` stands for: equal, or one ends with `_` + the other."""
    if name in candidates:
        return name
    for candidate in candidates:
        if name.endswith("_" + candidate) or candidate.endswith("_" + name):
            return candidate
    return None


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str
    required: bool
    schema: dict[str, Any]
    schema_pointer: str


@dataclass
class Route:
    operation: Operation
    role: str | None
    pattern: re.Pattern[str]
    path_params: list[str]
    parameters: dict[tuple[str, str], Parameter]

    @property
    def order(self) -> tuple[int, ...]:
        # Literal segments before parameters, position by position: .../samples/{e} wins
        # over .../{id} for the path .../samples/X.
        segments = self.operation.path.strip("/").split("/")
        return tuple(1 if s.startswith("{") else 0 for s in segments)


def _compile(path: str) -> tuple[re.Pattern[str], list[str]]:
    names = re.findall(r"{([^}]+)}", path)
    regex = re.sub(r"{[^}]+}", "([^/]+)", re.escape(path).replace(r"\{", "{").replace(r"\}", "}"))
    return re.compile(f"^{regex}/?$" if not path.endswith("/") else f"^{regex}?$"), names


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
        self.openapi = profile.openapi
        self.uri = f"urn:hookconform:mock:{profile.name}"
        self.registry = registry_for({self.uri: self.openapi})
        self.fields: dict[str, str] = profile.semantics["subscription"].get("fields", {})
        self.routes = sorted(
            (self._route(op, role) for op, role in self._roles()), key=lambda r: r.order
        )
        by_role = {r.role: r for r in self.routes if r.role in CRUD_ROLES}
        self.by_role = by_role
        collection = by_role.get("create") or by_role.get("list")
        self.collection_params = collection.path_params if collection else []
        item = by_role.get("get") or by_role.get("update") or by_role.get("delete")
        self.item_route = item
        self.id_param = next(
            (p for p in (item.path_params if item else []) if p not in self.collection_params),
            None,
        )
        self.scope_params = [
            p
            for p in self.collection_params
            if collection and "enum" not in collection.parameters[(p, "path")].schema
        ]
        source = by_role.get("get") or by_role.get("create")
        self.object_schema = self._response_schema(source.operation) if source else {}
        self.object_props = self._properties(self.object_schema)

    # setup ------------------------------------------------------------------------------

    def resolve(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 32:
            node = get_pointer(self.openapi, node["$ref"][1:])
            seen += 1
        return node

    def _signature(self, op: Operation) -> tuple[str, ...]:
        params = ",".join(re.findall(r"{([^}]+)}", op.path))
        request, response = self._request_schema(op), self._response_schema(op)
        return (op.method, params, json.dumps(request), json.dumps(response))

    def _roles(self) -> list[tuple[Operation, str | None]]:
        declared = self.profile.semantics["subscription"].get("operations", {})
        ops = self.profile.operations
        by_signature = {self._signature(ops[i]): role for role, i in declared.items() if i in ops}
        get_op = self.profile.subscription_operation("get")
        roles: list[tuple[Operation, str | None]] = []
        for op_id, op in ops.items():
            role = next((r for r, i in declared.items() if i == op_id), None)
            role = role or by_signature.get(self._signature(op))
            if role is None and op.method == "GET":
                if self._names_events(op):
                    role = "sample"
                elif get_op and op.path.startswith(get_op.path + "/"):
                    role = "delivery" if op.path.endswith("}") else "deliveries"
            roles.append((op, role))
        return roles

    def _parameters(self, op: Operation) -> dict[tuple[str, str], Parameter]:
        found = {}
        levels = [
            (
                self.openapi["paths"][op.path].get("parameters", []),
                pointer(["paths", op.path, "parameters"]),
            ),
            (
                op.spec.get("parameters", []),
                pointer(["paths", op.path, op.method.lower(), "parameters"]),
            ),
        ]
        for params, base in levels:
            for index, raw in enumerate(params):
                where = f"{base}/{index}"
                if "$ref" in raw:
                    where = raw["$ref"][1:]
                param = self.resolve(raw)
                found[(param["name"], param["in"])] = Parameter(
                    name=param["name"],
                    location=param["in"],
                    required=bool(param.get("required")),
                    schema=self.resolve(param.get("schema", {})),
                    schema_pointer=f"{where}/schema",
                )
        return found

    def _names_events(self, op: Operation) -> str | None:
        for param in self._parameters(op).values():
            if param.location == "path" and set(param.schema.get("enum", [])) & set(
                self.profile.events
            ):
                return param.name
        return None

    def _route(self, op: Operation, role: str | None) -> Route:
        pattern, names = _compile(op.path)
        return Route(op, role, pattern, names, self._parameters(op))

    def _request_schema(self, op: Operation) -> Any:
        return op.spec.get("requestBody", {}).get("content", {}).get(JSON, {}).get("schema")

    def _success(self, op: Operation) -> tuple[int, dict[str, Any]]:
        """The operation's first 2xx status and its declared answer."""
        for status, response in op.spec.get("responses", {}).items():
            if str(status).startswith("2"):
                return int(status), self.resolve(response)
        return 200, {}

    def _response_schema(self, op: Operation) -> Any:
        _, response = self._success(op)
        return self.resolve(response.get("content", {}).get(JSON, {}).get("schema", {}))

    def _properties(self, schema: Any) -> dict[str, Any]:
        schema = self.resolve(schema)
        if not isinstance(schema, dict):
            return {}
        props = dict(schema.get("properties", {}))
        for part in schema.get("allOf", []):
            props.update(self._properties(part))
        return props

    def _required(self, schema: Any) -> list[str]:
        schema = self.resolve(schema)
        if not isinstance(schema, dict):
            return []
        found = list(schema.get("required", []))
        for part in schema.get("allOf", []):
            found += self._required(part)
        return list(dict.fromkeys(found))

    @functools.cache  # noqa: B019 (one ProfileApi per mounted profile, kept for the process)
    def _validator(self, schema_pointer: str) -> Draft202012Validator:
        return validator_for(self.uri, schema_pointer, self.registry)

    def _bad_status(self, op: Operation) -> int:
        responses = op.spec.get("responses", {})
        return 422 if "422" in responses or 422 in responses else 400

    # dispatch ---------------------------------------------------------------------------

    def handle(self, request: Request, path: str) -> Response:
        allowed = []
        for route in self.routes:
            match = route.pattern.match(path)
            if not match:
                continue
            if route.operation.method != request.method:
                allowed.append(route.operation.method)
                continue
            return self._call(
                route, dict(zip(route.path_params, match.groups(), strict=True)), request
            )
        if allowed:
            raise ApiError(
                405,
                "method not allowed",
                f"{request.method} {path}: allowed {', '.join(sorted(set(allowed)))}",
                headers={"Allow": ", ".join(sorted(set(allowed)))},
            )
        raise ApiError(404, "not found", f"no operation of {self.profile.name!r} at {path}")

    def _call(self, route: Route, values: dict[str, str], request: Request) -> Response:
        op = route.operation
        refused = auth.check(self.openapi, op.spec, request.headers, self.credentials)
        if refused:
            raise ApiError(
                401, "unauthorized", refused, headers=auth.challenge_header(self.openapi)
            )
        path = {name: self._path_value(route, name, value) for name, value in values.items()}
        query = self._query(route, request)
        try:
            handler: Callable[..., Response] = getattr(self, f"_{route.role}")
        except (AttributeError, TypeError):
            raise ApiError(
                404, "not emulated", f"the mock does not serve {op.operation_id}"
            ) from None
        try:
            return handler(route, path, query, request)
        except ApiError as exc:
            if exc.status == 422:
                exc.status = self._bad_status(op)
            raise

    def _coerce(self, param: Parameter, value: str) -> Any:
        types = param.schema.get("type")
        types = types if isinstance(types, list) else [types]
        # Any whole number the schema allows (its uses clamp it); past 1,000 digits it stays
        # a string, which the schema refuses, rather than an int Python will not convert.
        if "integer" in types and re.fullmatch(r"-?[0-9]{1,1000}", value):
            return int(value)
        if "null" in types and value in ("", "null"):
            return None
        if "boolean" in types and value in ("true", "false"):
            return value == "true"
        return value

    def _path_value(self, route: Route, name: str, raw: str) -> Any:
        param = route.parameters.get((name, "path"))
        if param is None:
            return raw
        value = self._coerce(param, raw)
        if not self._validator(param.schema_pointer).is_valid(value):
            raise ApiError(404, "not found", f"no {name} {raw!r}")
        return value

    def _query(self, route: Route, request: Request) -> dict[str, Any]:
        found = {}
        for (name, location), param in route.parameters.items():
            if location != "query" or name not in request.args:
                continue
            value = self._coerce(param, request.args[name])
            errors = error_messages(self._validator(param.schema_pointer), value)
            if errors:
                raise ApiError(
                    self._bad_status(route.operation), "invalid parameter", f"{name}: {errors[0]}"
                )
            if value is not None:  # a null parameter is one not given
                found[name] = value
        return found

    def _body(self, route: Route, request: Request) -> dict[str, Any]:
        document = read_object(request, self.body_limit)
        op = route.operation
        where = pointer(
            ["paths", op.path, op.method.lower(), "requestBody", "content", JSON, "schema"]
        )
        errors = error_messages(self._validator(where), document)
        if errors:
            raise ApiError(self._bad_status(op), "invalid body", errors[0])
        return document

    # mapping ----------------------------------------------------------------------------

    def _to_object(self, document: Mapping[str, Any]) -> dict[str, Any]:
        """Request fields under the object's field names."""
        found = {}
        for name, value in document.items():
            target = counterpart(name, self.object_props)
            if target and target != self.fields.get("id"):
                found[target] = value
        return found

    def _scope(self, path: Mapping[str, Any]) -> dict[str, Any]:
        return {name: path[name] for name in self.scope_params if name in path}

    def _find(self, path: Mapping[str, Any]) -> Subscription:
        wanted = str(path.get(self.id_param, ""))
        scope = self._scope(path)
        for subscription in self.store.subscriptions(self.profile.name):
            if str(subscription.public_id) == wanted and subscription.scope == scope:
                return subscription
        raise ApiError(404, "not found", f"no subscription {wanted!r}")

    def _new_public_id(self) -> Any:
        schema = self.resolve(self.object_props.get(self.fields.get("id", "id"), {}))
        if schema.get("format") == "uuid":
            return str(uuid.uuid4())
        return None  # the row id

    def _api_path(self, route: Route | None, values: Mapping[str, Any]) -> str | None:
        if route is None:
            return None
        path = route.operation.path
        for name in route.path_params:
            if name not in values:
                return None
            path = path.replace("{" + name + "}", str(values[name]))
        return path

    def _object_path(self, subscription: Subscription) -> str | None:
        values = dict(self.profile.semantics["subscription"].get("path_parameters", {}))
        values.update(subscription.scope)
        values[self.id_param or "id"] = subscription.public_id
        return self._api_path(self.item_route, values)

    # answers ----------------------------------------------------------------------------

    def present(self, subscription: Subscription, schema: Any = None) -> dict[str, Any]:
        """The subscription as the API shows it, shaped by `schema` (the object's)."""
        schema = self.object_schema if schema is None else schema
        props = self._properties(schema)
        fields = self.fields
        obj: dict[str, Any] = dict(subscription.object)
        obj[fields.get("id", "id")] = subscription.public_id
        event_field = fields.get("event")
        if event_field:
            many = self.resolve(props.get(event_field, {})).get("type") == "array"
            obj[event_field] = subscription.events if many else subscription.events[0]
        if fields.get("target_url"):
            obj[fields["target_url"]] = subscription.target_url
        if fields.get("active"):
            obj[fields["active"]] = subscription.active
        facts = self._subscription_facts(subscription)
        for name, prop in props.items():
            if name not in obj and _norm(name) in facts:
                obj[name] = facts[_norm(name)](self.resolve(prop))
        for name in self._required(schema):
            if name not in obj and name in props:
                obj[name] = self._placeholder(props[name], name, subscription)
        return {k: v for k, v in obj.items() if k in props} if props else obj

    def _subscription_facts(self, subscription: Subscription) -> dict[str, Callable[[Any], Any]]:
        """Fields the mock fills from its log when the object schema has them."""

        def last_payload(schema: Any) -> Any:
            found = self.store.deliveries(subscription=subscription.id, limit=1, newest_first=True)
            if not found:
                return None
            return self.record(found[0], self._object_branch(schema))

        return {
            "eventcount": lambda _: self.store.count_deliveries(subscription.id),
            "lastpayload": last_payload,
            "createdat": lambda _: _iso(subscription.created_at),
        }

    def _object_branch(self, schema: Any) -> Any:
        schema = self.resolve(schema)
        for key in ("anyOf", "oneOf"):
            for branch in schema.get(key, []):
                if self._properties(branch):
                    return branch
        return schema

    def _placeholder(self, prop: Any, name: str, subscription: Subscription) -> Any:
        """A value for a required field nothing set: a path parameter it names, or a default."""
        for param, value in subscription.scope.items():
            if counterpart(name, [param]):
                return value
        schema = self.resolve(prop)
        for key in ("default", "const"):
            if key in schema:
                return schema[key]
        for key in ("enum", "examples"):
            if schema.get(key):
                return schema[key][0]
        types = schema.get("type", "string")
        types = types if isinstance(types, list) else [types]
        if "null" in types:
            return None
        defaults = {
            "string": "",
            "integer": 0,
            "number": 0,
            "boolean": False,
            "array": [],
            "object": {},
        }
        return defaults.get(types[0])

    def record(self, delivery: Delivery, schema: Any) -> dict[str, Any]:
        """A delivery as the API's delivery log shows it, shaped by `schema`."""
        last = delivery.attempts[-1] if delivery.attempts else None
        if delivery.status == "pending":
            task = "processing" if self.engine.is_processing(delivery.id) else "queued"
        else:
            task = "sent" if delivery.status == "delivered" else "failed"
        message = None
        if last is not None:
            message = (last.error or f"HTTP {last.status_code}")[:150]
        facts = {
            "id": delivery.public_id,
            "name": delivery.event_type,
            "event": delivery.event_type,
            "url": delivery.target_url,
            "targeturl": delivery.target_url,
            "attempts": delivery.attempt_count,
            "statuscode": last.status_code if last else None,
            "taskstatus": task,
            "status": delivery.status,
            "statusmessage": message,
            "created": _iso(delivery.created_at),
            "createdat": _iso(delivery.created_at),
            "payload": body_of(last) if last else delivery.payload,
        }
        shaped = {}
        for name, prop in self._properties(schema).items():
            value = facts.get(_norm(name))
            if value is None:
                continue
            enum = self.resolve(prop).get("enum")
            if enum and isinstance(value, str):
                value = _enum_value(enum, value)
                if value is None:
                    continue
            shaped[name] = value
        return shaped

    def _reference(
        self, item_schema: Any, ident: Any, name: str, url: str | None
    ) -> dict[str, Any]:
        facts = {"id": ident, "name": name, "title": name, "url": url, "href": url, "link": url}
        shaped: dict[str, Any] = {}
        for prop_name, prop in self._properties(item_schema).items():
            if _norm(prop_name) in facts:
                shaped[prop_name] = facts[_norm(prop_name)]
            elif "null" in str(self.resolve(prop).get("type", "null")):
                shaped[prop_name] = None
        return shaped

    def _listing(self, schema: Any, items: list[Any], page: dict[str, Any]) -> Any:
        """A list answer: a bare array, or an object with an array and a paging object."""
        schema = self.resolve(schema)
        if schema.get("type") == "array":
            return items
        shaped: dict[str, Any] = {}
        for name, prop in self._properties(schema).items():
            prop = self.resolve(prop)
            if prop.get("type") == "array":
                shaped[name] = items
            elif prop.get("type") == "object" or self._properties(prop):
                shaped[name] = {
                    k: page[_norm(k)]
                    for k in self._properties(prop)
                    if page.get(_norm(k)) is not None
                }
        return shaped

    def _items(self, schema: Any) -> Any:
        schema = self.resolve(schema)
        if schema.get("type") == "array":
            return schema.get("items", {})
        for prop in self._properties(schema).values():
            prop = self.resolve(prop)
            if prop.get("type") == "array":
                return prop.get("items", {})
        return {}

    # roles ------------------------------------------------------------------------------

    def _create(
        self, route: Route, path: dict[str, Any], query: dict[str, Any], request: Request
    ) -> Response:
        document = self._body(route, request)
        obj = self._to_object(document)
        fields = self.fields
        events = obj.get(fields.get("event", "event"))
        events = events if isinstance(events, list) else [events]
        secret_field = self._secret_field()
        secret = obj.get(secret_field) if secret_field else None
        for name, value in path.items():
            target = counterpart(name, self.object_props)
            if target and target not in obj and name not in self.scope_params:
                obj[target] = value
        enabled = obj.get(fields["active"], True) if fields.get("active") else True
        subscription, _ = self.service.create(
            self.profile,
            events=[e for e in events if isinstance(e, str)] or [str(events[0])],
            target_url=obj.get(fields.get("target_url", "target_url")),
            secret=secret if isinstance(secret, str) else None,
            scope=self._scope(path),
            object={k: v for k, v in obj.items() if k not in fields.values() or k == secret_field},
            public_id=self._new_public_id(),
            enabled=enabled is not False,
        )
        status, response = self._success(route.operation)
        headers = {}
        if "Location" in response.get("headers", {}):
            location = self._object_path(subscription)
            if location:
                headers["Location"] = location
        return json_response(self.present(subscription), status, headers=headers)

    def _secret_field(self) -> str | None:
        source = self.profile.semantics["authenticity"].get("value_from") or {}
        name = source.get("subscription_field")
        return name if name in self.object_props else None

    def _list(
        self, route: Route, path: dict[str, Any], query: dict[str, Any], request: Request
    ) -> Response:
        scope = self._scope(path)
        found = [s for s in self.store.subscriptions(self.profile.name) if s.scope == scope]
        presented = [(s, self.present(s)) for s in found]
        paging = {"limit", "afterid", "beforeid", "pagenum", "pagesize", "page", "perpage"}
        for name, value in query.items():
            if _norm(name) in paging:
                continue
            target = counterpart(name, self.object_props)
            if target:
                presented = [(s, o) for s, o in presented if _same(o.get(target), value)]
        total = len(presented)
        limit = min(int(query.get("limit", PAGING_LIMIT)), PAGING_LIMIT)
        after, before = (_cursor(query, name) for name in CURSOR_PARAMETERS)
        window = [
            (s, o)
            for s, o in presented
            if (after is None or s.id > after) and (before is None or s.id < before)
        ]
        page_items = window[-limit:] if before is not None and after is None else window[:limit]
        schema = self._response_schema(route.operation)
        item_schema = self._items(schema)
        event_field = self.fields.get("event")
        full = not event_field or event_field in self._properties(item_schema)
        items = [
            self.present(s, item_schema)
            if full
            else self._reference(
                item_schema, s.public_id, ", ".join(s.events), self._object_path(s)
            )
            for s, _ in page_items
        ]
        page = {
            "total": total,
            "limit": limit,
            "hasnextpage": bool(page_items) and window[-1][0].id != page_items[-1][0].id,
            "haspreviouspage": bool(page_items) and presented[0][0].id != page_items[0][0].id,
            "startcursor": _encode_cursor(page_items[0][0].id) if page_items else None,
            "endcursor": _encode_cursor(page_items[-1][0].id) if page_items else None,
        }
        status, _ = self._success(route.operation)
        return json_response(self._listing(schema, items, page), status)

    def _get(
        self, route: Route, path: dict[str, Any], query: dict[str, Any], request: Request
    ) -> Response:
        status, _ = self._success(route.operation)
        return json_response(self.present(self._find(path)), status)

    def _update(
        self, route: Route, path: dict[str, Any], query: dict[str, Any], request: Request
    ) -> Response:
        subscription = self._find(path)
        document = self._body(route, request)
        obj = self._to_object(document)
        fields = self.fields
        events = obj.pop(fields.get("event", "event"), None)
        target = obj.pop(fields.get("target_url", "target_url"), None)
        enabled = obj.pop(fields["active"], None) if fields.get("active") else None
        secret_field = self._secret_field()
        secret = obj.get(secret_field) if secret_field else None
        updated = self.service.update(
            self.profile,
            subscription,
            events=None if events is None else (events if isinstance(events, list) else [events]),
            target_url=target,
            secret=secret if isinstance(secret, str) else None,
            enabled=enabled if isinstance(enabled, bool) else None,
            object=obj,
        )
        status, _ = self._success(route.operation)
        return json_response(self.present(updated), status)

    def _delete(
        self, route: Route, path: dict[str, Any], query: dict[str, Any], request: Request
    ) -> Response:
        if self.id_param and self.id_param in path:
            subscription = self._find(path)
        else:
            wanted = self._to_object(self._body(route, request))
            scope = self._scope(path)
            candidates = [
                s
                for s in self.store.subscriptions(self.profile.name)
                if s.scope == scope
                and all(_same(self.present(s).get(k), v) for k, v in wanted.items())
            ]
            if not candidates:
                raise ApiError(404, "not found", f"no subscription matches {json.dumps(wanted)}")
            subscription = candidates[0]
        shown = self.present(subscription)
        self.service.delete(subscription)
        status, response = self._success(route.operation)
        if status == 204 or JSON not in response.get("content", {}):
            return empty_response(status)
        return json_response(shown, status)

    def _sample(
        self, route: Route, path: dict[str, Any], query: dict[str, Any], request: Request
    ) -> Response:
        name = self._names_events(route.operation)
        event = self.profile.events.get(str(path.get(name or "", "")))
        if event is None:
            raise ApiError(404, "not found", f"no event {path.get(name or '')!r}")
        return json_response(event.example())

    def _deliveries(
        self, route: Route, path: dict[str, Any], query: dict[str, Any], request: Request
    ) -> Response:
        subscription = self._find(path)
        size = min(
            max(int(_paging(query, "pagesize", "perpage", "limit") or PAGING_LIMIT), 1),
            PAGING_LIMIT,
        )
        number = min(max(int(_paging(query, "pagenum", "page") or 0), 0), MAX_PAGE)
        found = self.store.deliveries(
            subscription=subscription.id, limit=size, offset=number * size, newest_first=True
        )
        schema = self._response_schema(route.operation)
        item_schema = self._items(schema)
        record_route = next((r for r in self.routes if r.role == "delivery"), None)
        items = []
        for delivery in found:
            if "payload" in {_norm(p) for p in self._properties(item_schema)}:
                items.append(self.record(delivery, item_schema))
                continue
            values = {
                **path,
                (record_route.path_params[-1] if record_route else "id"): delivery.public_id,
            }
            items.append(
                self._reference(
                    item_schema,
                    delivery.public_id,
                    delivery.event_type,
                    self._api_path(record_route, values),
                )
            )
        return json_response(self._listing(schema, items, {"total": len(items)}))

    def _delivery(
        self, route: Route, path: dict[str, Any], query: dict[str, Any], request: Request
    ) -> Response:
        subscription = self._find(path)
        wanted = str(path[route.path_params[-1]])
        delivery = self.store.delivery_by_public_id(wanted)
        if delivery is None or delivery.subscription_id != subscription.id:
            raise ApiError(404, "not found", f"no delivery {wanted!r} for this subscription")
        return json_response(self.record(delivery, self._response_schema(route.operation)))


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _enum_value(enum: list[Any], value: str) -> Any:
    synonyms = {"sent": ["sent", "delivered", "succeeded"], "failed": ["failed", "abandoned"]}
    for candidate in synonyms.get(value, [value]):
        for option in enum:
            if isinstance(option, str) and option.lower() == candidate:
                return option
    return None


def _same(shown: Any, wanted: Any) -> bool:
    if isinstance(shown, bool) or isinstance(wanted, bool):
        return str(shown).lower() == str(wanted).lower()
    return str(shown) == str(wanted)


# The mock's paging cursors: the row id in decimal (opaque to clients; the served document
# states the form, so that a client generated from it sends only cursors the mock reads).
CURSOR_PATTERN = "^[0-9]{1,18}$"


def _encode_cursor(row_id: int) -> str:
    return str(row_id)


def _cursor(query: Mapping[str, Any], name: str) -> int | None:
    if name not in query:
        return None
    if not re.fullmatch(CURSOR_PATTERN, str(query[name])):
        raise ApiError(400, "invalid cursor", f"{name}: {query[name]!r} is not a cursor")
    return int(query[name])


def _paging(query: Mapping[str, Any], *names: str) -> Any:
    for key, value in query.items():
        if _norm(key) in names:
            return value
    return None
