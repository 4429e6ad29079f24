"""The control API: triggering, the log, reset, safety, and a 4xx JSON error for every bad
request."""

from __future__ import annotations

import pytest
from mock_support import basic, receiver, running

from harness.profiles import load_profiles

CATALOG = load_profiles()
FACTORIAL = "/factorial/api/v2/resources/api_public/webhook_subscriptions"
STAFFOLOGY = "/staffology/employers/6f1c2b8e-4d0a-4f59-9a53-2e8c1d7b0a41/webhooks"
KEY = {"x-api-key": "test-api-key"}
PROFILES = ("resthooks", "factorial", "staffology", "clockodo")
FORM = "application/x-www-form-urlencoded"
JSON = {"Content-Type": "application/json"}


def test_generated_payloads_follow_the_schema_and_the_seed() -> None:
    generated = {"type": "entry.stopped", "seed": 3, "payload": "generated"}
    with running("clockodo") as (_, client):
        one = client.ok("POST", "/_mock/events", generated)
        same = client.ok("POST", "/_mock/events", generated)
        assert one["payload"] == same["payload"]
        assert one["schema_errors"] == []
        CATALOG.get("clockodo").validate("entry.stopped", one["payload"])
        assert one["payload"] != CATALOG.get("clockodo").event("entry.stopped").example()
        # By default the example, fresh: valid, readable, another id on the next trigger.
        first = client.ok("POST", "/_mock/events", {"type": "entry.stopped"})
        second = client.ok("POST", "/_mock/events", {"type": "entry.stopped"})
        assert first["schema_errors"] == second["schema_errors"] == []
        assert (
            first["payload"]["payload"]["entry"]["id"]
            != second["payload"]["payload"]["entry"]["id"]
        )
        refused = client.call("POST", "/_mock/events", {**generated, "payload": "fuzz"})
        assert refused.status == 400
        assert "'payload' is 'example' or 'generated'" in refused.body["detail"]


def test_set_applies_every_pointer_or_refuses() -> None:
    with receiver() as endpoint, running("factorial-v1") as (_, client):
        client.ok(
            "POST",
            "/api/v1/webhooks",
            {"type": "employee_created", "target_url": endpoint.url},
            headers=KEY,
        )
        fired = client.ok(
            "POST",
            "/_mock/events",
            {
                "type": "employee_created",
                "data": {"id": 1, "names": {"first": "A"}, "tags": ["x", "y"]},
                "set": {"/names/first": "Zoë", "/tags/1": "z", "/extra/deep": 5},
            },
        )
        expected = {"id": 1, "names": {"first": "Zoë"}, "tags": ["x", "z"], "extra": {"deep": 5}}
        assert fired["payload"] == expected
        assert endpoint.wait_for(1)[0].json() == expected
        # Not a pointer (422), or one this payload's shape does not allow (409).
        for bad, status in (
            ({"no-slash": 1}, 422),
            ({"/id/x": 1}, 409),
            ({"/tags/9": 1}, 409),
            ({"/tags/a": 1}, 409),
        ):
            refused = client.call(
                "POST",
                "/_mock/events",
                {"type": "employee_created", "data": {"id": 1, "tags": []}, "set": bad},
            )
            assert refused.status == status, bad
            assert next(iter(bad)) in refused.body["detail"]
        assert len(client.deliveries()) == 1  # refused triggers deliver nothing


def test_delivery_log_filters_and_reset() -> None:
    with receiver(script=[500]) as endpoint, running("hirehop") as (server, client):
        hook = client.ok(
            "POST", "/_mock/webhooks", {"url": endpoint.url, "events": ["job.status.updated"]}
        )
        a = client.ok("POST", "/_mock/events", {"type": "job.status.updated", "data": {"n": 1}})
        client.ok("POST", "/_mock/events", {"type": "job.status.updated", "data": {"n": 2}})
        client.settle()
        assert [d["event_id"] for d in client.deliveries(event=a["event_id"])] == [a["event_id"]]
        assert len(client.deliveries(subscription=hook["id"])) == 2
        assert len(client.deliveries(status="delivered")) == 2
        attempts = [d["attempts"][0] for d in client.deliveries()]
        assert sorted(a["status_code"] for a in attempts) == [200, 500]  # fire-and-forget
        attempt = attempts[0]
        assert attempt["request"]["headers"]["Content-Type"] == "application/json"
        assert attempt["response_excerpt"] == "ok"
        assert attempt["duration_ms"] >= 0
        client.ok("POST", "/_mock/reset")
        assert client.deliveries() == []
        assert client.ok("GET", "/_mock/subscriptions")["subscriptions"] == []
        assert server.mock.store.owed() == 0


