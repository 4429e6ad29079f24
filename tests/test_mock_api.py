"""The mock's subscription APIs, each at the provider's real paths, end to end over loopback."""

from __future__ import annotations

import pytest
from mock_support import basic, bundled, receiver, running

from harness.wire import sign

FACTORIAL = "/api/v2/resources/api_public/webhook_subscriptions"
KEY = {"x-api-key": "test-api-key"}
EMPLOYER = "6f1c2b8e-4d0a-4f59-9a53-2e8c1d7b0a41"
STAFFOLOGY = f"/employers/{EMPLOYER}/webhooks"
AUTH = basic("test:test")


def test_factorial_v1_overwrites_per_type_and_deletes_by_type() -> None:
    with receiver() as first, receiver() as second, running("factorial-v1") as (_, client):
        auth = {"Authorization": "Bearer test-api-key"}
        made = client.ok(
            "POST",
            "/api/v1/webhooks",
            {"type": "employee_created", "target_url": first.url, "challenge": "c1"},
            headers=auth,
        )
        again = client.ok(
            "POST",
            "/api/v1/core/webhooks",  # the reference's name for the same call
            {"type": "employee_created", "target_url": second.url, "challenge": "c2"},
            headers=auth,
        )
        assert again["id"] == made["id"]
        listed = client.ok("GET", "/api/v1/webhooks", headers=auth)
        assert [(w["type"], w["target_url"]) for w in listed] == [("employee_created", second.url)]

        example = client.ok("GET", "/_mock/profiles")["profiles"][0]
        assert "employee_created" in example["events"]
        client.ok("POST", "/_mock/events", {"type": "employee_created", "data": {"id": 1}})
        (delivery,) = second.wait_for(1)
        assert delivery.headers["X-Factorial-Wh-Challenge"] == "c2"
        assert delivery.json() == {"id": 1}
        assert first.requests == []

        # Overwritten without a challenge: none is shown, and none is sent.
        body = {"type": "employee_created", "target_url": second.url}
        plain = client.ok("POST", "/api/v1/webhooks", body, headers=auth)
        assert "challenge" not in plain or plain["challenge"] in (None, "")
        client.ok("POST", "/_mock/events", {"type": "employee_created", "data": {"id": 2}})
        assert "X-Factorial-Wh-Challenge" not in second.wait_for(2)[1].headers

        removed = client.ok(
            "DELETE", "/api/v1/webhooks", {"type": "employee_created"}, headers=auth
        )
        assert removed["id"] == made["id"]
        assert client.ok("GET", "/api/v1/webhooks", headers=auth) == []
        missing = client.call(
            "DELETE", "/api/v1/webhooks", {"type": "employee_created"}, headers=auth
        )
        assert missing.status == 404


def test_factorial_crud_filters_and_credentials() -> None:
    with receiver() as endpoint, running("factorial") as (_, client):
        body = {
            "subscription_type": "ats/candidate/create",
            "target_url": endpoint.url,
            "company_id": 55,
            "challenge": "2zal4e6d",
        }
        assert client.call("POST", FACTORIAL, body).status == 401
        assert client.call("POST", FACTORIAL, body, headers={"x-api-key": "nope"}).status == 401
        created = client.call(
            "POST", FACTORIAL, body, headers={"Authorization": "Bearer test-api-key"}
        )
        assert created.status == 201
        sub = created.body
        assert sub["type"] == "ats/candidate/create"
        assert sub["enabled"] is True
        other = {**body, "subscription_type": "ats/job_posting/create", "enabled": False}
        client.ok("POST", FACTORIAL, other, headers=KEY)

        listed = client.ok("GET", f"{FACTORIAL}?enabled=true", headers=KEY)
        assert [s["id"] for s in listed["data"]] == [sub["id"]]
        assert listed["meta"]["total"] == 1
        assert listed["meta"]["has_next_page"] is False
        paged = client.ok("GET", f"{FACTORIAL}?limit=1", headers=KEY)
        assert paged["meta"]["has_next_page"] is True
        after = paged["meta"]["end_cursor"]
        rest = client.ok("GET", f"{FACTORIAL}?limit=1&after_id={after}", headers=KEY)
        assert [s["type"] for s in rest["data"]] == ["ats/job_posting/create"]

        one = client.ok("GET", f"{FACTORIAL}/{sub['id']}", headers=KEY)
        assert one == sub
        paused = client.ok("PUT", f"{FACTORIAL}/{sub['id']}", {"enabled": False}, headers=KEY)
        assert paused["enabled"] is False
        moved = client.ok(
            "PUT",
            f"{FACTORIAL}/{sub['id']}",
            {"enabled": True, "target_url": endpoint.url + "2"},
            headers=KEY,
        )
        assert moved["enabled"] is True
        assert moved["target_url"] == endpoint.url + "2"
        deleted = client.call("DELETE", f"{FACTORIAL}/{sub['id']}", headers=KEY)
        assert deleted.status == 200
        assert deleted.body["id"] == sub["id"]
        assert client.call("GET", f"{FACTORIAL}/{sub['id']}", headers=KEY).status == 404


