"""A profile's OpenAPI document as the mock serves it (`/_mock/profiles/NAME/openapi.json`).

The profile's own document, with the mock as its server and with what the mock enforces
stated, so that a client generated from it, or schemathesis, is not surprised:

- every answer the mock can give is declared: 400 (malformed JSON, a wrong field or
  parameter, a request not to this mock), 401 where credentials are needed, 404, 413 and 415
  for bodies, 403 (a quota) and 409 (the current state) for creates and updates;
- a subscription's target URL is a URL the mock delivers to (`control_openapi.LOOPBACK_URL`,
  never the mock's own port) and its event one of the profile's, stated on the request
  bodies that carry them, and a create needs both;
- paging cursors are the mock's own (decimal row ids), as its answers hand them out;
- links lead from a create's answer to the operations on the subscription it made, so that a
  stateful client (or schemathesis's stateful phase) can follow them.

The profile's files are unchanged: this is the mock's document of itself.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from harness.security import requirements
from mock_provider.control_openapi import target_url_schema
from mock_provider.profile_api import CURSOR_PATTERN

if TYPE_CHECKING:
    from harness.profiles import Profile
    from mock_provider.app import Mock
    from mock_provider.profile_api import ProfileApi

JSON = "application/json"
MOCK_ERROR = "HookconformMockError"
CURSOR = {"type": "string", "pattern": CURSOR_PATTERN}
HTTP_METHODS = ("get", "put", "post", "delete", "patch")
_WHY = {
    "400": "Malformed JSON, a wrong field or parameter, or a request not to this mock",
    "401": "Missing or wrong credentials",
    "403": "Over the account's quota",
    "404": "No such subscription, delivery or path",
    "409": "Not possible in the current state",
    "413": "Body too large",
    "415": "A body that is not sent as application/json",
}


def document(mock: Mock, profile: Profile) -> dict[str, Any]:
    """The profile's document as this mock serves it (see the module docstring)."""
    found = copy.deepcopy(profile.openapi)
    found["servers"] = [{"url": "/" if mock.single else f"/{profile.name}"}]
    components = found.setdefault("components", {})
    components.setdefault("schemas", {})[MOCK_ERROR] = {
        "type": "object",
        "required": ["error", "detail"],
        "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
    }
    rule = profile.semantics.subscription
    events = {"enum": list(profile.events)}
    constraints = {
        "target_url": target_url_schema(mock.outbound.rule.own),
        "event": {"anyOf": [events, {"type": "array", "items": events}]},
    }
    stated = {
        name: schema
        for part, schema in constraints.items()
        if (name := rule.request_field(part)) is not None
    }
    api = mock.apis.get(profile.name)
    roles = {r.operation.operation_id: r.role for r in api.routes.all} if api else {}
    words = rule.vocabulary.list.query
    cursors = tuple(words[role] for role in ("after", "before") if role in words)
    if api is not None:
        _link(found, api, rule.fields.id or "id")
    for item in found.get("paths", {}).values():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if isinstance(operation, dict):
                _declare_answers(found, operation)
                creates = roles.get(str(operation.get("operationId"))) == "create"
                needed = list(stated) if creates else []
                _state_fields(operation, stated, needed)
                _state_cursors(operation, cursors)
    return found


def _link(openapi: dict[str, Any], api: ProfileApi, id_field: str) -> None:
    """Links from the create's answer to every operation on one subscription."""
    create = api.routes.by_role.get("create")
    if create is None or api.id_param is None:
        return
    status, answer = api.routes.success(create.operation)
    if JSON not in answer.get("content", {}):
        return
    links = {}
    for route in api.routes.all:
        if (
            route.role in (None, "create", "list", "sample")
            or api.id_param not in route.path_params
        ):
            continue
        parameters = {
            name: f"$request.path.{name}"
            for name in route.path_params
            if name in create.path_params
        }
        parameters[api.id_param] = f"$response.body#/{id_field}"
        links[f"{route.role}-{route.operation.operation_id}"] = {
            "operationId": route.operation.operation_id,
            "parameters": parameters,
        }
    operation = openapi["paths"][create.operation.path][create.operation.method.lower()]
    declared = operation["responses"].get(str(status))
    if isinstance(declared, dict) and "$ref" not in declared and links:
        declared.setdefault("links", {}).update(links)


def _declare_answers(openapi: dict[str, Any], operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    statuses = ["400", "404"]
    if requirements(openapi, operation):
        statuses.append("401")
    if "requestBody" in operation:
        statuses += ["403", "409", "413", "415"]
    for status in statuses:
        if status not in responses and int(status) not in responses:
            responses[status] = {
                "description": _WHY[status],
                "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{MOCK_ERROR}"}}},
            }


def _state_fields(operation: dict[str, Any], stated: dict[str, Any], required: list[str]) -> None:
    media = operation.get("requestBody", {}).get("content", {}).get(JSON)
    if not media or "schema" not in media or not stated:
        return
    rule: dict[str, Any] = {"properties": stated}
    if required:
        rule["required"] = required
    media["schema"] = {"allOf": [media["schema"], rule]}


def _state_cursors(operation: dict[str, Any], cursors: tuple[str, ...]) -> None:
    for index, parameter in enumerate(operation.get("parameters", [])):
        if parameter.get("in") == "query" and parameter.get("name") in cursors:
            stated = dict(parameter)
            stated["schema"] = {"allOf": [parameter.get("schema", {}), CURSOR]}
            operation["parameters"][index] = stated
