"""The staffology profile judged by the `staffology` client (0.1.7, a third party's, generated
from Staffology's OpenAPI in 2023): every webhook operation the client offers works against
the mock before and after a delivery, a wrong credential is a 401 the client surfaces, and
every example and generated payload parses with the client's model of its event.

Where the client and Staffology's own published description (the swagger, 2026) disagree,
the profile follows the swagger; the exceptions are listed here (CLIENT_LACKS, ENUM_GAPS) and
tested as such. The swagger sits beside the clone (`../shared/reference/`), not in the
repository; the tests that read it skip where it is absent."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from mock_support import Client as Control
from mock_support import Receiver, receiver, running
from staffology import models as client_models
from staffology.api.webhook import (
    create_webhook,
    delete_webhook,
    get_webhook,
    index_webhook,
    payload_webhook,
    payloads_webhook,
    sample_webhook,
    update_webhook,
)
from staffology.client import AuthenticatedClient, Client
from staffology.models.background_task_status import BackgroundTaskStatus
from staffology.models.webhook import Webhook
from staffology.models.webhook_event import WebhookEvent
from staffology.models.webhook_payload import WebhookPayload
from staffology.propagate_exceptions import StaffologyApiException
from staffology.types import UNSET

from harness.mock_client import DEFAULT_BASIC_AUTH
from harness.profiles import load_profiles
from harness.strategies import payloads, sample

ROOT = Path(__file__).resolve().parents[1]
EMPLOYER = "6f1c2b8e-4d0a-4f59-9a53-2e8c1d7b0a41"  # the profile's path_parameters
NOWHERE = "0b9f4c1e-7d2a-4c63-8f0e-5a1d3b7c9e24"
SWAGGER = ROOT.parent / "shared/reference/staffology-swagger.json"
PROFILE = load_profiles().get("staffology")
EVENTS = list(PROFILE.events)  # the swagger's WebhookEvent enum, in its order

# Events of the swagger that the client's WebhookEvent enum lacks: it cannot send them, and
# it raises ValueError on an answer that names one (its `_missing_` reads the value as an
# index). The mock follows the swagger; the client is driven around the gap.
CLIENT_LACKS = {"JobCompleted"}
CLIENT_EVENTS = [e for e in EVENTS if e not in CLIENT_LACKS]


def basic_token(user_password: str) -> str:
    return base64.b64encode(user_password.encode()).decode()


def staffology(url: str, user_password: str = DEFAULT_BASIC_AUTH) -> AuthenticatedClient:
    """The client as a Staffology user configures it: HTTP Basic, the API key as password."""
    return AuthenticatedClient(url, token=basic_token(user_password), prefix="Basic")


class Mock:
    """A running staffology mock, a receiver for its deliveries and the client for both."""

    def __init__(self, control: Control, endpoint: Receiver, url: str) -> None:
        self.control = control
        self.endpoint = endpoint
        self.url = url
        self.api = staffology(url)

    def deliver(self, event: str, body: Any) -> None:
        """One delivery of `event` through the control API, waited for."""
        self.control.ok("POST", "/_mock/events", {"type": event, "data": body})
        self.control.settle()


@pytest.fixture(scope="module")
def mock() -> Iterator[Mock]:
    with receiver() as endpoint, running("staffology") as (server, control):
        yield Mock(control, endpoint, server.url)


def _webhook_id(created: Any) -> str:
    """The new webhook's id, from the Location header of a create's 201 (it has no body)."""
    return str(created.headers["location"]).rstrip("/").rsplit("/", 1)[-1]


@pytest.mark.parametrize("event", CLIENT_EVENTS)
def test_every_operation_before_and_after_a_delivery(mock: Mock, event: str) -> None:
    api, url = mock.api, mock.endpoint.url
    kind = WebhookEvent(event)
    created = create_webhook.sync_detailed(
        EMPLOYER, client=api, json_body=Webhook(url=url, webhook_event=kind, active=True)
    )
    assert (created.status_code, created.content) == (201, b"")  # as published: no body
    ident = _webhook_id(created)

    # Before any delivery: no lastPayload at all (a null made the client's Webhook raise).
    shown = get_webhook.sync(EMPLOYER, ident, client=api)
    assert shown is not None
    assert (shown.id, shown.url, shown.webhook_event) == (ident, url, kind)
    assert (shown.active, shown.event_count, shown.last_payload) == (True, 0, UNSET)
    listed = index_webhook.sync(EMPLOYER, client=api)
    assert listed is not None
    assert [(i.name, i.url) for i in listed if i.id == ident] == [
        (event, f"/employers/{EMPLOYER}/webhooks/{ident}")
    ]
    paused = update_webhook.sync(
        EMPLOYER, ident, client=api, json_body=Webhook(url=url, webhook_event=kind, active=False)
    )
    assert isinstance(paused, Webhook)
    assert (paused.active, paused.last_payload) == (False, UNSET)
    assert payloads_webhook.sync(EMPLOYER, ident, client=api, page_num=0, page_size=5) == []
    sample = sample_webhook.sync_detailed(EMPLOYER, kind, client=api)
    assert sample.status_code == 200
    body = json.loads(sample.content)
    assert isinstance(body, list)
    assert len(body) == 1

    # One delivery (re-enabled first: a paused webhook is not triggered).
    resumed = update_webhook.sync(
        EMPLOYER, ident, client=api, json_body=Webhook(url=url, webhook_event=kind, active=True)
    )
    assert isinstance(resumed, Webhook)
    assert resumed.active is True
    before = len(mock.endpoint.requests)
    mock.deliver(event, body)
    assert [r.json() for r in mock.endpoint.requests[before:]] == [body]

    shown = get_webhook.sync(EMPLOYER, ident, client=api)
    assert shown is not None
    assert shown.event_count == 1
    last = shown.last_payload
    assert isinstance(last, WebhookPayload)
    assert (last.url, last.task_status, last.status_code) == (url, BackgroundTaskStatus.SENT, 200)
    changed = update_webhook.sync(
        EMPLOYER, ident, client=api, json_body=Webhook(url=url, webhook_event=kind, active=True)
    )
    assert isinstance(changed, Webhook)
    assert (changed.event_count, changed.last_payload) == (1, last)
    assert [i.id for i in index_webhook.sync(EMPLOYER, client=api) or []].count(ident) == 1
    (item,) = payloads_webhook.sync(EMPLOYER, ident, client=api, page_num=0, page_size=5) or []
    assert item.name == event
    assert payloads_webhook.sync(EMPLOYER, ident, client=api, page_num=1, page_size=5) == []
    record = payload_webhook.sync(EMPLOYER, ident, str(item.id), client=api)
    assert record is not None
    assert (record.id, record.payload, record.attempts) == (last.id, body, 1)
    assert record.task_status == BackgroundTaskStatus.SENT

    removed = delete_webhook.sync_detailed(EMPLOYER, ident, client=api)
    assert (removed.status_code, removed.content) == (204, b"")  # as published: no body
    with pytest.raises(StaffologyApiException) as gone:
        get_webhook.sync(EMPLOYER, ident, client=api)
    assert gone.value.response.status_code == 404
    assert ident not in [i.id for i in index_webhook.sync(EMPLOYER, client=api) or []]


def test_the_exceptions_are_the_events_the_client_lacks() -> None:
    """CLIENT_LACKS is exactly the profile's events that the client's enum does not know."""
    assert {e.value for e in WebhookEvent} == set(CLIENT_EVENTS)
    for event in CLIENT_LACKS:
        with pytest.raises(ValueError, match="invalid literal for int"):
            WebhookEvent(event)  # `_missing_` reads an unknown value as an index


@pytest.mark.parametrize("event", sorted(CLIENT_LACKS))
def test_an_event_the_client_lacks_follows_the_swagger(mock: Mock, event: str) -> None:
    """The client drives what needs no WebhookEvent of it; the create's body carries the
    swagger's value, and the answers that name the event are read as JSON."""
    api, url, auth = mock.api, mock.endpoint.url, mock.api.get_headers()
    hooks = f"{mock.url}/employers/{EMPLOYER}/webhooks"
    created = httpx.post(hooks, json={"webhookEvent": event, "url": url}, headers=auth)
    assert (created.status_code, created.content) == (201, b"")
    ident = _webhook_id(created)
    raw = httpx.get(f"{hooks}/{ident}", headers=auth).json()
    assert (raw["webhookEvent"], raw["eventCount"], "lastPayload" in raw) == (event, 0, False)
    # The exception: the client cannot read the swagger's answer.
    with pytest.raises(ValueError, match="invalid literal for int"):
        get_webhook.sync(EMPLOYER, ident, client=api)
    sample = sample_webhook.sync_detailed(EMPLOYER, event, client=api)  # a str: formatted as is
    assert sample.status_code == 200
    body = json.loads(sample.content)

    mock.deliver(event, body)
    raw = httpx.get(f"{hooks}/{ident}", headers=auth).json()
    assert (raw["eventCount"], raw["lastPayload"]["taskStatus"]) == (1, "Sent")
    (item,) = payloads_webhook.sync(EMPLOYER, ident, client=api) or []
    record = payload_webhook.sync(EMPLOYER, ident, str(item.id), client=api)
    assert record is not None
    assert record.payload == body
    assert [i.name for i in index_webhook.sync(EMPLOYER, client=api) or [] if i.id == ident] == [
        event
    ]
    removed = delete_webhook.sync_detailed(EMPLOYER, ident, client=api)
    assert (removed.status_code, removed.content) == (204, b"")