def test_factorial_sends_the_challenge_and_the_author_headers() -> None:
    with receiver() as endpoint, running("factorial") as (_, client):
        body = {
            "subscription_type": "employees/employee/update",
            "target_url": endpoint.url,
            "company_id": 1,
            "challenge": "ch",
        }
        client.ok("POST", FACTORIAL, body, headers=KEY)
        event = {"type": "employees/employee/update", "data": {"id": 3}}
        client.ok("POST", "/_mock/events", event)
        client.ok("POST", "/_mock/events", {**event, "headers": {"x-factorial-author-id": "42"}})
        # Two deliveries to one receiver go at once: they may arrive in either order.
        arrived = endpoint.wait_for(2)
        second, first = sorted(arrived, key=lambda r: r.headers["X-Factorial-Author-Id"] != "42")
        assert first.json() == {"id": 3}  # the resource object at the top level
        assert first.headers["X-Factorial-Wh-Challenge"] == "ch"
        assert first.headers["X-Factorial-Author-Type"] == "employee"
        assert first.headers["X-Factorial-Author-Id"].isdigit()
        assert second.headers["X-Factorial-Author-Id"] == "42"


def test_factorial_overwrites_per_type_and_company() -> None:
    with receiver() as endpoint, running("factorial") as (_, client):
        body = {"subscription_type": "ats/candidate/create", "target_url": endpoint.url}
        a = client.ok("POST", FACTORIAL, {**body, "company_id": 1}, headers=KEY)
        b = client.ok("POST", FACTORIAL, {**body, "company_id": 2}, headers=KEY)
        c = client.ok("POST", FACTORIAL, {**body, "company_id": 1, "challenge": "new"}, headers=KEY)
        assert a["id"] != b["id"]
        assert c["id"] == a["id"]
        assert c["challenge"] == "new"
        assert client.ok("GET", FACTORIAL, headers=KEY)["meta"]["total"] == 2


def test_a_profile_that_rejects_duplicates_answers_its_status(write_profile) -> None:
    specs = write_profile(
        "strict",
        profile={
            "name": "strict",
            "title": "Factorial rejecting duplicates",
            "extends": "factorial",
            "semantics": {"subscription": {"on_duplicate": "reject", "duplicate_status": 422}},
        },
    )
    with receiver() as endpoint, running("strict", specs=[str(specs)]) as (_, client):
        body = {"subscription_type": "ats/candidate/create", "target_url": endpoint.url}
        client.ok("POST", FACTORIAL, {**body, "company_id": 1}, headers=KEY)
        refused = client.call("POST", FACTORIAL, {**body, "company_id": 1}, headers=KEY)
        assert refused.status == 422
        assert "already been taken" in refused.body["error"]


