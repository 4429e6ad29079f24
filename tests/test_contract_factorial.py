"""The factorial profile and the mock judged by Factorial's official SDK, factorial-api-client
(a test extra; its version is the one tools/derive_factorial.py derived the profile from).

- The profile has exactly the SDK's subscription types.
- Every example, and 25 generated payloads of each event (seeded), parse with the SDK's model
  for that event: `from_dict` takes them, every required key is there and every primitive
  value has the type the model declares (None only where the field is optional: the API sends
  null for an unset field and the models take it).
- The SDK itself, pointed at a mock on loopback, subscribes to every type of its catalogue,
  and what the mock then delivers for each parses with the model of its type.
- The older API versions' payloads (the profile's events.versions) parse with the SDK release
  of that version (1.3.3 for 2026-04-01, 2.0.4 for 2026-07-01), judged in a child process
  that imports it (tests/sdk_judge.py): 5 generated payloads per event, and one delivery per
  version of the same event to subscriptions on each version.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factorial_api_client import FactorialClient
from factorial_api_client.generated import errors, models
from factorial_api_client.webhooks import WEBHOOK_CATALOG, WEBHOOK_PAYLOAD_TYPES
from mock_support import bundled, receiver, running
from sdk_judge import misfits

from harness.strategies import payloads, sample

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from derive_factorial import OLDER, sdk_folder  # noqa: E402 (a maintainer tool, not a package)

PROFILE = "factorial"
VERSION = "2026-10-01"  # the API version of the SDK the profile was derived from
GENERATED = 25
OLDER_GENERATED = 5  # per event of each older version: they share most models with the newest
TYPES = sorted(entry.subscription_type for entry in WEBHOOK_CATALOG)


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


def judged_by(release: str, found: dict[str, list[Any]]) -> dict[str, list[list[str]]]:
    """The misfits of each payload by the SDK `release` (an older one, in its own folder)."""
    folder = sdk_folder(release)
    assert (folder / "factorial_api_client").is_dir(), (
        f"{folder} is missing: python tools/derive_factorial.py --install-sdks (make does it)"
    )
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "sdk_judge.py")],
        input=json.dumps(found),
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(folder), str(ROOT)])},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    judged: dict[str, list[list[str]]] = json.loads(done.stdout)
    return judged


def the_sdk_types(release: str) -> list[str]:
    """The subscription types of an older SDK release's catalogue."""
    code = "import json, factorial_api_client.webhooks as w; "
    code += "print(json.dumps(sorted(e.subscription_type for e in w.WEBHOOK_CATALOG)))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(sdk_folder(release))},
        capture_output=True,
        text=True,
        check=True,
    )
    types: list[str] = json.loads(done.stdout)
    return types


def test_an_older_release_judges_by_its_own_models() -> None:
    ids_as_strings = {"type": "x/y/z", "target_url": "https://e.example/", "id": "7",
                      "company_id": "1", "enabled": True, "api_version": "2026-04-01"}  # fmt: skip
    wanted = {"api_public/webhook_subscription/create": [ids_as_strings, {**ids_as_strings,
              "id": 7, "company_id": 1}]}  # fmt: skip
    verdict = judged_by(OLDER["2026-04-01"], wanted)["api_public/webhook_subscription/create"]
    assert verdict[0] != []
    assert verdict[1] == []


@pytest.mark.parametrize("version", sorted(OLDER))
def test_an_older_version_has_its_sdk_types_and_payloads_that_its_sdk_takes(version: str) -> None:
    variant = bundled().get(PROFILE).versions[version]
    release = OLDER[version]
    assert sorted(variant.events) == the_sdk_types(release)
    drawn = {
        event: sample(payloads(variant, event), OLDER_GENERATED, seed_value=13)
        for event in variant.events
    }
    assert all(drawn.values())
    judged = judged_by(release, drawn)
    assert {e: [f for f in found if f] for e, found in judged.items() if any(found)} == {}


def test_each_subscription_gets_the_payload_of_its_api_version(
    sdk_on_the_mock: tuple[FactorialClient, Any, Any],
) -> None:
    _, _, control = sdk_on_the_mock
    event = "ats/application/create"
    base = "/api/{}/resources/api_public/webhook_subscriptions"
    key = {"x-api-key": "sdk-key"}
    on = {"2025-01-01": "2026-04-01", "2026-04-01": "2026-04-01", "2026-07-01": "2026-07-01",
          "2026-10-01": "2026-10-01", "v2": "2026-10-01"}  # fmt: skip
    with receiver() as endpoint:
        for number, path_version in enumerate(on, start=900):  # a company each: no overwrite
            body = {"subscription_type": event, "target_url": f"{endpoint.url}/{path_version}",
                    "company_id": str(number)}  # fmt: skip
            made = control.ok("POST", base.format(path_version), body, headers=key)
            assert made["api_version"] == (path_version if path_version != "v2" else "2026-10-01")
        fired = control.ok("POST", "/_mock/events", {"type": event, "profile": PROFILE})
        # One event per distinct payload: each subscriber's example names its own company.
        documents = sorted({str(one["document"]) for one in fired["events"]})
        assert documents == ["None", "versions/2026-04-01.yaml", "versions/2026-07-01.yaml"]
        delivered = {r.path.removeprefix("/hook/"): r.json() for r in endpoint.wait_for(len(on))}
    assert sorted(delivered) == sorted(on)
    for path_version, body in delivered.items():
        version = on[path_version]
        if version in OLDER:
            assert judged_by(OLDER[version], {event: [body]})[event] == [[]], path_version
        else:
            assert misfits(WEBHOOK_PAYLOAD_TYPES[event], body) == [], path_version
    # 1.x's integer ids are not 3.x's strings: the newest SDK refuses the old payload.
    assert misfits(WEBHOOK_PAYLOAD_TYPES[event], delivered["2026-04-01"]) != []
    assert isinstance(delivered["2026-04-01"]["id"], int)
    assert isinstance(delivered["2026-10-01"]["id"], str)


def test_a_type_the_version_lacks_cannot_be_subscribed_to_on_it(
    sdk_on_the_mock: tuple[FactorialClient, Any, Any],
) -> None:
    _, endpoint, control = sdk_on_the_mock
    newer = "teams/team/move"  # in 3.0.0's catalogue, not in 1.3.3's
    assert newer not in the_sdk_types(OLDER["2026-04-01"])
    assert newer in TYPES
    body = {"subscription_type": newer, "target_url": f"{endpoint.url}/lacks", "company_id": "1"}
    path = "/api/2026-04-01/resources/api_public/webhook_subscriptions"
    refused = control.call("POST", path, body, headers={"x-api-key": "sdk-key"})
    assert refused.status == 422, refused.body
    assert "not an event of API version 2026-04-01" in json.dumps(refused.body)
