"""Run a WSGI application on loopback in a background thread (werkzeug's threaded server).

Used by the capture server, the mock provider, the reference receiver's tests and the pytest
fixtures: `with BackgroundServer(app) as server: ... server.url ...`.

Only whole requests reach the application: a request line or header block cut off by the
end of the connection, a message with two different lengths (or a length and chunked
framing), and requests without an HTTP/1.x version are refused at the protocol level. Every
such refusal, like every error the HTTP server answers by itself (a request line or header
that is too long, too many headers), is a JSON `{"error", "detail"}` answer with a status
line, never an HTML page.
"""

from __future__ import annotations

import json
import socket
import threading
from types import TracebackType
from typing import IO, Any

from werkzeug.serving import (
    BaseWSGIServer,
    WSGIRequestHandler,
    make_server,
    select_address_family,
)

LOOPBACK = "127.0.0.1"


class _Lines:
    """The request's input, remembering the last line read (how the headers ended)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.last = b""

    def readline(self, size: int = -1) -> bytes:
        self.last = self.stream.readline(size)
        return self.last

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


class QuietHandler(WSGIRequestHandler):
    """No access log on stderr, a bound on how long a slow client may hold a connection, and
    only complete, unambiguous requests passed on (JSON errors otherwise)."""

    timeout = 10  # seconds a client may take to send a request (socketserver applies it)

    def log(self, type: str, message: str, *args: Any) -> None:
        return

    def parse_request(self) -> bool:
        if not self.raw_requestline.endswith(b"\n"):
            self.send_error(400, "the request line never ended")
            return False
        lines = _Lines(self.rfile)
        self.rfile = lines  # type: ignore[assignment]  # reads through to the stream
        try:
            parsed = super().parse_request()
        finally:
            self.rfile = lines.stream
        if not parsed:
            return False
        problem = self._framing_problem(lines.last)
        if problem:
            self.send_error(400, problem)
            return False
        return True

    def _framing_problem(self, last_line: bytes) -> str | None:
        if self.request_version == "HTTP/0.9":
            return "an HTTP/1.x request line is needed (method, target, version)"
        if last_line not in (b"\r\n", b"\n"):
            return "the connection ended before the headers did"
        lengths = {value.strip() for value in self.headers.get_all("Content-Length") or []}
        if len(lengths) > 1:
            return "the request has two different Content-Length headers"
        if lengths and not next(iter(lengths)).isdigit():
            return "Content-Length is not a number"
        if lengths and "Transfer-Encoding" in self.headers:
            return "the request has both Content-Length and Transfer-Encoding"
        return None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Every protocol-level error as JSON, with a status line even for HTTP/0.9 input."""
        short, long = self.responses.get(code, ("Error", ""))
        detail = "; ".join(dict.fromkeys(p for p in (message, explain) if p)) or long
        body = json.dumps({"error": short.lower(), "detail": detail})
        data = body.encode()
        self.request_version = "HTTP/1.1"  # so that a status line is written
        self.close_connection = True
        try:
            self.send_response(code, short)
            self.send_header("Connection", "close")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        except OSError:  # the client is gone: nothing to tell it
            pass


class BackgroundServer:
    """A threaded werkzeug server for `app`; port 0 picks a free port."""

    def __init__(
        self,
        app: Any,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        handler: type[WSGIRequestHandler] = QuietHandler,
    ) -> None:
        self.app = app
        # Bind here rather than in werkzeug, which prints to stderr and exits when the address
        # is taken: callers get the OSError (EADDRINUSE, a bad host, ...) to report.
        listener = _listen(host, port)
        try:
            self._server: BaseWSGIServer = make_server(
                host, port, app, threaded=True, request_handler=handler, fd=listener.fileno()
            )
        finally:
            listener.close()  # the server holds its own duplicate of the socket
        self._server.daemon_threads = True  # type: ignore[attr-defined]  # threaded=True
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> BackgroundServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on (host, port), or the OSError that says why not."""
    listener = socket.socket(select_address_family(host, port), socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except BaseException:
        listener.close()
        raise
    return listener


def read_at_most(stream: IO[bytes], size: int) -> bytes:
    """Up to `size` bytes of a request body, and never a body its client abandoned.

    When a client stops sending before its Content-Length, one `read` hands back the bytes
    that did arrive as if they were the body; reading on until `size` or the end makes
    werkzeug notice the missing rest and raise `ClientDisconnected` (a 400) instead.
    """
    chunks: list[bytes] = []
    while size > 0:
        chunk = stream.read(size)
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)
