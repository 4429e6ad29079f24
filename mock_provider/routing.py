"""OpenAPI paths as werkzeug routes, and a request matched to one with the mock's answers for
a path nothing serves (404) and a method the path does not take (405, with `Allow`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request

from harness.profiles import PATH_PARAMETER
from mock_provider.http_json import ApiError


def rule(
    path: str, method: str, endpoint: str, converters: Mapping[str, str] | None = None
) -> Rule:
    """The werkzeug rule of an OpenAPI path template: `{name}` becomes `<name>`, or
    `<converter:name>` for the parameters `converters` names."""
    chosen = converters or {}

    def placeholder(found: re.Match[str]) -> str:
        name = found.group(1)
        return f"<{chosen[name]}:{name}>" if name in chosen else f"<{name}>"

    return Rule(PATH_PARAMETER.sub(placeholder, path), endpoint=endpoint, methods=[method.upper()])


def match(routes: Map, request: Request, path: str, unknown: str) -> tuple[str, dict[str, Any]]:
    """The endpoint `path` and the request's method lead to, and the path's values; an
    `ApiError` 404 (`unknown` says what is missing) or 405 otherwise."""
    adapter = routes.bind("mock", path_info=path)
    try:
        endpoint, values = adapter.match(method=request.method)
    except MethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.valid_methods or []))
        raise ApiError(
            405,
            "method not allowed",
            f"{request.method} {path}: allowed {allowed}",
            headers={"Allow": allowed},
        ) from None
    except NotFound:
        raise ApiError(404, "not found", f"{unknown} at {path}") from None
    return str(endpoint), dict(values)
