"""Challenge handshakes as data: the request a provider sends and the answers that are right.

A profile's `handshake` of kind `challenge` says what is sent (`request`: the method, and
templates for the query, the headers and a JSON body) and what the endpoint must answer
(`answers`: any one of them; a status, a content type, a text body or a JSON shape, headers).
Templates name these values:

- `{challenge}`: a fresh random value per handshake (Slack's `challenge`, Zoom's
  `plainToken`, Dropbox's `challenge`, Microsoft Graph's `validationToken`, X's
  `crc_token`, Meta's `hub.challenge`);
- `{token}`: the verification token the endpoint was configured with (Slack's `token`,
  Meta's `hub.verify_token`): the mock's account setting `verification_token`; the receiver
  suite, told only the secret, sends the secret in its place;
- `{hmac}`: HMAC-SHA256 of the challenge keyed with the secret, hex or base64 (Zoom's
  `encryptedToken`, X's `response_token`);
- `{origin}`: the sender's origin (CloudEvents' `WebHook-Request-Origin`);
- `{now}` and `{now_ms}`: the time the request is sent, Unix seconds or milliseconds (Zoom's
  `event_ts`), in requests only; a number where the placeholder is a body's whole value, its
  digits in a header or a query, and any number (or digits) will do where an incoming
  request is recognised.

Pure functions: the mock and the receiver suite build requests and judge answers with them,
the capture server and the reference receiver recognise a handshake and answer it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

ORIGIN = "hookconform.example"  # what {origin} is: a reserved name, never resolved
PLACEHOLDERS = frozenset({"challenge", "token", "hmac", "origin", "now", "now_ms"})
_PLACEHOLDER = re.compile(r"\{(" + "|".join(sorted(PLACEHOLDERS)) + r")\}")
NUMBERS = frozenset({"now", "now_ms"})  # placeholders that stand for a number: in requests
_NAMED = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")  # what reads as a placeholder


def new_challenge() -> str:
    return secrets.token_urlsafe(24)


def hmac_of(secret: str, challenge: str, *, encoding: str = "hex", prefix: str = "") -> str:
    """What `{hmac}` stands for: HMAC-SHA256 of `challenge` keyed with `secret`."""
    mac = hmac.new(secret.encode(), challenge.encode(), hashlib.sha256).digest()
    return prefix + (mac.hex() if encoding == "hex" else base64.b64encode(mac).decode())


def fill(template: Any, values: Mapping[str, str]) -> Any:
    """`template` with every placeholder replaced by its value (in strings, at any depth;
    a number where a number's placeholder is the whole string)."""
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole and whole.group(1) in NUMBERS and whole.group(1) in values:
            return int(values[whole.group(1)])
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
    if isinstance(template, Mapping):
        return {k: fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [fill(v, values) for v in template]
    return template


def _read(template: Any, actual: Any, found: dict[str, str]) -> bool:
    """Whether `actual` has `template`'s shape, its literals equal; the values standing where
    the template has a bare placeholder go into `found`."""
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole and whole.group(1) in NUMBERS:
            if not _number(actual):
                return False
            found[whole.group(1)] = str(actual)
            return True
        if whole:
            if not isinstance(actual, str):
                return False
            found[whole.group(1)] = actual
            return True
        return bool(_PLACEHOLDER.search(template)) or actual == template
    if isinstance(template, Mapping):
        return isinstance(actual, Mapping) and all(
            k in actual and _read(v, actual[k], found) for k, v in template.items()
        )
    return bool(actual == template)


def _number(actual: Any) -> bool:
    """A JSON number (not NaN or an infinity, which Python's JSON reader lets in) or, in a
    header or a query, its digits."""
    if isinstance(actual, str):
        return actual.isascii() and actual.isdigit()
    if isinstance(actual, float):
        return math.isfinite(actual)
    return isinstance(actual, int) and not isinstance(actual, bool)


Where = tuple[str | int, ...]  # keys and indexes into a template


def named_in(template: Any, at: Where = ()) -> Iterator[tuple[Where, str]]:
    """(where, name) for each `{name}` written in `template`, a placeholder or not."""
    if isinstance(template, str):
        for name in _NAMED.findall(template):
            yield at, name
    elif isinstance(template, Mapping):
        for key, value in template.items():
            yield from named_in(value, (*at, str(key)))
    elif isinstance(template, list):
        for index, value in enumerate(template):
            yield from named_in(value, (*at, index))


@dataclass(frozen=True)
class ChallengeRequest:
    """What the provider sends: the method and templates of the query, headers and body."""

    method: str = "POST"
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Any = None  # a JSON template; None: no body
    signed: bool = False  # it carries the authenticity signature, as a delivery does

    @property
    def templates(self) -> dict[str, Any]:
        """Each part that is a template, by its name in the profile."""
        return {"query": dict(self.query), "headers": dict(self.headers), "body": self.body}

    @property
    def placeholders(self) -> frozenset[str]:
        """The placeholders the request's templates name."""
        return frozenset(name for _, name in named_in(self.templates) if name in PLACEHOLDERS)

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> ChallengeRequest:
        return cls(
            method=str(raw.get("method", "POST")).upper(),
            query={str(k): str(v) for k, v in raw.get("query", {}).items()},
            headers={str(k): str(v) for k, v in raw.get("headers", {}).items()},
            body=raw.get("body"),
            signed=bool(raw.get("signed", False)),
        )

    def recognise(
        self,
        method: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> dict[str, str] | None:
        """The values (challenge, token, origin) of an incoming request that is this
        handshake, or None when it is something else (e.g. a delivery)."""
        if method.upper() != self.method:
            return None
        found: dict[str, str] = {}
        lowered = {k.lower(): v for k, v in headers.items()}
        wanted = {k.lower(): v for k, v in self.headers.items()}
        if not _read(dict(self.query), dict(query), found) or not _read(wanted, lowered, found):
            return None
        if self.body is not None:
            try:
                document = json.loads(body)
            except ValueError:
                return None
            if not _read(self.body, document, found):
                return None
        return found if "challenge" in found or "origin" in found else None


@dataclass(frozen=True)
class Answer:
    """One right answer: a status, and optionally a content type, a text body (a template),
    a JSON shape (a template the answer must contain) and headers (each a template, or a
    list of templates any one of which will do)."""

    status: tuple[int, ...] = (200,)
    content_type: str | None = None
    body: str | None = None
    json: Any = None
    headers: Mapping[str, Any] = field(default_factory=dict)

    @property
    def templates(self) -> dict[str, Any]:
        """Each part that is a template, by its name in the profile."""
        return {"body": self.body, "json": self.json, "headers": dict(self.headers)}

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> Answer:
        status = raw.get("status", [200])
        return cls(
            status=tuple(status if isinstance(status, list) else [status]),
            content_type=raw.get("content_type"),
            body=raw.get("body"),
            json=raw.get("json"),
            headers=dict(raw.get("headers", {})),
        )

    def problems(
        self,
        values: Mapping[str, str],
        status: int | None,
        headers: Mapping[str, str],
        body: bytes,
    ) -> list[str]:
        """How an answer differs from this one ([]: it is this answer)."""
        if status not in self.status:
            return [f"status {status}, expected {' or '.join(map(str, self.status))}"]
        found = []
        lowered = {k.lower(): v for k, v in headers.items()}
        given_type = lowered.get("content-type", "").split(";")[0].strip().lower()
        if self.content_type and given_type != self.content_type.lower():
            shown = given_type or "missing"
            found.append(f"Content-Type {shown!r}, expected {self.content_type!r}")
        if self.body is not None:
            wanted = fill(self.body, values)
            text = body.decode("utf-8", "replace").strip()
            if text != wanted:
                found.append(f"body {text[:80]!r}, expected {wanted!r}")
        if self.json is not None:
            try:
                document = json.loads(body)
            except ValueError:
                document = None
            expected = fill(self.json, values)
            if not _contains(document, expected):
                found.append(f"body {body[:120]!r}, expected JSON with {json.dumps(expected)}")
        for name, options in self.headers.items():
            choices = options if isinstance(options, list) else [options]
            allowed = [fill(o, values) for o in choices]
            if lowered.get(name.lower()) not in allowed:
                got = lowered.get(name.lower())
                found.append(f"header {name} {got!r}, expected {' or '.join(map(repr, allowed))}")
        return found

    def render(self, values: Mapping[str, str]) -> tuple[int, dict[str, str], bytes]:
        """This answer as a correct endpoint gives it: status, headers, body."""
        headers = {}
        for name, options in self.headers.items():
            headers[name] = fill(options[0] if isinstance(options, list) else options, values)
        if self.json is not None:
            body = json.dumps(fill(self.json, values)).encode()
            headers["Content-Type"] = self.content_type or "application/json"
        elif self.body is not None:
            body = fill(self.body, values).encode()
            headers["Content-Type"] = self.content_type or "text/plain"
        else:
            body = b""
        return self.status[0], headers, body


def _contains(document: Any, expected: Any) -> bool:
    """`document` holds `expected`: every member of an expected object, equal leaves."""
    if isinstance(expected, Mapping):
        return isinstance(document, Mapping) and all(
            k in document and _contains(document[k], v) for k, v in expected.items()
        )
    return bool(document == expected)


def values_for(
    challenge: str,
    secret: str | None,
    *,
    encoding: str = "hex",
    prefix: str = "",
    now: float | None = None,
    token: str | None = None,
) -> dict[str, str]:
    """Every placeholder's value for one handshake sent at `now` (Unix seconds; left out
    when None: judging an answer needs no time) with the verification token `token` (when
    not given, the secret stands in for it)."""
    values = {"challenge": challenge, "origin": ORIGIN}
    if now is not None:
        values["now"], values["now_ms"] = str(int(now)), str(int(now * 1000))
    if token is not None or secret is not None:
        values["token"] = token if token is not None else str(secret)
    if secret is not None:
        values["hmac"] = hmac_of(secret, challenge, encoding=encoding, prefix=prefix)
    return values


def judge(
    answers: tuple[Answer, ...],
    values: Mapping[str, str],
    status: int | None,
    headers: Mapping[str, str],
    body: bytes,
) -> list[str]:
    """[] when the answer is one of `answers`; else how it differs from the first."""
    found = [a.problems(values, status, headers, body) for a in answers]
    if not found or any(not p for p in found):
        return []
    return found[0]
