"""The HTTP server every hookconform server runs on (harness.serving), over real sockets:
only complete, unambiguous requests reach the application, and every protocol-level error
is a JSON answer with a status line."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest
from werkzeug.wrappers import Request, Response

from harness.serving import BackgroundServer

SEEN: list[str] = []


def _app(environ: dict, start_response: object) -> object:
    request = Request(environ)
    SEEN.append(f"{request.method} {request.path} {request.get_data(as_text=True)}")
    return Response("ok")(environ, start_response)


@pytest.fixture
def server() -> Iterator[BackgroundServer]:
    SEEN.clear()
    with BackgroundServer(_app) as running:
        yield running


def raw(server: BackgroundServer, data: bytes, *, end: bool = True) -> bytes:
    """Send `data` on a fresh connection (and end the sending side); everything answered."""
    with socket.create_connection((server.host, server.port), timeout=3) as connection:
        connection.sendall(data)
        if end:
            connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def _json_error(answer: bytes, status: int) -> dict:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} ".encode()), answer[:200]
    assert b"Content-Type: application/json" in head
    document = json.loads(body)
    assert set(document) == {"error", "detail"}, document
    assert document["detail"]
    return document


@pytest.mark.parametrize(
    "data",
    [
        b"POST /hook HTTP/1.1",  # the request line never ends
        b"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n",  # nor do the headers
        b"POST /hook HTTP/1.1\r\nHost: x\r\n",
    ],
)
def test_a_request_cut_off_before_its_headers_end_is_not_acted_on(
    server: BackgroundServer, data: bytes
) -> None:
    answer = raw(server, data)
    assert SEEN == []
    if answer:  # the client is gone; if it still reads, it reads why
        _json_error(answer, 400)


@pytest.mark.parametrize(
    ("data", "status", "detail"),
    [
        (b"\x00\xff not http at all\r\n\r\n", 400, "request version"),
        (b"GET /\r\n\r\n", 400, "HTTP/1.x request line"),  # HTTP/0.9: no status line otherwise
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414, ""),
        (b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", 431, "Line too long"),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 2\r\n\r\nhello",
            400,
            "two different Content-Length",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
            "both Content-Length and Transfer-Encoding",
        ),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400, "not a number"),
    ],
)
def test_protocol_errors_are_json_with_a_status_line(
    server: BackgroundServer, data: bytes, status: int, detail: str
) -> None:
    document = _json_error(raw(server, data), status)
    assert detail in document["detail"]
    assert SEEN == []


def test_the_same_length_twice_is_one_length(server: BackgroundServer) -> None:
    data = b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi"
    assert raw(server, data).startswith(b"HTTP/1.1 200 ")
    assert SEEN == ["POST /x hi"]
