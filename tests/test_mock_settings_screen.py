"""Profiles configured in a settings screen (Clockodo, HireHop), driven through the control
API and the dashboard as a person would."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from mock_support import receiver, running

from harness.profiles import load_profiles

CATALOG = load_profiles()


def _validate_and_confirm(client, endpoint, hook_id: int) -> str:
    before = len(endpoint.requests)
    answer = client.ok("POST", f"/_mock/webhooks/{hook_id}/validate")
    assert answer["status_code"] == 200
    request = endpoint.wait_for(before + 1)[-1]
    secret = request.query["secret"]
    assert request.json() == {"secret": secret}
    # The mock says what it sent: the secret, the request, the answer.
    assert (answer["kind"], answer["secret"]) == ("secret-confirmation", secret)
    assert answer["request"]["query"] == {"secret": secret}
    hook = client.ok("GET", f"/_mock/subscriptions/{hook_id}")
    assert answer["url"] == hook["target_url"]
    assert hook["handshakes"][-1] == answer
    client.ok("POST", f"/_mock/webhooks/{hook_id}/confirm", {"secret": secret})
    return secret


def test_clockodo_webhook_is_inactive_until_validated_and_confirmed() -> None:
    with receiver() as endpoint, running("clockodo") as (_, client):
        hook = client.call(
            "POST",
            "/_mock/webhooks",
            {"event": "entry.stopped", "url": endpoint.url, "token": "t1"},
        )
        assert hook.status == 201
        hook_id = hook.body["id"]
        assert hook.body["active"] is False
        assert hook.body["token"] == "t1"
        fired = client.ok("POST", "/_mock/events", {"type": "entry.stopped", "data": {"x": 1}})
        assert fired["deliveries"] == []

        premature = client.call("POST", f"/_mock/webhooks/{hook_id}/confirm", {"secret": "guess"})
        assert premature.status == 409
        assert "validate" in premature.body["detail"]
        client.ok("POST", f"/_mock/webhooks/{hook_id}/validate")
        wrong = client.call("POST", f"/_mock/webhooks/{hook_id}/confirm", {"secret": "guess"})
        assert wrong.status == 403  # not the secret the endpoint was sent
        assert "secret" in wrong.body["detail"]
        assert client.ok("GET", f"/_mock/subscriptions/{hook_id}")["active"] is False
        _validate_and_confirm(client, endpoint, hook_id)
        assert client.ok("GET", f"/_mock/subscriptions/{hook_id}")["active"] is True

        example = CATALOG.get("clockodo").event("entry.stopped").example()
        client.ok("POST", "/_mock/events", {"type": "entry.stopped", "data": example})
        (delivery,) = client.settle()
        body = endpoint.deliveries()[-1].json()
        assert body == {
            "event_name": "entry.stopped",
            "token": "t1",
            "payload": {"entry": {"id": 123}},
        }
        assert delivery["status"] == "delivered"


def test_clockodo_url_change_needs_a_new_validation_event_and_token_do_not() -> None:
    with receiver() as endpoint, running("clockodo") as (_, client):
        hook_id = client.ok(
            "POST", "/_mock/webhooks", {"event": "entry.stopped", "url": endpoint.url, "token": "a"}
        )["id"]
        _validate_and_confirm(client, endpoint, hook_id)
        same = client.ok(
            "PATCH", f"/_mock/webhooks/{hook_id}", {"event": "entry.started", "token": "b"}
        )
        assert same["active"] is True
        assert same["events"] == ["entry.started"]
        moved = client.ok("PATCH", f"/_mock/webhooks/{hook_id}", {"url": endpoint.url + "/new"})
        assert moved["active"] is False
        assert "URL" in moved["reason"]
        _validate_and_confirm(client, endpoint, hook_id)
        assert client.ok("GET", f"/_mock/subscriptions/{hook_id}")["active"] is True


def test_clockodo_validation_secret_can_travel_one_way_only(write_profile) -> None:
    specs = write_profile(
        "clockodo-query",
        profile={
            "name": "clockodo-query",
            "title": "Clockodo, secret in the query only",
            "extends": "clockodo",
            "semantics": {"handshake": {"secret_in": ["query"]}},
        },
    )
    with receiver() as endpoint, running("clockodo-query", specs=[str(specs)]) as (_, client):
        hook_id = client.ok(
            "POST", "/_mock/webhooks", {"event": "entry.stopped", "url": endpoint.url}
        )["id"]
        client.ok("POST", f"/_mock/webhooks/{hook_id}/validate")
        (request,) = endpoint.wait_for(1)
        assert "secret" in request.query
        assert request.body == b""


@pytest.mark.parametrize(
    ("plan", "creates", "refused_at"),
    [("basic", ["a", "b", "c"], 2), ("enterprise", ["a", "a", "a", "a", "b"], 3)],
)
def test_clockodo_plan_quotas(plan: str, creates: list[str], refused_at: int) -> None:
    events = {"a": "entry.stopped", "b": "project.created", "c": "user.created"}
    with receiver() as endpoint, running("clockodo", plan=plan) as (_, client):
        statuses = [
            client.call("POST", "/_mock/webhooks", {"event": events[e], "url": endpoint.url})
            for e in creates
        ]
        assert [a.status for a in statuses[:refused_at]] == [201] * refused_at
        refused = statuses[refused_at]
        assert refused.status == 403
        assert plan in refused.body["detail"]
        assert all(a.status == 201 for a in statuses[refused_at + 1 :])


def test_hirehop_envelope_export_key_and_many_events() -> None:
    with receiver() as endpoint, running("hirehop") as (_, client):
        hook = client.ok(
            "POST",
            "/_mock/webhooks",
            {"url": endpoint.url, "events": ["invoice.status.updated", "job.status.updated"]},
        )
        assert hook["active"] is True
        client.ok("PUT", "/_mock/settings", {"settings": {"export_key": "22u43mrjwe7u"}})
        example = CATALOG.get("hirehop").event("invoice.status.updated").example()
        client.ok("POST", "/_mock/events", {"type": "invoice.status.updated", "data": example})
        client.ok("POST", "/_mock/events", {"type": "job.status.updated", "seed": 1})
        arrived = {r.json()["event"]: r for r in endpoint.wait_for(2)}  # in either order
        first, second = arrived["invoice.status.updated"], arrived["job.status.updated"]
        body = first.json()
        assert body["export_key"] == "22u43mrjwe7u"
        assert second.json()["export_key"] == "22u43mrjwe7u"
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", body["time"])
        sent = datetime.strptime(body["time"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
        assert abs((datetime.now(UTC) - sent).total_seconds()) < 60
        assert {k: v for k, v in body.items() if k != "time"} == {
            k: v for k, v in example.items() if k != "time"
        }
        CATALOG.get("hirehop").validate("invoice.status.updated", body)
        CATALOG.get("hirehop").validate("job.status.updated", second.json())


def test_unknown_settings_and_api_profiles_are_refused() -> None:
    with running("hirehop", "factorial") as (_, client):
        unknown = client.call(
            "PUT", "/_mock/settings", {"profile": "hirehop", "settings": {"colour": "red"}}
        )
        assert unknown.status == 422
        assert "export_key" in unknown.body["detail"]
        api = client.call(
            "POST",
            "/_mock/webhooks",
            {
                "profile": "factorial",
                "url": "http://127.0.0.1:1/x",
                "event": "ats/candidate/create",
            },
        )
        assert api.status == 409
        assert "/webhook_subscriptions" in api.body["detail"]


def test_a_signing_secret_has_its_schemes_form() -> None:
    """The mock's own Standard Webhooks secret is whsec_<base64>; one that cannot be such a
    key is refused, as the mock signs every delivery with it."""
    with running("standard-webhooks") as (_, client):
        given = client.ok("GET", "/_mock/settings")["settings"]["standard-webhooks"]
        assert re.fullmatch(r"whsec_[A-Za-z0-9+/]+=*", given["signing_secret"])
        refused = client.call(
            "PUT", "/_mock/settings", {"settings": {"signing_secret": "not-base64!"}}
        )
        assert refused.status == 422
        assert "whsec_<base64>" in refused.body["detail"]


def test_dashboard_creates_validates_confirms_triggers_and_redelivers() -> None:
    with receiver() as endpoint, running("clockodo") as (server, client):
        page = client.ok("GET", "/_mock/dashboard/")
        assert "Trigger an event" in page
        assert "New clockodo webhook" in page
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        token = re.search(r"name='csrf' value='([^']+)'", page).group(1)  # as a browser sends it

        def post(action: str, fields: str) -> str:
            fields = f"csrf={quote(token)}&{fields}"
            answer = client.call(
                "POST", f"/_mock/dashboard/{action}", raw=fields.encode(), headers=form
            )
            assert answer.status == 303
            return html.unescape(client.ok("GET", answer.headers["Location"]))

        done = post("webhooks", f"profile=clockodo&url={quote(endpoint.url)}&events=entry.stopped")
        assert "created" in done
        hook_id = client.ok("GET", "/_mock/subscriptions")["subscriptions"][0]["id"]
        assert "answered HTTP 200" in post(f"validate/{hook_id}", "")
        secret = endpoint.wait_for(1)[0].query["secret"]
        assert "wrong" in post(f"confirm/{hook_id}", "secret=nope")
        assert "confirmed" in post(f"confirm/{hook_id}", f"secret={secret}")
        data = quote(
            '{"event_name": "entry.stopped", "token": "", "payload": {"entry": {"id": 5}}}'
        )
        assert "1 delivery" in post("trigger", f"profile=clockodo&type=entry.stopped&data={data}")
        (delivery,) = client.settle()
        again = post(f"redeliver/{delivery['id']}", "")
        assert f"queued: a redelivery of delivery {delivery['id']}" in again
        client.settle()
        assert len(endpoint.deliveries()) == 2
        page = client.ok("GET", "/_mock/dashboard/")
        assert "entry.stopped" in page
        assert "HTTP 200" in page
        assert "Redeliver" in page
        assert "malformed JSON" in post("trigger", "type=entry.stopped&data=%7B")
        broken = post("trigger", "profile=clockodo&type=entry.stopped&data=%7B%22x%22%3A1%7D")
        assert "it breaks the event's schema: " in broken  # sent all the same, but said
        client.settle()
        # Without data: the profile's example by default, or a generated payload on request.
        assert "1 delivery" in post("trigger", "profile=clockodo&type=entry.stopped")
        assert "1 delivery" in post("trigger", "type=entry.stopped&payload=generated&seed=4")
        assert "'payload' is 'example' or 'generated', not 'fuzz'" in post(
            "trigger", "type=entry.stopped&payload=fuzz"
        )
        client.settle()
        example, generated = (r.json() for r in endpoint.deliveries()[3:5])
        written = server.mock.profiles["clockodo"].event("entry.stopped").example()
        assert example["payload"].keys() == written["payload"].keys()
        assert example["token"] == endpoint.deliveries()[0].json()["token"]  # its own token
        assert generated["payload"] != written["payload"]
        assert server.mock.store.owed() == 0