def _ids(page: dict) -> list[int]:
    return [d["id"] for d in page["deliveries"]]


def test_the_delivery_log_pages_through_more_deliveries_than_a_page() -> None:
    with receiver() as endpoint, running("hirehop") as (_, client):
        client.fire_forget(endpoint.url, 130)
        client.settle()
        first = client.ok("GET", "/_mock/deliveries")
        assert len(first["deliveries"]) == 100  # the default page
        assert first["total"] == 130
        assert first["previous"] is None
        second = client.ok("GET", first["next"])
        assert len(second["deliveries"]) == 30
        assert second["next"] is None
        everything = _ids(first) + _ids(second)
        assert everything == sorted(set(everything))
        assert len(everything) == 130
        assert _ids(client.ok("GET", second["previous"])) == _ids(first)

        # Newest first, a page of 50, a filter kept on every link.
        newest, pages = [], 0
        link = "/_mock/deliveries?order=newest&limit=50&status=delivered"
        while link:
            page = client.ok("GET", link)
            assert page["total"] == 130
            newest += _ids(page)
            link, pages = page["next"], pages + 1
            assert link is None or ("status=delivered" in link and "limit=50" in link)
        assert pages == 3
        assert newest == everything[::-1]
        # `before` alone: the page that ends right before an id; `after` and `before`: between.
        tenth = everything[60]
        assert (
            _ids(client.ok("GET", f"/_mock/deliveries?before={tenth}&limit=10"))
            == (everything[50:60])
        )
        between = f"/_mock/deliveries?after={everything[9]}&before={everything[15]}"
        assert _ids(client.ok("GET", between)) == everything[10:15]

        # Asking again for the page after the last delivery seen lists those made since.
        since = f"/_mock/deliveries?after={everything[-1]}"
        assert client.ok("GET", since) == {
            "deliveries": [],
            "total": 130,
            "next": None,
            "previous": None,
        }
        client.ok("POST", "/_mock/events", {"type": "job.status.updated", "data": {"n": 130}})
        client.settle()
        (made,) = client.ok("GET", since)["deliveries"]
        assert made["id"] > everything[-1]
        assert len(client.deliveries()) == 131  # the tests' client follows every page
        refused = client.call("GET", "/_mock/deliveries?limit=5000")
        assert refused.status == 400
        assert refused.body["detail"] == "limit must be an integer from 1 to 1000, not '5000'"


def _event(data: bytes) -> bytes:
    return b'{"profile": "clockodo", "type": "entry.stopped", "data": ' + data + b"}"


def _headers(headers: dict[str, str]) -> dict:
    return {"profile": "clockodo", "type": "entry.stopped", "data": {}, "headers": headers}


