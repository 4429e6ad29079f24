"""The mock is safe anywhere: each defect an attack on loopback found, as a regression test
over real sockets. Deliveries go only to 127.0.0.0/8 addresses (127.0.0.2 plays "another
host"); names are resolved by the tests' resolver, never by the real DNS."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from hostile import Hostile
from mock_support import Client, basic, receiver, resolver, running

KEY = {"x-api-key": "test-api-key"}
STAFF = basic("test:test")
EMPLOYER = "6f1c2b8e-4d0a-4f59-9a53-2e8c1d7b0a41"
FACTORIAL = "/factorial/api/v2/resources/api_public/webhook_subscriptions"
STAFFOLOGY = f"/staffology/employers/{EMPLOYER}/webhooks"
TIMEOUT = 1.5
SLACK = 1.25  # a loaded 2-core machine's noise, less than the deadline (a drip takes some 2000 s)
# Long enough for 20 healthy deliveries on a loaded CI machine (0.2 s when quiet); a healthy
# delivery queued behind a hanging one would take this long at least.
BURST_TIMEOUT = 6.0


def _bypasses(other: str, own: str) -> list[str]:
    """URLs that one parser reads as `own` and an HTTP client as `other`."""
    return [
        f"http://{other}\\@{own}/x",
        f"http://{other}@{own}/x",
        f"http://{own}\\@{other}/x",
    ]


def _creates(url: str) -> list[tuple[str, str, dict[str, Any], dict[str, str]]]:
    """(method, path, body, headers) of every create a user of the mock can send."""
    return [
        (
            "POST",
            "/_mock/webhooks",
            {"profile": "hirehop", "event": "invoice.status.updated", "url": url},
            {},
        ),
        (
            "POST",
            FACTORIAL,
            {"subscription_type": "ats/candidate/create", "target_url": url, "company_id": 1},
            KEY,
        ),
        (
            "POST",
            "/factorial-v1/api/v1/webhooks",
            {"type": "employee_created", "target_url": url},
            {"Authorization": "Bearer test-api-key"},
        ),
        ("POST", STAFFOLOGY, {"webhookEvent": "Employee_Created", "url": url}, STAFF),
        (
            "POST",
            "/resthooks/api/v1/subscription/",
            {"event": "contact.create", "target_url": url},
            {},
        ),
    ]


PROFILES = ("hirehop", "factorial", "factorial-v1", "staffology", "resthooks")


def test_no_create_or_update_lets_a_url_bypass_the_target_rule() -> None:
    with receiver() as endpoint, running(*PROFILES) as (_, client):
        good = endpoint.url
        factorial = client.ok("POST", *_creates(good)[1][1:3], headers=KEY)
        made = client.call("POST", STAFFOLOGY, _creates(good)[3][2], headers=STAFF)
        staffology = {"id": made.headers["Location"].rsplit("/", 1)[-1]}  # a 201 without a body
        hirehop = client.ok("POST", "/_mock/webhooks", _creates(good)[0][2])
        for bad in _bypasses("10.0.0.1", "127.0.0.1"):
            for method, path, body, headers in _creates(bad):
                answer = client.call(method, path, body, headers=headers)
                assert answer.status in (400, 422), (path, bad, answer.status, answer.body)
            updates = [
                ("PUT", f"{FACTORIAL}/{factorial['id']}", {"target_url": bad}, KEY),
                (
                    "PUT",
                    f"{STAFFOLOGY}/{staffology['id']}",
                    {"url": bad, "webhookEvent": "Employee_Created"},
                    STAFF,
                ),
                ("PATCH", f"/_mock/webhooks/{hirehop['id']}", {"url": bad}, {}),
            ]
            for method, path, body, headers in updates:
                answer = client.call(method, path, body, headers=headers)
                assert answer.status in (400, 422), (path, bad, answer.status, answer.body)
        assert {
            s["target_url"] for s in client.ok("GET", "/_mock/subscriptions")["subscriptions"]
        } == {good}


def test_the_other_host_never_gets_the_delivery_nor_the_handshake() -> None:
    """The reported proof, repeated: 127.0.0.2 must see nothing of a bypass URL."""
    with (
        receiver() as own,
        receiver(host="127.0.0.2") as other,
        running("resthooks", "hirehop") as (_, client),
    ):
        own_port, other_port = (
            own.url.split(":")[2].split("/")[0],
            other.url.split(":")[2].split("/")[0],
        )
        bad = f"http://127.0.0.2:{other_port}\\@127.0.0.1:{own_port}/ok"
        made = client.call(
            "POST",
            "/_mock/webhooks",
            {"profile": "hirehop", "event": "invoice.status.updated", "url": bad},
        )
        handshake = client.call(
            "POST",
            "/resthooks/api/v1/subscription/",
            {"event": "contact.create", "target_url": bad},
        )
        assert (made.status, handshake.status) == (422, 422)
        assert "backslash" in made.body["detail"]
        client.call(
            "POST", "/_mock/events", {"profile": "hirehop", "type": "invoice.status.updated"}
        )
        time.sleep(0.2)
        assert (own.requests, other.requests) == ([], [])


def test_names_are_resolved_and_a_delivery_goes_where_the_check_said() -> None:
    table = {"flip.test": ["127.0.0.2"]}
    with (
        receiver(host="127.0.0.2") as other,
        running("hirehop", resolver=resolver(table)) as (_, client),
    ):
        port = other.url.split(":")[2].split("/")[0]
        for refused in (
            "http://evil.localhost/x",
            "http://split.example/x",
            "http://nowhere.test/x",
        ):
            answer = client.call(
                "POST", "/_mock/webhooks", {"event": "invoice.status.updated", "url": refused}
            )
            assert answer.status == 422, refused
        made = client.ok(
            "POST",
            "/_mock/webhooks",
            {"event": "invoice.status.updated", "url": f"http://flip.test:{port}/in"},
        )
        client.ok("POST", "/_mock/events", {"type": "invoice.status.updated", "data": {"n": 1}})
        [first] = other.wait_for(1)
        assert first.headers["Host"] == f"flip.test:{port}"  # the name in Host, the address pinned
        table["flip.test"] = ["10.0.0.1"]  # the name now points elsewhere (DNS rebinding)
        client.ok("POST", "/_mock/events", {"type": "invoice.status.updated", "data": {"n": 2}})
        found = client.settle(subscription=made["id"])
        [second] = [d for d in found if '"n":2' in d["attempts"][0]["request"]["body"]]
        attempt = second["attempts"][0]
        assert attempt["error"].startswith("not sent: ")
        assert "10.0.0.1" in attempt["error"]
        time.sleep(0.1)
        assert len(other.requests) == 1


def test_localhost_resolves_and_is_allowed() -> None:
    with receiver() as endpoint, running("hirehop") as (_, client):
        port = endpoint.url.split(":")[2].split("/")[0]
        made = client.call(
            "POST",
            "/_mock/webhooks",
            {"event": "invoice.status.updated", "url": f"http://localhost:{port}/x"},
        )
        assert made.status == 201, made.body


def test_the_mock_never_delivers_to_itself(tmp_path: Any) -> None:
    with running("hirehop") as (server, client):
        for host in ("127.0.0.1", "localhost"):
            url = f"http://{host}:{server.port}/_mock/deliveries/1/redeliver"
            answer = client.call(
                "POST", "/_mock/webhooks", {"event": "invoice.status.updated", "url": url}
            )
            assert answer.status == 422
            assert "is the mock itself" in answer.body["detail"]


def test_trigger_headers_cannot_rewrite_the_framing() -> None:
    with running("hirehop") as (_, client):
        for name, value in (
            ("Content-Length", "5"),
            ("Transfer-Encoding", "chunked"),
            ("Connection", "close"),
            ("Host", "elsewhere"),
        ):
            answer = client.call(
                "POST",
                "/_mock/events",
                {"type": "invoice.status.updated", "headers": {name: value}},
            )
            assert answer.status == 422, name
            assert name in answer.body["detail"]


def test_payloads_stay_within_the_nesting_limit() -> None:
    with running("hirehop") as (_, client):
        for segments in (5_000, 950, 70):
            pointer = "/a" * segments
            answer = client.call(
                "POST",
                "/_mock/events",
                {"type": "invoice.status.updated", "data": {}, "set": {pointer: 1}},
            )
            assert answer.status == 422, (segments, answer.status)
        nested: Any = 1
        for _ in range(58):
            nested = {"a": nested}
        deep = client.call(
            "POST",
            "/_mock/events",
            {"type": "invoice.status.updated", "data": {}, "set": {"/a/b/c/d/e/f/g/h": nested}},
        )
        assert deep.status == 422  # 58 levels set 8 levels down: past the limit of 64
        assert deep.body["error"] == "too deeply nested"
        within = client.call(
            "POST",
            "/_mock/events",
            {"type": "invoice.status.updated", "data": {}, "set": {"/a/b/c": 1}},
        )
        assert within.status == 202
        assert within.body["payload"]["a"] == {"b": {"c": 1}}


def test_set_follows_rfc_6901_array_indices() -> None:
    with running("hirehop") as (_, client):
        data = {"tags": ["a", "b"]}
        for pointer in ("/tags/-1", "/tags/01", "/tags/3"):
            answer = client.call(
                "POST",
                "/_mock/events",
                {"type": "invoice.status.updated", "data": data, "set": {pointer: "x"}},
            )
            assert answer.status == 409, pointer  # not an index of this array
        appended = client.ok(
            "POST",
            "/_mock/events",
            {"type": "invoice.status.updated", "data": data, "set": {"/tags/-": "c"}},
        )
        assert appended["payload"]["tags"] == ["a", "b", "c"]


def _raw(server: Any, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=3) as connection:
        connection.sendall(data)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_a_request_that_was_never_sent_whole_is_not_acted_on() -> None:
    with receiver() as endpoint, running("hirehop") as (server, client):
        client.ok(
            "POST", "/_mock/webhooks", {"event": "invoice.status.updated", "url": endpoint.url}
        )
        host = f"127.0.0.1:{server.port}".encode()
        _raw(server, b"POST /_mock/reset HTTP/1.1")
        _raw(server, b"POST /_mock/reset HTTP/1.1\r\nHost: " + host + b"\r\nContent-Length: 0\r\n")
        assert len(client.ok("GET", "/_mock/subscriptions")["subscriptions"]) == 1
        # The same request, whole, is acted on.
        whole = _raw(
            server,
            b"POST /_mock/reset HTTP/1.1\r\nHost: " + host + b"\r\nContent-Length: 0\r\n\r\n",
        )
        assert whole.startswith(b"HTTP/1.1 200")
        assert client.ok("GET", "/_mock/subscriptions")["subscriptions"] == []


def test_protocol_errors_from_the_mock_are_json() -> None:
    with running("hirehop") as (server, _):
        for data, status in (
            (b"GARBAGE\r\n\r\n", 400),
            (b"GET /_mock/" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
            (
                b"POST /_mock/events HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}",
                400,
            ),
        ):
            answer = _raw(server, data)
            assert answer.startswith(f"HTTP/1.1 {status} ".encode()), answer[:100]
            assert b'{"error": ' in answer


@contextmanager
def _mock_for_pages(**options: Any) -> Iterator[tuple[Any, Client]]:
    with receiver() as endpoint, running("clockodo", **options) as (server, client):
        server.endpoint = endpoint
        yield server, client


def test_only_requests_to_the_mock_s_own_host_are_answered() -> None:
    with _mock_for_pages(host_names=["mock.internal"]) as (server, client):
        port = server.port
        for host in (
            f"127.0.0.1:{port}",
            f"localhost:{port}",
            f"mock.internal:{port}",
            "mock.internal",
        ):
            assert (
                client.call("GET", "/_mock/subscriptions", headers={"Host": host}).status == 200
            ), host
        for host in (f"evil.example:{port}", f"127.0.0.1:{port + 1}", "localhost", ""):
            answer = client.call("GET", "/_mock/", headers={"Host": host})
            assert answer.status == 400, host
            assert answer.body["error"] == "unknown host"


def test_no_web_page_can_create_a_webhook() -> None:
    with _mock_for_pages() as (server, client):
        body = {"event": "entry.stopped", "url": server.endpoint.url}
        page = {"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
        # A page's "simple" request: text/plain, no preflight, sent by every browser.
        simple = client.call(
            "POST",
            "/_mock/webhooks",
            raw=b'{"event": "entry.stopped", "url": "x"}',
            headers={"Content-Type": "text/plain", **page},
        )
        assert simple.status == 403
        assert client.call("POST", "/_mock/webhooks", body, headers=page).status == 403
        assert (
            client.call(
                "POST",
                "/_mock/webhooks",
                raw=b'{"url": "x"}',
                headers={"Content-Type": "text/plain"},
            ).status
            == 415
        )
        dashboard = client.call(
            "POST",
            "/_mock/dashboard/webhooks",
            raw=f"url={server.endpoint.url}&events=entry.stopped".encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", **page},
        )
        assert dashboard.status == 403
        no_token = client.call(
            "POST",
            "/_mock/dashboard/webhooks",
            raw=b"url=http://127.0.0.1:9/x&events=entry.stopped",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert no_token.status == 403
        assert no_token.body["error"] == "form token"
        assert client.ok("GET", "/_mock/subscriptions")["subscriptions"] == []
        # The mock's own page, and programs (no Origin), still work.
        own = {"Origin": f"http://127.0.0.1:{server.port}"}
        assert client.call("POST", "/_mock/webhooks", body, headers=own).status == 201
        assert client.call("POST", "/_mock/webhooks", body).status == 201


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    value = call()
    return value, time.monotonic() - started


def test_every_attempt_handshake_and_validation_ends_at_its_deadline() -> None:
    with (
        Hostile("drip") as drip,
        running("resthooks", "clockodo", "hirehop", timeout=TIMEOUT) as (_, client),
    ):
        create, took = _timed(
            lambda: client.call(
                "POST",
                "/resthooks/api/v1/subscription/",
                {"event": "contact.create", "target_url": drip.url},
            )
        )
        assert create.status == 422
        assert f"no answer within {TIMEOUT:g} s" in create.body["detail"]
        assert took <= TIMEOUT + SLACK, f"create took {took:.2f} s"
        hook = client.ok(
            "POST",
            "/_mock/webhooks",
            {"profile": "clockodo", "event": "entry.stopped", "url": drip.url},
        )
        validation, took = _timed(
            lambda: client.ok("POST", f"/_mock/webhooks/{hook['id']}/validate")
        )
        assert validation["error"] == f"timeout: no answer within {TIMEOUT:g} s"
        assert took <= TIMEOUT + SLACK, f"validate took {took:.2f} s"
        client.ok(
            "POST",
            "/_mock/webhooks",
            {"profile": "hirehop", "events": ["job.status.updated"], "url": drip.url},
        )
        client.ok(
            "POST",
            "/_mock/events",
            {"profile": "hirehop", "type": "job.status.updated", "data": {}},
        )
        [delivery] = client.settle(timeout=5)
        [attempt] = delivery["attempts"]
        assert attempt["error"] == f"timeout: no answer within {TIMEOUT:g} s"
        assert attempt["duration_ms"] <= (TIMEOUT + SLACK) * 1000


def test_a_healthy_receiver_is_served_while_hostile_ones_hang() -> None:
    """Twenty events to five subscribers (healthy, hanging, a 1 GiB answer, a reset, a drip):
    every healthy delivery completes before the hostile receivers' first attempts reach their
    deadline, which they do hold (a hostile receiver ties up only its share of the workers)."""
    events, deadline = 20, BURST_TIMEOUT
    with ExitStack() as stack:
        # The mock first, so that it stops last: the hostile receivers are gone by then and
        # its workers do not wait out their deadlines.
        _, client = stack.enter_context(running("staffology", timeout=deadline, time_scale=0.01))
        healthy = stack.enter_context(receiver())
        hostile = [stack.enter_context(Hostile(kind)) for kind in ("hang", "huge", "reset", "drip")]
        for url in [healthy.url, *(h.url for h in hostile)]:
            client.ok(
                "POST",
                STAFFOLOGY.removeprefix("/staffology"),
                {"webhookEvent": "Employee_Created", "url": url},
                headers=STAFF,
            )
        example = [{"id": "00000000-0000-0000-0000-000000000001", "firstName": "A"}]
        started = time.monotonic()
        for _ in range(events):
            client.ok("POST", "/_mock/events", {"type": "Employee_Created", "data": example})
        healthy.wait_for(events, timeout=deadline)
        took = time.monotonic() - started
        hanging = client.deliveries(status="pending")
    assert took < deadline, f"the healthy receiver's {events} deliveries took {took:.2f} s"
    assert len(hanging) >= 3 * events  # the hang, drip and 1 GiB deliveries were still owed


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/x", "http://[::1]:9/x", "http://127.1.2.3:9/x"]
)
def test_other_loopback_addresses_and_ports_stay_allowed(url: str) -> None:
    with running("hirehop") as (_, client):
        assert (
            client.call(
                "POST", "/_mock/webhooks", {"event": "invoice.status.updated", "url": url}
            ).status
            == 201
        )
