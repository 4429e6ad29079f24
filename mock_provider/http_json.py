"""JSON over HTTP for the mock's APIs: bounded request bodies and `{"error", "detail"}` answers."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Request, Response

from harness.serving import read_at_most

DEFAULT_BODY_LIMIT = 1024 * 1024
# Deeper documents are refused: they would only exhaust the recursion of encoders later.
MAX_DEPTH = 64


class ApiError(Exception):
    """A refused request: answered with `status` and `{"error": error, "detail": detail}`."""

    def __init__(
        self,
        status: int,
        error: str,
        detail: str = "",
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {error}: {detail}")
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = dict(headers or {})

    def response(self) -> Response:
        return json_response(
            {"error": self.error, "detail": self.detail or self.error},
            self.status,
            headers=self.headers,
        )


def json_response(
    document: Any, status: int = 200, *, headers: Mapping[str, str] | None = None
) -> Response:
    body = json.dumps(document, ensure_ascii=False, indent=None)
    return Response(body, status=status, headers=headers, content_type="application/json")


def empty_response(status: int, *, headers: Mapping[str, str] | None = None) -> Response:
    return Response(b"", status=status, headers=headers)


def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 beyond `limit` bytes."""
    length = request.content_length
    if length is not None and length > limit:
        raise ApiError(413, "body too large", f"the limit is {limit} bytes, got {length}")
    data = read_at_most(request.stream, limit + 1)
    if len(data) > limit:
        raise ApiError(413, "body too large", f"the limit is {limit} bytes")
    return data


def read_json(request: Request, limit: int, *, required: bool = True) -> Any:
    """The request's JSON document; 400 when it is not JSON (None when absent and optional)."""
    data = read_body(request, limit)
    if not data.strip():
        if required:
            raise ApiError(400, "missing body", "this call needs a JSON body")
        return None
    refuse_other_bodies(request)
    return parse_json(data)


def refuse_other_bodies(request: Request) -> None:
    """A 415 for a request that carries a body other than JSON, whether or not the call
    reads one (a page's cross-origin form post to a call without a body, say)."""
    if has_body(request) and not is_json(request.mimetype):
        raise ApiError(
            415,
            "not JSON",
            f"the body must be sent as application/json, not {request.mimetype or 'untyped'}",
        )


def has_body(request: Request) -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "")


def is_json(mimetype: str) -> bool:
    """application/json, or a JSON-based type such as application/merge-patch+json."""
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def parse_json(data: str | bytes) -> Any:
    """A JSON document that can be sent on as JSON again; 400 for anything else.

    Python's parser also takes what is not JSON (NaN, Infinity, numbers that overflow to
    infinity, lone surrogates that no UTF-8 encoder takes): each would turn into a 500 or an
    invalid body delivered later, so each is refused here.
    """
    try:
        document = json.loads(data, parse_constant=_not_json, parse_float=_finite)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "malformed JSON", str(exc)[:200]) from None
    if depth(document) > MAX_DEPTH:
        raise ApiError(400, "too deeply nested", f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, "malformed JSON", "a string holds a lone surrogate") from None
    return document


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text} is too large for a JSON number a receiver can read")
    return value


def depth(document: Any) -> int:
    """How deeply arrays and objects nest (without recursion)."""
    deepest, stack = 0, [(document, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                children = node.values() if isinstance(node, dict) else node
                stack.extend((child, level + 1) for child in children)
    return deepest


def read_object(request: Request, limit: int) -> dict[str, Any]:
    """A JSON object body; 400 for anything else."""
    document = read_json(request, limit)
    if not isinstance(document, dict):
        raise ApiError(400, "wrong type", "the body must be a JSON object")
    return document


def field(
    document: Mapping[str, Any],
    name: str,
    kind: type | tuple[type, ...],
    *,
    required: bool = True,
    default: Any = None,
) -> Any:
    """One field of a JSON object, type-checked; 400 with the field's name otherwise (null is
    not a value of any field: leave the field out instead)."""
    if name not in document:
        if required:
            raise ApiError(400, "missing field", f"{name!r} is required")
        return default
    value = document[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise ApiError(400, "wrong type", f"{name!r} must be {names}, not {json.dumps(value)}")
    return value
