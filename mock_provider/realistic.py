"""Realistic payloads: the profile's own examples, made fresh for each trigger.

A person trying the mock wants to read what arrives: the profile's examples (the provider's
own where it publishes them) rather than schema fuzz. Sent as they are, every trigger would
repeat the same ids and a timestamp from years ago, so each trigger takes the next example
(round robin) and refreshes it:

- every `id` member (the resource's, an envelope's) gets a new value of the same form (an
  integer or a string of digits moves on by the trigger's number; a UUID is a new UUID);
- every RFC 3339 timestamp becomes the trigger's time, in the example's own style (`Z` or an
  offset, with or without fractions); dates without a time stay as they are;
- a member named like an identifier of the subscription's owner takes the subscription's
  value, in the example's type, so a payload names the subscriber's own company or employer:
  a path parameter of its scope (`employerId`) or an `..._id` / `...Id` field of its object
  (`company_id`), never its own id.

The result is checked against the event's schema: when a refreshed example would break it,
the example is sent as written (it is valid: the loader checks every example). Schema
generation stays available (`payload: "generated"` on `POST /_mock/events`, `--generate`)
and is what the conformance suites send.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from harness.profiles import Event

_TIMESTAMP = re.compile(
    r"^(\d{4}-\d{2}-\d{2})([Tt ])(\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$"
)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
ID = "id"


def owner_fields(scope: Mapping[str, Any], obj: Mapping[str, Any]) -> dict[str, Any]:
    """What identifies a subscription's owner: its scope's path parameters, and the
    identifier fields of its object (`..._id`, `...Id`) but its own id."""
    found = {**{k: v for k, v in obj.items() if k != ID and k.endswith(("_id", "Id"))}, **scope}
    return {k: v for k, v in found.items() if isinstance(v, (str, int)) and not isinstance(v, bool)}


def example_payload(
    event: Event,
    number: int,
    now: float,
    owner: Mapping[str, Any] | None = None,
) -> Any:
    """The event's example for trigger `number` (round robin), refreshed for `now` and the
    subscription's `owner_fields`; the plain example when refreshing breaks the schema."""
    examples = list(event.examples.values())
    chosen = examples[number % len(examples)]
    fresh = _refreshed(copy.deepcopy(chosen), number, _stamp(now), owner or {})
    return fresh if event.is_valid(fresh) else copy.deepcopy(chosen)


def _refreshed(node: Any, number: int, now: datetime, owners: Mapping[str, Any]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == ID and not isinstance(value, (dict, list)):
                out[key] = _fresh_id(value, number)
            elif key in owners and not isinstance(value, (dict, list)) and value is not None:
                out[key] = _as(value, owners[key])
            else:
                out[key] = _refreshed(value, number, now, owners)
        return out
    if isinstance(node, list):
        return [_refreshed(item, number, now, owners) for item in node]
    if isinstance(node, str):
        return _retimed(node, now)
    return node


def _fresh_id(value: Any, number: int) -> Any:
    """An id of the same form as `value`, moved on by `number`."""
    if isinstance(value, bool) or not number:
        return value
    if isinstance(value, int):
        return value + number
    if isinstance(value, str) and value.isdigit():
        return str(int(value) + number)
    if isinstance(value, str) and _UUID.match(value):
        return str(uuid.uuid4())
    return value


def _as(example: Any, owner: Any) -> Any:
    """The subscription's value in the example's type (an integer stays an integer)."""
    if isinstance(example, int) and isinstance(owner, str) and owner.isdigit():
        return int(owner)
    if isinstance(example, str) and isinstance(owner, int):
        return str(owner)
    return owner if type(owner) is type(example) else example


def _stamp(now: float) -> datetime:
    return datetime.fromtimestamp(now, UTC)


def _retimed(text: str, now: datetime) -> str:
    """`text` as `now` when it is an RFC 3339 timestamp, in its own style; else itself."""
    match = _TIMESTAMP.match(text)
    if not match:
        return text
    _, separator, _, fraction, zone = match.groups()
    stamp = now.strftime(f"%Y-%m-%d{separator}%H:%M:%S")
    if fraction:
        digits = len(fraction) - 1
        stamp += "." + f"{now.microsecond:06d}"[:digits].ljust(digits, "0")
    if zone in ("Z", "z"):
        return stamp + zone
    colon = ":" if ":" in zone else ""
    return stamp + f"+00{colon}00"
