"""Every named fault shows in what the receiver gets."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from mock_support import receiver, running

from harness.profiles import load_profiles
from mock_provider.app import Mock, MockConfig
from mock_provider.delivery import OUT_OF_ORDER_GAP, OUT_OF_ORDER_HOLD
from mock_provider.faults import FAULTS, Fault, Faults, UnknownFaultError, check_names

CATALOG = load_profiles()
V1 = "/api/v1/webhooks"
BEARER = {"Authorization": "Bearer test-api-key"}


def _v1_subscription(client, url: str, challenge: str = "c-1") -> dict:
    return client.ok(
        "POST",
        V1,
        {"type": "employee_created", "target_url": url, "challenge": challenge},
        headers=BEARER,
    )


def _resthooks(client, url: str) -> dict:
    return client.ok(
        "POST", "/api/v1/subscription/", {"event": "contact.create", "target_url": url}
    )


def test_no_retry() -> None:
    with (
        receiver(script=[200, 500]) as endpoint,
        running("resthooks", faults=["no-retry"]) as (
            _,
            client,
        ),
    ):
        _resthooks(client, endpoint.url)
        client.ok("POST", "/_mock/events", {"type": "contact.create", "data": {"id": 1}})
        (delivery,) = client.settle()
        assert delivery["status"] == "failed"
        assert len(delivery["attempts"]) == 1
        assert len(endpoint.deliveries()) == 1


def test_ignore_gone() -> None:
    with (
        receiver(script=[200, 410]) as endpoint,
        running("resthooks", faults=["ignore-gone"]) as (_, client),
    ):
        sub = _resthooks(client, endpoint.url)
        client.ok("POST", "/_mock/events", {"type": "contact.create", "data": {"id": 1}})
        (delivery,) = client.settle()
        assert [a["status_code"] for a in delivery["attempts"]] == [410, 200]
        assert client.ok("GET", f"/api/v1/subscription/{sub['id']}/")["active"] is True


def test_no_overwrite() -> None:
    with receiver() as endpoint, running("factorial-v1", faults=["no-overwrite"]) as (_, client):
        first = _v1_subscription(client, endpoint.url)
        second = _v1_subscription(client, endpoint.url)
        assert first["id"] != second["id"]
        client.ok("POST", "/_mock/events", {"type": "employee_created", "data": {"id": 1}})
        assert len(endpoint.wait_for(2)) == 2


def test_wrong_challenge() -> None:
    with receiver() as endpoint, running("factorial-v1", faults=["wrong-challenge"]) as (_, c):
        _v1_subscription(c, endpoint.url, "right")
        c.ok("POST", "/_mock/events", {"type": "employee_created", "data": {"id": 1}})
        (delivery,) = endpoint.wait_for(1)
        assert delivery.headers["X-Factorial-Wh-Challenge"] not in ("", "right")


def test_missing_challenge() -> None:
    with receiver() as endpoint, running("factorial-v1", faults=["missing-challenge"]) as (_, c):
        _v1_subscription(c, endpoint.url, "right")
        c.ok("POST", "/_mock/events", {"type": "employee_created", "data": {"id": 1}})
        (delivery,) = endpoint.wait_for(1)
        assert "X-Factorial-Wh-Challenge" not in delivery.headers


@pytest.mark.parametrize(
    ("profile", "event"),
    [
        ("factorial-v1", "employee_created"),
        ("hirehop", "invoice.status.updated"),
        ("clockodo", "entry.stopped"),
        ("staffology", "Employee_Created"),
    ],
)
def test_schema_drift(profile: str, event: str) -> None:
    checked = CATALOG.get(profile).event(event)
    with (
        receiver() as endpoint,
        running(profile, faults=["schema-drift", "skip-validation"]) as (
            server,
            client,
        ),
    ):
        mock = server.mock
        subscriptions = mock.subscriptions
        subscriptions.create(mock.profiles[profile], events=[event], target_url=endpoint.url)
        client.ok("POST", "/_mock/events", {"type": event, "data": checked.example()})
        (delivery,) = endpoint.wait_for(1)
        assert checked.errors(delivery.json()), "the drifted body still matches the schema"


def test_duplicate_delivery() -> None:
    with receiver() as endpoint, running("factorial-v1", faults=["duplicate-delivery"]) as (_, c):
        _v1_subscription(c, endpoint.url)
        c.ok("POST", "/_mock/events", {"type": "employee_created", "data": {"id": 1}})
        first, second = endpoint.wait_for(2)
        assert first.body == second.body
        deadline = time.monotonic() + 5
        while len(c.settle()[0]["attempts"]) < 2:  # both attempts are logged
            assert time.monotonic() < deadline
            time.sleep(0.01)


def test_out_of_order() -> None:
    """A delivery is held; a newer one overtakes it and the held one follows. On the virtual
    clock the hold is exact and costs no real time."""
    virtual = {"faults": ["out-of-order"], "clock": "virtual"}
    with receiver() as endpoint, running("factorial-v1", **virtual) as (_, c):
        _v1_subscription(c, endpoint.url)
        c.ok("POST", "/_mock/events", {"type": "employee_created", "data": {"id": 1}})
        c.advance(OUT_OF_ORDER_HOLD / 2)
        assert endpoint.requests == []  # held
        c.ok("POST", "/_mock/events", {"type": "employee_created", "data": {"id": 2}})
        c.advance(OUT_OF_ORDER_GAP)
        first, second = endpoint.wait_for(2)
        assert [first.json()["id"], second.json()["id"]] == [2, 1]


def test_skip_validation() -> None:
    with receiver() as endpoint, running("clockodo", faults=["skip-validation"]) as (_, c):
        hook = c.ok("POST", "/_mock/webhooks", {"event": "entry.stopped", "url": endpoint.url})
        assert hook["active"] is False
        c.ok("POST", "/_mock/events", {"type": "entry.stopped", "data": {"event_name": "x"}})
        (delivery,) = endpoint.wait_for(1)
        assert "secret" not in delivery.query  # a delivery, never validated
        assert delivery.json()["event_name"] == "x"


def test_drop_token() -> None:
    with receiver() as endpoint, running("hirehop", faults=["drop-token"]) as (_, c):
        c.ok("POST", "/_mock/webhooks", {"url": endpoint.url, "events": ["job.status.updated"]})
        c.ok("POST", "/_mock/events", {"type": "job.status.updated", "data": {"event": "x"}})
        (delivery,) = endpoint.wait_for(1)
        assert "export_key" not in delivery.json()


def test_no_hook_secret() -> None:
    with receiver(echo=None) as endpoint, running("resthooks", faults=["no-hook-secret"]) as (_, c):
        sub = _resthooks(c, endpoint.url)
        assert sub["active"] is True
        assert endpoint.requests == []  # no handshake request at all


def test_slow() -> None:
    """The first attempt is held past factorial-v1's five minutes by the out-of-order hold,
    to the second on the virtual clock."""
    promise = CATALOG.get("factorial-v1").semantics.latency.max_seconds
    virtual = {"faults": ["slow"], "clock": "virtual"}
    with receiver() as endpoint, running("factorial-v1", **virtual) as (_, c):
        _v1_subscription(c, endpoint.url)
        c.ok("POST", "/_mock/events", {"type": "employee_created", "data": {"id": 1}})
        c.advance(promise + OUT_OF_ORDER_HOLD - 0.001)
        assert endpoint.requests == []
        c.advance(0.001)
        endpoint.wait_for(1)
        [delivery] = c.settle()
    [attempt] = delivery["attempts"]
    took = datetime.fromisoformat(attempt["at"]) - datetime.fromisoformat(delivery["created_at"])
    assert took.total_seconds() == promise + OUT_OF_ORDER_HOLD


def test_an_unknown_fault_is_refused_at_every_entry() -> None:
    config = MockConfig(["resthooks"], faults=["no-retry", "teleport"])
    with pytest.raises(UnknownFaultError, match=r"unknown fault\(s\) 'teleport' \(known: no-retry"):
        Mock(config, catalog=CATALOG)
    with pytest.raises(UnknownFaultError, match="'slo'"):
        Faults(["slo"])
    assert check_names(["slow", "no-retry", "slow"]) == [Fault.SLOW, Fault.NO_RETRY]


def test_faults_are_switched_at_run_time() -> None:
    with receiver() as endpoint, running("factorial-v1") as (_, c):
        assert c.ok("GET", "/_mock/faults") == {"faults": [], "available": FAULTS}
        _v1_subscription(c, endpoint.url, "right")
        assert c.ok("PUT", "/_mock/faults", {"faults": ["missing-challenge"]})["faults"] == [
            "missing-challenge"
        ]
        c.ok("POST", "/_mock/events", {"type": "employee_created", "data": {"id": 1}})
        assert "X-Factorial-Wh-Challenge" not in endpoint.wait_for(1)[0].headers
        c.ok("PUT", "/_mock/faults", {"faults": []})
        c.ok("POST", "/_mock/events", {"type": "employee_created", "data": {"id": 2}})
        assert endpoint.wait_for(2)[1].headers["X-Factorial-Wh-Challenge"] == "right"
        unknown = c.call("PUT", "/_mock/faults", {"faults": ["teleport"]})
        assert unknown.status == 422
        assert "teleport" in unknown.body["detail"]
