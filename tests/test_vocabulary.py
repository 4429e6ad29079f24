"""The provider's vocabulary is data: a profile that renames every field of its lists, paging,
references, delivery log, state words, counters and paging parameters is served under the new
names, with no Python. Each test runs on the bundled profile and on its renamed copy (written
to a temporary folder), and the sender suite finds the mock conformant to the copy."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from mock_support import ATTEMPT_TIMEOUT, basic, receiver, resolver, running

from harness.options import SenderOptions
from harness.profiles import bundled_specs_dir, load_profiles
from harness.sender import run_sender
from mock_provider.app import MockConfig
from mock_provider.server import MockServer

STAFF = basic("test:test")
KEY = {"x-api-key": "test-api-key"}
EMPLOYER = "6f1c2b8e-4d0a-4f59-9a53-2e8c1d7b0a41"
HOOKS = f"/employers/{EMPLOYER}/webhooks"
SUBSCRIPTIONS = "/api/v2/resources/api_public/webhook_subscriptions"

# schema -> old property -> new property; parameter -> new name; enum -> old value -> new.
STAFFOLOGY = {
    "schemas": {
        "Item": {"id": "ref", "name": "label", "url": "link"},
        "WebhookPayload": {
            "id": "rid",
            "name": "kind",
            "url": "to",
            "attempts": "tries",
            "statusCode": "code",
            "taskStatus": "phase",
            "statusMessage": "note",
            "created": "born",
            "payload": "body",
        },
        "Webhook": {"eventCount": "hits", "lastPayload": "latest"},
        "WebhookStored": {"eventCount": "hits"},
    },
    "parameters": {"pageNum": "p", "pageSize": "n", "webhookEvent": "topic"},
    "enums": {
        "BackgroundTaskStatus": {
            "Queued": "Waiting",
            "Processing": "Running",
            "Sent": "Done",
            "Failed": "Broken",
        }
    },
    "vocabulary": {
        "reference": {"id": "ref", "name": "label", "url": "link"},
        "log": {
            "query": {"page": "p", "size": "n"},
            "record": {
                "id": "rid",
                "event": "kind",
                "url": "to",
                "attempts": "tries",
                "status_code": "code",
                "state": "phase",
                "message": "note",
                "created": "born",
                "payload": "body",
            },
            "states": {
                "queued": "Waiting",
                "processing": "Running",
                "delivered": "Done",
                "failed": "Broken",
            },
        },
        "counters": {"deliveries": "hits", "last_delivery": "latest"},
    },
}
FACTORIAL = {
    "schemas": {
        "webhook_subscription_list": {"data": "records", "meta": "pagination"},
        "paged_index_meta": {
            "start_cursor": "head",
            "end_cursor": "tail",
            "has_previous_page": "back",
            "has_next_page": "more",
            "limit": "size",
            "total": "count",
        },
    },
    "parameters": {"limit": "take", "after_id": "from", "before_id": "until"},
    "enums": {},
    "vocabulary": {
        "list": {
            "items": "records",
            "paging": "pagination",
            "page": {
                "total": "count",
                "limit": "size",
                "has_next": "more",
                "has_previous": "back",
                "first": "head",
                "last": "tail",
            },
            "query": {"limit": "take", "after": "from", "before": "until"},
        }
    },
}


def _rename_schema(schema: dict[str, Any], names: dict[str, str]) -> None:
    if "properties" in schema:
        schema["properties"] = {names.get(k, k): v for k, v in schema["properties"].items()}
    if "required" in schema:
        schema["required"] = [names.get(n, n) for n in schema["required"]]


def _rename(profile: dict[str, Any], openapi: dict[str, Any], table: dict[str, Any]) -> None:
    """Renames by `table` in both documents: schema properties, parameters, enum values, and
    the profile's vocabulary block, which is all the mock needs to follow."""
    schemas = openapi["components"]["schemas"]
    for name, names in table["schemas"].items():
        _rename_schema(schemas[name], names)
    for name, values in table["enums"].items():
        schemas[name]["enum"] = [values.get(v, v) for v in schemas[name]["enum"]]
    renamed_paths = {}
    for path, item in openapi["paths"].items():
        for old, new in table["parameters"].items():
            path = path.replace("{" + old + "}", "{" + new + "}")
        for operation in [item, *(v for v in item.values() if isinstance(v, dict))]:
            for parameter in operation.get("parameters", []):
                if parameter.get("name") in table["parameters"]:
                    parameter["name"] = table["parameters"][parameter["name"]]
        renamed_paths[path] = item
    openapi["paths"] = renamed_paths
    profile["semantics"]["subscription"]["vocabulary"] = table["vocabulary"]


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("renamed")
    for name, table in (("staffology", STAFFOLOGY), ("factorial", FACTORIAL)):
        folder = root / f"{name}-renamed"
        folder.mkdir()
        bundled = bundled_specs_dir() / name
        profile = yaml.safe_load((bundled / "profile.yaml").read_text(encoding="utf-8"))
        openapi = yaml.safe_load((bundled / "openapi.yaml").read_text(encoding="utf-8"))
        profile["name"] = folder.name
        _rename(profile, openapi, table)
        (folder / "profile.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
        (folder / "openapi.yaml").write_text(yaml.safe_dump(openapi), encoding="utf-8")
        if (bundled / "derived.yaml").is_file():  # what openapi.yaml is laid over
            shutil.copy(bundled / "derived.yaml", folder / "derived.yaml")
        if (bundled / "versions").is_dir():  # the older API versions' payloads
            shutil.copytree(bundled / "versions", folder / "versions")
    return root


def _words(profile: str) -> dict[str, Any]:
    table = STAFFOLOGY if profile.startswith("staffology") else FACTORIAL
    if profile.endswith("-renamed"):
        return table["vocabulary"]
    return load_profiles().get(profile).raw_semantics["subscription"]["vocabulary"]


@pytest.fixture
def served(specs: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, Any]]:
    name = request.param
    with running(name, specs=[str(specs)]) as (_, client):
        yield name, client


