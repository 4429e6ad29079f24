"""The control API's OpenAPI document: `control_openapi.yaml`, with what depends on the mock.

The document says what the mock enforces, so that a client generated from it (or
schemathesis) sends only what the mock accepts: the served profiles and their events (a
trigger names a profile when several are served), the settings-screen profiles a webhook can
be made for and the token field each takes, the account settings, the faults, and the target
URLs the mock delivers to (loopback, never its own port).
"""

from __future__ import annotations

import copy
import functools
import ipaddress
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from harness.transport import FRAMING
from mock_provider.faults import FAULTS
from mock_provider.store import DELIVERY_STATUSES

if TYPE_CHECKING:
    from harness.profiles import Profile
    from mock_provider.app import Mock

SOURCE = Path(__file__).with_name("control_openapi.yaml")
NOTHING: dict[str, Any] = {"not": {}, "description": "none of the served profiles has one"}

_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
LOOPBACK_URL = (
    rf"^https?://(127\.{_OCTET}\.{_OCTET}\.{_OCTET}|localhost|\[::1\])(:{_PORT})?"
    r"(/[\x21\x22\x24-\x5b\x5d-\x7e]*)?$"  # printable ASCII but for # and backslash
)
TOKEN = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"


@functools.cache
def _static() -> dict[str, Any]:
    with SOURCE.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def document(mock: Mock) -> dict[str, Any]:
    """The control API's OpenAPI document for this mock."""
    found = copy.deepcopy(_static())
    schemas = found["components"]["schemas"]
    profiles = list(mock.profiles.values())
    screens = [p for p in profiles if not p.semantics.subscription.managed_by_api]
    schemas["ProfileName"] = {"enum": [p.name for p in profiles]}
    schemas["EventType"] = {"enum": sorted({e for p in profiles for e in p.events})}
    schemas["FaultName"] = {"enum": list(FAULTS)}
    schemas["DeliveryStatus"] = {"enum": list(DELIVERY_STATUSES)}
    framing = sorted(FRAMING)
    schemas["HeaderName"] = {"type": "string", "pattern": TOKEN, "not": _any_case(framing)}
    schemas["TargetUrl"] = target_url_schema(mock.outbound.rule.own)
    schemas["Trigger"] = _per_profile(profiles, len(profiles) > 1, _trigger)
    schemas["WebhookCreate"] = _per_profile(screens, len(screens) > 1, _webhook)
    schemas["WebhookUpdate"] = _webhook_update(screens)
    with_settings = [p for p in profiles if p.semantics.account_settings]
    schemas["SettingsChange"] = _per_profile(with_settings, len(profiles) > 1, _settings)
    _drop_impossible(found)
    return found


def _drop_impossible(found: dict[str, Any]) -> None:
    """Leave out the operations whose body nothing satisfies (settings when no served profile
    has one, webhooks when none is made in a settings screen): the mock refuses them all."""
    schemas = found["components"]["schemas"]
    for item in found["paths"].values():
        for method in [m for m in item if m != "parameters"]:
            body = item[method].get("requestBody", {}).get("content", {})
            ref = body.get("application/json", {}).get("schema", {}).get("$ref", "")
            if ref and schemas.get(ref.rsplit("/", 1)[-1]) is NOTHING:
                del item[method]
    for path in [p for p, item in found["paths"].items() if not set(item) - {"parameters"}]:
        del found["paths"][path]


def target_url_schema(own: tuple[str, int] | None) -> dict[str, Any]:
    """A target URL the mock takes, as a JSON Schema (`own`: the address it listens on)."""
    schema: dict[str, Any] = {
        "type": "string",
        "pattern": LOOPBACK_URL,
        "description": "A loopback URL (the mock also takes the --allow-target entries)",
    }
    if own is not None:
        address, port = own
        listening = ipaddress.ip_address(address)
        if listening.is_loopback or listening.is_unspecified:
            default = {80: "http", 443: "https"}.get(port)
            bare = rf"|^{default}://[^/:]*(/|$)" if default else ""
            schema["not"] = {"pattern": rf"^https?://[^/]*:{port}(/|$){bare}"}
            schema["description"] += f"; never the mock's own port {port}"
    return schema


def _any_case(words: Sequence[str]) -> dict[str, Any]:
    """A pattern matching any of `words` in any letter case (ECMA regexes have no (?i))."""

    def spelled(word: str) -> str:
        return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)

    return {"pattern": "^(" + "|".join(spelled(w) for w in sorted(words)) + ")$"}


def _per_profile(
    profiles: Sequence[Profile], named: bool, variant: Callable[[Profile, bool], dict[str, Any]]
) -> dict[str, Any]:
    """One variant per profile (`named`: the body must say which), or nothing valid."""
    if not profiles:
        return NOTHING
    variants = [variant(p, named) for p in profiles]
    return variants[0] if len(variants) == 1 else {"oneOf": variants}


def _profile_field(profile: Profile, named: bool) -> tuple[dict[str, Any], list[str]]:
    return {"profile": {"const": profile.name}}, (["profile"] if named else [])


def _trigger(profile: Profile, named: bool) -> dict[str, Any]:
    properties, required = _profile_field(profile, named)
    return {
        "allOf": [{"$ref": "#/components/schemas/TriggerFields"}],
        "type": "object",
        "required": [*required, "type"],
        "properties": {**properties, "type": {"enum": list(profile.events)}},
    }


def _events(profiles: Sequence[Profile]) -> dict[str, Any]:
    events = {"enum": sorted({e for p in profiles for e in p.events})}
    many = any(not p.semantics.subscription.one_event for p in profiles)
    array: dict[str, Any] = {"type": "array", "items": events, "minItems": 1}
    if not many:
        array["maxItems"] = 1
    return {"event": events, "events": array}


def _secret_fields(profiles: Sequence[Profile]) -> dict[str, Any]:
    fields = {p.semantics.authenticity.subscription_field for p in profiles}
    token = {"type": "string", "description": "absent or empty: the mock makes one"}
    return {name: token for name in sorted(f for f in fields if f)}


def _webhook(profile: Profile, named: bool) -> dict[str, Any]:
    properties, required = _profile_field(profile, named)
    return {
        "type": "object",
        "required": [*required, "url"],
        "oneOf": [{"required": ["event"]}, {"required": ["events"]}],
        "properties": {
            **properties,
            "url": {"$ref": "#/components/schemas/TargetUrl"},
            **_events([profile]),
            **_secret_fields([profile]),
        },
    }


def _webhook_update(screens: Sequence[Profile]) -> dict[str, Any]:
    if not screens:
        return NOTHING
    return {
        "type": "object",
        "description": "The events must be the webhook's profile's (another profile's: 409)",
        "not": {"required": ["event", "events"]},
        "properties": {
            "url": {"$ref": "#/components/schemas/TargetUrl"},
            **_events(screens),
            **_secret_fields(screens),
            "active": {"type": "boolean"},
        },
    }


def _settings(profile: Profile, named: bool) -> dict[str, Any]:
    properties, required = _profile_field(profile, named)
    names = profile.semantics.account_settings
    return {
        "type": "object",
        "required": [*required, "settings"],
        "properties": {
            **properties,
            "settings": {
                "type": "object",
                "additionalProperties": False,
                "properties": {n: {"type": "string", "minLength": 1} for n in names},
            },
        },
    }
