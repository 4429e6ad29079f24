"""Answers shaped by the response schemas and the profile's vocabulary.

What the mock knows (a subscription, a delivery, a page of a list) is generic; how the
provider names and nests it comes from two places only: the response schemas in the
profile's `openapi.yaml` (which properties an object has, where an array sits) and the
profile's vocabulary (`semantics.subscription.vocabulary`: the list's array and paging
fields, a reference's fields, a delivery-log record's fields and state words, the counters
a subscription shows). Nothing here names a provider's field.

- A subscription shows its declared properties: the parts the profile's `fields` name, the
  counters its vocabulary names (deliveries so far, the last delivery, when it was made),
  what the API was given, and a placeholder for a required property nothing set. A property
  whose schema does not take null (a plain `$ref` to an object, say) is left out while it
  has no value, never sent as null.
- A list is a bare array or an object with the array (`list.items`) and a paging object
  (`list.paging`, its fields `list.page`); items without the event field are references.
- A reference is `{id, name, url}` under the vocabulary's names for them.
- A delivery-log record takes the vocabulary's `log.record` fields; its state one of the
  `log.states` words.

A request field maps to the object field of the same name, or to the one it ends with or
that ends with it (`subscription_type` -> `type`, path parameter `version` -> `api_version`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from harness.profiles import Profile
from harness.semantics import Vocabulary

TYPE_DEFAULTS: dict[str, Any] = {
    "string": "",
    "integer": 0,
    "number": 0,
    "boolean": False,
    "array": [],
    "object": {},
}


# Placeholders a string of a format takes (a date-time placeholder is the current time).
FORMAT_DEFAULTS: dict[str, str] = {
    "date": "1970-01-01",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "uri": "urn:hookconform:unset",
    "email": "unset@example.invalid",
}


def _message(schema: Mapping[str, Any], text: str) -> Any:
    """`text` as a field of `schema`'s type takes it: a string, a list of one, an object."""
    kind = schema.get("type", "string")
    if kind == "array":
        return [text]
    if kind == "object":
        return {"detail": text}
    return text


