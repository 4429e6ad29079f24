"""Payloads that follow the subscription's API version (`events.versions`): a spec writer's
profile names a document per version; the loader reads each into a variant of the profile
and checks it as it checks openapi.yaml."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from harness.profiles import bundled_specs_dir, check_folders, profile_folders

OLD = "versions/v1.yaml"


def old_contact(openapi: dict[str, Any]) -> dict[str, Any]:
    """A v1 document: contact.create only, its contact's id a string."""
    contact = copy.deepcopy(openapi["components"]["schemas"]["Contact"])
    contact["properties"]["id"] = {"type": "string"}
    webhook = copy.deepcopy(openapi["webhooks"]["contact.create"])
    body = webhook["post"]["requestBody"]["content"]["application/json"]
    body.pop("examples", None)
    schemas = {"Contact": contact}
    return {"webhooks": {"contact.create": webhook}, "components": {"schemas": schemas}}


def versioned(write_profile: Any, document: dict[str, Any] | None, **rule: Any) -> Path:
    """A resthooks copy whose subscriptions on v1 get `document`'s payloads."""

    def edit(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
        profile["semantics"]["events"]["versions"] = {
            "field": "api_version",
            "documents": {OLD: ["v1", "v0"]},
            **rule,
        }
        edit.openapi = openapi  # type: ignore[attr-defined]

    root = write_profile("acme", based_on="resthooks", edit=edit)
    if document is not None:
        (root / "acme" / "versions").mkdir()
        made = document(edit.openapi) if callable(document) else document  # type: ignore[attr-defined]
        text = yaml.safe_dump(made)
        (root / "acme" / OLD).write_text(text, encoding="utf-8")
    return root


def load(root: Path) -> tuple[Any, list[str]]:
    catalog, problems = check_folders([*profile_folders(bundled_specs_dir()), root / "acme"])
    return catalog.profiles.get("acme"), [str(p) for p in problems]


def test_a_subscription_gets_the_payloads_of_its_version(write_profile: Any) -> None:
    profile, problems = load(versioned(write_profile, old_contact))
    assert problems == []
    old = profile.for_subscription({"api_version": "v1"})
    assert old is profile.for_subscription({"api_version": "v0"}) is profile.versions["v0"]
    assert old.version_document == OLD
    assert list(old.events) == ["contact.create"]
    new_body = profile.event("contact.create").example()
    old_body = {**new_body, "id": str(new_body["id"])}
    assert old.event("contact.create").is_valid(old_body)
    assert not old.event("contact.create").is_valid(new_body)
    assert not profile.event("contact.create").is_valid(old_body)
    # Any other version, or none, gets the profile's own; so does an event v1 lacks.
    assert profile.for_subscription({"api_version": "v2"}) is profile
    assert profile.for_subscription({}) is profile
    assert profile.for_subscription({"api_version": "v1"}, "contact.update") is profile
    assert profile.version_of({"api_version": "v1"}) == "v1"
    assert profile.version_of({"api_version": "v2"}) is None


def test_a_missing_document_is_named_with_where_it_was_looked_for(write_profile: Any) -> None:
    root = versioned(write_profile, None)
    profile, problems = load(root)
    assert profile is None
    where = f"{root / 'acme' / 'profile.yaml'}: $.semantics.events.versions.documents['{OLD}']"
    assert [p for p in problems if p.startswith(where)] == [
        f"{where}: not found (looked in {root / 'acme'})"
    ]


def test_a_document_is_checked_as_openapi_yaml_is(write_profile: Any) -> None:
    def broken(openapi: dict[str, Any]) -> dict[str, Any]:
        document = old_contact(openapi)
        body = document["webhooks"]["contact.create"]["post"]["requestBody"]
        body["content"]["application/json"]["examples"] = {"bad": {"value": {"id": 7}}}
        document["webhooks"]["party.start"] = copy.deepcopy(document["webhooks"]["contact.create"])
        return document

    root = versioned(write_profile, broken)
    profile, problems = load(root)
    assert profile is None
    file = root / "acme" / OLD
    assert any(
        p.startswith(f"{file}: $.webhooks['contact.create']") and "example does not validate" in p
        for p in problems
    ), problems
    assert f"{file}: $.webhooks['party.start']: 'party.start' is not an event of the profile" in (
        problems
    )


def test_a_version_list_must_name_documents_and_versions(write_profile: Any) -> None:
    root = versioned(write_profile, old_contact, documents={"/abs.yaml": []})
    _, problems = load(root)
    where = f"{root / 'acme' / 'profile.yaml'}: $.semantics.events.versions.documents"
    assert any(p.startswith(where) for p in problems), problems
