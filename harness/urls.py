"""URLs a user gives on the command line or in pytest options: checked before anything is sent."""

from __future__ import annotations

from urllib.parse import urlsplit

from harness.errors import HarnessError


def check_url(url: str) -> str:
    """`url` when it is an absolute http(s) URL with a host and a valid port; otherwise a
    `HarnessError` that says what is wrong with it."""
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port  # .port raises on a port out of range
    except ValueError as exc:
        raise HarnessError(f"not a valid URL: {url!r} ({exc})") from None
    if parts.scheme not in ("http", "https") or not host:
        raise HarnessError(f"not an http(s) URL: {url!r}")
    return url
