"""The virtual clock (`--clock virtual`): time stands still until POST /_mock/clock moves it,
every attempt due on the way is made at its time, and the call says what is still in flight;
over loopback to a real receiver."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from mock_support import receiver, running

from harness.errors import HarnessError
from harness.live_mock import LiveMock
from harness.profiles import load_profiles
from harness.sender import SenderOptions, run_sender
from mock_provider.app import MockConfig
from mock_provider.server import MockServer

CATALOG = load_profiles()
RESTHOOKS = "/api/v1/subscription/"


def _subscribe(client, url: str) -> dict:
    return client.ok("POST", RESTHOOKS, {"event": "contact.create", "target_url": url})


def _fire(client) -> None:
    client.ok("POST", "/_mock/events", {"type": "contact.create", "data": {"id": 1}})


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_the_real_clock_shows_its_scale_and_refuses_an_advance() -> None:
    with running("resthooks", time_scale=0.5) as (_, client):
        shown = client.ok("GET", "/_mock/clock")
        assert [shown["mode"], shown["time_scale"]] == ["real", 0.5]
        assert abs(shown["epoch"] - time.time()) < 5
        answer = client.call("POST", "/_mock/clock", {"advance_seconds": 60})
        assert answer.status == 409
        assert "--clock virtual" in answer.body["detail"]


def test_virtual_time_stands_still_until_advanced() -> None:
    with running("resthooks", clock="virtual") as (_, client):
        before = client.ok("GET", "/_mock/clock")
        assert [before["mode"], before["in_flight"], before["next_due"]] == ["virtual", 0, None]
        assert before["epoch"] == int(before["epoch"])  # it starts at a whole second
        time.sleep(0.05)
        assert client.ok("GET", "/_mock/clock")["epoch"] == before["epoch"]
        moved = client.advance(90.5)
        assert [moved["epoch"] - before["epoch"], moved["attempts"]] == [90.5, 0]
        to = datetime.fromtimestamp(moved["epoch"], UTC) + timedelta(days=1)
        jumped = client.ok("POST", "/_mock/clock", {"to": to.isoformat()})
        assert [jumped["done"], jumped["epoch"]] == [True, to.timestamp()]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "give one of"),
        ({"advance_seconds": 1, "to": "2030-01-01T00:00:00Z"}, "give one of"),
        ({"advance_seconds": -1}, "from 0 to"),
        ({"to": "9999-01-01T00:00:00Z"}, "more than 1e+09 seconds after"),
        ({"advance_seconds": "soon"}, "advance_seconds"),
        ({"advance_seconds": 1, "wait_seconds": 601}, "wait_seconds"),
        ({"advance_seconds": 1, "speed": 2}, "'speed'"),
        ({"to": "tomorrow"}, "RFC 3339"),
        ({"to": "2030-01-01T00:00:00"}, "offset"),
        ({"to": "2001-01-01T00:00:00Z"}, "before the mock's time"),
    ],
)
def test_a_bad_advance_is_a_400_that_says_why(body: dict, message: str) -> None:
    with running("resthooks", clock="virtual") as (_, client):
        before = client.ok("GET", "/_mock/clock")["epoch"]
        answer = client.call("POST", "/_mock/clock", body)
        assert answer.status == 400, answer.body
        assert message in answer.body["detail"]
        assert client.ok("GET", "/_mock/clock")["epoch"] == before  # the clock did not move


def test_each_retry_is_made_at_its_due_time_and_logged_then() -> None:
    """Retries fall due one after another inside one advance: each is made in order, logged
    at the virtual time it fell due, and the clock ends where it was sent."""
    retry = CATALOG.get("resthooks").semantics.retry
    answers = {"script": [200, 500, 500], "status": 200}  # the handshake first
    with receiver(**answers) as endpoint, running("resthooks", clock="virtual") as (_, client):
        _subscribe(client, endpoint.url)
        start = client.ok("GET", "/_mock/clock")["epoch"]
        _fire(client)
        assert client.ok("GET", "/_mock/clock")["in_flight"] in (0, 1)  # due now
        client.advance(0)
        waiting = client.ok("GET", "/_mock/clock")
        assert _at(waiting["next_due"]) == start + retry.offset(1)
        advanced = client.advance(retry.offset(3))
        assert [advanced["attempts"], advanced["in_flight"]] == [2, 0]
        assert advanced["epoch"] == start + retry.offset(3)
        (delivery,) = client.settle()
    assert delivery["status"] == "delivered"
    times = [_at(a["at"]) - start for a in delivery["attempts"]]
    assert times == [retry.offset(n) for n in range(3)]
    assert len(endpoint.requests) == 4  # the handshake and three attempts


def test_an_advance_that_outwaits_its_wait_says_what_is_in_flight() -> None:
    """Attempt deadlines are real time: a receiver slower than wait_seconds leaves the
    attempt in flight, and the answer says so; it is logged once the receiver answers."""
    # The answer takes 2 s: far past the 0.1 s wait, well within the 6 s timeout (so it is
    # answered, not retried).
    answers = {"script": [200, "sleep"], "sleep": 2.0}
    mock = running("resthooks", clock="virtual", timeout=6.0)
    with receiver(**answers) as endpoint, mock as (_, client):
        _subscribe(client, endpoint.url)
        _fire(client)
        answer = client.ok("POST", "/_mock/clock", {"advance_seconds": 0, "wait_seconds": 0.1})
        assert [answer["done"], answer["in_flight"]] == [False, 1]
        (delivery,) = client.settle()
        assert delivery["status"] == "delivered"
        assert client.ok("GET", "/_mock/clock")["in_flight"] == 0


def test_exhaustion_and_deactivation_follow_the_virtual_clock() -> None:
    """resthooks gives up once its window is spent, on the schedule to the second, and
    deactivates the subscription."""
    retry = CATALOG.get("resthooks").semantics.retry
    with (
        receiver(script=[200], status=500) as endpoint,
        running("resthooks", clock="virtual") as (_, client),
    ):
        sub = _subscribe(client, endpoint.url)
        _fire(client)
        client.advance(0)
        assert client.ok("GET", f"{RESTHOOKS}{sub['id']}/")["active"] is True
        client.advance(3 * 24 * 3600)
        (delivery,) = client.settle()
        assert delivery["status"] == "failed"
        made = len(delivery["attempts"])
        assert retry.exhausted(made)
        assert not retry.exhausted(made - 1)
        first = _at(delivery["attempts"][0]["at"])
        offsets = [_at(a["at"]) - first for a in delivery["attempts"]]
        assert offsets == [retry.offset(n) for n in range(made)]
        assert client.ok("GET", f"{RESTHOOKS}{sub['id']}/")["active"] is False


def test_live_mock_advance_needs_a_virtual_clock() -> None:
    mock = LiveMock.start("resthooks")
    try:
        with pytest.raises(HarnessError, match="virtual clock"):
            mock.advance(60)
    finally:
        mock.stop()


def test_the_sender_suite_refuses_a_time_scale_with_a_virtual_mock() -> None:
    with MockServer(MockConfig(["resthooks"], clock="virtual")) as mock:
        options = SenderOptions(api=mock.url, time_scale=0.001)
        with pytest.raises(HarnessError, match="virtual clock"):
            run_sender(CATALOG.get("resthooks"), options)
