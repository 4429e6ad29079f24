"""Whether a request to a profile's subscription API presents the credentials it needs.

The schemes come from the profile's OpenAPI document (`harness.security`); the mock accepts
its configured API key (for apiKey and bearer schemes) and basic credentials. Any one of an
operation's alternatives lets a request in; a profile without security schemes needs none.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.mock_client import DEFAULT_API_KEY, DEFAULT_BASIC_AUTH
from harness.security import Scheme, requirements, schemes


@dataclass(frozen=True)
class Credentials:
    """What the mock accepts: the API key (apiKey and bearer schemes) and basic auth."""

    api_key: str = DEFAULT_API_KEY
    basic_auth: str = DEFAULT_BASIC_AUTH


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _accepts(scheme: Scheme, headers: Mapping[str, str], creds: Credentials) -> bool:
    word, _, value = headers.get("authorization", "").partition(" ")
    if scheme.kind == "api-key" and scheme.header:
        return _same(headers.get(scheme.header.lower(), ""), creds.api_key)
    if scheme.kind == "bearer":
        return word.lower() == "bearer" and _same(value.strip(), creds.api_key)
    if scheme.kind == "basic" and word.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return _same(decoded, creds.basic_auth)
    return False


def check(
    openapi: Mapping[str, Any],
    operation: Mapping[str, Any],
    headers: Mapping[str, str],
    creds: Credentials,
) -> str | None:
    """None when the request may go on; otherwise why it is refused."""
    alternatives = requirements(openapi, operation)
    if not alternatives:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    for needed in alternatives:
        if all(_accepts(scheme, lowered, creds) for scheme in needed):
            return None  # an empty alternative: anonymous access is allowed
    named = dict.fromkeys(s.presented_as for needed in alternatives for s in needed)
    return "missing or wrong credentials; send one of: " + "; ".join(named)


def challenge_header(openapi: Mapping[str, Any]) -> dict[str, str]:
    """A WWW-Authenticate header for a 401, when the API takes basic auth."""
    if any(s.kind == "basic" for s in schemes(openapi).values()):
        return {"WWW-Authenticate": 'Basic realm="hookconform mock"'}
    return {}
