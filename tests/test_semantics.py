"""The typed model of a profile's semantics: derived facts, computed once, from the data."""

from __future__ import annotations

import dataclasses

import pytest

from harness.profiles import load_profiles
from harness.semantics import RULES, GoneRule, Limit, QuotasRule, RetryRule, Semantics

CATALOG = load_profiles()


def _retry(**values: object) -> RetryRule:
    return RetryRule(enabled=True, retry_on=frozenset({"5xx", "timeout"}), **values)  # type: ignore[arg-type]


def test_the_last_delay_of_a_schedule_repeats() -> None:
    rule = _retry(schedule=(5, 30, 300))
    assert [rule.delay(n) for n in range(1, 6)] == [5, 30, 300, 300, 300]
    assert rule.delays(4) == [5, 30, 300, 300]
    assert rule.offset(0) == 0
    assert rule.offset(2) == 35
    assert rule.offset(5) == 5 + 30 + 300 + 300 + 300
    assert _retry().delay(3) == 0.0  # no schedule: at once


def test_retries_are_exhausted_by_the_count_or_by_the_window() -> None:
    counted = _retry(schedule=(1,), max_attempts=3)
    assert [counted.exhausted(n) for n in (1, 2, 3, 4)] == [False, False, True, True]
    windowed = _retry(schedule=(10, 100), window_seconds=200)
    # After 2 attempts the next is due at 110 s, inside the window; after 3, at 210 s.
    assert [windowed.exhausted(n) for n in (1, 2, 3)] == [False, False, True]
    assert not _retry(schedule=(60,)).exhausted(10_000)  # neither: the sender keeps trying


def test_what_is_retried_follows_the_retry_on_list_and_the_switch() -> None:
    rule = _retry()
    assert rule.retries("5xx")
    assert rule.retries("timeout")
    assert not rule.retries("4xx")
    assert not dataclasses.replace(rule, enabled=False).retries("5xx")


def test_gone_ends_a_subscription_only_when_an_action_is_set() -> None:
    rule = GoneRule(statuses=frozenset({410}), action="deactivate")
    assert rule.ends(410)
    assert not rule.ends(404)
    assert not rule.ends(None)
    assert rule.applies
    ignored = GoneRule(statuses=frozenset({410}), action="none")
    assert not ignored.ends(410)
    assert not ignored.applies


def test_the_quota_plan_is_the_chosen_the_default_or_the_first() -> None:
    limits = {"free": Limit(1, "account"), "pro": Limit(10, "account")}
    assert QuotasRule(limits=limits).plan() == "free"
    assert QuotasRule(limits=limits, default_plan="pro").plan() == "pro"
    assert QuotasRule(limits=limits, default_plan="pro").plan("free") == "free"
    assert QuotasRule().plan() is None


@pytest.mark.parametrize("name", sorted(p.name for p in CATALOG))
def test_every_bundled_profile_reads_into_the_model_its_raw_block_describes(name: str) -> None:
    profile = CATALOG.get(name)
    raw, model = profile.raw_semantics, profile.semantics
    assert model == Semantics.read(raw)
    assert set(RULES) <= set(raw)
    for rule in RULES:
        assert model.rule(rule) is getattr(model, rule)
        assert model.rule(rule).documented == raw[rule].get("documented", True)
    with pytest.raises(KeyError):
        model.rule("envelopes")
    with pytest.raises(dataclasses.FrozenInstanceError):
        model.retry.enabled = False  # type: ignore[misc]
    origin = raw["authenticity"].get("value_from") or {}
    assert model.authenticity.subscription_field == origin.get("subscription_field")
    assert model.authenticity.account_setting == origin.get("account_setting")
    assert model.authenticity.per_subscription == ("subscription_field" in origin)
    assert model.subscription.managed_by_api == (raw["subscription"]["management"] == "api")
    assert model.retry.schedule == tuple(raw["retry"].get("schedule", ()))
    assert model.kinds()["envelope"] == raw["envelope"]["kind"]


def test_derived_facts_of_the_bundled_profiles() -> None:
    factorial = CATALOG.get("factorial").semantics
    assert factorial.subscription.overwrites
    assert factorial.retry.deactivates
    assert factorial.retries_apply
    assert factorial.envelope.data_pointer == ""
    hirehop = CATALOG.get("hirehop").semantics
    assert hirehop.authenticity.account_setting is not None
    assert not hirehop.authenticity.per_subscription
    staffology = CATALOG.get("staffology").semantics
    assert staffology.envelope.data_pointer == "/0"  # an array of one
    assert staffology.authenticity.none
    assert not staffology.authenticity.secret_required
    assert staffology.subscription.vocabulary.counters["deliveries"] == "eventCount"
