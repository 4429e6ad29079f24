"""The routes of a profile's subscription API: a werkzeug `Map` built from its OpenAPI paths.

Each operation plays the role `semantics.subscription.operations` names for it (create, list,
get, update, delete, and the delivery log's `deliveries` and `delivery`, and `sample`). An
operation with the same method, path parameters and schemas as a named one plays the same
role (an API served at two paths, such as Factorial v1's /api/v1/core/webhooks). werkzeug
answers the unknown paths (404) and the other methods (405 with Allow); path, query and body
values are checked against the operation's schemas here, so that a handler only sees values
the document allows.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from werkzeug.routing import Map
from werkzeug.wrappers import Request

from harness import pointers
from harness.documents import mappings
from harness.profiles import Operation, Profile
from harness.schemas import error_messages, registry_for, validator_for, validator_for_schema
from mock_provider import routing
from mock_provider.http_json import ApiError, read_object

JSON = "application/json"


@dataclass(frozen=True)
class Parameter:
    """A path or query parameter and where its schema sits in the document."""

    name: str
    location: str
    required: bool
    schema: Mapping[str, Any]
    schema_pointer: str


@dataclass(frozen=True)
class Route:
    """One operation and the role it plays."""

    operation: Operation
    role: str | None
    path_params: tuple[str, ...]
    parameters: Mapping[tuple[str, str], Parameter]

    @property
    def query_parameters(self) -> list[Parameter]:
        return [p for (_, where), p in self.parameters.items() if where == "query"]


class Routes:
    """Every operation of a profile's `paths` as a route, and the checks of its values."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.uri = f"urn:hookconform:mock:{profile.name}"
        self.registry = registry_for({self.uri: profile.openapi})
        self.all = [self._route(op, role) for op, role in self._roles()]
        self.by_role: dict[str, Route] = {}
        for route in self.all:
            if route.role is not None:
                self.by_role.setdefault(route.role, route)
        self._by_id = {r.operation.operation_id: r for r in self.all}
        rules = [
            routing.rule(r.operation.path, r.operation.method, r.operation.operation_id)
            for r in self.all
        ]
        self.map = Map(rules, strict_slashes=False, merge_slashes=False)

    # reading the document ---------------------------------------------------------------

    def request_schema(self, op: Operation) -> Any:
        return op.spec.get("requestBody", {}).get("content", {}).get(JSON, {}).get("schema")

    def success(self, op: Operation) -> tuple[int, dict[str, Any]]:
        """The operation's first 2xx status and its declared answer."""
        for status, response in op.spec.get("responses", {}).items():
            if str(status).startswith("2"):
                return int(status), self.profile.resolve(response)
        return 200, {}

    def response_schema(self, op: Operation) -> Any:
        _, response = self.success(op)
        return self.profile.resolve(response.get("content", {}).get(JSON, {}).get("schema", {}))

    def _signature(self, op: Operation) -> tuple[str, ...]:
        params = ",".join(op.path_parameters)
        request, response = self.request_schema(op), self.response_schema(op)
        return (op.method, params, json.dumps(request), json.dumps(response))

    def _roles(self) -> list[tuple[Operation, str | None]]:
        declared = self.profile.semantics.subscription.operations
        ops = self.profile.operations
        by_signature = {self._signature(ops[i]): role for role, i in declared.items() if i in ops}
        roles: list[tuple[Operation, str | None]] = []
        for op_id, op in ops.items():
            role = next((r for r, i in declared.items() if i == op_id), None)
            roles.append((op, role or by_signature.get(self._signature(op))))
        return roles

    def _parameters(self, op: Operation) -> dict[tuple[str, str], Parameter]:
        found = {}
        levels = [
            (self.profile.openapi["paths"][op.path].get("parameters", []), ["paths", op.path]),
            (op.spec.get("parameters", []), ["paths", op.path, op.method.lower()]),
        ]
        for params, base in levels:
            for index, raw in enumerate(params):
                where = (
                    raw["$ref"][1:]
                    if "$ref" in raw
                    else pointers.join([*base, "parameters", index])
                )
                param = self.profile.resolve(raw)
                found[(param["name"], param["in"])] = Parameter(
                    name=param["name"],
                    location=param["in"],
                    required=bool(param.get("required")),
                    schema=self.profile.resolve(param.get("schema", {})),
                    schema_pointer=f"{where}/schema",
                )
        return found

    def _route(self, op: Operation, role: str | None) -> Route:
        names = tuple(op.path_parameters)
        return Route(op, role, names, self._parameters(op))

    def event_parameter(self, route: Route) -> str | None:
        """The path parameter whose values are the profile's events (a sample's)."""
        for param in route.parameters.values():
            if param.location == "path" and set(param.schema.get("enum", [])) & set(
                self.profile.events
            ):
                return param.name
        return None

    def path_to(self, route: Route | None, values: Mapping[str, Any]) -> str | None:
        """The path of `route` with `values` for its parameters; None when one is missing."""
        if route is None:
            return None
        path = route.operation.path
        for name in route.path_params:
            if name not in values:
                return None
            path = path.replace("{" + name + "}", str(values[name]))
        return path

    # matching and checking --------------------------------------------------------------

    def match(self, request: Request, path: str) -> tuple[Route, dict[str, str]]:
        """The route for a request and its raw path values; 404 or 405 (with Allow)."""
        unknown = f"no operation of {self.profile.name!r}"
        endpoint, values = routing.match(self.map, request, path, unknown)
        return self._by_id[endpoint], {str(k): str(v) for k, v in values.items()}

    @functools.cache  # noqa: B019 (one Routes per mounted profile, kept for the process)
    def _validator(self, schema_pointer: str) -> Draft202012Validator:
        return validator_for(self.uri, schema_pointer, self.registry)

    def accepts(self, schema: Any, value: Any) -> bool:
        """Whether `value` fits `schema`, a node of the profile's document: a reference
        (with keywords beside it) or a schema without references. Keywords beside it that
        hold references of their own are not judged (they are taken as fitting)."""
        if not isinstance(schema, Mapping):
            return True
        ref = schema.get("$ref")
        referred = isinstance(ref, str) and ref.startswith("#")
        if referred and not self._validator(str(ref)[1:]).is_valid(value):
            return False
        beside = {k: v for k, v in schema.items() if k != "$ref"}
        if any("$ref" in n for n in mappings(beside)):
            return True
        return validator_for_schema(beside).is_valid(value)

    def refusal(self, op: Operation, error: ApiError) -> tuple[Any, Draft202012Validator] | None:
        """The schema the operation declares for `error`'s status (or its class, `4XX`, or
        `default`) and a validator of it; None when it declares none."""
        responses = op.spec.get("responses", {})
        status = str(error.status)
        for key in (status, f"{status[0]}XX", "default"):
            if key not in responses:
                continue
            where = pointers.join(["paths", op.path, op.method.lower(), "responses", key])
            response = responses[key]
            if isinstance(response, dict) and "$ref" in response:
                where = str(response["$ref"])[1:]
            response = self.profile.resolve(response)
            if JSON not in response.get("content", {}):
                return None
            schema_at = pointers.join([*pointers.split(where), "content", JSON, "schema"])
            return self.profile.resolve(response["content"][JSON].get("schema", {})), (
                self._validator(schema_at)
            )
        return None

    def bad_status(self, op: Operation) -> int:
        """The status of a refused body or parameter: 422 where the operation declares it."""
        responses = op.spec.get("responses", {})
        return 422 if "422" in responses or 422 in responses else 400

    def path_values(self, route: Route, raw: Mapping[str, str]) -> dict[str, Any]:
        """Path values as their schemas type them; 404 for one the schema refuses."""
        found = {}
        for name, text in raw.items():
            param = route.parameters.get((name, "path"))
            if param is None:
                found[name] = text
                continue
            value = _coerce(param, text)
            if not self._validator(param.schema_pointer).is_valid(value):
                raise ApiError(404, "not found", f"no {name} {text!r}")
            found[name] = value
        return found

    def query(self, route: Route, request: Request) -> dict[str, Any]:
        """The declared query parameters given, typed and checked (a null one is not given)."""
        found = {}
        for param in route.query_parameters:
            if param.name not in request.args:
                continue
            value = _coerce(param, request.args[param.name])
            errors = error_messages(self._validator(param.schema_pointer), value)
            if errors:
                raise ApiError(
                    self.bad_status(route.operation),
                    "invalid parameter",
                    f"{param.name}: {errors[0]}",
                )
            if value is not None:
                found[param.name] = value
        return found

    def body(self, route: Route, request: Request, limit: int) -> dict[str, Any]:
        """The request body, checked against the operation's request schema."""
        document = read_object(request, limit)
        op = route.operation
        where = pointers.join(
            ["paths", op.path, op.method.lower(), "requestBody", "content", JSON, "schema"]
        )
        errors = error_messages(self._validator(where), document)
        if errors:
            raise ApiError(self.bad_status(op), "invalid body", errors[0])
        return document


def _coerce(param: Parameter, value: str) -> Any:
    types = param.schema.get("type")
    types = types if isinstance(types, list) else [types]
    # Any whole number the schema allows (its uses clamp it); past 1,000 digits it stays a
    # string, which the schema refuses, rather than an int Python will not convert.
    if "integer" in types and re.fullmatch(r"-?[0-9]{1,1000}", value):
        return int(value)
    if "null" in types and value in ("", "null"):
        return None
    if "boolean" in types and value in ("true", "false"):
        return value == "true"
    return value
