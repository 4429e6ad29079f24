"""HTTP/1.1 requests to a pinned `harness.targets.Target`, each bounded by a total deadline.

`HttpClient.request(target, ...)` connects only to the addresses the target was checked
with (never resolving a name again), sends the target's host as the Host header, and ends
the attempt when its deadline passes, whatever the other side does: a receiver that drips
one byte a second, never answers, or answers a gigabyte cannot hold the caller past
`timeout`. Every blocking step (connect, TLS handshake, send, each read) gets the time that
is left, and a read past the deadline raises. At most `read_limit` bytes of an answer are
read; a longer answer closes the connection instead of being drained.

Connections are kept alive per target (scheme, host, port and addresses) and checked before
reuse; a reused connection that turns out closed before any byte of an answer came is
replaced once by a fresh one (the server dropped an idle connection: the request was not
read).

Callers set no framing: Host, Content-Length, Transfer-Encoding and the other hop-by-hop
headers are the client's, and a header with a line break is refused (`ValueError`).
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from harness.targets import Target

DEFAULT_READ_LIMIT = 64 * 1024
API_READ_LIMIT = 8 * 1024 * 1024  # a subscription API's list, a mock's delivery log
IDLE_PER_TARGET = 16
# Set by the client itself: a caller's value would change how the message is framed.
FRAMING = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "proxy-connection",
        "expect",
    }
)
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_VALUE = re.compile(r"^[\t\x20-\x7e\x80-\xff]*$")


def header_problem(name: str, value: str) -> str | None:
    """Why `name: value` cannot be sent as a header set by a caller; None when it can."""
    if not _TOKEN.match(name):
        return f"{name!r} is not a header name"
    if name.lower() in FRAMING:
        return f"{name} frames the message: the HTTP client sets it"
    if not _VALUE.match(value):
        return f"the value of {name} holds a line break or a character headers cannot carry"
    return None


@dataclass(frozen=True)
class Answer:
    """What came back: status, headers as received, and the body up to the read limit."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    complete: bool  # False when the body went on past the read limit
    elapsed: float

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)

    def header_map(self) -> dict[str, str]:
        """The headers with lower-case names (the last of repeated ones)."""
        return {k.lower(): v for k, v in self.headers}

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def parsed(self) -> Any:
        """The body as JSON; its text when it is not JSON, None when it is empty."""
        text = self.text()
        try:
            return json.loads(text) if text.strip() else None
        except ValueError:
            return text


class TransportError(Exception):
    """No answer: the deadline passed (`timed_out`), nothing accepted the connection
    (`refused`), or the connection failed on the way."""

    def __init__(
        self, message: str, *, timed_out: bool, elapsed: float, refused: bool = False
    ) -> None:
        super().__init__(message)
        self.timed_out = timed_out
        self.refused = refused
        self.elapsed = elapsed


