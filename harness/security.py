"""A subscription API's credentials, as its OpenAPI security schemes describe them.

Read once for both sides: the mock checks what a request presents against the schemes an
operation requires (`mock_provider.auth`), and the harness presents the mock's default
credentials in the form the first scheme asks for (`harness.mock_client`). An `apiKey`
scheme in a header, an HTTP `bearer` scheme and an HTTP `basic` scheme are understood.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["api-key", "bearer", "basic", "other"]


@dataclass(frozen=True)
class Scheme:
    """One security scheme: its kind, and the header an API key travels in."""

    name: str
    kind: Kind
    header: str | None = None  # api-key only

    @property
    def presented_as(self) -> str:
        """How a client presents it, in words (for a 401's detail)."""
        if self.kind == "api-key":
            return f"header {self.header}: KEY"
        if self.kind == "bearer":
            return "Authorization: Bearer ..."
        if self.kind == "basic":
            return "Authorization: Basic ..."
        return f"the {self.name} scheme"


def schemes(openapi: Mapping[str, Any]) -> dict[str, Scheme]:
    """The document's security schemes by name."""
    found = {}
    for name, raw in openapi.get("components", {}).get("securitySchemes", {}).items():
        kind: Kind = "other"
        header = None
        http = str(raw.get("scheme", "")).lower()
        if raw.get("type") == "apiKey" and raw.get("in") == "header":
            kind, header = "api-key", str(raw["name"])
        elif raw.get("type") == "http" and http in ("bearer", "basic"):
            kind = "bearer" if http == "bearer" else "basic"
        found[name] = Scheme(name, kind, header)
    return found


def requirements(openapi: Mapping[str, Any], operation: Mapping[str, Any]) -> list[list[Scheme]]:
    """The alternatives an operation accepts, each the schemes that must all be presented;
    an empty alternative means no credentials are needed. [] when nothing is required."""
    known = schemes(openapi)
    alternatives = operation.get("security", openapi.get("security", []))
    return [
        [known.get(name, Scheme(name, "other")) for name in requirement]
        for requirement in alternatives
    ]
