"""The factorial profile and the mock judged by Factorial's official SDK, factorial-api-client
(a test extra; its version is the one tools/derive_factorial.py derived the profile from).

- The profile has exactly the SDK's subscription types.
- Every example, and 25 generated payloads of each event (seeded), parse with the SDK's model
  for that event: `from_dict` takes them, every required key is there and every primitive
  value has the type the model declares (None only where the field is optional: the API sends
  null for an unset field and the models take it).
- The SDK itself, pointed at a mock on loopback, subscribes to every type of its catalogue,
  and what the mock then delivers for each parses with the model of its type.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from factorial_api_client import FactorialClient
from factorial_api_client.generated import errors, models
from factorial_api_client.generated.types import Unset
from factorial_api_client.webhooks import WEBHOOK_CATALOG, WEBHOOK_PAYLOAD_TYPES
from mock_support import bundled, receiver, running

from harness.strategies import payloads, sample

PROFILE = "factorial"
VERSION = "2026-10-01"  # the API version of the SDK the profile was derived from
GENERATED = 25
TYPES = sorted(entry.subscription_type for entry in WEBHOOK_CATALOG)
PRIMITIVE = (str, int, float, bool)


def misfits(model: type, value: Any, at: str = "$") -> list[str]:
    """Where `value` is not what `model` declares; [] when the SDK's model takes it."""
    if not isinstance(value, dict):
        return [f"{at}: {type(value).__name__}, not an object"]
    try:
        model.from_dict(value)  # type: ignore[attr-defined]
    except Exception as exc:  # the SDK's own verdict, whatever it raises
        return [f"{at}: {model.__name__}.from_dict raised {type(exc).__name__}: {exc}"]
    hints = typing.get_type_hints(model, localns=vars(models))
    found = []
    for item in attrs.fields(model):
        if item.name == "additional_properties":
            continue
        key = item.name.rstrip("_")  # the generator's names for `type`, `from`, ...
        optional = item.default is not attrs.NOTHING
        if key not in value:
            if not optional:
                found.append(f"{at}.{key}: required, missing")
            continue
        found += _typed(hints[item.name], value[key], optional, f"{at}.{key}")
    return found


def _typed(hint: Any, value: Any, optional: bool, at: str) -> list[str]:
    """Where `value` does not fit the annotation `hint`."""
    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    members = [m for m in (typing.get_args(hint) if union else [hint]) if m is not Unset]
    if Any in members:
        return []
    if value is None:
        takes_none = type(None) in members or (
            optional and all(m in PRIMITIVE or _is_enum(m) for m in members)
        )
        return [] if takes_none else [f"{at}: null where {hint} is declared"]
    problems: list[str] = [f"{at}: {value!r} does not fit {hint}"]
    for member in (m for m in members if m is not type(None)):
        if member in PRIMITIVE:
            fits = isinstance(value, member) and not (member is not bool and value is True)
            fits = fits or (member is float and type(value) is int)
            fits = fits and not (member is int and isinstance(value, bool))
            if fits:
                return []
        elif _is_enum(member):
            if value in {m.value for m in member}:
                return []
        elif attrs.has(member):
            problems = misfits(member, value, at)
            if not problems:
                return []
        elif typing.get_origin(member) is list and isinstance(value, list):
            (item,) = typing.get_args(member)
            problems = [
                p for i, v in enumerate(value) for p in _typed(item, v, False, f"{at}[{i}]")
            ]
            if not problems:
                return []
        elif typing.get_origin(member) is dict and isinstance(value, dict):
            return []
    return problems


def _is_enum(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, enum.Enum)


