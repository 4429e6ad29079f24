"""Credentials for a profile's subscription API, taken from its OpenAPI security schemes.

An `apiKey` scheme in a header, an HTTP `bearer` scheme and an HTTP `basic` scheme are
understood; the operation's `security` (or the document's) lists the alternatives, any one
of which lets a request in. A profile without security schemes needs no credentials.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.mock_client import DEFAULT_API_KEY, DEFAULT_BASIC_AUTH


@dataclass(frozen=True)
class Credentials:
    """What the mock accepts: the API key (apiKey and bearer schemes) and basic auth."""

    api_key: str = DEFAULT_API_KEY
    basic_auth: str = DEFAULT_BASIC_AUTH


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _scheme_accepts(
    scheme: Mapping[str, Any], headers: Mapping[str, str], creds: Credentials
) -> bool:
    kind = scheme.get("type")
    authorization = headers.get("authorization", "")
    if kind == "apiKey" and scheme.get("in") == "header":
        return _same(headers.get(scheme["name"].lower(), ""), creds.api_key)
    if kind == "http" and scheme.get("scheme", "").lower() == "bearer":
        word, _, token = authorization.partition(" ")
        return word.lower() == "bearer" and _same(token.strip(), creds.api_key)
    if kind == "http" and scheme.get("scheme", "").lower() == "basic":
        word, _, encoded = authorization.partition(" ")
        if word.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return _same(decoded, creds.basic_auth)
    return False


def requirements(openapi: Mapping[str, Any], operation: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The security alternatives for an operation: a list of {scheme name: scopes}."""
    return list(operation.get("security", openapi.get("security", [])))


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
    schemes = openapi.get("components", {}).get("securitySchemes", {})
    lowered = {k.lower(): v for k, v in headers.items()}
    for requirement in alternatives:
        if not requirement:
            return None  # an empty requirement means anonymous access is allowed
        if all(
            name in schemes and _scheme_accepts(schemes[name], lowered, creds)
            for name in requirement
        ):
            return None
    names = sorted({name for requirement in alternatives for name in requirement})
    described = []
    for name in names:
        scheme = schemes.get(name, {})
        if scheme.get("type") == "apiKey":
            described.append(f"header {scheme.get('name')}: KEY")
        elif scheme.get("type") == "http":
            described.append(f"Authorization: {scheme.get('scheme', '').capitalize()} ...")
    return "missing or wrong credentials; send one of: " + "; ".join(described)


def challenge_header(openapi: Mapping[str, Any]) -> dict[str, str]:
    """A WWW-Authenticate header for a 401, when the API takes basic auth."""
    schemes = openapi.get("components", {}).get("securitySchemes", {})
    for scheme in schemes.values():
        if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "basic":
            return {"WWW-Authenticate": 'Basic realm="hookconform mock"'}
    return {}
