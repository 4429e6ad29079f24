"""The checks registry (harness.checks) and `hookconform checks list`."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from harness import checks as registry
from harness.checks import check, not_
from harness.cli import cli
from harness.errors import HarnessError
from harness.profiles import load_profiles
from harness.semantics import format_source

CATALOG = load_profiles()
RECEIVER_IDS = {
    "R-accepts-duplicate",
    "R-accepts-examples",
    "R-accepts-generated",
    "R-concurrent",
    "R-envelope",
    "R-hook-secret-handshake",
    "R-malformed-input",
    "R-rejects-forged",
    "R-rejects-malformed",
    "R-responds-in-time",
    "R-tolerates-unknown-fields",
    "R-validation-handshake",
}
# The checks of timestamped signatures and challenge handshakes: no seed profile has those
# (resthooks' hmac-signature gets R-verifies-raw-bytes).
SIGNED_IDS = {
    "R-rejects-stale-timestamp",
    "R-rejects-future-timestamp",
    "R-accepts-rotated-signatures",
    "R-challenge-handshake",
    "R-ping-handshake",
}
ALL_RECEIVER_IDS = RECEIVER_IDS | SIGNED_IDS | {"R-verifies-raw-bytes"}


@pytest.fixture
def empty_registry(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A registry of its own, so that test checks do not leak into the real one."""
    fresh: dict[str, Any] = {}
    monkeypatch.setattr(registry, "REGISTRY", fresh)
    monkeypatch.setattr(registry, "load", lambda side=None: None)
    return fresh


def test_a_duplicate_id_is_refused(empty_registry: dict[str, Any]) -> None:
    @check(id="R-x", level="MUST", side="receiver")
    def first(trial: Any) -> None:
        """First."""

    with pytest.raises(ValueError, match="'R-x' is already registered"):

        @check(id="R-x", level="SHOULD", side="receiver")
        def second(trial: Any) -> None:
            """Second."""

    assert empty_registry["R-x"].function is first


def test_a_check_needs_a_docstring_a_level_and_a_side(empty_registry: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="needs a docstring"):

        @check(id="R-quiet", level="MUST", side="receiver")
        def quiet(trial: Any) -> None:
            pass

    with pytest.raises(ValueError, match="level must be one of"):
        check(id="R-may", level="MAY", side="receiver")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="side must be one of"):
        check(id="R-both", level="MUST", side="both")  # type: ignore[arg-type]


def test_conditions_and_predicates_decide_where_a_check_applies(
    empty_registry: dict[str, Any],
) -> None:
    def has_latency(semantics: Any) -> bool:
        """latency.max_seconds is set"""
        return semantics.latency.max_seconds is not None

    @check(id="S-a", level="MUST", side="sender", applies_to=[("authenticity", not_("none"))])
    def a(run: Any) -> None:
        """A."""

    @check(id="S-b", level="MUST", side="sender", applies_to=[("retry.enabled", True)])
    def b(run: Any) -> None:
        """B."""

    @check(id="S-c", level="MUST", side="sender", applies_to=has_latency)
    def c(run: Any) -> None:
        """C."""

    applying = {p.name: [c.id for c in registry.registered("sender", p)] for p in CATALOG}
    assert applying["staffology"] == ["S-b"]
    assert applying["hirehop"] == ["S-a"]
    assert applying["factorial"] == ["S-a", "S-b", "S-c"]
    texts = [registry.REGISTRY[i].applies_text() for i in ("S-a", "S-b", "S-c")]
    assert texts == [
        "authenticity.kind != none",
        "retry.enabled == true",
        "latency.max_seconds is set",
    ]


