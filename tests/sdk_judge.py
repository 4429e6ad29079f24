"""Factorial's official SDK as a judge of payloads: where a value is not what the SDK's model
for its event declares.

Imported by the tests, it judges with the installed SDK (the test extra). Run as a script
with an older SDK release first on PYTHONPATH (tools/derive_factorial.py installs them), it
judges with that one: it reads {event: [payload, ...]} as JSON on stdin and writes
{event: [[misfit, ...], ...]} on stdout, so that one test process can ask several SDK
versions (they share a package name and cannot be imported side by side).
"""

from __future__ import annotations

import enum
import json
import sys
import types
import typing
from typing import Any

import attrs
from factorial_api_client.generated import models
from factorial_api_client.generated.types import Unset
from factorial_api_client.webhooks import WEBHOOK_PAYLOAD_TYPES

PRIMITIVE = (str, int, float, bool)


def misfits(model: type, value: Any, at: str = "$") -> list[str]:
    """Where `value` is not what `model` declares; [] when the SDK's model takes it."""
    if not isinstance(value, dict):
        return [f"{at}: {type(value).__name__}, not an object"]
    try:
        model.from_dict(value)  # type: ignore[attr-defined]
    except Exception as exc:  # the SDK's own verdict, whatever it raises
        return [f"{at}: {model.__name__}.from_dict raised {type(exc).__name__}: {exc}"]
    hints = typing.get_type_hints(model, localns=vars(models))
    found = []
    for item in attrs.fields(model):
        if item.name == "additional_properties":
            continue
        key = item.name.rstrip("_")  # the generator's names for `type`, `from`, ...
        optional = item.default is not attrs.NOTHING
        if key not in value:
            if not optional:
                found.append(f"{at}.{key}: required, missing")
            continue
        found += _typed(hints[item.name], value[key], optional, f"{at}.{key}")
    return found


def _typed(hint: Any, value: Any, optional: bool, at: str) -> list[str]:
    """Where `value` does not fit the annotation `hint`."""
    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    members = [m for m in (typing.get_args(hint) if union else [hint]) if m is not Unset]
    if Any in members:
        return []
    if value is None:
        takes_none = type(None) in members or (
            optional and all(m in PRIMITIVE or _is_enum(m) for m in members)
        )
        return [] if takes_none else [f"{at}: null where {hint} is declared"]
    problems: list[str] = [f"{at}: {value!r} does not fit {hint}"]
    for member in (m for m in members if m is not type(None)):
        if member in PRIMITIVE:
            fits = isinstance(value, member) and not (member is not bool and value is True)
            fits = fits or (member is float and type(value) is int)
            fits = fits and not (member is int and isinstance(value, bool))
            if fits:
                return []
        elif _is_enum(member):
            if value in {m.value for m in member}:
                return []
        elif attrs.has(member):
            problems = misfits(member, value, at)
            if not problems:
                return []
        elif typing.get_origin(member) is list and isinstance(value, list):
            (item,) = typing.get_args(member)
            problems = [
                p for i, v in enumerate(value) for p in _typed(item, v, False, f"{at}[{i}]")
            ]
            if not problems:
                return []
        elif typing.get_origin(member) is dict and isinstance(value, dict):
            return []
    return problems


def _is_enum(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, enum.Enum)


def judge(payloads: dict[str, list[Any]]) -> dict[str, list[list[str]]]:
    """The misfits of each payload, by event, against its event's model."""
    return {
        event: [misfits(WEBHOOK_PAYLOAD_TYPES[event], p) for p in found]
        for event, found in payloads.items()
    }


if __name__ == "__main__":
    json.dump(judge(json.load(sys.stdin)), sys.stdout)
