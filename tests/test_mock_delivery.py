"""The delivery engine: retries on the profile's schedule (scaled), Gone, exhaustion,
notifications and fire-and-forget, over loopback to a real receiver."""

from __future__ import annotations

import itertools
import socket
import time
from datetime import datetime
from pathlib import Path

import pytest
from mock_support import ATTEMPT_TIMEOUT, receiver, running

from harness.profiles import load_profiles
from harness.wire import sign

CATALOG = load_profiles()

FACTORIAL = "/api/v2/resources/api_public/webhook_subscriptions"
KEY = {"x-api-key": "test-api-key"}


def _resthooks_subscription(client, url: str) -> dict:
    return client.ok(
        "POST", "/api/v1/subscription/", {"event": "contact.create", "target_url": url}
    )


def test_retries_follow_the_scaled_schedule_until_delivered() -> None:
    # resthooks: 5 s, 30 s, 5 min; at time scale 0.001 that is 5 ms, 30 ms, 300 ms.
    with receiver(script=[200, 500, 503, 500]) as endpoint, running("resthooks") as (_, client):
        sub = _resthooks_subscription(client, endpoint.url)
        client.ok("POST", "/_mock/events", {"type": "contact.create", "data": {"id": 1}})
        (delivery,) = client.settle()
        assert delivery["status"] == "delivered"
        assert [a["status_code"] for a in delivery["attempts"]] == [500, 503, 500, 200]
        sent = endpoint.wait_for(5)[1:]
        gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(sent)]
        assert gaps[0] >= 0.004
        assert gaps[1] >= 0.029
        assert gaps[2] >= 0.29
        assert gaps[2] < 3  # not the real five minutes
        assert {r.body for r in sent} == {sent[0].body}
        assert delivery["subscription_id"] == sub["id"]


def test_resthooks_does_not_retry_3xx_but_retries_4xx() -> None:
    with receiver(script=[200, 302, 400]) as endpoint, running("resthooks") as (_, client):
        _resthooks_subscription(client, endpoint.url)
        client.ok("POST", "/_mock/events", {"type": "contact.create", "data": {"id": 1}})
        (first,) = client.settle()
        assert [a["status_code"] for a in first["attempts"]] == [302]
        client.ok("POST", "/_mock/events", {"type": "contact.create", "data": {"id": 2}})
        found = client.settle()
        assert [a["status_code"] for a in found[1]["attempts"]] == [400, 200]


def test_410_cancels_the_subscription_at_once() -> None:
    with receiver(script=[200, 410]) as endpoint, running("resthooks") as (_, client):
        sub = _resthooks_subscription(client, endpoint.url)
        client.ok("POST", "/_mock/events", {"type": "contact.create", "data": {"id": 1}})
        (delivery,) = client.settle()
        assert delivery["status"] == "failed"
        assert len(delivery["attempts"]) == 1
        assert client.ok("GET", f"/api/v1/subscription/{sub['id']}/")["active"] is False


def test_timeouts_are_retried() -> None:
    with (
        receiver(script=[200, "sleep"], sleep=ATTEMPT_TIMEOUT + 1) as endpoint,
        running("resthooks", timeout=ATTEMPT_TIMEOUT) as (_, client),
    ):
        _resthooks_subscription(client, endpoint.url)
        client.ok("POST", "/_mock/events", {"type": "contact.create", "data": {"id": 1}})
        (delivery,) = client.settle()
        first, second = delivery["attempts"]
        assert first["status_code"] is None
        assert first["error"].startswith("timeout")
        assert second["status_code"] == 200


def test_without_a_timeout_each_provider_waits_its_own(write_profile) -> None:
    """No --timeout: an attempt waits the profile's timeout.seconds and no longer (Slack's
    3 s, Stripe's 30 s); here a resthooks that waits 0.5 s, and a receiver that takes 3 s
    to answer the delivery: a timeout after about 0.5 s, retried as resthooks retries."""

    def impatient(profile: dict, openapi: dict) -> None:
        profile["semantics"]["timeout"] = {"seconds": 0.5, "source": "https://resthooks.org/"}

    specs = write_profile("impatient", based_on="resthooks", edit=impatient)
    mock = running("impatient", specs=[str(specs)], timeout=None)
    with receiver(script=[200, "sleep"], sleep=3.0) as endpoint, mock as (server, client):
        assert server.mock.outbound.deadline_for(server.mock.profiles["impatient"]) == 0.5
        _resthooks_subscription(client, endpoint.url)
        client.ok("POST", "/_mock/events", {"type": "contact.create", "data": {"id": 1}})
        (delivery,) = client.settle()
    first, second = delivery["attempts"]
    assert first["error"].startswith("timeout")
    assert 500 <= first["duration_ms"] < 2500
    assert second["status_code"] == 200