def test_resthooks_handshake_echoed_creates_an_active_signed_subscription() -> None:
    with receiver() as endpoint, running("resthooks") as (_, client):
        created = client.call(
            "POST", "/api/v1/subscription/", {"event": "contact.create", "target_url": endpoint.url}
        )
        assert created.status == 201
        assert created.body["active"] is True
        (handshake,) = endpoint.wait_for(1)
        secret = handshake.headers["X-Hook-Secret"]
        (logged,) = client.ok("GET", f"/_mock/subscriptions/{created.body['id']}")["handshakes"]
        assert (logged["kind"], logged["secret"], logged["status_code"]) == (
            "hook-secret-echo",
            secret,
            200,
        )
        assert logged["request"]["headers"]["X-Hook-Secret"] == secret
        client.ok("POST", "/_mock/events", {"type": "contact.create", "data": {"id": 7}})
        delivery = endpoint.wait_for(2)[1]
        assert delivery.headers["X-Hook-Signature"] == sign(delivery.body, secret)


def test_resthooks_handshake_without_echo_is_inactive_until_confirmed() -> None:
    with receiver(echo=None) as endpoint, running("resthooks") as (_, client):
        created = client.ok(
            "POST", "/api/v1/subscription/", {"event": "contact.create", "target_url": endpoint.url}
        )
        assert created["active"] is False
        client.ok("POST", "/_mock/events", {"type": "contact.create", "data": {"id": 1}})
        secret = endpoint.requests[0].headers["X-Hook-Secret"]
        wrong = client.call("POST", f"/_mock/webhooks/{created['id']}/confirm", {"secret": "x"})
        assert wrong.status == 403  # not the secret the target was sent
        client.ok("POST", f"/_mock/webhooks/{created['id']}/confirm", {"secret": secret})
        assert client.ok("GET", f"/api/v1/subscription/{created['id']}/")["active"] is True
        assert endpoint.deliveries() == []  # nothing was sent while it was inactive


@pytest.mark.parametrize("status", [500, 404, 302])
def test_resthooks_handshake_refused_fails_the_create_with_the_reason(status: int) -> None:
    with receiver(status=status) as endpoint, running("resthooks") as (_, client):
        refused = client.call(
            "POST", "/api/v1/subscription/", {"event": "contact.create", "target_url": endpoint.url}
        )
        assert refused.status == 422
        assert f"HTTP {status}" in refused.body["detail"]
        assert client.ok("GET", "/api/v1/subscription/") == []


def test_resthooks_crud() -> None:
    with receiver() as endpoint, running("resthooks") as (_, client):
        made = client.ok(
            "POST", "/api/v1/subscription/", {"event": "contact.create", "target_url": endpoint.url}
        )
        second = client.ok(
            "POST", "/api/v1/subscription/", {"event": "contact.create", "target_url": endpoint.url}
        )
        assert made["id"] != second["id"]  # many per event
        changed = client.ok(
            "PUT", f"/api/v1/subscription/{made['id']}/", {"event": "contact.update"}
        )
        assert changed["event"] == "contact.update"
        assert client.call("DELETE", f"/api/v1/subscription/{made['id']}/").status == 204
        assert [s["id"] for s in client.ok("GET", "/api/v1/subscription/")] == [second["id"]]


def test_staffology_webhooks_log_samples_and_basic_auth() -> None:
    with receiver() as endpoint, running("staffology") as (_, client):
        body = {"webhookEvent": "Employee_Created", "url": endpoint.url, "active": True}
        assert client.call("POST", STAFFOLOGY, body).status == 401
        assert client.call("POST", STAFFOLOGY, body, headers=basic("test:wrong")).status == 401
        created = client.call("POST", STAFFOLOGY, body, headers=AUTH)
        assert (created.status, created.body) == (201, None)  # no body, as published
        location = created.headers["Location"]
        hook = client.ok("GET", location, headers=AUTH)
        assert location == f"{STAFFOLOGY}/{hook['id']}"
        assert hook["eventCount"] == 0
        assert hook["active"] is True
        assert "lastPayload" not in hook  # a plain $ref: absent, not null, before a delivery

        items = client.ok("GET", STAFFOLOGY, headers=AUTH)
        assert items == [
            {
                "id": hook["id"],
                "name": "Employee_Created",
                "metadata": None,
                "url": f"{STAFFOLOGY}/{hook['id']}",
            }
        ]
        sample = client.ok("GET", f"{STAFFOLOGY}/samples/Employee_Created", headers=AUTH)
        assert isinstance(sample, list)
        assert len(sample) == 1

        client.ok("POST", "/_mock/events", {"type": "Employee_Created", "data": sample})
        (delivery,) = endpoint.wait_for(1)
        assert delivery.json() == sample  # an array of one item
        client.settle()
        shown = client.ok("GET", f"{STAFFOLOGY}/{hook['id']}", headers=AUTH)
        assert shown["eventCount"] == 1
        assert shown["lastPayload"]["taskStatus"] == "Sent"
        assert shown["lastPayload"]["statusCode"] == 200

        log = client.ok(
            "GET", f"{STAFFOLOGY}/{hook['id']}/payloads?pageNum=0&pageSize=5", headers=AUTH
        )
        (entry,) = log
        payloads = f"{STAFFOLOGY}/{hook['id']}/payloads"
        assert client.ok("GET", f"{payloads}?pageNum=2147483647", headers=AUTH) == []
        assert client.call("GET", f"{payloads}?pageNum={'9' * 30}", headers=AUTH).status == 400
        record = client.ok("GET", entry["url"], headers=AUTH)
        assert record["taskStatus"] == "Sent"
        assert record["attempts"] == 1
        assert record["payload"] == sample
        other = "0b9f4c1e-7d2a-4c63-8f0e-5a1d3b7c9e24"
        assert (
            client.call("GET", f"/employers/{other}/webhooks/{hook['id']}", headers=AUTH).status
            == 404
        )


