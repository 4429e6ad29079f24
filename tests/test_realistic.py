"""Realistic payloads (mock_provider.realistic): the profile's examples, made fresh for each
trigger and subscriber, and still valid against the event schema."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from harness.profiles import load_profiles
from mock_provider.realistic import _retimed, example_payload, owner_fields

CATALOG = load_profiles()
NOW = datetime(2026, 12, 2, 15, 4, 5, 123456, tzinfo=UTC).timestamp()


def test_each_trigger_takes_the_next_example_with_fresh_ids_and_the_time() -> None:
    event = CATALOG.get("factorial").event("employees/employee/update")
    examples = list(event.examples.values())
    first, second, third = (example_payload(event, n, NOW) for n in (0, 1, 2))
    times = ("created_at", "updated_at")
    assert {k: v for k, v in first.items() if k not in times} == {
        k: v for k, v in examples[0].items() if k not in times
    }  # trigger 0: the example's own ids
    assert first["updated_at"] == "2026-12-02T15:04:05.123+00:00"
    assert second["id"] == str(int(examples[1]["id"]) + 1)
    assert third["id"] == str(int(examples[0]["id"]) + 2)
    assert third["first_name"] == examples[0]["first_name"]
    assert all(event.is_valid(p) for p in (first, second, third))


def test_timestamps_become_now_in_their_own_style_and_dates_stay() -> None:
    now = datetime.fromtimestamp(NOW, UTC)
    assert _retimed("2021-10-22T08:00:00Z", now) == "2026-12-02T15:04:05Z"
    assert _retimed("2024-06-23T11:00:00.000+00:00", now) == "2026-12-02T15:04:05.123+00:00"
    assert _retimed("2024-06-23 11:00:00+0200", now) == "2026-12-02 15:04:05+0000"
    assert _retimed("2021-10-22", now) == "2021-10-22"
    assert _retimed("not a time", now) == "not a time"


def test_the_subscribers_own_company_and_employer_are_named() -> None:
    event = CATALOG.get("factorial").event("employees/employee/update")
    owner = owner_fields({}, {"company_id": "77", "name": "mine", "id": 5, "enabled": True})
    assert owner == {"company_id": "77"}  # identifiers only: not its name, id or flags
    payload = example_payload(event, 1, NOW, owner)
    assert payload["company_id"] == "77"  # the example's own is another company
    assert list(event.examples.values())[1]["company_id"] != "77"
    assert owner_fields({"employerId": "e-1"}, {"company_id": 3}) == {
        "company_id": 3,
        "employerId": "e-1",
    }


def test_a_refreshed_example_that_breaks_the_schema_is_sent_as_written() -> None:
    written = {"id": 7, "company_id": 1, "at": "2021-10-22T08:00:00Z"}
    strict = SimpleNamespace(examples={"only": written}, is_valid=lambda p: p == written)
    assert example_payload(strict, 3, NOW, {"company_id": "9"}) == written  # type: ignore[arg-type]
    loose = SimpleNamespace(examples={"only": written}, is_valid=lambda p: True)
    assert example_payload(loose, 3, NOW, {"company_id": "9"}) == {  # type: ignore[arg-type]
        "id": 10,
        "company_id": 9,
        "at": "2026-12-02T15:04:05Z",
    }
