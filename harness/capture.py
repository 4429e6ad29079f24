"""The capture server: the harness playing a webhook receiver.

It records every request raw (method, path, query, headers, body bytes, arrival time) and
answers from a script per path, so that each subscription under test gets its own path and
its own answers: a status sequence, delays, headers, and echoing a handshake header or not.

    with CaptureServer() as capture:
        url = capture.url_for("employee-created")
        capture.script([Reply(500), Reply(200)], path="employee-created")
        ... make the sender deliver to url ...
        first, retry = capture.wait_for(2, timeout=5, path="employee-created")

It survives garbage: bodies over `max_body` are answered 413 (and recorded, truncated), a
client that sends too slowly is cut off after the handler's timeout, and a delay in a reply is
cut short when the server stops.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug.exceptions import ClientDisconnected
from werkzeug.wrappers import Request, Response

from harness.serving import BackgroundServer, read_at_most

MAX_BODY = 1024 * 1024
MAX_DELAY = 60.0


@dataclass(frozen=True)
class Reply:
    """One scripted answer.

    `echo` names request headers whose value is copied into the response (the X-Hook-Secret
    handshake); `delay` is seconds to wait before answering (capped at 60).
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    echo: tuple[str, ...] = ()


@dataclass(frozen=True)
class CapturedRequest:
    """A request as it arrived."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    truncated: bool
    arrived: float  # on the capture's clock (monotonic or virtual): delays between attempts
    arrived_at: datetime
    status: int  # what the capture answered

    def header(self, name: str, default: str | None = None) -> str | None:
        """A header's value, the name compared case-insensitively."""
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), default)

    def json(self) -> Any:
        """The body parsed as JSON (raises ValueError when it is not JSON)."""
        return json.loads(self.body)


class CaptureServer:
    """A threaded loopback server that records requests and answers from scripts."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, max_body: int = MAX_BODY) -> None:
        self.max_body = max_body
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._requests: list[CapturedRequest] = []
        self._scripts: dict[str | None, deque[Reply]] = {}
        self._defaults: dict[str | None, Reply] = {None: Reply()}
        self._server = BackgroundServer(self._app, host=host, port=port)
        # What dates each arrival (`CapturedRequest.arrived`): the monotonic clock, or the
        # virtual clock of the mock the sender suite drives (harness.virtual_clock).
        self.clock: Callable[[], float] = time.monotonic
        # Answers handshake requests ahead of any script (None for anything else): the
        # sender suite sets it to answer a profile's challenge handshake, right or wrong.
        self.handshake: Callable[[CapturedRequest], Reply | None] | None = None

    # Lifecycle.

    @property
    def url(self) -> str:
        return self._server.url

    def url_for(self, name: str) -> str:
        """A URL of its own for one subscription: `{url}/{name}`."""
        return f"{self.url}/{name.strip('/')}"

    def start(self) -> CaptureServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._arrived:
            self._arrived.notify_all()  # a quiet watch ends with the server
        self._server.stop()

    def __enter__(self) -> CaptureServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # Scripting.

    def respond_with(
        self,
        status: int = 200,
        *,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        delay: float = 0.0,
        echo: Iterable[str] = (),
        path: str | None = None,
    ) -> None:
        """The answer once the script for `path` (or every path, for None) has run out."""
        reply = Reply(status, dict(headers or {}), body, delay, tuple(echo))
        with self._lock:
            self._defaults[_key(path)] = reply

    def script(self, replies: Iterable[Reply | int], *, path: str | None = None) -> None:
        """Answers for the next requests to `path` (None: any path without its own script),
        one each, in order; a bare int is a status with an empty body."""
        queue = deque(r if isinstance(r, Reply) else Reply(r) for r in replies)
        with self._lock:
            self._scripts[_key(path)] = queue

    def clear(self) -> None:
        """Forget the recorded requests and every script."""
        with self._lock:
            self._requests.clear()
            self._scripts.clear()
            self._defaults = {None: Reply()}

    # Reading what arrived.

    @property
    def requests(self) -> list[CapturedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_for(self, path: str) -> list[CapturedRequest]:
        key = _key(path)
        return [r for r in self.requests if r.path == key]

    def wait_for(
        self, count: int, timeout: float, *, path: str | None = None
    ) -> list[CapturedRequest]:
        """Block until `count` requests (to `path`, if given) have arrived; return them.

        Raises TimeoutError saying how many arrived when they do not come in time.
        """
        deadline = time.monotonic() + timeout
        key = _key(path) if path is not None else None
        with self._arrived:
            while True:
                found = [r for r in self._requests if key is None or r.path == key]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    where = f" to {key}" if key else ""
                    raise TimeoutError(
                        f"{len(found)} of {count} requests{where} arrived within {timeout:g} s"
                    )
                self._arrived.wait(left)

    def quiet_for(self, seconds: float, *, path: str | None = None) -> bool:
        """Watch for `seconds`: True when no request (to `path`, if given) arrived meanwhile,
        False as soon as one does (what came is in `requests`). Stopping the server ends the
        watch early."""
        deadline = time.monotonic() + seconds
        key = _key(path) if path is not None else None

        def count() -> int:
            return sum(1 for r in self._requests if key is None or r.path == key)

        with self._arrived:
            before = count()
            while count() == before:
                left = deadline - time.monotonic()
                if left <= 0 or self._stopping.is_set():
                    return True
                self._arrived.wait(left)
            return False

    # The WSGI application.

    def _next_reply(self, path: str) -> Reply:
        with self._lock:
            for key in (path, None):
                queue = self._scripts.get(key)
                if queue:
                    return queue.popleft()
            return self._defaults.get(path) or self._defaults[None]

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            body, truncated = self._read_body(request)
        except ClientDisconnected:
            # The client went away before its body was complete: no request was made, and
            # recording the piece that came would pass it off as a (malformed) delivery.
            return Response("incomplete body", status=400)(environ, start_response)
        path = "/" + request.path.strip("/")
        captured = CapturedRequest(
            method=request.method,
            path=path,
            query=request.query_string.decode("latin-1"),
            headers=tuple(request.headers.items()),
            body=body,
            truncated=truncated,
            arrived=self.clock(),
            arrived_at=datetime.now(UTC),
            status=413,
        )
        answered = None if truncated or self.handshake is None else self.handshake(captured)
        reply = Reply(413) if truncated else answered or self._next_reply(path)
        captured = dataclasses.replace(captured, status=reply.status)
        with self._arrived:
            self._requests.append(captured)
            self._arrived.notify_all()
        if reply.delay:
            self._stopping.wait(min(reply.delay, MAX_DELAY))
        response = Response(reply.body, status=reply.status, headers=reply.headers)
        for name in reply.echo:
            if name in request.headers:
                response.headers[name] = request.headers[name]
        return response(environ, start_response)

    def _read_body(self, request: Request) -> tuple[bytes, bool]:
        """At most `max_body` bytes of the body, and whether there was more."""
        stream = request.stream
        body = read_at_most(stream, self.max_body + 1)
        truncated = len(body) > self.max_body
        if truncated:
            while stream.read(64 * 1024):  # drain, so that the client reads our answer
                pass
        return body[: self.max_body], truncated


def _key(path: str | None) -> str | None:
    """Paths are kept with one leading slash: "a", "/a" and "/a/" are the same subscription."""
    if path is None:
        return None
    return "/" + path.strip("/")