class _Deadline(io.RawIOBase):
    """A socket read that never waits past the deadline (http.client reads through it)."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.received = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the deadline passed")
        self.sock.settimeout(left)
        count = self.sock.recv_into(buffer)
        self.received += count
        return count


class _Socket:
    """What http.client.HTTPResponse reads from: the socket, through the deadline."""

    def __init__(self, reader: _Deadline) -> None:
        self.reader = reader

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(self.reader)


class _Stale(Exception):
    """A kept-alive connection was closed by the other side before it read the request."""


Key = tuple[str, str, int, tuple[str, ...]]


class HttpClient:
    """Pinned, deadline-bounded HTTP/1.1 with kept-alive connections; safe across threads."""

    def __init__(
        self, *, idle_per_target: int = IDLE_PER_TARGET, tls: ssl.SSLContext | None = None
    ) -> None:
        self.idle_per_target = idle_per_target
        self.tls = tls or ssl.create_default_context()
        self._idle: dict[Key, list[socket.socket]] = {}
        self._lock = threading.Lock()

    def request(
        self,
        target: Target,
        method: str = "POST",
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        query: Mapping[str, str] | None = None,
        timeout: float,
        read_limit: int = DEFAULT_READ_LIMIT,
    ) -> Answer:
        """Send one request and read the answer, all within `timeout` seconds.

        `TransportError` when no answer came in time or the connection failed; `ValueError`
        for a header a caller may not set (see `header_problem`).
        """
        started = time.monotonic()
        deadline = started + timeout
        message = _message(target, method, headers or {}, body, query)
        key: Key = (target.scheme, target.host, target.port, target.addresses)
        try:
            sock = self._reused(key)
            if sock is not None:
                try:
                    return self._exchange(
                        key, sock, message, method, deadline, read_limit, started, reused=True
                    )
                except _Stale:
                    pass  # the server dropped it while idle: the request was never read
            sock = self._connect(target, deadline)
            return self._exchange(
                key, sock, message, method, deadline, read_limit, started, reused=False
            )
        except TimeoutError:
            raise TransportError(
                f"no answer within {timeout:g} s",
                timed_out=True,
                elapsed=time.monotonic() - started,
            ) from None
        except (OSError, http.client.HTTPException, _Stale) as exc:
            raise TransportError(
                _reason(exc),
                timed_out=False,
                elapsed=time.monotonic() - started,
                refused=isinstance(exc, ConnectionRefusedError),
            ) from None

    def close(self) -> None:
        """Close every kept-alive connection."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for sockets in idle.values():
            for sock in sockets:
                _close(sock)

    # connections ------------------------------------------------------------------------

    def _reused(self, key: Key) -> socket.socket | None:
        while True:
            with self._lock:
                sockets = self._idle.get(key)
                sock = sockets.pop() if sockets else None
            if sock is None or not _dropped(sock):
                return sock
            _close(sock)

    def _keep(self, key: Key, sock: socket.socket) -> None:
        with self._lock:
            sockets = self._idle.setdefault(key, [])
            if len(sockets) < self.idle_per_target:
                sockets.append(sock)
                return
        _close(sock)

    def _connect(self, target: Target, deadline: float) -> socket.socket:
        """A connection to the first of the target's addresses that accepts one."""
        failure: OSError | None = None
        for address in target.addresses:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                sock.settimeout(_left(deadline))
                sock.connect((address, target.port))
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if target.scheme == "https":
                    sock = self.tls.wrap_socket(
                        sock, server_hostname=target.host, do_handshake_on_connect=False
                    )
                    sock.settimeout(_left(deadline))
                    sock.do_handshake()
                return sock
            except TimeoutError:
                _close(sock)
                raise
            except OSError as exc:
                _close(sock)
                failure = exc
        assert failure is not None
        raise failure

    def _exchange(
        self,
        key: Key,
        sock: socket.socket,
        message: bytes,
        method: str,
        deadline: float,
        read_limit: int,
        started: float,
        *,
        reused: bool,
    ) -> Answer:
        reader = _Deadline(sock, deadline)
        try:
            sock.settimeout(_left(deadline))
            sock.sendall(message)
            response = http.client.HTTPResponse(_Socket(reader), method=method)  # type: ignore[arg-type]
            response.begin()
            body = response.read(read_limit) if read_limit else b""
            complete = response.isclosed()
            answer = Answer(
                status=response.status,
                reason=response.reason,
                headers=tuple(response.getheaders()),
                body=body,
                complete=complete,
                elapsed=time.monotonic() - started,
            )
            keep = complete and not response.will_close
        except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
            _close(sock)
            if reused and reader.received == 0:
                raise _Stale() from None
            raise
        except BaseException:
            _close(sock)
            raise
        if keep:
            self._keep(key, sock)
        else:
            _close(sock)
        return answer


def call_json(
    client: HttpClient,
    target: Target,
    method: str,
    *,
    body: Any = None,
    headers: Mapping[str, str] | None = None,
    timeout: float,
) -> Answer:
    """A call to a JSON API: `body` (when not None) sent as JSON, up to API_READ_LIMIT of the
    answer read (`Answer.parsed()` gives it as JSON)."""
    sent = dict(headers or {})
    data = b""
    if body is not None:
        data = json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    return client.request(
        target, method, headers=sent, body=data, timeout=timeout, read_limit=API_READ_LIMIT
    )


def _message(
    target: Target,
    method: str,
    headers: Mapping[str, str],
    body: bytes,
    query: Mapping[str, str] | None,
) -> bytes:
    path = target.path
    if query:
        path += ("&" if "?" in path else "?") + urlencode(query)
    lines = [f"{method} {path} HTTP/1.1", f"Host: {target.authority}"]
    for name, value in headers.items():
        problem = header_problem(name, value)
        if problem:
            raise ValueError(problem)
        lines.append(f"{name}: {value}")
    if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + body


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the deadline passed")
    return left


def _dropped(sock: socket.socket) -> bool:
    """Whether a kept-alive connection was closed (or sent something unasked) meanwhile."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, _Stale):
        return "the connection was closed before an answer came"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by the other side"
    if isinstance(exc, http.client.RemoteDisconnected | http.client.IncompleteRead):
        return "the connection was closed before the answer was complete"
    if isinstance(exc, http.client.HTTPException):
        return f"not an HTTP answer ({type(exc).__name__}: {exc})"[:300]
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed: {exc.reason or exc}"
    return f"{type(exc).__name__}: {exc.strerror or exc}" if isinstance(exc, OSError) else str(exc)
