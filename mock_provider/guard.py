"""What keeps a web page from driving the mock: its own Host only, no cross-origin writes.

A browser lets any page send requests to 127.0.0.1; two rules stop such a page from using
the mock's APIs or its dashboard:

- **Host**: the mock answers only requests whose Host header names it: the address and port
  it listens on, `localhost` with that port, and the names given with `--host-name`. A page
  on a name that resolves to 127.0.0.1 (DNS rebinding) sends its own name and is refused.
- **Origin**: a request that changes something (anything but GET, HEAD and OPTIONS) from a
  browser page of another origin is refused: browsers send `Origin` (and
  `Sec-Fetch-Site`) with such requests, programs such as curl and SDKs send neither.

Bodies of the JSON APIs must be JSON (`Content-Type: application/json`), so that a page
cannot send them as a "simple" cross-origin request; the dashboard's forms carry a token
that only the page the mock served knows (`form_token`).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets

from werkzeug.wrappers import Request

from mock_provider.http_json import ApiError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _authority(host: str, port: int | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port is None else f"{shown}:{port}"


class Guard:
    """The Host and Origin rules for one mock (`listening`: its address and port, once bound)."""

    def __init__(self, names: list[str], *, listening: tuple[str, int] | None = None) -> None:
        self.names = [n.lower() for n in names]
        self.listening = listening
        self.token = secrets.token_urlsafe(24)
        if listening is None:  # in-process use (werkzeug's test client sends "localhost")
            self.hosts = {"localhost", *self.names}
            self.any_address_on: int | None = None
            return
        host, port = listening
        self.hosts = {_authority(host, port), _authority("localhost", port)}
        self.hosts |= {_authority(n, port) for n in self.names} | set(self.names)
        unspecified = ipaddress.ip_address(host).is_unspecified
        self.any_address_on = port if unspecified else None  # listening on every address

    def allows_host(self, value: str) -> bool:
        """Whether a Host header names this mock."""
        value = value.strip().lower()
        if value in self.hosts:
            return True
        if self.any_address_on is None:
            return False
        host, _, port = value.rpartition(":")
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return False
        return port == str(self.any_address_on)

    def check(self, request: Request) -> None:
        """Refuse a request that does not name this mock, or that a page of another origin
        sends to change something."""
        host = request.headers.get("Host", "")
        if not self.allows_host(host):
            raise ApiError(
                400,
                "unknown host",
                f"the mock answers only requests to its own address; Host {host!r} is not one"
                " of them (start it with --host-name NAME to answer to NAME)",
            )
        if request.method in SAFE_METHODS:
            return
        origin = request.headers.get("Origin")
        if origin is not None and origin.lower() not in (f"http://{host}", f"https://{host}"):
            raise ApiError(403, "cross-origin request", f"requests from {origin} are refused")
        if request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site":
            raise ApiError(403, "cross-origin request", "requests from other sites are refused")

    def form_token(self) -> str:
        """The token the dashboard's forms carry."""
        return self.token

    def check_form(self, given: str | None) -> None:
        if not given or not hmac.compare_digest(given.encode(), self.token.encode()):
            raise ApiError(
                403, "form token", "this form did not come from the mock's dashboard: reload it"
            )
