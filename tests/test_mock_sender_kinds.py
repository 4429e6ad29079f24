"""The mock playing the kinds a spec writer's sender needs (the drf-hooks profile of
tests/specs): redirects followed only when the profile says so, each hop within the target
rule and the one deadline; get-or-create; the subscriber's own headers on every delivery;
and a provider without a timeout still ending each attempt at the mock's own deadline."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from mock_support import WAIT, Client, Quiet, running
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

PROFILE = Path(__file__).parent / "specs" / "drf-hooks"
AUTH = {"Authorization": "test-api-key"}


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("specs")
    shutil.copytree(PROFILE, root / "drf-hooks")
    return str(root)


class Redirecting:
    """Answers by path: `/to/STATUS/NEXT` answers STATUS with `Location: /NEXT` (or the URL
    in `far` for NEXT `far`), `/loop/N` 308 to `/loop/N+1`, `/slow` only once `released` (at
    the end of the test), anything else 200; records every request."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str, bytes]] = []
        self.lock = threading.Lock()
        self.far = ""  # a URL the target rule refuses: the test sets it
        self.released = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        with self.lock:
            self.seen.append((request.method, request.path, request.get_data()))
        parts = request.path.strip("/").split("/", 2)
        if parts[0] == "loop":
            answer = Response(status=308, headers={"Location": f"/loop/{int(parts[1]) + 1}"})
        elif parts[0] == "to":
            target = self.far if parts[2] == "far" else f"/{parts[2]}"
            answer = Response(status=int(parts[1]), headers={"Location": target})
        elif parts[0] == "slow":
            self.released.wait(WAIT)
            answer = Response("late")
        else:
            answer = Response("ok")
        return answer(environ, start_response)

    def paths(self) -> list[tuple[str, str]]:
        with self.lock:
            return [(method, path) for method, path, _ in self.seen]


@contextmanager
def redirecting() -> Iterator[tuple[Redirecting, str]]:
    app = Redirecting()
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.port}"
    finally:
        app.released.set()
        server.shutdown()
        thread.join()
        server.server_close()


def _hook(client: Client, target: str, **extra: Any) -> dict[str, Any]:
    body = {"event": "contact.created", "target": target, **extra}
    made: dict[str, Any] = client.ok("POST", "/hooks/", body, headers=AUTH)
    return made


def _deliver(client: Client) -> list[dict[str, Any]]:
    client.ok("POST", "/_mock/events", {"type": "contact.created"})
    return client.settle()


def test_redirects_are_followed_with_the_method_the_profile_says(specs: str) -> None:
    with redirecting() as (app, base), running("drf-hooks", specs=[specs]) as (_, client):
        _hook(client, f"{base}/to/307/kept")
        _hook(client, f"{base}/to/302/turned")
        _deliver(client)
        seen = app.paths()
    assert ("POST", "/kept") in seen  # 307 keeps the method and the body
    assert ("GET", "/turned") in seen  # after 302 the next request is a GET
    bodies = {path: body for method, path, body in app.seen}
    assert bodies["/kept"] == bodies["/to/307/kept"] != b""
    assert bodies["/turned"] == b""


def test_a_hop_is_checked_against_the_target_rule_and_hops_are_bounded(specs: str) -> None:
    with redirecting() as (app, base), running("drf-hooks", specs=[specs]) as (mock, client):
        app.far = f"{mock.url}/x"  # loopback, and refused: the mock never delivers to itself
        _hook(client, f"{base}/to/307/far")
        found = {d["target_url"]: d for d in _deliver(client)}
    far = found[f"{base}/to/307/far"]["attempts"][-1]
    assert far["status_code"] is None
    assert "not sent (redirected 1 time(s))" in far["error"]
    assert "is the mock itself" in far["error"]


def test_a_profile_that_does_not_follow_redirects_is_not_followed() -> None:
    with redirecting() as (app, base), running("factorial-v1") as (_, client):
        client.ok(
            "POST",
            "/api/v1/webhooks",
            {"type": "employee_created", "target_url": f"{base}/to/307/kept", "challenge": "c"},
            headers={"Authorization": "Bearer test-api-key"},
        )
        client.ok("POST", "/_mock/events", {"type": "employee_created", "data": {"id": 1}})
        deadline = time.monotonic() + 10
        while not client.deliveries()[0]["attempts"]:  # factorial-v1 retries a 3xx: one is enough
            assert time.monotonic() < deadline
            time.sleep(0.01)
        seen = app.paths()
    assert ("POST", "/kept") not in seen
    assert ("POST", "/to/307/kept") in seen


def test_an_endless_redirect_ends_after_max_hops(specs: str) -> None:
    mock = running("drf-hooks", specs=[specs], timeout=10.0)  # 31 requests in one deadline
    with redirecting() as (app, base), mock as (_, client):
        _hook(client, f"{base}/loop/0")
        [delivery] = _deliver(client)
    assert delivery["attempts"][-1]["status_code"] == 308
    assert len(app.paths()) == 31  # the first request and 30 hops, as requests.Session does


def test_identical_creates_answer_the_same_hook(specs: str) -> None:
    with running("drf-hooks", specs=[specs]) as (_, client):
        first = _hook(client, "http://127.0.0.1:9/a")
        again = _hook(client, "http://127.0.0.1:9/a")
        other = _hook(client, "http://127.0.0.1:9/b")
        listed = client.ok("GET", "/hooks/", headers=AUTH)
    assert again["id"] == first["id"]
    assert other["id"] != first["id"]
    assert sorted(h["id"] for h in listed) == sorted({first["id"], other["id"]})


def test_the_subscribers_headers_go_with_every_delivery(specs: str) -> None:
    chosen = {"X-Hook-Token": "tok-1", "X-Tenant": "t-7"}
    with redirecting() as (_, base), running("drf-hooks", specs=[specs]) as (_, client):
        _hook(client, f"{base}/hooks", headers=chosen)
        [delivery] = _deliver(client)
        refused = client.call(
            "POST",
            "/hooks/",
            {"event": "contact.created", "target": f"{base}/x", "headers": {"Bad Name": "1"}},
            headers=AUTH,
        )
    sent = delivery["attempts"][0]["request"]["headers"]
    assert {k: sent[k] for k in chosen} == chosen
    assert sent["Content-Type"] == "application/json"
    assert refused.status == 400
    assert "headers" in str(refused.body)


def test_without_a_timeout_an_attempt_still_ends_at_the_mocks_deadline(specs: str) -> None:
    with redirecting() as (_, base), running("drf-hooks", specs=[specs], timeout=0.5) as (_, c):
        _hook(c, f"{base}/slow")
        started = time.monotonic()
        [delivery] = _deliver(c)
    attempt = delivery["attempts"][-1]
    assert attempt["status_code"] is None
    assert attempt["error"].startswith("timeout")
    assert time.monotonic() - started < 2.5