def test_a_member_the_webhook_model_lacks_is_refused(mock: Mock) -> None:
    """The swagger's Webhook is closed (additionalProperties: false): so is the mock's create."""
    hooks = f"{mock.url}/employers/{EMPLOYER}/webhooks"
    body = {"webhookEvent": "EmployeeCreated", "url": mock.endpoint.url, "secret": "x"}
    refused = httpx.post(hooks, json=body, headers=mock.api.get_headers())
    assert refused.status_code == 400, refused.text
    assert "secret" in refused.text


@pytest.mark.parametrize("credential", ["test:wrong", None], ids=["wrong", "missing"])
def test_a_wrong_credential_is_a_401_the_client_surfaces(
    mock: Mock, credential: str | None
) -> None:
    body = Webhook(url=mock.endpoint.url, webhook_event=WebhookEvent.EMPLOYEE_CREATED)
    ident = _webhook_id(create_webhook.sync_detailed(EMPLOYER, client=mock.api, json_body=body))
    api = staffology(mock.url, credential) if credential else Client(mock.url)  # no auth
    # The client raises on the operations it parses; the others answer the status.
    parsed = [
        lambda: index_webhook.sync(EMPLOYER, client=api),
        lambda: get_webhook.sync(EMPLOYER, ident, client=api),
        lambda: update_webhook.sync(EMPLOYER, ident, client=api, json_body=body),
        lambda: payloads_webhook.sync(EMPLOYER, ident, client=api),
        lambda: payload_webhook.sync(EMPLOYER, ident, NOWHERE, client=api),
    ]
    for call in parsed:
        with pytest.raises(StaffologyApiException) as refused:
            call()
        assert refused.value.response.status_code == 401
        assert refused.value.response.headers["WWW-Authenticate"].startswith("Basic")
    answered = [
        create_webhook.sync_detailed(EMPLOYER, client=api, json_body=body),
        sample_webhook.sync_detailed(EMPLOYER, WebhookEvent.EMPLOYEE_CREATED, client=api),
        delete_webhook.sync_detailed(EMPLOYER, ident, client=api),
    ]
    assert [a.status_code for a in answered] == [401, 401, 401]
    assert get_webhook.sync(EMPLOYER, ident, client=mock.api) is not None  # still there
    assert delete_webhook.sync_detailed(EMPLOYER, ident, client=mock.api).status_code == 204


