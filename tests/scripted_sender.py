"""A webhook sender that is not the mock: a small werkzeug app behaving as a Django REST
framework service with drf-hooks does (tests/specs/drf-hooks says what that is).

Its own paths (`/hooks/`, `/hooks/{pk}/`), field names (`event`, `target`, write-only
`headers`), DRF's token header and error shapes, get-or-create on identical hooks, and
delivery as drf-hooks' flush thread does it: `POST target` with the hook's headers, no
retry, no timeout worth the name, redirects followed as requests.Session follows them, the
answer never read. Like drf-hooks, an exception on the way (here: a target whose host is not
a loopback address, which it cannot resolve in the tests) ends the delivery thread, and
every later delivery stalls.

What it was given is kept for the tests to judge: every target URL any request set, the
hosts its delivery thread was asked to reach, every request to `/_mock/...`.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import queue
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from mock_support import Quiet
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

TOKEN = "Token s3cret"
EVENTS = ("contact.created", "contact.deleted")
REDIRECTS = {301: "GET", 302: "GET", 303: "GET", 307: None, 308: None}  # None: keep the method
MAX_HOPS = 30
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


@dataclass
class Hook:
    id: int
    event: str
    target: str
    headers: dict[str, str]
    created: str
    updated: str

    def shown(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "event": self.event,
            "target": self.target,
            "created": self.created,
            "updated": self.updated,
        }


@dataclass
class ScriptedSender:
    """The app; `replace_headers` sends a hook's headers instead of the defaults (what
    drf-hooks itself does: a subscriber's headers drop its Content-Type)."""

    replace_headers: bool = False
    hooks: dict[int, Hook] = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)  # every target a request set
    reached: list[str] = field(default_factory=list)  # every host delivery went to
    control_calls: list[str] = field(default_factory=list)  # requests to /_mock/...
    thread_died: bool = False

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.queue: queue.Queue[tuple[str, dict[str, str], bytes] | None] = queue.Queue()
        self.next_id = 1
        self.thread = threading.Thread(target=self._deliver_all, daemon=True)
        self.thread.start()

    # the API ------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self.answer(request)(environ, start_response)

    def answer(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/_mock/"):
            self.control_calls.append(f"{request.method} {path}")
            return _json({"detail": "Not found."}, 404)
        if path == "/trigger" and request.method == "POST":
            return self._trigger(request)
        if request.headers.get("Authorization") != TOKEN:
            return _json({"detail": "Authentication credentials were not provided."}, 401)
        if path == "/hooks/":
            if request.method == "GET":
                with self.lock:
                    return _json([h.shown() for h in self.hooks.values()])
            if request.method == "POST":
                return self._write(request, None)
            return _json({"detail": f'Method "{request.method}" not allowed.'}, 405)
        found = re.fullmatch(r"/hooks/(-?[0-9]+)/", path)
        if not found:
            return _json({"detail": "Not found."}, 404)
        with self.lock:
            hook = self.hooks.get(int(found.group(1)))
        if hook is None:
            return _json({"detail": "No Hook matches the given query."}, 404)
        if request.method == "GET":
            return _json(hook.shown())
        if request.method == "PUT":
            return self._write(request, hook)
        if request.method == "DELETE":
            with self.lock:
                self.hooks.pop(hook.id, None)
            return Response(status=204)
        return _json({"detail": f'Method "{request.method}" not allowed.'}, 405)

    def _write(self, request: Request, hook: Hook | None) -> Response:
        try:
            body = json.loads(request.get_data() or b"null")
        except ValueError:
            return _json({"non_field_errors": ["JSON parse error."]}, 400)
        problems = _problems(body)
        if problems:
            return _json(problems, 400)
        target, event = body["target"], body["event"]
        headers = body.get("headers") or {"Content-Type": "application/json"}
        now = datetime.now(UTC).isoformat()
        with self.lock:
            self.targets.append(target)
            if hook is None:  # get_or_create
                same = [
                    h
                    for h in self.hooks.values()
                    if (h.event, h.target, h.headers) == (event, target, headers)
                ]
                if same:
                    return _json(same[0].shown(), 201)
                hook = Hook(self.next_id, event, target, headers, now, now)
                self.next_id += 1
                self.hooks[hook.id] = hook
                return _json(hook.shown(), 201)
            hook.event, hook.target, hook.headers, hook.updated = event, target, headers, now
            return _json(hook.shown())

    # delivering ---------------------------------------------------------------------------

    def _trigger(self, request: Request) -> Response:
        try:
            event = json.loads(request.get_data())["type"]
        except (ValueError, KeyError, TypeError):
            return _json({"detail": 'POST {"type": EVENT}'}, 400)
        with self.lock:
            hooks = [h for h in self.hooks.values() if h.event == event]
        for hook in hooks:
            body = {
                "hook": {"id": hook.id, "event": hook.event, "target": hook.target},
                "data": {"id": 7, "name": "Ada Lovelace", "email": "ada@example.com"},
            }
            headers = dict(hook.headers)
            if not self.replace_headers:
                headers = {"Content-Type": "application/json", **headers}
            self.queue.put((hook.target, headers, json.dumps(body).encode()))
        return _json({"queued": len(hooks)}, 202)

    def _deliver_all(self) -> None:
        try:
            while (job := self.queue.get()) is not None:
                self._deliver(*job)
        except Exception:  # as drf-hooks' flush thread: nothing catches it, the thread ends
            self.thread_died = True

    def _deliver(self, url: str, headers: dict[str, str], body: bytes) -> None:
        method = "POST"
        for _ in range(MAX_HOPS + 1):
            parts = urlsplit(url)
            host = parts.hostname or ""
            self.reached.append(host)
            if not ipaddress.ip_address(host).is_loopback:  # ValueError for a name: "DNS"
                raise OSError(f"cannot reach {host}")
            connection = http.client.HTTPConnection(host, parts.port or 80, timeout=60)
            try:
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                connection.request(method, path or "/", body=body or None, headers=headers)
                answer = connection.getresponse()
                answer.read()
            finally:
                connection.close()
            location = answer.getheader("Location")
            if answer.status not in REDIRECTS or not location:
                return  # the answer is never read further
            if REDIRECTS[answer.status] == "GET":
                method, body = "GET", b""
                headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            url = urljoin(url, location)

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join(timeout=5)


def _problems(body: Any) -> dict[str, list[str]]:
    """DRF's field errors for a hook body; {} when it is valid."""
    if not isinstance(body, dict):
        return {"non_field_errors": ["Invalid data. Expected a dictionary."]}
    problems: dict[str, list[str]] = {}
    if body.get("event") not in EVENTS:
        problems["event"] = [f'"{body.get("event")}" is not a valid choice.']
    target = body.get("target")
    parts = urlsplit(target) if isinstance(target, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        problems["target"] = ["Enter a valid URL."]
    elif len(target) > 255:
        problems["target"] = ["Ensure this field has no more than 255 characters."]
    headers = body.get("headers")
    if headers is not None and not (
        isinstance(headers, dict)
        and all(
            HEADER_NAME.match(str(k)) and isinstance(v, str) and v.isprintable()
            for k, v in headers.items()
        )
    ):
        problems["headers"] = ["Value must be valid JSON."]
    return problems


def _json(document: Any, status: int = 200) -> Response:
    return Response(json.dumps(document), status=status, mimetype="application/json")


@contextmanager
def serve(sender: ScriptedSender) -> Iterator[str]:
    """The sender on a free loopback port; its base URL."""
    server = make_server("127.0.0.1", 0, sender, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        sender.close()
