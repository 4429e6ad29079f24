"""A delivery as it goes on the wire: method, headers and body bytes, as the provider sends it.

Shared by the mock provider (which delivers to subscribers) and the receiver suite (which
plays the provider). Everything here is keyed by the profile's semantic kinds: the envelope
decides where the time goes, the authenticity kind where the secret goes.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from harness import __version__
from harness.profiles import Profile

USER_AGENT = f"hookconform/{__version__}"
CONTENT_TYPE = "application/json"


@dataclass(frozen=True)
class WireRequest:
    """One HTTP request a provider would send."""

    method: str
    headers: dict[str, str]
    body: bytes
    query: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)


def encode(payload: Any) -> bytes:
    """JSON as providers send it: compact, UTF-8."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def sign(body: bytes, secret: str, *, algorithm: str = "sha256", encoding: str = "hex") -> str:
    """The HMAC of `body` keyed with `secret`, hex or base64."""
    digest = hmac.new(secret.encode(), body, getattr(hashlib, algorithm)).digest()
    return digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()


_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")


def _index(part: str, size: int, *, append: bool = False) -> int:
    """An RFC 6901 array index: digits without a leading zero, or `-` (past the end) when
    appending; IndexError otherwise."""
    if append and part == "-":
        return size
    if not _INDEX.match(part) or int(part) >= size + (1 if append else 0):
        raise IndexError(f"{part!r} is not an index of an array of {size}")
    return int(part)


def set_pointer(document: Any, pointer: str, value: Any) -> None:
    """Set the value at an RFC 6901 pointer, creating missing objects on the way; an index
    one past the end (or `-`) of an array appends."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    node = document
    for part in parts[:-1]:
        node = (
            node[_index(part, len(node))] if isinstance(node, list) else node.setdefault(part, {})
        )
    if isinstance(node, list):
        at = _index(parts[-1], len(node), append=True)
        if at == len(node):
            node.append(value)
        else:
            node[at] = value
    else:
        node[parts[-1]] = value


def get_pointer(document: Any, pointer: str) -> Any:
    """The value at an RFC 6901 pointer; KeyError, IndexError or TypeError when absent."""
    node = document
    for raw in pointer.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        node = node[_index(part, len(node))] if isinstance(node, list) else node[part]
    return node


def stamp(profile: Profile, payload: Any, *, now: datetime | None = None) -> Any:
    """The payload with the envelope's send time set, for envelopes that carry one."""
    envelope = profile.semantics["envelope"]
    time_pointer = envelope.get("fields", {}).get("time")
    if not time_pointer or not isinstance(payload, dict):
        return payload
    stamped = copy.deepcopy(payload)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    set_pointer(
        stamped, time_pointer, moment.strftime(envelope.get("time_format", "%Y-%m-%dT%H:%M:%SZ"))
    )
    return stamped


def authenticate(profile: Profile, payload: Any, secret: str | None) -> Any:
    """The payload with the secret placed where a body-token profile puts it."""
    rule = profile.semantics["authenticity"]
    if rule["kind"] != "body-token" or secret is None or not isinstance(payload, dict):
        return payload
    authentic = copy.deepcopy(payload)
    set_pointer(authentic, rule["pointer"], secret)
    return authentic


def auth_headers(profile: Profile, body: bytes, secret: str | None) -> dict[str, str]:
    """The headers the authenticity kind adds for `body`: a challenge or a signature."""
    rule = profile.semantics["authenticity"]
    if secret is None:
        return {}
    if rule["kind"] == "challenge-header":
        return {rule["header"]: secret}
    if rule["kind"] == "hmac-signature":
        signature = sign(body, secret, algorithm=rule["algorithm"], encoding=rule["encoding"])
        return {rule["header"]: signature}
    return {}


def delivery_request(
    profile: Profile,
    payload: Any,
    *,
    secret: str | None = None,
    now: datetime | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> WireRequest:
    """The request `profile`'s provider sends for `payload` to a subscriber holding `secret`.

    `payload` is a body as the event schema describes it (envelope included); the send time
    and the secret are filled in where the profile's envelope and authenticity kinds put them.
    """
    body = encode(authenticate(profile, stamp(profile, payload, now=now), secret))
    headers = {"Content-Type": CONTENT_TYPE, "User-Agent": USER_AGENT}
    headers.update(auth_headers(profile, body, secret))
    headers.update(extra_headers or {})
    return WireRequest("POST", headers, body)


def validation_request(profile: Profile, secret: str) -> WireRequest:
    """The request a secret-confirmation handshake sends to the endpoint being validated."""
    rule = profile.semantics["handshake"]
    query = {rule["query_param"]: secret} if "query" in rule["secret_in"] else {}
    body = b""
    headers = {"User-Agent": USER_AGENT}
    if "body" in rule["secret_in"]:
        document: dict[str, Any] = {}
        set_pointer(document, rule["body_pointer"], secret)
        body = encode(document)
        headers["Content-Type"] = CONTENT_TYPE
    return WireRequest(rule["method"], headers, body, query)


def hook_secret_request(profile: Profile, secret: str) -> WireRequest:
    """The request a hook-secret-echo handshake sends while the create call is open."""
    rule = profile.semantics["handshake"]
    return WireRequest("POST", {"User-Agent": USER_AGENT, rule["header"]: secret}, b"")