def test_the_judge_finds_what_a_model_does_not_take() -> None:
    shift = models.AttendanceShift
    good = {"id": "1", "employee_id": "2", "date": "2024-06-23", "reference_date": "2024-06-23",
            "created_at": "2024-06-23T11:00:00Z", "company_id": "1",
            "updated_at": "2024-06-23T11:00:00Z", "minutes": 0, "clock_out": None}  # fmt: skip
    assert misfits(shift, good) == []
    assert misfits(shift, {**good, "id": 1}) == ["$.id: 1 does not fit <class 'str'>"]
    assert misfits(shift, {k: v for k, v in good.items() if k != "date"}) != []
    assert misfits(shift, {**good, "minutes": None}) == [
        "$.minutes: null where <class 'int'> is declared"
    ]
    assert misfits(shift, {**good, "location_type": "moon"}) != []


def test_the_profile_has_exactly_the_sdk_subscription_types() -> None:
    assert sorted(bundled().get(PROFILE).events) == TYPES


@pytest.mark.parametrize("event", TYPES)
def test_every_payload_of_the_profile_parses_with_the_sdk_model(event: str) -> None:
    profile = bundled().get(PROFILE)
    model = WEBHOOK_PAYLOAD_TYPES[event]
    drawn = sample(payloads(profile, event), GENERATED, seed_value=13)
    assert len(drawn) >= GENERATED // 2, "the schema allows too few payloads to judge"
    named = [*(f"example {name}" for name in profile.event(event).examples)]
    named += [f"generated {i}" for i in range(len(drawn))]
    judged = {
        what: misfits(model, payload)
        for what, payload in zip(
            named, [*profile.event(event).examples.values(), *drawn], strict=True
        )
    }
    assert {what: found for what, found in judged.items() if found} == {}


@pytest.fixture(scope="module")
def sdk_on_the_mock() -> Iterator[tuple[FactorialClient, Any, Any]]:
    with receiver() as endpoint, running(PROFILE, api_key="sdk-key") as (server, control):
        client = FactorialClient(api_key="sdk-key", base_url=server.url)
        yield client, endpoint, control


def test_the_sdk_subscribes_every_type_and_each_delivery_parses_with_its_model(
    sdk_on_the_mock: tuple[FactorialClient, Any, Any],
) -> None:
    client, endpoint, control = sdk_on_the_mock
    subscriptions = client.api_public.webhook_subscriptions
    Body = models.PostApi20261001ResourcesApiPublicWebhookSubscriptionsBody
    made = {}
    for event in TYPES:
        body = Body(subscription_type=event, target_url=f"{endpoint.url}/{event}", company_id="1")
        made[event] = subscriptions.create(body=body)
    assert all(isinstance(m, models.ApiPublicWebhookSubscription) for m in made.values())
    for event in TYPES:
        control.ok("POST", "/_mock/events", {"type": event})
    arrived = endpoint.wait_for(len(TYPES))
    delivered = {r.path.removeprefix("/hook/"): r.json() for r in arrived}
    assert sorted(delivered) == TYPES
    judged = {e: misfits(WEBHOOK_PAYLOAD_TYPES[e], body) for e, body in delivered.items()}
    assert {event: found for event, found in judged.items() if found} == {}


def test_the_subscription_the_mock_answers_has_the_types_the_sdk_declares(
    sdk_on_the_mock: tuple[FactorialClient, Any, Any],
) -> None:
    client, endpoint, _ = sdk_on_the_mock
    Body = models.PostApi20261001ResourcesApiPublicWebhookSubscriptionsBody
    body = Body(subscription_type=TYPES[0], target_url=f"{endpoint.url}/x", company_id="1")
    made = client.api_public.webhook_subscriptions.create(body=body)
    assert misfits(models.ApiPublicWebhookSubscription, made.to_dict()) == []


