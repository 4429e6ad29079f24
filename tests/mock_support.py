"""Helpers for the mock provider's tests: a real receiving server and a small HTTP client."""

from __future__ import annotations

import base64
import functools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import urllib3
from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from harness.profiles import load_profiles
from harness.targets import Resolver, system_resolver
from mock_provider.app import MockConfig
from mock_provider.server import MockServer

SCALE = 0.001
# The mock's per-attempt timeout in tests that need every exchange to succeed but one to time
# out quickly (S-retry-after-failure tries one): short, yet far beyond a loopback exchange
# stalled by a loaded machine or a garbage collection, which would otherwise be retried, or
# fail a handshake, as if the receiver had been too slow.
ATTEMPT_TIMEOUT = 2.0


def ctrl_c_works() -> None:
    """For `subprocess.Popen(preexec_fn=...)`: the child takes Ctrl-C (SIGINT) by default.

    A shell without job control starts a background command (`bash .ci/run &`) with SIGINT
    ignored, its children inherit that, and Python then never raises KeyboardInterrupt: a test
    that presses Ctrl-C on a child would wait for nothing.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def harness_process(*args: str) -> subprocess.Popen[str]:
    """`python -m harness ARGS` as a child whose output (stderr included, unbuffered) the
    test reads and that Ctrl-C stops."""
    return subprocess.Popen(
        [sys.executable, "-m", "harness", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        preexec_fn=ctrl_c_works,
    )


bundled = functools.cache(load_profiles)
WAIT = 10.0
# Names the tests' resolver knows besides localhost (no test looks up a real name).
NAMES = {
    "example.com": ["93.184.215.14"],
    "elsewhere.example": ["10.1.1.1"],
    "hooks.example": ["10.9.8.7"],
    "evil.localhost": ["10.0.0.1"],
    "split.example": ["127.0.0.1", "10.0.0.2"],
}


def resolver(names: dict[str, list[str]] | None = None) -> Resolver:
    """A resolver that knows `localhost` (looked up for real), `names` (read at each lookup,
    so a test can change what a name resolves to) and NAMES, nothing else."""
    given = names if names is not None else {}

    def resolve(host: str, port: int) -> list[str]:
        if host == "localhost":
            return system_resolver(host, port)
        found = given.get(host) or NAMES.get(host)
        if found is None:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} is not a name the tests know")
        return found

    return resolve


class Quiet(WSGIRequestHandler):
    """werkzeug's request handler without the access log."""

    def log_request(self, *args: Any) -> None:
        pass


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1 that records every request.

    `script` lists the statuses of the next answers (then `status`); "sleep" answers after
    `sleep` seconds; `echo` echoes an X-Hook-Secret header.
    """

    status: int = 200
    script: list[Any] = field(default_factory=list)
    echo: str | None = "X-Hook-Secret"
    sleep: float = 0.5
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Condition()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        received = Received(
            request.method,
            request.path,
            dict(request.args),
            dict(request.headers),
            request.get_data(),
            time.time(),
        )
        with self._lock:
            answer = self.script.pop(0) if self.script else self.status
            self.requests.append(received)
            self._lock.notify_all()
        if answer == "sleep":
            time.sleep(self.sleep)
            answer = 200
        headers = {}
        if self.echo and self.echo in request.headers:
            headers[self.echo] = request.headers[self.echo]
        return Response("ok", status=answer, headers=headers)(environ, start_response)

    def wait_for(self, count: int, timeout: float = WAIT) -> list[Received]:
        """The first `count` requests, waiting for them; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"expected {count} requests, got {len(self.requests)}"
                self._lock.wait(left)
            return list(self.requests[:count])

    def deliveries(self) -> list[Received]:
        """The requests that were deliveries (not handshakes nor validations)."""
        return [
            r
            for r in self.requests
            if r.body and "X-Hook-Secret" not in r.headers and "secret" not in r.query
        ]


@contextmanager
def receiver(host: str = "127.0.0.1", **options: Any) -> Iterator[Receiver]:
    endpoint = Receiver(**options)
    server = make_server(host, 0, endpoint, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    endpoint.url = f"http://{host}:{server.server_port}/hook"
    try:
        yield endpoint
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


class Client:
    """JSON calls to a running mock."""

    def __init__(self, base: str, headers: dict[str, str] | None = None) -> None:
        self.base = base
        self.headers = headers or {}
        self.http = urllib3.PoolManager(retries=False, timeout=10)

    def call(
        self,
        method: str,
        path: str,
        document: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> Answer:
        sent = {**self.headers, **(headers or {})}
        body = raw
        if document is not None:
            body = json.dumps(document).encode()
            sent.setdefault("Content-Type", "application/json")
        response = self.http.request(method, self.base + path, body=body, headers=sent)
        text = response.data
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text.decode()
        return Answer(response.status, dict(response.headers), parsed)

    def ok(self, method: str, path: str, document: Any = None, **kw: Any) -> Any:
        answer = self.call(method, path, document, **kw)
        assert answer.status < 300, (answer.status, answer.body)
        return answer.body

    def deliveries(self, **filters: Any) -> list[dict[str, Any]]:
        """The whole delivery log (every page of it), oldest first."""
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        page = self.ok("GET", f"/_mock/deliveries?{query}")
        found: list[dict[str, Any]] = page["deliveries"]
        while page["next"]:
            page = self.ok("GET", page["next"])
            found += page["deliveries"]
        return found

    def settle(self, timeout: float = WAIT, **filters: Any) -> list[dict[str, Any]]:
        """The deliveries once none is pending."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.deliveries(**filters)
            if all(d["status"] != "pending" for d in found):
                return found
            assert time.monotonic() < deadline, f"deliveries still pending: {found}"
            time.sleep(0.01)

    def fire_forget(self, url: str, count: int) -> None:
        """A HireHop webhook to `url` and `count` events to it (a long log to page through)."""
        self.ok("POST", "/_mock/webhooks", {"url": url, "events": ["job.status.updated"]})
        for number in range(count):
            self.ok("POST", "/_mock/events", {"type": "job.status.updated", "data": {"n": number}})

    def advance(self, seconds: float, wait: float = WAIT) -> dict[str, Any]:
        """Advance a virtual clock by `seconds`; the answer once every attempt due is made."""
        body = {"advance_seconds": seconds, "wait_seconds": wait}
        answer = self.ok("POST", "/_mock/clock", body)
        assert answer["done"], answer
        return answer

    def close(self) -> None:
        self.http.clear()


def basic(user_password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(user_password.encode()).decode()}


@contextmanager
def running(*profiles: str, **options: Any) -> Iterator[tuple[MockServer, Client]]:
    """A mock on a free port with a small time scale, and a client for it."""
    if options.get("clock") != "virtual":  # a virtual clock has no scale
        options.setdefault("time_scale", SCALE)
    options.setdefault("timeout", ATTEMPT_TIMEOUT)
    options.setdefault("resolver", resolver())
    catalog = None if options.get("specs") else bundled()
    with ExitStack() as stack:
        server = stack.enter_context(
            MockServer(MockConfig(list(profiles), **options), catalog=catalog)
        )
        client = Client(server.url)
        stack.callback(client.close)
        yield server, client