@pytest.mark.parametrize("served", ["staffology", "staffology-renamed"], indirect=True)
def test_references_the_log_its_states_counters_and_samples(served: tuple[str, Any]) -> None:
    name, client = served
    words = _words(name)
    reference, log, counters = words["reference"], words["log"], words["counters"]
    with receiver() as endpoint:
        created = client.call(
            "POST", HOOKS, {"webhookEvent": "Employee_Created", "url": endpoint.url}, headers=STAFF
        )
        hook = created.headers["Location"]  # the 201 has no body
        made = client.ok("GET", hook, headers=STAFF)
        assert hook == f"{HOOKS}/{made['id']}"
        assert counters["last_delivery"] not in made  # no delivery yet: absent, not null
        assert made[counters["deliveries"]] == 0
        [listed] = client.ok("GET", HOOKS, headers=STAFF)
        assert listed[reference["id"]] == made["id"]
        assert listed[reference["name"]] == "Employee_Created"
        assert listed[reference["url"]] == hook
        client.ok("POST", "/_mock/events", {"type": "Employee_Created", "data": [{"id": 1}]})
        client.settle()
    shown = client.ok("GET", hook, headers=STAFF)
    if name.endswith("-renamed"):
        assert not {"eventCount", "lastPayload"} & set(shown)
    assert shown[counters["deliveries"]] == 1
    latest = shown[counters["last_delivery"]]
    record = log["record"]
    assert latest[record["state"]] == log["states"]["delivered"]
    assert latest[record["status_code"]] == 200
    query = log["query"]
    [item] = client.ok("GET", f"{hook}/payloads?{query['page']}=0&{query['size']}=5", headers=STAFF)
    entry = client.ok("GET", item[reference["url"]], headers=STAFF)
    assert entry[record["event"]] == "Employee_Created"
    assert entry[record["attempts"]] == 1
    assert entry[record["payload"]] == [{"id": 1}]
    assert (
        client.ok("GET", f"{hook}/payloads?{query['page']}=1&{query['size']}=5", headers=STAFF)
        == []
    )
    sample = client.ok("GET", f"{HOOKS}/samples/Employee_Updated", headers=STAFF)
    assert isinstance(sample, list)


@pytest.mark.parametrize("served", ["factorial", "factorial-renamed"], indirect=True)
def test_lists_page_under_the_profiles_names(served: tuple[str, Any]) -> None:
    name, client = served
    words = _words(name)["list"]
    page, query = words["page"], words["query"]
    for company in (1, 2, 3):
        client.ok(
            "POST",
            SUBSCRIPTIONS,
            {
                "subscription_type": "ats/candidate/create",
                "target_url": "http://127.0.0.1:9/x",
                "company_id": company,
            },
            headers=KEY,
        )
    first = client.ok("GET", f"{SUBSCRIPTIONS}?{query['limit']}=2", headers=KEY)
    paging = first[words["paging"]]
    if name.endswith("-renamed"):
        assert not {"data", "meta"} & set(first)
        assert not {"has_next_page", "end_cursor"} & set(paging)
    assert len(first[words["items"]]) == 2
    assert (paging[page["total"]], paging[page["limit"]], paging[page["has_next"]]) == (3, 2, True)
    after = paging[page["last"]]
    second = client.ok("GET", f"{SUBSCRIPTIONS}?{query['after']}={after}", headers=KEY)
    assert [s["company_id"] for s in second[words["items"]]] == [3]
    assert second[words["paging"]][page["has_previous"]] is True
    before = second[words["paging"]][page["first"]]
    back = client.ok("GET", f"{SUBSCRIPTIONS}?{query['before']}={before}", headers=KEY)
    assert [s["company_id"] for s in back[words["items"]]] == [1, 2]


@pytest.mark.parametrize("name", ["staffology-renamed", "factorial-renamed"])
def test_the_sender_suite_finds_the_mock_conformant_to_the_renamed_profile(
    specs: Path, name: str
) -> None:
    catalog = load_profiles([specs])
    profile = catalog.get(name)
    # On a virtual clock, which the suite advances: exact schedules, no real waits.
    config = MockConfig([name], clock="virtual", timeout=ATTEMPT_TIMEOUT, resolver=resolver())
    with MockServer(config, catalog=catalog) as mock:
        options = SenderOptions(
            api=mock.url,
            attempt_timeout=ATTEMPT_TIMEOUT,
            events=(next(iter(profile.events)),),
        )
        report = run_sender(profile, options)
    problems = [
        (r.name, r.status, r.reason, r.failures) for r in report.results if r.status != "passed"
    ]
    assert problems == []
    assert report.exit_code == 0