def iso(moment: float) -> str:
    """A Unix time as an RFC 3339 UTC timestamp, to the second."""
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def counterpart(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate that `name` stands for: equal, or one ends with `_` + the other."""
    candidates = list(candidates)
    if name in candidates:
        return name
    for candidate in candidates:
        if name.endswith("_" + candidate) or candidate.endswith("_" + name):
            return candidate
    return None


class Shapes:
    """The shapes of one profile's answers."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.words: Vocabulary = profile.semantics.subscription.vocabulary

    # schemas ----------------------------------------------------------------------------

    def properties(self, schema: Any) -> dict[str, Any]:
        """The properties a schema declares, through allOf too."""
        schema = self.profile.resolve(schema)
        if not isinstance(schema, dict):
            return {}
        found = dict(schema.get("properties", {}))
        for part in schema.get("allOf", []):
            found.update(self.properties(part))
        return found

    def required(self, schema: Any) -> list[str]:
        schema = self.profile.resolve(schema)
        if not isinstance(schema, dict):
            return []
        found = list(schema.get("required", []))
        for part in schema.get("allOf", []):
            found += self.required(part)
        return list(dict.fromkeys(found))

    def items(self, schema: Any) -> Any:
        """The item schema of a list answer (a bare array, or the array field of an object)."""
        schema = self.profile.resolve(schema)
        if isinstance(schema, dict) and schema.get("type") == "array":
            return schema.get("items", {})
        found = self.properties(schema).get(self.words.list.items or "")
        return self.profile.resolve(found).get("items", {}) if found else {}

    def object_branch(self, schema: Any) -> Any:
        """The object branch of a schema that may also be null (`anyOf: [X, null]`)."""
        schema = self.profile.resolve(schema)
        for key in ("anyOf", "oneOf"):
            for branch in schema.get(key, []):
                if self.properties(branch):
                    return branch
        return schema

    def takes_null(self, schema: Any) -> bool:
        """Whether null is a value of `schema` (a type union with null, a null branch, any JSON)."""
        schema = self.profile.resolve(schema)
        if not isinstance(schema, dict):
            return schema is not False
        if "enum" in schema:
            return None in schema["enum"]
        if "const" in schema:
            return schema["const"] is None
        types = schema.get("type")
        if types is not None and "null" not in (types if isinstance(types, list) else [types]):
            return False
        for key in ("anyOf", "oneOf"):
            if key in schema and not any(self.takes_null(branch) for branch in schema[key]):
                return False
        return all(self.takes_null(part) for part in schema.get("allOf", []))

    def placeholder(self, prop: Any, name: str, scope: Mapping[str, Any]) -> Any:
        """A value for a required field nothing set: a path parameter it names, or a default."""
        for param, value in scope.items():
            if counterpart(name, [param]):
                return value
        schema = self.profile.resolve(prop)
        for key in ("default", "const"):
            for node in (prop, schema):  # a default beside a $ref, or the referenced one's
                if isinstance(node, Mapping) and key in node:
                    return node[key]
        for key in ("enum", "examples"):
            if schema.get(key):
                return schema[key][0]
        types = schema.get("type", "string")
        types = types if isinstance(types, list) else [types]
        if "null" in types:
            return None
        if types[0] == "string" and schema.get("format") == "date-time":
            return iso(time.time())
        if types[0] == "string" and schema.get("format") in FORMAT_DEFAULTS:
            return FORMAT_DEFAULTS[schema["format"]]
        return TYPE_DEFAULTS.get(types[0])

    # answers ----------------------------------------------------------------------------

    def shape(
        self,
        schema: Any,
        known: Mapping[str, Any],
        counters: Mapping[str, Callable[[Any], Any]],
        scope: Mapping[str, Any],
    ) -> dict[str, Any]:
        """An object with the properties `schema` declares: the `known` values, the counters
        the vocabulary names (computed only when the schema has them), placeholders for the
        required rest; a null that the property's schema does not take is left out."""
        props = self.properties(schema)
        shaped = dict(known)
        for role, name in self.words.counters.items():
            if name in props and name not in shaped and role in counters:
                shaped[name] = counters[role](self.profile.resolve(props[name]))
        for name, value in list(shaped.items()):
            if value is None and name in props and not self.takes_null(props[name]):
                del shaped[name]
        for name in self.required(schema):
            if name not in shaped and name in props:
                shaped[name] = self.placeholder(props[name], name, scope)
        return {k: v for k, v in shaped.items() if k in props} if props else shaped

    def refusal(self, schema: Any, valid: Callable[[Any], bool], error: str, detail: str) -> Any:
        """An error answer the declared schema takes: the mock's `{error, detail}`, or, when
        the schema wants another shape, its required fields (or any field, for a map of
        messages) holding the message as a string or a list of strings."""
        plain = {"error": error, "detail": detail}
        if valid(plain):
            return plain
        props = self.properties(schema)
        names = self.required(schema) or [n for n in ("detail", "message", "error") if n in props]
        extra = self.profile.resolve(schema).get("additionalProperties")
        if not names and isinstance(extra, dict):
            names, props = ["error"], {"error": extra}
        built = {
            name: _message(self.profile.resolve(props.get(name, {})), detail) for name in names
        }
        return built if valid(built) else plain

    def reference(self, schema: Any, ident: Any, name: str, url: str | None) -> dict[str, Any]:
        """A reference to an object, under the vocabulary's names (nullable ones left null)."""
        values = {"id": ident, "name": name, "url": url}
        props = self.properties(schema)
        shaped: dict[str, Any] = {}
        for role, field in self.words.reference.items():
            if field in props:
                shaped[field] = values.get(role)
        for field, prop in props.items():  # an untyped property is any JSON: null will do
            kind = self.profile.resolve(prop).get("type", "null")
            if field not in shaped and "null" in str(kind):
                shaped[field] = None
        return shaped

    def record(self, facts: Mapping[str, Any], schema: Any) -> dict[str, Any]:
        """A delivery-log record: the vocabulary's record fields the schema declares, with the
        state in the provider's words."""
        props = self.properties(schema)
        shaped = {}
        for role, field in self.words.log.record.items():
            value = facts.get(role)
            if role == "state":
                value = self.words.log.states.get(str(value))
            if field in props and value is not None:
                shaped[field] = value
        return shaped

    def listing(self, schema: Any, items: list[Any], page: Mapping[str, Any]) -> Any:
        """A list answer: a bare array, or an object with the array and the paging object."""
        schema = self.profile.resolve(schema)
        if isinstance(schema, dict) and schema.get("type") == "array":
            return items
        words = self.words.list
        shaped: dict[str, Any] = {}
        if words.items:
            shaped[words.items] = items
        if words.paging and words.paging in self.properties(schema):
            shaped[words.paging] = {
                field: page[role]
                for role, field in words.page.items()
                if page.get(role) is not None
            }
        return shaped

    def is_reference(self, item_schema: Any, event_field: str | None) -> bool:
        """List items that lack the event field are references to the objects."""
        return bool(event_field) and event_field not in self.properties(item_schema)

    def is_record(self, item_schema: Any) -> bool:
        """Log items that carry the delivered payload are records (else references)."""
        field = self.words.log.record.get("payload")
        return field is not None and field in self.properties(item_schema)