def _bad_requests(url: str) -> list[tuple[str, str, dict | None, bytes | None, dict, int]]:
    """(method, path, json, raw body, headers, expected status)."""
    big = b'{"a": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    resthooks = "/resthooks/api/v1/subscription/"
    return [
        ("POST", "/_mock/events", None, b"{not json", JSON, 400),
        # JSON bodies are sent as JSON: a page's "simple" text/plain or form post is not one.
        ("POST", "/_mock/events", None, b'{"type": "entry.stopped"}', {}, 415),
        ("POST", "/_mock/webhooks", None, b'{"url": "x"}', {"Content-Type": "text/plain"}, 415),
        ("POST", "/_mock/reset", None, b"a=1", {"Content-Type": FORM}, 415),
        ("POST", "/_mock/events", None, b"", JSON, 400),
        ("POST", "/_mock/events", None, b"[1, 2]", JSON, 400),
        ("POST", "/_mock/events", {"profile": "clockodo", "type": 5}, None, {}, 400),
        # What Python's parser takes but is not JSON a receiver could read.
        ("POST", "/_mock/events", None, _event(b'{"a": "\\ud800"}'), JSON, 400),
        ("POST", "/_mock/events", None, _event(b'{"a": NaN}'), JSON, 400),
        ("POST", "/_mock/events", None, _event(b'{"a": 1e400}'), JSON, 400),
        ("POST", "/_mock/events", None, _event(b"[" * 100 + b"]" * 100), JSON, 400),
        # Headers that cannot go on the wire, or would smuggle in another one.
        ("POST", "/_mock/events", _headers({"X-Bad": "a\r\nInjected: 1"}), None, {}, 400),
        ("POST", "/_mock/events", _headers({"bad name": "x"}), None, {}, 400),
        ("POST", "/_mock/events", _headers({"X-Snow": "\u2603"}), None, {}, 400),
        # Ids: ASCII digits that fit SQLite's integers, or not an id at all.
        ("GET", "/_mock/deliveries?subscription=%C2%B2", None, None, {}, 400),
        ("GET", "/_mock/subscriptions/%D9%A3", None, None, {}, 404),
        ("GET", "/_mock/subscriptions/99999999999999999999999", None, None, {}, 404),
        ("POST", "/_mock/events", {"profile": "clockodo", "type": "nope"}, None, {}, 422),
        ("POST", "/_mock/events", {"profile": "nope", "type": "x"}, None, {}, 422),
        (
            "POST",
            "/_mock/events",
            {"profile": "clockodo", "type": "entry.stopped", "seed": "1"},
            None,
            {},
            400,
        ),
        ("POST", "/_mock/events", None, big, JSON, 413),
        ("POST", "/_mock/dashboard/trigger", None, big, {"Content-Type": FORM}, 413),
        ("GET", "/_mock/dashboard/trigger", None, None, {}, 405),
        (
            "POST",
            "/_mock/webhooks",
            {"profile": "clockodo", "event": "entry.stopped", "url": "not a url"},
            None,
            {},
            422,
        ),
        (
            "POST",
            "/_mock/webhooks",
            {"profile": "clockodo", "event": "entry.stopped", "url": "http://example.com/x"},
            None,
            {},
            422,
        ),
        (
            "POST",
            "/_mock/webhooks",
            {"profile": "clockodo", "event": "entry.stopped", "url": "ftp://127.0.0.1/x"},
            None,
            {},
            422,
        ),
        (
            "POST",
            "/_mock/webhooks",
            {"profile": "clockodo", "event": "nope", "url": url},
            None,
            {},
            422,
        ),
        (
            "POST",
            "/_mock/webhooks",
            {"profile": "clockodo", "events": "entry.stopped", "url": url},
            None,
            {},
            400,
        ),
        ("POST", "/_mock/webhooks/99/confirm", {"secret": "x"}, None, {}, 404),
        ("POST", "/_mock/webhooks/99999999999999999999/validate", None, None, {}, 404),
        ("PATCH", "/_mock/webhooks/99", {"url": url}, None, {}, 404),
        ("GET", "/_mock/deliveries/42", None, None, {}, 404),
        ("POST", "/_mock/deliveries/42/redeliver", None, None, {}, 404),
        ("GET", "/_mock/deliveries?status=lost", None, None, {}, 400),
        ("GET", "/_mock/deliveries?subscription=abc", None, None, {}, 400),
        # Paging: a page of 1 to 1000, in one of two orders, cut at an id.
        ("GET", "/_mock/deliveries?limit=0", None, None, {}, 400),
        ("GET", "/_mock/deliveries?limit=1001", None, None, {}, 400),
        ("GET", "/_mock/deliveries?limit=-5", None, None, {}, 400),
        ("GET", "/_mock/deliveries?limit=ten", None, None, {}, 400),
        ("GET", "/_mock/deliveries?limit=1&limit=2", None, None, {}, 400),
        ("GET", "/_mock/deliveries?order=random", None, None, {}, 400),
        ("GET", "/_mock/deliveries?after=x", None, None, {}, 400),
        ("GET", "/_mock/deliveries?before=-1", None, None, {}, 400),
        ("GET", "/_mock/nowhere", None, None, {}, 404),
        ("DELETE", "/_mock/events", None, None, {}, 405),
        ("PUT", "/_mock/faults", {"faults": "no-retry"}, None, {}, 400),
        ("POST", resthooks, None, b"{", JSON, 400),
        ("POST", resthooks, {"event": "contact.create"}, None, {}, 422),
        ("POST", resthooks, {"event": "no.such", "target_url": url}, None, {}, 422),
        (
            "POST",
            resthooks,
            {"event": "contact.create", "target_url": "http://10.1.2.3/x"},
            None,
            {},
            422,
        ),
        ("GET", "/resthooks/api/v1/subscription/12345/", None, None, {}, 404),
        ("GET", "/resthooks/api/v1/subscription/abc/", None, None, {}, 404),
        ("PATCH", resthooks, None, None, {}, 405),
        ("GET", FACTORIAL, None, None, {}, 401),
        ("GET", FACTORIAL, None, None, {"x-api-key": "wrong"}, 401),
        ("GET", FACTORIAL, None, None, {"Authorization": "Bearer wrong"}, 401),
        ("GET", f"{FACTORIAL}?enabled=maybe", None, None, KEY, 400),
        ("GET", f"{FACTORIAL}?after_id=%%%", None, None, KEY, 400),
        ("POST", FACTORIAL, {"subscription_type": "ats/candidate/create"}, None, KEY, 422),
        ("GET", f"{FACTORIAL}/999", None, None, KEY, 404),
        (
            "GET",
            "/factorial/api/v9/resources/api_public/webhook_subscriptions",
            None,
            None,
            KEY,
            404,
        ),
        ("GET", STAFFOLOGY, None, None, basic("test:nope"), 401),
        ("GET", STAFFOLOGY, None, None, {"Authorization": "Basic %%%"}, 401),
        ("POST", STAFFOLOGY, {"url": url, "webhookEvent": "Nope"}, None, basic("test:test"), 400),
        ("GET", "/staffology/employers/not-a-uuid/webhooks", None, None, basic("test:test"), 404),
        ("GET", "/clockodo/anything", None, None, {}, 404),
        ("GET", "/nobody/here", None, None, {}, 404),
    ]


