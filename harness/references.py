"""What a profile refers to must exist: the checks `specs validate` adds to the meta-schemas.

A profile can be valid JSON and valid against the meta-schemas and still break a run: an
operationId that names no operation, a subscription field the API's schemas do not have, an
envelope pointer no example contains, a path parameter nothing gives a value. Each such
reference is resolved here against the merged profile, and each one that does not resolve is
a `Problem` at the place a spec writer edits (profile.yaml or openapi.yaml).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from harness import pointers
from harness.challenges import NUMBERS, PLACEHOLDERS, named_in
from harness.documents import json_path
from harness.errors import Problem
from harness.semantics import ITEM_ROLES, RECORD_ROLES

if TYPE_CHECKING:
    from harness.profiles import Operation, Profile

JSON = "application/json"
REQUEST_PARTS = ("event", "target_url")  # what every create body must be able to carry


def reference_problems(profile: Profile, profile_file: str, openapi_file: str) -> list[Problem]:
    """Every reference of `profile` that does not resolve; [] when all do."""
    rule = profile.semantics.subscription
    found = list(_pointer_problems(profile, profile_file))
    found += _signing_problems(profile, profile_file)
    if not rule.managed_by_api:
        return found
    found += _operation_problems(profile, profile_file)
    found += _field_problems(profile, profile_file)
    found += _path_problems(profile, profile_file, openapi_file)
    return found


def _at(*parts: str | int) -> str:
    return json_path(["semantics", *parts])


def _signing_problems(profile: Profile, file: str) -> Iterator[Problem]:
    """A signature's template names only what travels; a ping names one of the events."""
    scheme = profile.semantics.authenticity.scheme
    if scheme is not None:
        if scheme.signs_id and scheme.id_header is None:
            yield Problem(
                file,
                _at("authenticity", "signed"),
                "the signed content names {id}, but no id header carries it: add id.header",
            )
        if scheme.timestamped and not (scheme.timestamp_header or scheme.timestamp_in_header):
            yield Problem(
                file,
                _at("authenticity", "timestamp"),
                "the signed content names {timestamp}, but it travels nowhere: add "
                "timestamp.header, or {timestamp} in header_format",
            )
        if scheme.timestamped and scheme.tolerance is None:
            yield Problem(
                file,
                _at("authenticity", "timestamp"),
                "a signed timestamp needs timestamp.tolerance_seconds (how old a receiver "
                "accepts it)",
            )
    handshake = profile.semantics.handshake
    if handshake.pings and handshake.event not in profile.events:
        yield Problem(
            file,
            _at("handshake", "event"),
            f"{handshake.event!r} is not an event of the profile's webhooks",
        )
    if handshake.request is not None:
        parts: list[tuple[list[str | int], Any]] = [
            (["request", name], t) for name, t in handshake.request.templates.items()
        ]
        for index, answer in enumerate(handshake.answers):
            parts += [(["answers", index, n], t) for n, t in answer.templates.items()]
        for at, template in parts:
            for inside, name in named_in(template):
                where = _at("handshake", *at, *inside)
                problem = _placeholder_problem(name, sending=at[0] == "request")
                if problem:
                    yield Problem(file, where, problem)


def _placeholder_problem(name: str, *, sending: bool) -> str | None:
    """A handshake template names only the placeholders there are (a misspelt one would be
    sent, and expected, as it is written), the time of sending only in the request."""
    if name not in PLACEHOLDERS:
        known = ", ".join(f"{{{p}}}" for p in sorted(PLACEHOLDERS))
        return f"unknown placeholder {{{name}}} (known: {known})"
    if name in NUMBERS and not sending:
        return f"{{{name}}} is the time a request is sent: not in answers"
    return None


# operations ---------------------------------------------------------------------------------


def _operation_problems(profile: Profile, file: str) -> Iterator[Problem]:
    known = ", ".join(profile.operations) or "none"
    for role, operation_id in profile.semantics.subscription.operations.items():
        if operation_id not in profile.operations:
            yield Problem(
                file,
                _at("subscription", "operations", role),
                f"no operation {operation_id!r} in openapi.yaml's paths (its operationIds: "
                f"{known})",
            )


# subscription fields against the schemas ---------------------------------------------------


def properties(profile: Profile, schema: Any) -> set[str] | None:
    """The property names an object schema declares (through $ref, allOf, oneOf, anyOf and
    an array of one such object); None when it declares none, so that any name may do."""
    schema = profile.resolve(schema)
    if not isinstance(schema, Mapping):
        return None
    if schema.get("type") == "array" and "items" in schema:
        return properties(profile, schema["items"])
    names: set[str] = set(schema.get("properties", {}))
    declared = bool(names)
    for key in ("allOf", "oneOf", "anyOf"):
        for part in schema.get(key, []):
            more = properties(profile, part)
            if more is not None:
                names |= more
                declared = True
    return names if declared else None


