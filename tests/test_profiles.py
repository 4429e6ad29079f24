"""Loading, merging and validating provider profiles (harness.profiles)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.documents import read_yaml
from harness.errors import SchemaViolation, SpecError, UnknownEventError, UnknownProfileError
from harness.profiles import (
    DERIVED_FILE,
    ENV_VAR,
    bundled_specs_dir,
    check_folders,
    load_profiles,
    profile_folders,
)

BUNDLED = [
    *["clockodo", "factorial", "factorial-v1", "github", "hirehop", "resthooks", "shopify"],
    *["slack", "staffology", "standard-webhooks", "stripe", "zoom"],
]
CATALOG = load_profiles()
EVENTS = [(p.name, e) for p in CATALOG for e in p.events]


def problems_of(root: Path) -> list[str]:
    """The problems of the profiles in `root`, loaded beside the bundled ones."""
    _, problems = check_folders([*profile_folders(bundled_specs_dir()), *profile_folders(root)])
    return [str(p) for p in problems]


def test_every_bundled_profile_loads() -> None:
    assert sorted(p.name for p in CATALOG) == BUNDLED


@pytest.mark.parametrize(("profile", "event"), EVENTS)
def test_every_event_has_a_valid_example_unless_it_is_derived(profile: str, event: str) -> None:
    found = CATALOG.get(profile).event(event)
    if not found.examples:
        # An event may lack one only where no source shows its payload (a made-up example
        # would pass for the provider's): one derived from the provider's contract
        # (derived.yaml), or one whose description says that no source shows its body.
        derived = read_yaml(CATALOG.get(profile).folder / DERIVED_FILE)[0] or {}
        operation = CATALOG.get(profile).openapi["webhooks"][event]["post"]
        said = "has no example" in " ".join(operation.get("description", "").split())
        assert event in derived.get("webhooks", {}) or said, f"{profile} {event} has no example"
    for example in found.examples.values():
        assert found.errors(example) == []


def test_factorial_has_at_least_twenty_current_events_in_several_groups() -> None:
    events = CATALOG.get("factorial").events
    assert len(events) >= 20
    assert len({name.split("/")[0] for name in events}) >= 5


@pytest.mark.parametrize(
    ("profile", "event", "payload", "expected"),
    [
        (
            "hirehop",
            "invoice.status.updated",
            {"time": "2022-03-29T07:50:42Z"},
            "$.time",
        ),
        ("staffology", "Employee_Created", {"id": "x"}, "is not of type 'array'"),
        ("clockodo", "entry.stopped", {"token": 7}, "$.token: 7 is not of type 'string'"),
    ],
)
def test_schemas_reject_what_the_provider_never_sends(
    profile: str, event: str, payload: dict[str, Any], expected: str
) -> None:
    example = CATALOG.get(profile).event(event).example()
    body = {**example, **payload} if isinstance(example, dict) else payload
    with pytest.raises(SchemaViolation) as caught:
        CATALOG.get(profile).validate(event, body)
    assert expected in str(caught.value)


def test_unknown_profile_and_event_name_what_is_known() -> None:
    with pytest.raises(UnknownProfileError, match="known: clockodo, factorial"):
        CATALOG.get("nope")
    with pytest.raises(UnknownEventError, match=r"contact\.create"):
        CATALOG.get("resthooks").event("nope")


def test_subscription_api_operations_are_exposed() -> None:
    create = CATALOG.get("resthooks").subscription_operation("create")
    assert create is not None
    assert (create.method, create.path) == ("POST", "/api/v1/subscription/")
    assert CATALOG.get("hirehop").subscription_operation("create") is None


# Broken profiles: each rejected with the file and the JSON path of the problem.


def drop_source(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
    del profile["semantics"]["gone"]["source"]


def unknown_kind(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
    profile["semantics"]["teleport"] = {"enabled": True, "source": "https://resthooks.org/docs/"}


def unknown_kind_value(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
    profile["semantics"]["envelope"]["kind"] = "xml-soap"


def bad_ref(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
    openapi["components"]["schemas"]["Contact"]["properties"]["owner"] = {
        "$ref": "#/components/schemas/Nope"
    }


def bad_schema(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
    openapi["components"]["schemas"]["Contact"]["properties"]["id"] = {"type": "integr"}


def bad_example(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
    body = openapi["webhooks"]["contact.create"]["post"]["requestBody"]
    body["content"]["application/json"]["examples"]["contact"]["value"]["id"] = "forty-two"


def empty_examples(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
    body = openapi["webhooks"]["contact.update"]["post"]["requestBody"]
    body["content"]["application/json"]["examples"] = {}  # none at all is allowed: absent


def bad_source(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
    profile["semantics"]["gone"]["source"] = "my memory"


@pytest.mark.parametrize(
    ("edit", "file", "path", "message"),
    [
        (drop_source, "profile.yaml", "$.semantics.gone", "'source' is a required property"),
        (unknown_kind, "profile.yaml", "$.semantics", "'teleport' was unexpected"),
        (unknown_kind_value, "profile.yaml", "$.semantics.envelope.kind", "'xml-soap' is not one"),
        (
            bad_ref,
            "openapi.yaml",
            "$.components.schemas.Contact.properties.owner['$ref']",
            "unresolvable $ref '#/components/schemas/Nope'",
        ),
        (
            bad_schema,
            "openapi.yaml",
            "$.components.schemas.Contact.properties.id.type",
            "invalid JSON Schema",
        ),
        (
            bad_example,
            "openapi.yaml",
            "$.webhooks['contact.create'].post.requestBody.content['application/json']"
            ".examples.contact.value",
            "example does not validate: $.id: 'forty-two' is not of type 'integer'",
        ),
        (
            empty_examples,
            "openapi.yaml",
            "$.webhooks['contact.update'].post.requestBody.content['application/json'].examples",
            "should be non-empty",
        ),
        (bad_source, "profile.yaml", "$.semantics.gone.source", "is not valid"),
    ],
    ids=lambda v: v.__name__ if callable(v) else None,
)
def test_broken_profile_is_rejected_with_file_and_path(
    write_profile: Any, edit: Any, file: str, path: str, message: str
) -> None:
    root = write_profile("broken", based_on="resthooks", edit=edit)
    problems = problems_of(root)
    expected = f"{root / 'broken' / file}: {path}: "
    assert any(p.startswith(expected) and message in p for p in problems), problems


def test_malformed_yaml_names_the_line(write_profile: Any) -> None:
    root = write_profile("broken", raw={"profile.yaml": "name: broken\ntitle: [unclosed\n"})
    [problem] = problems_of(root)
    assert problem.startswith(f"{root / 'broken' / 'profile.yaml'}: $: malformed YAML at line 3")


def test_extends_cycle_is_rejected(write_profile: Any) -> None:
    write_profile("alpha", profile={"name": "alpha", "title": "A", "extends": "beta"})
    root = write_profile("beta", profile={"name": "beta", "title": "B", "extends": "alpha"})
    problems = problems_of(root)
    assert (
        f"{root / 'alpha' / 'profile.yaml'}: $.extends: extends cycle: alpha -> beta -> alpha"
        in (problems)
    )


def test_extends_unknown_parent_is_rejected(write_profile: Any) -> None:
    root = write_profile("alpha", profile={"name": "alpha", "title": "A", "extends": "ghost"})
    assert problems_of(root) == [
        f"{root / 'alpha' / 'profile.yaml'}: $.extends: extends unknown profile 'ghost'"
    ]


def test_name_must_match_folder(write_profile: Any) -> None:
    root = write_profile("folder", based_on="resthooks", edit=lambda p, o: p.update(name="other"))
    assert any("name 'other' differs from its folder 'folder'" in p for p in problems_of(root))


def test_load_profiles_raises_with_every_problem(write_profile: Any) -> None:
    root = write_profile("broken", based_on="resthooks", edit=drop_source)
    write_profile("broken2", based_on="resthooks", edit=bad_ref)
    with pytest.raises(SpecError) as caught:
        load_profiles([root])
    assert len(caught.value.problems) == 2


# Deriving: extends merges with JSON merge patch rules.


def test_derived_profile_inherits_and_overrides(write_profile: Any) -> None:
    root = write_profile(
        "acme",
        profile={
            "name": "acme",
            "title": "Acme",
            "extends": "resthooks",
            "sources": ["https://acme.example/docs"],
            "semantics": {"gone": {"statuses": [409, 410]}, "latency": {"max_seconds": 60}},
        },
        openapi={
            "webhooks": {"contact.delete": None},
            "components": {"schemas": {"Contact": {"required": ["id"]}}},
        },
    )
    acme = load_profiles([root]).get("acme")
    assert acme.lineage == ("acme", "resthooks")
    assert acme.semantics.gone.statuses == {409, 410}
    assert acme.semantics.gone.action == "deactivate"  # inherited within the rule
    assert acme.semantics.handshake.kind == "hook-secret-echo"  # inherited rule
    assert acme.semantics.latency.max_seconds == 60
    assert list(acme.events) == ["contact.create", "contact.update"]
    assert acme.event("contact.create").is_valid({"id": 1})  # the overridden component
    assert acme.subscription_operation("create") is not None
    assert acme.sources[-1] == "https://acme.example/docs"


def test_inherit_takes_only_what_it_names(write_profile: Any) -> None:
    openapi = {
        "openapi": "3.1.0",
        "info": {"title": "Acme", "version": "1"},
        "webhooks": {
            "deal.won": {
                "post": {
                    "requestBody": {
                        "content": {
                            "application/json": {
                                "schema": {"type": "object", "required": ["id"]},
                                "examples": {"one": {"value": {"id": 1}}},
                            }
                        }
                    }
                }
            }
        },
    }
    # Without resthooks' paths its subscription API is gone: Acme is set up in a screen.
    screen = {
        "management": "settings-screen",
        "model": "many-per-event",
        "events_per_subscription": "one",
        "source": "https://acme.example/docs/webhooks",
    }
    root = write_profile(
        "acme",
        profile={
            "name": "acme",
            "title": "Acme",
            "extends": "resthooks",
            "inherit": ["semantics"],
            "semantics": {"subscription": screen},
        },
        openapi=openapi,
    )
    acme = load_profiles([root]).get("acme")
    assert list(acme.events) == ["deal.won"]
    assert acme.operations == {}
    assert acme.semantics.retry.schedule == (5, 30, 300, 3600)


def test_derived_profile_must_still_be_complete(write_profile: Any) -> None:
    root = write_profile(
        "acme",
        profile={
            "name": "acme",
            "title": "Acme",
            "extends": "resthooks",
            "semantics": {"authenticity": {"kind": "body-token"}},
        },
    )
    problems = problems_of(root)
    assert any(
        "$.semantics.authenticity: 'pointer' is a required property "
        "(after merging extends: resthooks)" in p
        for p in problems
    ), problems


# Where profiles come from.


def test_specs_dirs_and_environment_add_profiles(
    write_profile: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = write_profile("acme", based_on="resthooks")
    assert "acme" in load_profiles([root])
    assert "acme" not in load_profiles()
    monkeypatch.setenv(ENV_VAR, f"{tmp_path / 'elsewhere'}{__import__('os').pathsep}{root}")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.txt").write_text("not a profile")
    with pytest.raises(Exception, match="no profiles in"):
        load_profiles()
    monkeypatch.setenv(ENV_VAR, str(root / "acme"))  # a single profile folder works too
    assert "acme" in load_profiles()


def test_later_folder_overrides_a_bundled_profile_by_name(write_profile: Any) -> None:
    root = write_profile(
        "resthooks", based_on="resthooks", edit=lambda p, o: p.update(title="Patched")
    )
    assert load_profiles([root]).get("resthooks").title == "Patched"


def test_null_in_a_derived_rule_deletes_the_parents_parameter() -> None:
    handshake = CATALOG.get("staffology").raw_semantics["handshake"]
    assert handshake["kind"] == "none"
    assert CATALOG.get("staffology").semantics.handshake.header is None
    assert "header" not in handshake  # resthooks' X-Hook-Secret, deleted by `header: null`