# What the swagger says, read from the published document -------------------------------


def _json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema 2020-12: `nullable` as a union with null,
    component references as `$defs`."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    found = {k: _json_schema(v) for k, v in node.items() if k != "nullable"}
    if isinstance(found.get("$ref"), str):
        found["$ref"] = found["$ref"].replace("#/components/schemas/", "#/$defs/")
    if node.get("nullable"):
        return {"anyOf": [found, {"type": "null"}]}
    return found


@pytest.fixture(scope="module")
def swagger() -> dict[str, Any]:
    if not SWAGGER.is_file():
        pytest.skip(f"no Staffology swagger at {SWAGGER}")
    return dict(json.loads(SWAGGER.read_text(encoding="utf-8")))


def _webhook_operations(openapi: dict[str, Any]) -> dict[str, tuple[str, str, list[str]]]:
    """operationId -> (method, path, declared 2xx statuses) of the webhook paths."""
    return {
        spec["operationId"]: (method, path, sorted(s for s in spec["responses"] if s[0] == "2"))
        for path, item in openapi["paths"].items()
        if path.startswith("/employers/{employerId}/webhooks")
        for method, spec in item.items()
        if isinstance(spec, dict) and "operationId" in spec
    }


def test_the_profile_has_the_swaggers_webhook_operations_and_events(
    swagger: dict[str, Any],
) -> None:
    assert _webhook_operations(PROFILE.openapi) == _webhook_operations(swagger)
    assert swagger["components"]["schemas"]["WebhookEvent"]["enum"] == EVENTS