@pytest.mark.parametrize(
    ("profile", "timeout", "attempt", "handshake"),
    [
        ("slack", None, 3.0, 3.0),  # the Events API's 3 s, for its url_verification too
        ("shopify", None, 5.0, 5.0),
        ("resthooks", None, 30.0, 30.0),
        ("drf-hooks", None, 10.0, 10.0),  # a sender that waits forever: the mock's 10 s
        ("slack", 2.0, 2.0, 2.0),  # --timeout: one limit for every request
    ],
)
def test_the_deadline_is_the_providers_unless_timeout_says(
    profile: str, timeout: float | None, attempt: float, handshake: float
) -> None:
    specs = [str(Path(__file__).parent / "specs")] if profile == "drf-hooks" else []
    with running(profile, timeout=timeout, specs=specs) as (server, _):
        outbound, found = server.mock.outbound, server.mock.profiles[profile]
        assert outbound.deadline_for(found) == attempt
        assert outbound.deadline_for(found, handshake=True) == handshake


def test_a_refused_connection_is_logged_as_such_and_retried() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        target = f"http://127.0.0.1:{closed.getsockname()[1]}/hooks"
        with running("factorial-v1") as (_, client):
            auth = {"Authorization": "Bearer test-api-key"}
            subscription = {"type": "employee_created", "target_url": target}
            client.ok("POST", "/api/v1/webhooks", subscription, headers=auth)
            client.ok("POST", "/_mock/events", {"type": "employee_created", "data": {"id": 1}})
            deadline = time.monotonic() + 10
            while len(attempts := client.deliveries()[0]["attempts"]) < 2:
                assert time.monotonic() < deadline, "no retry after a refused connection"
                time.sleep(0.02)
    assert all(a["error"].startswith("connection error") for a in attempts[:2]), attempts
    assert all(a["status_code"] is None for a in attempts[:2])


def test_resthooks_gives_up_after_about_a_day_and_deactivates() -> None:
    # A day at scale 1e-5 is 0.86 s; the 1 h retries take 36 ms each.
    with (
        receiver(script=[200], status=500) as endpoint,
        running("resthooks", time_scale=1e-5) as (
            _,
            client,
        ),
    ):
        sub = _resthooks_subscription(client, endpoint.url)
        client.ok("POST", "/_mock/events", {"type": "contact.create", "data": {"id": 1}})
        (delivery,) = client.settle()
        assert delivery["status"] == "failed"
        assert 20 <= len(delivery["attempts"]) <= 30
        assert client.ok("GET", f"/api/v1/subscription/{sub['id']}/")["active"] is False


def _offsets(delivery: dict) -> list[float]:
    """Each attempt's time on the mock's clock, in seconds from the first."""
    times = [datetime.fromisoformat(a["at"]).timestamp() for a in delivery["attempts"]]
    return [round(t - times[0], 3) for t in times]