@pytest.mark.parametrize("gone", [409, 410])
def test_staffology_gone_statuses_deactivate(gone: int) -> None:
    with receiver(status=gone) as endpoint, running("staffology") as (_, client):
        body = {"webhookEvent": "Employee_Deleted", "url": endpoint.url}
        location = client.call("POST", STAFFOLOGY, body, headers=AUTH).headers["Location"]
        hook = client.ok("GET", location, headers=AUTH)
        client.ok("POST", "/_mock/events", {"type": "Employee_Deleted", "data": [{"id": "x"}]})
        (delivery,) = client.settle()
        assert delivery["status"] == "failed"
        assert len(delivery["attempts"]) == 1
        shown = client.ok("GET", f"{STAFFOLOGY}/{hook['id']}", headers=AUTH)
        assert shown["active"] is False
        assert shown["lastPayload"]["taskStatus"] == "Failed"
        again = client.ok("POST", "/_mock/events", {"type": "Employee_Deleted", "data": [{}]})
        assert again["deliveries"] == []
        client.ok("PUT", f"{STAFFOLOGY}/{hook['id']}", {**body, "active": True}, headers=AUTH)
        assert client.ok("GET", f"{STAFFOLOGY}/{hook['id']}", headers=AUTH)["active"] is True


def test_several_profiles_are_served_each_under_its_name() -> None:
    with receiver() as endpoint, running("resthooks", "factorial") as (_, client):
        made = client.ok(
            "POST",
            "/resthooks/api/v1/subscription/",
            {"event": "contact.create", "target_url": endpoint.url},
        )
        assert made["active"] is True
        assert client.ok("GET", f"/factorial{FACTORIAL}", headers=KEY)["data"] == []
        assert client.call("GET", "/api/v1/subscription/").status == 404
        missing_profile = client.call("POST", "/_mock/events", {"type": "contact.create"})
        assert missing_profile.status == 400
        assert "profile" in missing_profile.body["detail"]
        fired = client.ok(
            "POST", "/_mock/events", {"profile": "resthooks", "type": "contact.create", "data": {}}
        )
        assert len(fired["deliveries"]) == 1


def test_a_path_value_is_stored_only_where_the_fields_schema_takes_it() -> None:
    from mock_provider.routes import Routes

    routes = Routes(bundled().get("factorial"))
    dated = {"$ref": "#/components/schemas/ApiVersion", "default": "2026-10-01"}
    assert routes.accepts(dated, "2026-04-01")
    assert not routes.accepts(dated, "v2")
    assert not routes.accepts({"type": "integer"}, "v2")
    assert routes.accepts({"type": "string"}, "v2")
    # Keywords beside it with references of their own are not judged: taken as fitting.
    assert routes.accepts({"anyOf": [{"$ref": "#/components/schemas/ApiVersion"}]}, "v2")