def test_every_answer_is_the_published_one(mock: Mock, swagger: dict[str, Any]) -> None:
    """Each success answer of a lifecycle (before and after a delivery, for an event the
    client knows and one it lacks) has the body the swagger declares for it, or none."""
    defs = {n: _json_schema(s) for n, s in swagger["components"]["schemas"].items()}
    operations = {
        spec["operationId"]: spec
        for item in swagger["paths"].values()
        for spec in item.values()
        if isinstance(spec, dict) and "operationId" in spec
    }
    auth = mock.api.get_headers()
    hooks = f"{mock.url}/employers/{EMPLOYER}/webhooks"
    seen: list[tuple[str, httpx.Response]] = []

    def call(operation: str, method: str, url: str, body: Any = None) -> httpx.Response:
        answer = httpx.request(method, url, json=body, headers=auth)
        seen.append((operation, answer))
        return answer

    for event in ("Employee_Created", *sorted(CLIENT_LACKS)):
        made = call(
            "CreateWebhook", "POST", hooks, {"webhookEvent": event, "url": mock.endpoint.url}
        )
        hook = f"{hooks}/{_webhook_id(made)}"
        body = call("SampleWebhook", "GET", f"{hooks}/samples/{event}").json()
        for _ in ("before", "after"):
            call("IndexWebhook", "GET", hooks)
            call("GetWebhook", "GET", hook)
            call("UpdateWebhook", "PUT", hook, {"webhookEvent": event, "url": mock.endpoint.url})
            log = call("PayloadsWebhook", "GET", f"{hook}/payloads?pageNum=0&pageSize=5").json()
            for entry in log:
                call("PayloadWebhook", "GET", f"{hook}/payloads/{entry['id']}")
            mock.deliver(event, body)
        call("DeleteWebhook", "DELETE", hook)

    assert {op for op, _ in seen} == set(_webhook_operations(swagger))
    for operation, answer in seen:
        declared = operations[operation]["responses"].get(str(answer.status_code))
        assert declared is not None, (operation, answer.status_code, answer.text)
        content = declared.get("content", {}).get("application/json")
        if content is None:
            assert answer.content == b"", (operation, answer.text)
            continue
        schema = {**_json_schema(content["schema"]), "$defs": defs}
        problems = [e.message for e in Draft202012Validator(schema).iter_errors(answer.json())]
        assert problems == [], (operation, answer.text)


# Payloads: each event's body is an array of one item of a model the client also has -----

