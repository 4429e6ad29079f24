"""The capture server over real loopback sockets (harness.capture)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import urllib3

from harness.capture import CaptureServer, Reply


@pytest.fixture
def capture() -> Iterator[CaptureServer]:
    with CaptureServer(max_body=1024) as server:
        yield server


@pytest.fixture
def http() -> Iterator[urllib3.PoolManager]:
    pool = urllib3.PoolManager(retries=False, timeout=5)
    yield pool
    pool.clear()


def test_records_requests_raw(capture: CaptureServer, http: urllib3.PoolManager) -> None:
    response = http.request(
        "POST",
        capture.url_for("hooks/a") + "?x=1",
        body=b'{"id": 1}',
        headers={"Content-Type": "application/json", "X-Custom": "v"},
    )
    assert response.status == 200
    [request] = capture.wait_for(1, timeout=2)
    assert (request.method, request.path, request.query) == ("POST", "/hooks/a", "x=1")
    assert request.header("x-custom") == "v"
    assert request.body == b'{"id": 1}'
    assert request.json() == {"id": 1}
    assert request.status == 200


def test_script_per_path_then_default(capture: CaptureServer, http: urllib3.PoolManager) -> None:
    capture.script([500, Reply(201, headers={"X-Seen": "yes"})], path="a")
    capture.respond_with(204, path="a")
    statuses = [http.request("POST", capture.url_for("a")).status for _ in range(4)]
    assert statuses == [500, 201, 204, 204]
    assert http.request("POST", capture.url_for("b")).status == 200  # other paths unaffected
    assert [r.status for r in capture.requests_for("a")] == [500, 201, 204, 204]


def test_echoes_a_handshake_header_only_when_told(
    capture: CaptureServer, http: urllib3.PoolManager
) -> None:
    capture.script([Reply(200, echo=("X-Hook-Secret",))], path="echo")
    echoed = http.request("POST", capture.url_for("echo"), headers={"X-Hook-Secret": "s"})
    silent = http.request("POST", capture.url_for("echo"), headers={"X-Hook-Secret": "s"})
    assert echoed.headers.get("X-Hook-Secret") == "s"
    assert "X-Hook-Secret" not in silent.headers


def test_delay_makes_the_answer_late(capture: CaptureServer, http: urllib3.PoolManager) -> None:
    capture.respond_with(200, delay=0.3)
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        http.request("POST", capture.url, timeout=0.1)
    started = time.monotonic()
    assert http.request("POST", capture.url).status == 200
    assert time.monotonic() - started >= 0.3


def test_wait_for_says_how_many_arrived(capture: CaptureServer, http: urllib3.PoolManager) -> None:
    http.request("POST", capture.url_for("a"))
    with pytest.raises(TimeoutError, match=r"1 of 2 requests to /a arrived within 0\.1 s"):
        capture.wait_for(2, timeout=0.1, path="a")


def test_quiet_for(capture: CaptureServer, http: urllib3.PoolManager) -> None:
    started = time.monotonic()
    assert capture.quiet_for(0.2)
    assert time.monotonic() - started >= 0.2  # a quiet watch is watched to its end
    http.request("POST", capture.url_for("a"))
    assert capture.quiet_for(0.05, path="a")  # what came before the watch does not count
    later = threading.Timer(0.05, lambda: http.request("POST", capture.url_for("a")))
    later.start()
    started = time.monotonic()
    assert not capture.quiet_for(30, path="a")  # broken by the request: no need to wait on
    assert time.monotonic() - started < 20
    later.join()
    assert capture.quiet_for(0.05, path="b")  # another path stays quiet


def test_huge_body_is_refused_and_recorded_truncated(
    capture: CaptureServer, http: urllib3.PoolManager
) -> None:
    response = http.request("POST", capture.url, body=b"x" * 100_000)
    assert response.status == 413
    [request] = capture.requests
    assert request.truncated
    assert len(request.body) == 1024


def test_survives_garbage_and_slow_clients(
    capture: CaptureServer, http: urllib3.PoolManager
) -> None:
    host, port = "127.0.0.1", int(capture.url.rsplit(":", 1)[1])
    with socket.create_connection((host, port), timeout=2) as garbage:
        garbage.sendall(b"\x00\xff not http at all\r\n\r\n")
        answer = b""
        while chunk := garbage.recv(400):  # an error answer, not a crash
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 400 ")
        assert b'{"error": "bad request", "detail": ' in answer
    with socket.create_connection((host, port), timeout=2) as slow:
        slow.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        # the slow client holds its thread; others are still served
        assert http.request("POST", capture.url_for("fast")).status == 200
    assert [r.path for r in capture.requests] == ["/fast"]


def test_a_body_in_pieces_is_recorded_whole_and_an_abandoned_one_not_at_all(
    capture: CaptureServer,
) -> None:
    host, port = "127.0.0.1", int(capture.url.rsplit(":", 1)[1])
    head = b"POST /pieces HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nConnection: close\r\n\r\n"
    with socket.create_connection((host, port), timeout=2) as client:
        client.sendall(head + b"abc")
        time.sleep(0.1)  # the server has read the first piece by now
        client.sendall(b"def")
        assert client.recv(100).startswith(b"HTTP/1.1 200")
    with socket.create_connection((host, port), timeout=2) as gone:
        gone.sendall(head.replace(b"/pieces", b"/gone") + b"abc")
        time.sleep(0.1)
    capture.wait_for(1, timeout=2)
    time.sleep(0.1)  # time for the abandoned request to be recorded, were it to be
    assert [(r.path, r.body) for r in capture.requests] == [("/pieces", b"abcdef")]


def test_clear_forgets_requests_and_scripts(
    capture: CaptureServer, http: urllib3.PoolManager
) -> None:
    capture.respond_with(500)
    http.request("POST", capture.url)
    capture.clear()
    assert capture.requests == []
    assert http.request("POST", capture.url).status == 200


def test_a_request_whose_headers_never_end_is_not_recorded(capture: CaptureServer) -> None:
    host, port = "127.0.0.1", int(capture.url.rsplit(":", 1)[1])
    for cut in (b"POST /hook HTTP/1.1", b"POST /hook HTTP/1.1\r\nHost: x\r\n"):
        with socket.create_connection((host, port), timeout=2) as client:
            client.sendall(cut)
            client.shutdown(socket.SHUT_WR)
            client.recv(1000)
    with socket.create_connection((host, port), timeout=2) as client:
        client.sendall(b"POST /whole HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        assert client.recv(100).startswith(b"HTTP/1.1 200")
    assert [r.path for r in capture.requests] == ["/whole"]


def test_stopping_the_server_ends_a_quiet_watch() -> None:
    with CaptureServer() as capture:
        stopping = threading.Timer(0.1, capture.stop)
        stopping.start()
        started = time.monotonic()
        assert capture.quiet_for(30)  # nothing came
        assert time.monotonic() - started < 20
        stopping.join()