def test_the_sdk_manages_a_subscription_on_the_mock_before_and_after_a_delivery(
    sdk_on_the_mock: tuple[FactorialClient, Any, Any],
) -> None:
    client, endpoint, control = sdk_on_the_mock
    subscriptions = client.api_public.webhook_subscriptions
    event = "trainings/training/create"  # one of the types the profile had not, before the SDK
    Body = models.PostApi20261001ResourcesApiPublicWebhookSubscriptionsBody
    Update = models.PutApi20261001ResourcesApiPublicWebhookSubscriptionsIdBody
    made = subscriptions.create(
        body=Body(subscription_type=event, target_url=f"{endpoint.url}/life", company_id="1")
    )
    for delivered in (False, True):
        if delivered:
            before = len(endpoint.requests)
            control.ok("POST", "/_mock/events", {"type": event})
            assert endpoint.wait_for(before + 1)[-1].path == "/hook/life"
        got = subscriptions.get(made.id)
        assert (got.id, got.type_, got.enabled) == (made.id, event, True)
        for filters in ({"type_": event}, {"id": str(made.id)}):
            listed = subscriptions.list(**filters).data
            assert [str(s.id) for s in listed] == [str(made.id)], filters
        # The company has every type's subscription of the other test too: over a page.
        company = {str(s.id) for s in subscriptions.paginate(company_id="1")}
        assert str(made.id) in company
        assert str(made.id) in {str(s.id) for s in subscriptions.paginate(type_=event)}
        paused = subscriptions.update(made.id, body=Update(id=str(made.id), enabled=False))
        assert paused.enabled is False
        assert subscriptions.list(type_=event, enabled=True).data == []
        resumed = subscriptions.update(made.id, body=Update(id=str(made.id), enabled=True))
        assert resumed.enabled is True
    gone = subscriptions.delete(made.id)
    assert str(gone.id) == str(made.id)
    with pytest.raises(errors.UnexpectedStatus) as missing:
        subscriptions.get(made.id)
    assert missing.value.status_code == 404


def test_a_wrong_key_is_a_401_the_sdk_raises(
    sdk_on_the_mock: tuple[FactorialClient, Any, Any],
) -> None:
    _, _, control = sdk_on_the_mock
    wrong = FactorialClient(api_key="not-the-key", base_url=control.base)
    with pytest.raises(errors.UnexpectedStatus) as refused:
        wrong.api_public.webhook_subscriptions.list()
    assert refused.value.status_code == 401


def test_every_api_version_the_sdk_lists_is_served_and_stored(
    sdk_on_the_mock: tuple[FactorialClient, Any, Any],
) -> None:
    client, endpoint, control = sdk_on_the_mock
    Body = models.PostApi20261001ResourcesApiPublicWebhookSubscriptionsBody
    Version = models.PostApi20261001ResourcesApiPublicWebhookSubscriptionsBodyApiVersion
    for version in Version:
        path = f"/api/{version.value}/resources/api_public/webhook_subscriptions"
        listed = control.call("GET", path, headers={"x-api-key": "sdk-key"})
        assert listed.status == 200, (version, listed.body)
        body = Body(
            subscription_type="tasks/task/copy",
            target_url=f"{endpoint.url}/{version.value}",
            company_id="1",
            api_version=version,
        )
        made = client.api_public.webhook_subscriptions.create(body=body)
        assert made.api_version == version.value


def test_ids_are_integers_on_the_old_paths_and_strings_on_the_new(
    sdk_on_the_mock: tuple[FactorialClient, Any, Any],
) -> None:
    _, endpoint, control = sdk_on_the_mock
    body = {"subscription_type": "tasks/task/delete", "target_url": f"{endpoint.url}/ids",
            "company_id": "1"}  # fmt: skip
    base = "/api/{}/resources/api_public/webhook_subscriptions"
    made = control.ok("POST", base.format("v2"), body, headers={"x-api-key": "sdk-key"})
    assert isinstance(made["id"], int)
    for version, form in (("v2", int), ("2026-04-01", int), ("2026-07-01", str)):
        path = f"{base.format(version)}/{made['id']}"
        got = control.ok("GET", path, headers={"x-api-key": "sdk-key"})
        assert type(got["id"]) is form, version
        assert str(got["id"]) == str(made["id"]), version