def test_factorial_twenty_attempts_then_disabled_with_notifications() -> None:
    """On a virtual clock an advance of 48 h makes the whole schedule, each attempt logged at
    the time it fell due, and the subscription is disabled."""
    retry = CATALOG.get("factorial").semantics.retry
    with receiver(status=500) as endpoint, running("factorial", clock="virtual") as (_, client):
        sub = client.ok(
            "POST",
            FACTORIAL,
            {
                "subscription_type": "ats/candidate/create",
                "target_url": endpoint.url,
                "company_id": 1,
            },
            headers=KEY,
        )
        client.ok("POST", "/_mock/events", {"type": "ats/candidate/create", "data": {"id": 1}})
        client.advance(0)  # the first attempt is made at once; then the clock stands still
        (delivery,) = client.deliveries()
        assert [len(delivery["attempts"]), delivery["status"]] == [1, "pending"]
        advanced = client.advance(48 * 3600)
        assert advanced["attempts"] == 19
        (delivery,) = client.settle()
        assert delivery["status"] == "failed"
        assert _offsets(delivery) == [retry.offset(n) for n in range(20)]
        assert len(endpoint.wait_for(20)) == 20
        assert client.ok("GET", f"{FACTORIAL}/{sub['id']}", headers=KEY)["enabled"] is False
        notes = client.ok("GET", "/_mock/notifications")["notifications"]
        retries = [n["message"].split()[1] for n in notes if n["kind"] == "retry-failed"]
        assert retries == ["1", "5", "10"]
        assert [n["kind"] for n in notes][-1] == "exhausted"
        assert (
            client.ok("POST", "/_mock/events", {"type": "ats/candidate/create", "data": {}})[
                "deliveries"
            ]
            == []
        )
        client.ok("PUT", f"{FACTORIAL}/{sub['id']}", {"enabled": True}, headers=KEY)
        endpoint.status = 200
        fired = client.ok("POST", "/_mock/events", {"type": "ats/candidate/create", "data": {}})
        assert len(fired["deliveries"]) == 1
        assert client.settle()[-1]["status"] == "delivered"


def test_hirehop_is_fire_and_forget() -> None:
    with receiver(status=500) as endpoint, running("hirehop") as (_, client):
        client.ok(
            "POST", "/_mock/webhooks", {"url": endpoint.url, "events": ["invoice.status.updated"]}
        )
        client.ok("POST", "/_mock/events", {"type": "invoice.status.updated", "data": {}})
        (delivery,) = client.settle()
        assert delivery["status"] == "delivered"  # the answer is ignored
        assert len(delivery["attempts"]) == 1
        assert len(endpoint.wait_for(1)) == 1
        assert len(endpoint.requests) == 1


@pytest.mark.parametrize("status", [200, 500])
def test_redeliver_sends_the_same_event_again(status: int) -> None:
    with receiver(status=status) as endpoint, running("hirehop") as (_, client):
        client.ok(
            "POST", "/_mock/webhooks", {"url": endpoint.url, "events": ["job.status.updated"]}
        )
        fired = client.ok("POST", "/_mock/events", {"type": "job.status.updated", "data": {"a": 1}})
        client.settle()
        again = client.call("POST", f"/_mock/deliveries/{fired['deliveries'][0]}/redeliver")
        assert again.status == 202
        client.settle()
        first, second = endpoint.wait_for(2)
        assert first.json()["a"] == second.json()["a"] == 1  # data is the whole body


def test_an_edited_redelivery_goes_signed_to_that_subscription_alone() -> None:
    with (
        receiver() as endpoint,
        receiver() as other,
        running("resthooks") as (_, client),
    ):
        for target in (endpoint, other):
            client.ok(
                "POST",
                "/api/v1/subscription/",
                {"event": "contact.create", "target_url": target.url},
            )
        secret = endpoint.wait_for(1)[0].headers["X-Hook-Secret"]
        fired = client.ok("POST", "/_mock/events", {"type": "contact.create", "data": {"id": 7}})
        client.settle()
        mine = next(
            d
            for d in fired["deliveries"]
            if client.ok("GET", f"/_mock/deliveries/{d}")["target_url"] == endpoint.url
        )
        edited = client.call(
            "POST", f"/_mock/deliveries/{mine}/redeliver", {"data": {"id": 8, "extra": True}}
        )
        assert edited.status == 202
        assert edited.body["delivery_id"] not in fired["deliveries"]
        client.settle()
        sent = endpoint.deliveries()[-1]
        assert sent.json() == {"id": 8, "extra": True}
        assert sent.headers["X-Hook-Signature"] == sign(sent.body, secret)
        assert [r.json() for r in other.deliveries()] == [{"id": 7}]  # the other is not sent it
        unknown = client.call("POST", f"/_mock/deliveries/{mine}/redeliver", {"body": {}})
        assert (unknown.status, unknown.body["error"]) == (400, "unknown field")
        # The log filters by event type as well as by subscription, event and status.
        found = client.ok("GET", "/_mock/deliveries?type=contact.create")["deliveries"]
        assert len(found) == 3
        assert client.ok("GET", "/_mock/deliveries?type=contact.delete")["deliveries"] == []
        assert client.call("GET", "/_mock/deliveries?type=nope").status == 400