GENERATED = 25  # payloads per event, drawn with a fixed seed

# Enum values of the swagger that the client's enum of the same name lacks (a value the
# client does not know makes its `from_dict` raise ValueError). The profile follows the
# swagger; before the client reads a payload, such a value becomes one the client knows.
ENUM_GAPS = {
    "AeAction": {"AddToPension", "CeaseMembership", "OptOut"},
    "ExternalDataProviderId": {"Penfold", "StackOne"},
    "HolidayType": {"Avg_Enhanced_Days"},
    "JobStatus": {"CompletedWithErrors"},
    "JobType": {"PayRun"},
    "LgpsIConnectPayrollReference": {
        "CustomText",
        "EmployerCode",
        "PayrollCodeAndRoleReference",
        "PensionMemberNoOrPayrollCodeAndRoleReference",
        "PensionMemberNoOrPensionUuid",
        "PensionMemberNoOrRoleReference",
        "Uuid",
    },
    "PayPeriods": {"Annual", "HalfYearly", "Quarterly"},
    "PayRunState": {"ReOpening", "RollingBack"},
    "PensionCsvFormat": {"AegonSmartEnrol", "TruePotential", "TruePotentialEnrolment"},
    "StudentLoan": {"PlanFive"},
    "WebhookEvent": CLIENT_LACKS,
}


def _client_class(schema_name: str) -> Any:
    """The client's class for a schema of the swagger (None: the client has none)."""
    return getattr(client_models, schema_name.replace(".", ""), None)


def _item_model(event: str) -> str:
    """The name of the model one item of `event`'s body is."""
    body = PROFILE.resolve(PROFILE.event(event).schema)
    return str(body["items"]["$ref"]).rsplit("/", 1)[-1]


def _as_the_client_knows(schema: Any, value: Any) -> Any:
    """`value` with each ENUM_GAPS value replaced by one the client's enum has."""
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    name = ref.rsplit("/", 1)[-1] if isinstance(ref, str) else ""
    schema = PROFILE.resolve(schema)
    if not isinstance(schema, dict):
        return value
    if value in ENUM_GAPS.get(name, ()):
        known = {member.value for member in _client_class(name)}
        return next(v for v in schema["enum"] if v in known)
    if isinstance(value, dict):
        props = schema.get("properties", {})
        return {k: _as_the_client_knows(props.get(k, {}), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_the_client_knows(schema.get("items", {}), v) for v in value]
    return value


def test_the_enum_gaps_are_what_the_client_lacks() -> None:
    """ENUM_GAPS is exactly, per enum of the profile that the client has too, the values the
    client's enum lacks."""
    found = {}
    for name, schema in PROFILE.openapi["components"]["schemas"].items():
        client = _client_class(name)
        if "enum" in schema and client is not None:
            lacking = set(schema["enum"]) - {member.value for member in client} - {None}
            if lacking:
                found[name] = lacking
    assert found == ENUM_GAPS


@pytest.mark.parametrize("event", EVENTS)
def test_every_payload_parses_with_the_clients_model(event: str) -> None:
    """The examples and GENERATED payloads (seeded) are valid, and one item of each is read
    by the client's model of it without error."""
    model = _client_class(_item_model(event))
    assert model is not None, f"the client has no model {_item_model(event)}"
    found = PROFILE.event(event)
    generated = sample(payloads(PROFILE, event), GENERATED)
    assert len(generated) == GENERATED
    item_schema = PROFILE.resolve(found.schema)["items"]
    for body in [*found.examples.values(), *generated]:
        assert found.is_valid(body)
        (item,) = body
        assert isinstance(model.from_dict(_as_the_client_knows(item_schema, item)), model)


def test_the_derived_payload_models_are_what_the_swagger_says(swagger: dict[str, Any]) -> None:
    """specs/staffology/derived.yaml is what tools/derive_staffology.py makes of the swagger."""
    tool = ROOT / "tools" / "derive_staffology.py"
    done = subprocess.run(
        [sys.executable, str(tool), "--check", "--swagger", str(SWAGGER)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
