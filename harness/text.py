"""Text for a person: what a report shows of bytes and long strings."""

from __future__ import annotations


def excerpt(data: bytes | str | None, limit: int = 400) -> str:
    """Bytes decoded (invalid bytes replaced), cut at `limit` characters with the length said."""
    if data is None:
        return ""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"
