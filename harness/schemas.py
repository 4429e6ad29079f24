"""JSON Schema 2020-12 validators: built once per schema, with `$ref` resolved by `referencing`.

jsonschema's default format checker only asserts `date-time` when the optional
rfc3339-validator package is installed. Payload formats matter here (Factorial sends
timestamps with offsets), so `date-time` is checked with an RFC 3339 pattern of our own, and
OpenAPI's `int32` and `int64` by their bounds.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from harness import cache
from harness.documents import json_path

_RFC3339 = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
    r"(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)

FORMAT_CHECKER = FormatChecker()


@FORMAT_CHECKER.checks("date-time")
def _is_datetime(value: object) -> bool:
    return not isinstance(value, str) or bool(_RFC3339.match(value))


# OpenAPI's integer formats (jsonschema knows neither).
_BOUNDS = {"int32": 2**31, "int64": 2**63}


@FORMAT_CHECKER.checks("int32")
def _is_int32(value: object) -> bool:
    return not isinstance(value, int) or -_BOUNDS["int32"] <= value < _BOUNDS["int32"]


@FORMAT_CHECKER.checks("int64")
def _is_int64(value: object) -> bool:
    return not isinstance(value, int) or -_BOUNDS["int64"] <= value < _BOUNDS["int64"]


def registry_for(documents: dict[str, Any]) -> Registry:
    """A registry holding documents (OpenAPI files, meta-schemas) under their URIs."""
    return Registry().with_resources(
        (uri, DRAFT202012.create_resource(document)) for uri, document in documents.items()
    )


def validator_for(
    uri: str, fragment: str, registry: Registry, *, formats: bool = True
) -> Draft202012Validator:
    """A validator for the schema at `uri#fragment`, compiled once and reused."""
    schema = {"$ref": f"{uri}#{fragment}"}
    checker = FORMAT_CHECKER if formats else None
    return Draft202012Validator(schema, registry=registry, format_checker=checker)


def unresolvable(registry: Registry, uri: str, ref: str) -> str | None:
    """Why `ref`, written in the document at `uri`, cannot be resolved; None when it can."""
    try:
        registry.resolver(base_uri=uri).lookup(ref)
    except Unresolvable as exc:
        return f"unresolvable $ref {ref!r} ({type(exc).__name__})"
    return None


def describe(error: ValidationError) -> str:
    """One line: where in the instance, what is wrong."""
    return f"{json_path(error.absolute_path)}: {error.message}"


def error_messages(validator: Draft202012Validator, instance: Any) -> list[str]:
    """Every violation, the most relevant first (jsonschema's `best_match`)."""
    errors = list(validator.iter_errors(instance))
    if not errors:
        return []
    first = best_match(errors)
    rest = sorted((e for e in errors if e is not first), key=lambda e: list(e.absolute_path))
    return [describe(first), *(describe(e) for e in rest)]


def schema_problems(schema: Any) -> list[ValidationError]:
    """Why `schema` is not a valid JSON Schema 2020-12 (the metaschema's complaints).

    Checked once per distinct schema: profiles repeat schemas (every event of a resource
    refers to the same one) and are loaded again and again (each command, each test), and
    the metaschema's dynamic references make a check slow. A process keeps every verdict; the
    cache folder (`harness.cache`) keeps the schemas found valid for the next processes.
    """
    text = json.dumps(schema, sort_keys=True, default=repr)
    if text not in _CHECKED:
        name = cache.key(f"{_CHECKER_VERSION}\n{text}")
        if name in _VALID:
            _CHECKED[text] = []
        else:
            _CHECKED[text] = list(_META.iter_errors(schema))
            if not _CHECKED[text]:
                _VALID.put(name)
    return list(_CHECKED[text])


_META = Draft202012Validator(Draft202012Validator.META_SCHEMA)
_CHECKED: dict[str, list[ValidationError]] = {}  # a schema's JSON text -> its problems
_VALID = cache.Entries("schema-checks")
_CHECKER_VERSION = f"jsonschema {importlib.metadata.version('jsonschema')}, 2020-12"


def validator_for_schema(schema: Any) -> Draft202012Validator:
    """A validator for a self-contained schema (no references), formats asserted."""
    return Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
