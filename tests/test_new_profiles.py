"""The six profiles written from providers' public docs (standard-webhooks, stripe, github,
slack, shopify, zoom): every example body validates against its own event schema, every
declared event-name header names the event, and each profile has at least three events.

Read straight from the YAML with jsonschema and referencing, so that these tests do not depend
on the harness knowing the new authenticity `signature` and handshake `challenge` /
`ping-event` kinds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPECS = Path(__file__).resolve().parent.parent / "specs"
NEW = ["standard-webhooks", "stripe", "github", "slack", "shopify", "zoom"]
EVENT_HEADERS = {"github": "X-GitHub-Event", "shopify": "X-Shopify-Topic"}
BODY = ("requestBody", "content", "application/json")


def _openapi(name: str) -> dict[str, Any]:
    return yaml.safe_load((SPECS / name / "openapi.yaml").read_text(encoding="utf-8"))


def _examples() -> list[tuple[str, str, str]]:
    found = []
    for name in NEW:
        for event, webhook in _openapi(name)["webhooks"].items():
            body = webhook["post"]
            for part in BODY:
                body = body[part]
            found += [(name, event, key) for key in body.get("examples", {})]
    return found


def _validator(openapi: dict[str, Any], event: str) -> Draft202012Validator:
    uri = "urn:hookconform:test:openapi"
    registry = Registry().with_resource(uri, Resource(openapi, specification=DRAFT202012))
    parts = ["webhooks", event, "post", *BODY, "schema"]
    pointer = "#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)
    return Draft202012Validator({"$ref": uri + pointer}, registry=registry)


@pytest.mark.parametrize(("name", "event", "key"), _examples())
def test_example_validates_against_its_event_schema(name: str, event: str, key: str) -> None:
    openapi = _openapi(name)
    body = openapi["webhooks"][event]["post"]
    for part in BODY:
        body = body[part]
    value = body["examples"][key]["value"]
    errors = [
        f"{list(e.absolute_path)}: {e.message}"
        for e in _validator(openapi, event).iter_errors(value)
    ]
    assert errors == []


@pytest.mark.parametrize("name", NEW)
def test_profile_has_at_least_three_events_and_names_its_folder(name: str) -> None:
    profile = yaml.safe_load((SPECS / name / "profile.yaml").read_text(encoding="utf-8"))
    assert profile["name"] == name
    assert len(_openapi(name)["webhooks"]) >= 3


@pytest.mark.parametrize("name", NEW)
def test_every_event_has_an_operation_id_equal_to_its_name(name: str) -> None:
    for event, webhook in _openapi(name)["webhooks"].items():
        assert webhook["post"]["operationId"] == event


@pytest.mark.parametrize("name", sorted(EVENT_HEADERS))
def test_the_event_name_header_is_required_and_names_the_event(name: str) -> None:
    for event, webhook in _openapi(name)["webhooks"].items():
        declared = {p.get("name"): p for p in webhook["post"]["parameters"] if "name" in p}
        header = declared[EVENT_HEADERS[name]]
        assert header["in"] == "header"
        assert header["required"] is True
        assert header["schema"] == {"const": event}
