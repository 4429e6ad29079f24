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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jsonschema import Draft202012Validator

from harness import __version__, pointers
from harness.challenges import fill
from harness.profiles import Profile
from harness.signatures import Stamp

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


def stamp(profile: Profile, payload: Any, *, now: datetime | None = None) -> Any:
    """The payload with the envelope's send time set, for envelopes that carry one."""
    envelope = profile.semantics.envelope
    if envelope.time is None or not isinstance(payload, dict):
        return payload
    stamped = copy.deepcopy(payload)
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    pointers.put(stamped, envelope.time, moment.strftime(envelope.time_format))
    return stamped


def authenticate(profile: Profile, payload: Any, secret: str | None) -> Any:
    """The payload with the secret placed where a body-token profile puts it."""
    rule = profile.semantics.authenticity
    if rule.kind != "body-token" or rule.pointer is None or secret is None:
        return payload
    if not isinstance(payload, dict):
        return payload
    authentic = copy.deepcopy(payload)
    pointers.put(authentic, rule.pointer, secret)
    return authentic


def new_stamp(profile: Profile, now: datetime | None = None) -> Stamp:
    """A fresh delivery id and the time of `now` (default: the present), for signing."""
    scheme = profile.semantics.authenticity.scheme
    moment = now or datetime.now(UTC)
    return Stamp(scheme.new_id() if scheme else "", int(moment.timestamp()))


def auth_headers(
    profile: Profile,
    body: bytes,
    secret: str | None,
    *,
    stamp: Stamp | None = None,
    also: Sequence[str] = (),
) -> dict[str, str]:
    """The headers the authenticity kind adds for `body`: a challenge or the signature(s).

    A signing kind signs with `secret` and each secret in `also` (rotation: the receiver
    must accept the delivery when any one is its own), over `stamp` (default: a fresh one).
    """
    rule = profile.semantics.authenticity
    if secret is None or rule.header is None:
        return {}
    if rule.secret_in_header:  # a challenge, or the subscriber's own header
        return {rule.header: secret}
    if rule.scheme is not None:
        return rule.scheme.headers([*also, secret], stamp or new_stamp(profile), body)
    return {}


HEADER_CANDIDATES = ("1", "example", "true")


def event_headers(profile: Profile, event: str) -> dict[str, str]:
    """Values for the headers the event declares (besides those the authenticity kind sets).

    Each comes from its schema (default, const, examples, enum) or is the first of a few
    plain candidates that the schema accepts; a header nothing fits is left out.
    """
    own = profile.semantics.authenticity.own_headers
    values = {}
    for header in profile.event(event).headers:
        if header.name.lower() in own:
            continue
        schema = header.schema
        found = [schema[k] for k in ("default", "const") if k in schema]
        found += list(schema.get("examples", [])) + list(schema.get("enum", []))
        validator = Draft202012Validator(schema)
        found += [c for c in HEADER_CANDIDATES if validator.is_valid(c)]
        if found:
            values[header.name] = str(found[0])
    return values


def delivery_request(
    profile: Profile,
    payload: Any,
    *,
    secret: str | None = None,
    now: datetime | None = None,
    extra_headers: Mapping[str, str] | None = None,
    signing: Stamp | None = None,
) -> WireRequest:
    """The request `profile`'s provider sends for `payload` to a subscriber holding `secret`.

    `payload` is a body as the event schema describes it (envelope included); the send time
    and the secret are filled in where the profile's envelope and authenticity kinds put them.
    A signature covers `signing` (the delivery's id, the attempt's time; default: a fresh id
    and `now`).
    """
    body = encode(authenticate(profile, stamp(profile, payload, now=now), secret))
    headers = {"Content-Type": CONTENT_TYPE, "User-Agent": USER_AGENT}
    headers.update(auth_headers(profile, body, secret, stamp=signing or new_stamp(profile, now)))
    headers.update(extra_headers or {})
    return WireRequest("POST", headers, body)


def validation_request(profile: Profile, secret: str) -> WireRequest:
    """The request a secret-confirmation handshake sends to the endpoint being validated."""
    rule = profile.semantics.handshake
    query = {rule.query_param: secret} if "query" in rule.secret_in and rule.query_param else {}
    body = b""
    headers = {"User-Agent": USER_AGENT}
    if "body" in rule.secret_in and rule.body_pointer:
        document: dict[str, Any] = {}
        pointers.put(document, rule.body_pointer, secret)
        body = encode(document)
        headers["Content-Type"] = CONTENT_TYPE
    return WireRequest(rule.method, headers, body, query)


def challenge_request(
    profile: Profile,
    secret: str | None,
    challenge: str,
    *,
    now: datetime | None = None,
    token: str | None = None,
) -> WireRequest:
    """The request a challenge handshake sends, its templates filled in for `challenge` and
    the verification `token` (the secret stands in for it when not given), and signed as a
    delivery where the handshake says so."""
    rule = profile.semantics.handshake
    sent = rule.request
    assert sent is not None, f"profile {profile.name!r} has no challenge handshake"
    moment = now or datetime.now(UTC)
    values = rule.challenge_values(challenge, secret, now=moment.timestamp(), token=token)
    headers = {"User-Agent": USER_AGENT, **_texts(sent.headers, values)}
    body = b""
    if sent.body is not None:
        body = encode(fill(sent.body, values))
        headers["Content-Type"] = CONTENT_TYPE
        if sent.signed:
            headers.update(auth_headers(profile, body, secret, stamp=new_stamp(profile, moment)))
    return WireRequest(sent.method, headers, body, _texts(sent.query, values))


def _texts(templates: Mapping[str, str], values: Mapping[str, str]) -> dict[str, str]:
    """Header or query templates filled in: text, a number's placeholder too."""
    return {name: str(fill(template, values)) for name, template in templates.items()}


def hook_secret_request(profile: Profile, secret: str) -> WireRequest:
    """The request a hook-secret-echo handshake sends while the create call is open."""
    header = profile.semantics.handshake.header or "X-Hook-Secret"
    return WireRequest("POST", {"User-Agent": USER_AGENT, header: secret}, b"")
