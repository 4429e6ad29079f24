"""Run a WSGI application on loopback in a background thread (werkzeug's threaded server).

Used by the capture server, the mock provider, the reference receiver's tests and the pytest
fixtures: `with BackgroundServer(app) as server: ... server.url ...`.
"""

from __future__ import annotations

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


class QuietHandler(WSGIRequestHandler):
    """No access log on stderr, and a bound on how long a slow client may hold a connection."""

    timeout = 10  # seconds a client may take to send a request (socketserver applies it)

    def log(self, type: str, message: str, *args: Any) -> None:
        return


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
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self._server.server_address[0]

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
