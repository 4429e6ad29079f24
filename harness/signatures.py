"""Templated HMAC signatures: how a provider signs a delivery, and how a receiver verifies it.

One `Scheme` describes every HMAC scheme of the widely used senders as data (the profile's
`authenticity` rule of kind `signature`, or the older `hmac-signature`, its simplest case):

- `signed`: the signed content, a template over `{id}`, `{timestamp}` and the raw `{body}`
  (Standard Webhooks `{id}.{timestamp}.{body}`, Stripe `{timestamp}.{body}`, Slack
  `v0:{timestamp}:{body}`, GitHub and Shopify `{body}`);
- `header`, `header_format` and `signature_format`: where the signatures go and how they are
  written (`v1,<sig>` items, `t=<ts>,v1=<sig>` pairs, a `sha256=` prefix, a bare value), and
  `separator`: what separates several signatures at once (secret rotation; None: one only);
- `encoding` of the digest (hex or base64) and the key's (`raw`: the secret's UTF-8 bytes;
  `base64`: base64-decoded, after an optional `prefix` such as `whsec_`);
- the timestamp (Unix seconds) in `timestamp_header` or inside `header_format`, and how far
  in the past (`tolerance`) and the future (`future_tolerance`) a receiver accepts it;
- the delivery id in `id_header`, the same on every retry of a delivery.

Everything is pure: the mock and the receiver suite sign with `Scheme.headers`, the sender
suite and the reference receiver verify with `Scheme.verify`, and `hookconform vectors`
writes both kinds of case down for other libraries.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import string
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ALPHANUMERIC = string.ascii_letters + string.digits


class SignatureError(ValueError):
    """A secret that cannot be a key of its scheme (e.g. not base64 after `whsec_`)."""


@dataclass(frozen=True)
class Stamp:
    """What a signature covers besides the body: the delivery's id and the attempt's time."""

    id: str = ""
    timestamp: int = 0


@dataclass(frozen=True)
class Parsed:
    """What a request's headers say: the signatures, the timestamp and the id found."""

    signatures: tuple[str, ...]
    timestamp: str | None
    id: str | None


