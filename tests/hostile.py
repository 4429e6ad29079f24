"""Receivers that misbehave at the TCP level, on real loopback sockets, for the tests of the
deadlines and of the isolation between receivers.

    with Hostile("drip") as drip:
        ... deliver to drip.url ...

Kinds: `hang` (reads the request, never answers), `drip` (answers one byte every 0.2 s,
forever), `huge` (announces and streams a 1 GiB body as long as it is read), `reset` (reads
the request, then resets the connection), `ok` (answers 200 at once). Every kind reads the
whole request first and counts it in `requests`. Bounded: each connection ends when the test
stops the server, and `huge` only writes what the other side reads.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from types import TracebackType

GIB = 1024**3
DRIP_INTERVAL = 0.2


class Hostile:
    """A loopback TCP server of one misbehaving kind."""

    def __init__(self, kind: str, *, host: str = "127.0.0.1") -> None:
        if kind not in ("hang", "drip", "huge", "reset", "ok"):
            raise ValueError(f"unknown kind {kind!r}")
        self.kind = kind
        self.requests = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._connections: list[socket.socket] = []
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self._listener.listen(64)
        self._listener.settimeout(0.1)
        self.host, self.port = self._listener.getsockname()[:2]
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    def __enter__(self) -> Hostile:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._connections.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        try:  # the connection may be closed by __exit__ before this thread first runs
            connection.settimeout(0.5)
            while not self._stop.is_set():
                if not _read_request(connection, self._stop):
                    return
                with self._lock:
                    self.requests += 1
                if not getattr(self, f"_{self.kind}")(connection):
                    return
        except OSError:
            return

    # Each answers one request; True to read the next one on the same connection.

    def _ok(self, connection: socket.socket) -> bool:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        return True

    def _hang(self, connection: socket.socket) -> bool:
        self._stop.wait()
        return False

    def _drip(self, connection: socket.socket) -> bool:
        answer = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000
        for byte in answer:
            if self._stop.wait(DRIP_INTERVAL):
                return False
            connection.sendall(bytes([byte]))
        return False

    def _huge(self, connection: socket.socket) -> bool:
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % GIB)
        chunk = b"\0" * 65536
        for _ in range(GIB // len(chunk)):
            if self._stop.is_set():
                return False
            connection.sendall(chunk)  # blocks (then times out) once the reader stops
        return False

    def _reset(self, connection: socket.socket) -> bool:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()
        return False


def _read_request(connection: socket.socket, stop: threading.Event) -> bool:
    """Read one request (headers and a Content-Length body); False when the client left."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = _receive(connection, stop)
        if not chunk:
            return False
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = _receive(connection, stop)
        if not chunk:
            return False
        body += chunk
    return True


def _receive(connection: socket.socket, stop: threading.Event) -> bytes:
    """The next bytes from the client; b"" when it left or the server stops."""
    while not stop.is_set():
        try:
            return connection.recv(65536)
        except TimeoutError:
            continue
    return b""
