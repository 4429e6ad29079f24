"""The pinned, deadline-bounded HTTP client (harness.transport) against real loopback servers."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from hostile import Hostile
from werkzeug.wrappers import Request, Response

from harness.serving import BackgroundServer
from harness.targets import Target, pin
from harness.transport import HttpClient, TransportError, header_problem

DEADLINE = 2.0
SLACK = 1.5  # scheduling noise on a loaded machine, less than a deadline: one applied twice fails


@pytest.fixture
def client() -> HttpClient:
    http = HttpClient()
    yield http
    http.close()


def _echo(environ: dict, start_response: object) -> object:
    request = Request(environ)
    body = f"{request.method} {request.full_path} {request.host} {request.get_data(as_text=True)}"
    return Response(body, headers={"X-Seen": "1"})(environ, start_response)


def test_a_request_goes_to_the_pinned_address_with_the_name_as_host(client: HttpClient) -> None:
    with BackgroundServer(_echo) as server:
        # The name is never looked up again: the connection goes to the checked address.
        target = Target(
            f"http://hooks.test:{server.port}/in?x=1",
            "http",
            "hooks.test",
            server.port,
            "/in?x=1",
            ("127.0.0.1",),
        )
        answer = client.request(target, "POST", body=b"hi", query={"secret": "s"}, timeout=2)
    assert answer.status == 200
    assert answer.text() == f"POST /in?x=1&secret=s hooks.test:{server.port} hi"
    assert answer.header("x-seen") == "1"
    assert answer.complete


@pytest.mark.parametrize("kind", ["hang", "drip"])
def test_no_receiver_holds_an_attempt_past_its_deadline(client: HttpClient, kind: str) -> None:
    with Hostile(kind) as hostile:
        started = time.monotonic()
        with pytest.raises(TransportError) as failed:
            client.request(pin(hostile.url), timeout=DEADLINE)
        took = time.monotonic() - started
    assert failed.value.timed_out
    assert str(failed.value) == f"no answer within {DEADLINE:g} s"
    assert took <= DEADLINE + SLACK, f"{kind}: the attempt took {took:.2f} s"


def test_an_endless_answer_is_cut_at_the_read_limit_not_drained(client: HttpClient) -> None:
    with Hostile("huge") as hostile:
        started = time.monotonic()
        answer = client.request(pin(hostile.url), timeout=DEADLINE, read_limit=2048)
        took = time.monotonic() - started
    assert (answer.status, len(answer.body), answer.complete) == (200, 2048, False)
    assert took <= DEADLINE + SLACK


def test_a_reset_and_a_refusal_are_connection_errors_not_timeouts(client: HttpClient) -> None:
    with Hostile("reset") as hostile, pytest.raises(TransportError) as reset:
        client.request(pin(hostile.url), timeout=DEADLINE)
    assert not reset.value.timed_out
    assert not reset.value.refused
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(TransportError) as refused:
        client.request(pin(f"http://127.0.0.1:{port}/"), timeout=DEADLINE)
    assert refused.value.refused
    assert str(refused.value) == "connection refused"


def test_kept_alive_connections_are_reused_and_a_dropped_one_replaced(client: HttpClient) -> None:
    with Hostile("ok") as keeper:
        target = pin(keeper.url)
        for _ in range(5):
            assert client.request(target, timeout=DEADLINE).status == 200
        assert keeper.requests == 5
        assert len(keeper._connections) == 1  # one connection for all five
    # The server went away while the connection sat idle: the next request opens a new one.
    with Hostile("ok") as second:
        target = Target(second.url, "http", "127.0.0.1", second.port, "/hook", ("127.0.0.1",))
        assert client.request(target, timeout=DEADLINE).status == 200
        for connection in second._connections:
            connection.close()
        time.sleep(0.05)
        assert client.request(target, timeout=DEADLINE).status == 200
        assert second.requests == 2


def test_a_connection_closed_after_its_answer_is_not_reused(client: HttpClient) -> None:
    """The server closes without saying so: the next request goes on a new connection, and
    each request arrives exactly once."""
    seen: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def serve() -> None:
        for _ in range(2):
            connection, _ = listener.accept()
            seen.append(connection.recv(65536))
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            connection.close()  # without saying Connection: close

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    target = pin(f"http://127.0.0.1:{port}/")
    assert client.request(target, timeout=DEADLINE).status == 200
    time.sleep(0.05)
    assert client.request(target, timeout=DEADLINE).status == 200
    thread.join(timeout=2)
    listener.close()
    assert len(seen) == 2


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("Content-Length", "5", "Content-Length frames the message"),
        ("transfer-encoding", "chunked", "transfer-encoding frames the message"),
        ("Host", "elsewhere", "Host frames the message"),
        ("Connection", "close", "Connection frames the message"),
        ("X-Ok", "a\r\nInjected: 1", "holds a line break"),
        ("bad name", "x", "not a header name"),
    ],
)
def test_callers_cannot_set_framing_or_smuggle_headers(name: str, value: str, problem: str) -> None:
    assert problem in (header_problem(name, value) or "")
    with pytest.raises(ValueError, match=problem):
        HttpClient().request(pin("http://127.0.0.1:9/"), headers={name: value}, timeout=1)