@dataclass(frozen=True)
class Scheme:
    """One HMAC signature scheme, as data (see the module docstring)."""

    header: str
    signed: str = "{body}"
    header_format: str = "{signatures}"
    signature_format: str = "{signature}"
    separator: str | None = None
    algorithm: str = "sha256"
    encoding: str = "hex"
    key_encoding: str = "raw"
    key_prefix: str = ""
    timestamp_header: str | None = None
    tolerance: float | None = None
    future_tolerance: float | None = None
    id_header: str | None = None
    id_form: str = "token"
    id_prefix: str = ""

    # what the scheme covers -------------------------------------------------------------

    @property
    def timestamped(self) -> bool:
        """The attempt's time is part of what is signed."""
        return "{timestamp}" in self.signed

    @property
    def signs_id(self) -> bool:
        return "{id}" in self.signed

    @property
    def rotates(self) -> bool:
        """Several signatures may travel at once (secret rotation)."""
        return self.separator is not None

    @property
    def own_headers(self) -> tuple[str, ...]:
        """The headers a signature sets: its own, and the timestamp's and the id's."""
        return tuple(h for h in (self.header, self.timestamp_header, self.id_header) if h)

    @property
    def timestamp_in_header(self) -> bool:
        """The timestamp is written into the signature header (`t=...`), not its own."""
        return "{timestamp}" in self.header_format

    # signing ----------------------------------------------------------------------------

    def key(self, secret: str) -> bytes:
        """The HMAC key `secret` stands for; SignatureError when it cannot be one (not base64
        where the scheme decodes it, or empty). The prefix may be left out."""
        if self.key_encoding == "raw":
            key = secret.encode()
        else:
            encoded = secret.removeprefix(self.key_prefix) if self.key_prefix else secret
            try:
                key = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError):
                shown = f"{self.key_prefix}<base64>" if self.key_prefix else "base64"
                raise SignatureError(f"the secret is not {shown}") from None
        if not key:
            raise SignatureError("the secret is empty: an HMAC needs a key")
        return key

    def new_secret(self) -> str:
        """A fresh secret of the scheme's form: URL-safe text for a raw key; for a base64 key,
        the prefix and 24 random bytes in base64 (a Standard Webhooks `whsec_...`)."""
        if self.key_encoding == "raw":
            return secrets.token_urlsafe(12)
        return self.key_prefix + base64.b64encode(secrets.token_bytes(24)).decode()

    def other_secret(self, secret: str, label: str) -> str:
        """A secret of the same form as `secret` that is not it (a forger's, a retired one):
        `label-secret` for a raw key; for a base64 key, another key after the same prefix."""
        if self.key_encoding == "raw":
            return f"{label}-{secret}"
        other = hashlib.sha256(label.encode() + self.key(secret)).digest()
        return self.key_prefix + base64.b64encode(other).decode()

    def content(self, stamp: Stamp, body: bytes) -> bytes:
        """The bytes that are signed: the template filled in, the body as it is."""
        parts = re.split(r"(\{(?:id|timestamp|body)\})", self.signed)
        values = {"{id}": stamp.id.encode(), "{timestamp}": str(stamp.timestamp).encode()}
        values["{body}"] = body
        return b"".join(values.get(p, p.encode()) for p in parts)

    def digest(self, secret: str, stamp: Stamp, body: bytes) -> str:
        """One signature of `body` with `secret`, encoded as the scheme says."""
        mac = hmac.new(self.key(secret), self.content(stamp, body), self.algorithm).digest()
        return mac.hex() if self.encoding == "hex" else base64.b64encode(mac).decode()

    def header_value(self, signatures: Sequence[str], stamp: Stamp) -> str:
        """The signature header's value for these (already computed) signatures."""
        items = [self.signature_format.replace("{signature}", s) for s in signatures]
        joined = (self.separator or "").join(items if self.rotates else items[:1])
        value = self.header_format.replace("{signatures}", joined)
        return value.replace("{timestamp}", str(stamp.timestamp))

    def headers(self, secrets_: Sequence[str], stamp: Stamp, body: bytes) -> dict[str, str]:
        """Every header the scheme adds: the signatures (one per secret), the timestamp
        and the id where they have their own headers."""
        signatures = [self.digest(s, stamp, body) for s in secrets_]
        found = {self.header: self.header_value(signatures, stamp)}
        if self.timestamp_header:
            found[self.timestamp_header] = str(stamp.timestamp)
        if self.id_header:
            found[self.id_header] = stamp.id
        return found

    def id_for(self, key: str) -> str:
        """The delivery id for a delivery known by `key` (a UUID): the same on every attempt."""
        if self.id_form == "uuid":
            return f"{self.id_prefix}{key}"
        return f"{self.id_prefix}{key.replace('-', '')}"

    def new_id(self) -> str:
        """A fresh delivery id in the scheme's form."""
        if self.id_form == "uuid":
            return f"{self.id_prefix}{uuid.uuid4()}"
        token = "".join(secrets.choice(ALPHANUMERIC) for _ in range(27))  # as Svix's ids
        return f"{self.id_prefix}{token}"

    # reading and verifying --------------------------------------------------------------

    def parse(self, headers: Mapping[str, str]) -> Parsed | str:
        """The signatures, timestamp and id a request carries, or what is missing."""
        lowered = {k.lower(): v for k, v in headers.items()}
        value = lowered.get(self.header.lower())
        if value is None:
            return f"header {self.header} is missing"
        timestamp = lowered.get(self.timestamp_header.lower()) if self.timestamp_header else None
        if self.timestamp_header and timestamp is None:
            return f"header {self.timestamp_header} is missing"
        match = re.fullmatch(_pattern(self.header_format), value.strip())
        if match is None:
            return f"header {self.header} is {value!r}, not in the form {self.header_format!r}"
        if self.timestamp_in_header:
            timestamp = match.group("timestamp")
        items = match.group("signatures")
        pieces = items.split(self.separator) if self.separator else [items]
        item = re.compile(_pattern(self.signature_format, signature=r"(?P<signature>.+)"))
        found = tuple(m.group("signature") for p in pieces if (m := item.fullmatch(p.strip())))
        if not found:
            return f"header {self.header} holds no signature in the form {self.signature_format!r}"
        ident = lowered.get(self.id_header.lower()) if self.id_header else None
        if self.id_header and ident is None:
            return f"header {self.id_header} is missing"
        return Parsed(found, timestamp, ident)

    def verify(
        self,
        secret: str,
        headers: Mapping[str, str],
        body: bytes,
        *,
        now: float | None = None,
    ) -> list[str]:
        """Why `body` with `headers` is not signed with `secret` ([] when it is).

        With `now` (Unix seconds) the timestamp must also lie within the tolerance.
        """
        parsed = self.parse(headers)
        if isinstance(parsed, str):
            return [parsed]
        timestamp = 0
        if self.timestamped:
            if parsed.timestamp is None or not parsed.timestamp.isdigit():
                return [f"the timestamp {parsed.timestamp!r} is not Unix seconds"]
            timestamp = int(parsed.timestamp)
        stamp = Stamp(parsed.id or "", timestamp)
        expected = self.digest(secret, stamp, body)
        if not any(hmac.compare_digest(s.encode(), expected.encode()) for s in parsed.signatures):
            sent = {k.lower(): v for k, v in headers.items()}[self.header.lower()]
            return [
                f"header {self.header} is {sent!r}: no signature in it is {expected!r}, the "
                "HMAC of the bytes received"
            ]
        return self.freshness(timestamp, now) if now is not None and self.timestamped else []

    def freshness(self, timestamp: float, now: float) -> list[str]:
        """Whether `timestamp` is within the tolerance of `now` (both Unix seconds)."""
        age = now - timestamp
        if self.tolerance is not None and age > self.tolerance:
            return [f"the timestamp is {age:.0f} s old; the tolerance is {self.tolerance:g} s"]
        ahead = -age
        if self.future_tolerance is not None and ahead > self.future_tolerance:
            return [
                f"the timestamp is {ahead:.0f} s in the future; the tolerance is "
                f"{self.future_tolerance:g} s"
            ]
        return []


def _pattern(template: str, **groups: str) -> str:
    """A regular expression matching `template`, its placeholders as named groups."""
    wanted = {
        "timestamp": r"(?P<timestamp>[^,;\s]*)",
        "signatures": r"(?P<signatures>.+)",
        **groups,
    }
    parts = re.split(r"\{(\w+)\}", template)
    return "".join(
        wanted.get(p, re.escape("{" + p + "}")) if i % 2 else re.escape(p)
        for i, p in enumerate(parts)
    )