@pytest.mark.parametrize(
    ("profile", "absent"),
    [
        ("staffology", {"R-rejects-forged", "R-validation-handshake", "R-hook-secret-handshake"}),
        ("hirehop", {"R-accepts-duplicate", "R-validation-handshake", "R-hook-secret-handshake"}),
        ("clockodo", {"R-hook-secret-handshake"}),
        ("resthooks", {"R-validation-handshake"}),
        ("factorial", {"R-validation-handshake", "R-hook-secret-handshake"}),
    ],
)
def test_receiver_checks_follow_the_semantic_kinds(profile: str, absent: set[str]) -> None:
    ids = {c.id for c in registry.registered("receiver", CATALOG.get(profile))}
    signs = {"R-verifies-raw-bytes"} if profile == "resthooks" else set()
    assert ids == (RECEIVER_IDS | signs) - absent
    assert not ids & SIGNED_IDS


def test_a_must_on_an_undocumented_rule_is_a_should_unless_the_user_set_it() -> None:
    in_time = registry.REGISTRY["R-responds-in-time"]
    duplicate = registry.REGISTRY["R-accepts-duplicate"]
    clockodo, resthooks = CATALOG.get("clockodo"), CATALOG.get("resthooks")
    assert in_time.level_for(clockodo) == "SHOULD"  # timeout: documented: false
    assert in_time.level_for(clockodo, frozenset({"timeout"})) == "MUST"
    assert duplicate.level_for(clockodo) == "SHOULD"  # retry: documented: false
    assert duplicate.level_for(resthooks) == "MUST"  # retry: documented: partial
    assert registry.REGISTRY["R-malformed-input"].level_for(clockodo) == "MUST"


def test_sources_come_from_the_profile_rule_with_the_quote() -> None:
    envelope = registry.REGISTRY["R-envelope"]
    source = envelope.source_for(CATALOG.get("staffology"))
    assert '003_82dc6790c6af47ca.txt: "Data is always sent as an array of one item."' in source
    assert envelope.source_for(None) == "the profile's envelope rule"
    assert format_source(["a.txt", {"doc": "b", "quote": "q"}, {"doc": "c"}]) == 'a.txt; b: "q"; c'


def test_select_refuses_unknown_ids() -> None:
    receiver = registry.registered("receiver")
    assert [c.id for c in registry.select(receiver, ["R-envelope"])] == ["R-envelope"]
    assert "R-envelope" not in {c.id for c in registry.select(receiver, (), ["R-envelope"])}
    with pytest.raises(HarnessError, match="unknown check id"):
        registry.select(receiver, ["R-envelop"])


def _checks_list(*args: str) -> Any:
    return CliRunner().invoke(cli, ["checks", "list", *args])


def test_checks_list_shows_id_level_applies_to_summary_and_source() -> None:
    result = _checks_list("--side", "receiver")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    listed = {line.split()[0] for line in lines if line.startswith("R-")}
    assert listed == ALL_RECEIVER_IDS
    forged = lines.index(next(line for line in lines if line.startswith("R-rejects-forged")))
    assert "MUST" in lines[forged]
    assert "gets no 2xx" in lines[forged]
    assert lines[forged + 1].split() == ["applies", "to:", "authenticity.kind", "!=", "none"]
    assert lines[forged + 2].strip() == "source: the profile's authenticity rule"


def test_checks_list_for_a_profile() -> None:
    result = _checks_list("--profile", "staffology", "--side", "receiver")
    assert result.exit_code == 0
    assert "R-rejects-forged" not in result.output
    in_time = next(line for line in result.output.splitlines() if "R-responds-in-time" in line)
    assert in_time.split()[1] == "SHOULD"
    assert "Data is always sent as an array of one item." in result.output
    assert _checks_list("--profile", "nope").exit_code == 2


def test_checks_list_without_a_side_shows_both_suites() -> None:
    result = _checks_list()
    assert result.exit_code == 0
    ids = {line.split()[0] for line in result.output.splitlines() if line[:2] in ("R-", "S-")}
    assert ids >= RECEIVER_IDS
    assert any(i.startswith("S-") for i in ids)