def test_every_bad_request_is_a_4xx_json_error() -> None:
    with receiver() as endpoint, running(*PROFILES) as (_, client):
        for method, path, document, raw, headers, status in _bad_requests(endpoint.url):
            answer = client.call(method, path, document, raw=raw, headers=headers)
            assert answer.status == status, (method, path, answer.status, answer.body)
            assert isinstance(answer.body, dict), (method, path, answer.body)
            assert set(answer.body) == {"error", "detail"}, (method, path, answer.body)
            assert answer.body["detail"]
        assert endpoint.requests == []


def test_refused_targets_say_why_and_allow_target_opens_a_host() -> None:
    with running("resthooks", allow_targets=["hooks.example"], faults=["no-hook-secret"]) as (_, c):
        body = {"event": "contact.create", "target_url": "http://elsewhere.example/x"}
        refused = c.call("POST", "/api/v1/subscription/", body)
        assert refused.status == 422
        assert "--allow-target" in refused.body["detail"]
        body["target_url"] = "http://hooks.example/x"
        assert c.call("POST", "/api/v1/subscription/", body).status == 201


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.1.2.3"])
def test_loopback_targets_are_allowed(host: str) -> None:
    with running("clockodo") as (_, c):
        made = c.call(
            "POST", "/_mock/webhooks", {"event": "entry.stopped", "url": f"http://{host}:9/x"}
        )
        assert made.status == 201


def test_the_control_api_offers_what_its_document_says() -> None:
    with running("resthooks") as (_, client):  # no settings-screen profile, no settings
        document = client.ok("GET", "/_mock/openapi.json")
        assert list(document["paths"]["/_mock/webhooks"]) == ["get"]  # the list, no creation
        assert "put" not in document["paths"]["/_mock/settings"]
        settings = client.call("PUT", "/_mock/settings", {"settings": {}})
        assert (settings.status, settings.headers["Allow"]) == (405, "GET, HEAD")
        webhook = client.call("POST", "/_mock/webhooks", {"url": "http://127.0.0.1:9/"})
        assert (webhook.status, webhook.headers["Allow"]) == (405, "GET, HEAD")
        trigger = document["components"]["schemas"]["Trigger"]
        assert trigger["properties"]["type"]["enum"] == list(CATALOG.get("resthooks").events)
        assert trigger["required"] == ["type"]  # one profile served: no need to name it


def test_profiles_and_openapi() -> None:
    with running("clockodo", "hirehop") as (_, c):
        profiles = c.ok("GET", "/_mock/profiles")["profiles"]
        assert [p["name"] for p in profiles] == ["clockodo", "hirehop"]
        assert "entry.stopped" in profiles[0]["events"]
        assert profiles[0]["title"]
        document = c.ok("GET", "/_mock/openapi.json")
        assert document["openapi"].startswith("3.1")
        assert "/_mock/events" in document["paths"]