def _response_schema(profile: Profile, operation: Operation) -> Any:
    for status, response in operation.spec.get("responses", {}).items():
        if str(status).startswith("2"):
            content = profile.resolve(response).get("content", {})
            return content.get(JSON, {}).get("schema")
    return None


def _request_schema(profile: Profile, operation: Operation) -> Any:
    body = profile.resolve(operation.spec.get("requestBody", {}))
    return body.get("content", {}).get(JSON, {}).get("schema")


def object_schema(profile: Profile) -> tuple[str, Any] | None:
    """(role, schema) of the answer that shows one subscription: get's, else create's."""
    for role in ("get", "create"):
        operation = profile.subscription_operation(role)
        schema = _response_schema(profile, operation) if operation else None
        if schema is not None:
            return role, schema
    return None


def _field_problems(profile: Profile, file: str) -> Iterator[Problem]:
    rule = profile.semantics.subscription
    shown = object_schema(profile)
    names = properties(profile, shown[1]) if shown else None
    if shown and names is not None:
        for part, name in rule.fields.names().items():
            if name not in names:
                yield Problem(
                    file,
                    _at("subscription", "fields", part),
                    f"{name!r} is not a property of the subscription object ({shown[0]}'s "
                    f"answer declares {', '.join(sorted(names))})",
                )
    create = profile.subscription_operation("create")
    body = _request_schema(profile, create) if create else None
    declared = properties(profile, body) if body is not None else None
    if declared is None:
        return
    wanted = list(REQUEST_PARTS)
    authenticity = profile.semantics.authenticity
    # A hook-secret handshake hands the secret over itself; otherwise the create sets it.
    if authenticity.subscription_field is not None and not profile.semantics.handshake.echo:
        wanted.append("secret")
    for part in wanted:
        if part == "secret":
            carrier = authenticity.subscription_field
            where = _at("authenticity", "value_from", "subscription_field")
        else:
            carrier = rule.request_field(part)
            block = "request_fields" if rule.request_fields.get(part) else "fields"
            where = _at("subscription", block, part)
        if carrier is None:
            yield Problem(
                file,
                _at("subscription", "fields"),
                f"no field carries the subscription's {part}: name it in fields."
                f"{part} (or request_fields.{part} when the create body calls it otherwise)",
            )
        elif carrier not in declared:
            yield Problem(
                file,
                where,
                f"{carrier!r} is not a property of the create request body (it declares "
                f"{', '.join(sorted(declared))})",
            )


# path parameters ----------------------------------------------------------------------------


def _path_problems(profile: Profile, profile_file: str, openapi_file: str) -> Iterator[Problem]:
    rule = profile.semantics.subscription
    id_parameter = profile.id_parameter
    if rule.id_parameter is not None:
        items = [o for r in ITEM_ROLES if (o := profile.subscription_operation(r))]
        if items and not any(rule.id_parameter in o.path_parameters for o in items):
            paths = ", ".join(sorted({o.path for o in items}))
            yield Problem(
                profile_file,
                _at("subscription", "id_parameter"),
                f"{{{rule.id_parameter}}} is in none of the get, update and delete paths ({paths})",
            )
    for role in RECORD_ROLES:
        operation = profile.subscription_operation(role)
        if operation is None:
            continue
        for name in operation.path_parameters:
            if name in rule.path_parameters or (name == id_parameter and role in ITEM_ROLES):
                continue
            advice = (
                "name it with semantics.subscription.id_parameter if it is the "
                "subscription's id, or give its value in semantics.subscription."
                "path_parameters"
                if role in ITEM_ROLES
                else "give its value in semantics.subscription.path_parameters"
            )
            yield Problem(
                openapi_file,
                json_path(["paths", operation.path, operation.method.lower()]),
                f"path parameter {{{name}}} of {role} ({operation.method} {operation.path}) "
                f"has no value: {advice}",
            )


# pointers against the examples -----------------------------------------------------------


def _pointers(profile: Profile) -> Iterator[tuple[str, str]]:
    """(where in profile.yaml, pointer) of every pointer into a delivered body."""
    envelope = profile.semantics.envelope
    for part, pointer in envelope.parts.items():
        yield _at("envelope", "fields", part), pointer
    authenticity = profile.semantics.authenticity
    if authenticity.pointer is not None:
        yield _at("authenticity", "pointer"), authenticity.pointer


def _pointer_problems(profile: Profile, file: str) -> Iterator[Problem]:
    for where, pointer in _pointers(profile):
        missing = [
            f"{event.name} ({name})"
            for event in profile.events.values()
            for name, example in event.examples.items()
            if not pointers.has(example, pointer)
        ]
        if missing:
            shown = ", ".join(missing[:3]) + (
                f" and {len(missing) - 3} more" if len(missing) > 3 else ""
            )
            yield Problem(
                file,
                where,
                f"{pointer} is not in every example the provider sends: missing in {shown}",
            )
