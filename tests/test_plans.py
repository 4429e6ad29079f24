"""Payload plans made once: kept in the cache folder, read back exactly, never stale, and the
same whether made here or in worker processes."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from harness import plans
from harness.plans import Made, PlanSpec, iter_plans, plan_payloads
from harness.profiles import bundled_specs_dir, load_profiles
from tests.receivers import Receiver, run_cli, serve

CATALOG = load_profiles()
RESTHOOKS = CATALOG.get("resthooks")
SPEC = PlanSpec(secret="c", max_examples=4, concurrency=4, seed_value=3)


def _made(profile: plans.Profile, spec: PlanSpec) -> tuple[dict[str, plans.EventPlan], Made]:
    made = Made()
    return dict(iter_plans(profile, list(profile.events), spec, made)), made


def _as_json(found: dict[str, plans.EventPlan]) -> str:
    """The plans as JSON with every float marked: 1.0 and 1 must not read back alike."""

    def marked(node: object) -> object:
        if isinstance(node, float):
            return f"float:{node!r}"
        if isinstance(node, dict):
            return {k: marked(v) for k, v in node.items()}
        if isinstance(node, list):
            return [marked(v) for v in node]
        return node

    return json.dumps({e: marked([p.fresh, p.negative]) for e, p in found.items()})


def test_a_second_run_reads_every_plan_back_exactly(tmp_path: Path) -> None:
    spec = replace(SPEC, cache_dir=tmp_path / "cache")
    first, made = _made(RESTHOOKS, spec)
    assert (made.cached, made.generated) == (0, len(RESTHOOKS.events))
    again, made = _made(RESTHOOKS, spec)
    assert (made.cached, made.generated) == (len(RESTHOOKS.events), 0)
    uncached, _ = _made(RESTHOOKS, SPEC)
    assert _as_json(again) == _as_json(first) == _as_json(uncached)
    assert "from the cache" in made.line()
    folder = tmp_path / "cache"
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    assert (folder / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f")


@pytest.mark.parametrize(
    "change",
    [
        {"seed_value": 4},
        {"max_examples": 5},
        {"concurrency": 40},  # a wider burst takes more payloads per event
        {"secret": "other"},
        {"negatives": False},
    ],
    ids=lambda change: next(iter(change)),
)
def test_other_inputs_never_read_a_kept_plan(tmp_path: Path, change: dict[str, object]) -> None:
    spec = replace(SPEC, cache_dir=tmp_path)
    _made(RESTHOOKS, spec)
    _, made = _made(RESTHOOKS, replace(spec, **change))
    assert made.cached == 0


def test_another_version_of_the_generators_never_reads_a_kept_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = replace(SPEC, cache_dir=tmp_path)
    _made(RESTHOOKS, spec)
    monkeypatch.setattr(plans, "_generators", lambda: "hookconform 99, hypothesis 99")
    _, made = _made(RESTHOOKS, spec)
    assert made.cached == 0


def test_a_changed_profile_gets_plans_of_its_own(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(bundled_specs_dir() / "resthooks", specs / "hooks-copy")
    profile_file = specs / "hooks-copy" / "profile.yaml"
    profile_file.write_text(
        profile_file.read_text().replace("name: resthooks", "name: hooks-copy", 1)
    )
    spec = replace(SPEC, cache_dir=tmp_path / "cache")
    _made(load_profiles([specs]).get("hooks-copy"), spec)
    document = specs / "hooks-copy" / "openapi.yaml"
    text = document.read_text()
    assert "        first_name: {type: string}\n" in text
    document.write_text(
        text.replace(
            "        first_name: {type: string}\n",
            "        first_name: {type: string, pattern: '^A', minLength: 3}\n",
        )
    )
    changed = load_profiles([specs]).get("hooks-copy")
    found, made = _made(changed, spec)
    assert made.cached == 0
    names = [p["first_name"] for plan in found.values() for p in plan.fresh]
    assert names
    assert all(len(n) >= 3 and n.startswith("A") for n in names)


def test_a_damaged_kept_plan_is_made_again(tmp_path: Path) -> None:
    spec = replace(SPEC, cache_dir=tmp_path)
    first, _ = _made(RESTHOOKS, spec)
    for kept in (tmp_path / "plans").rglob("*"):
        if kept.is_file():
            kept.write_text('{"fresh": [1, 2')
    again, made = _made(RESTHOOKS, spec)
    assert made.cached == 0
    assert _as_json(again) == _as_json(first)


def test_worker_processes_make_the_same_plans(monkeypatch: pytest.MonkeyPatch) -> None:
    profile = CATALOG.get("factorial")
    events = list(profile.events)[:6]
    spec = PlanSpec(secret="c", max_examples=2, concurrency=2, seed_value=0, processes=2)
    here = plan_payloads(profile, events, spec)
    monkeypatch.setattr(plans, "PARALLEL_FROM", 2)
    made = Made()
    apart = dict(iter_plans(profile, events, spec, made))
    assert made.processes == 2
    assert _as_json(apart) == _as_json(here)


def test_a_run_with_the_same_inputs_reads_its_plans_from_the_cache_folder(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "kept"
    args = ["--profile", "resthooks", "--secret", "k", "--max-examples", "2"]
    with serve(Receiver(RESTHOOKS, "k")) as url:
        first = run_cli(url, *args, "--cache-dir", str(folder))
        second = run_cli(url, *args, "--cache-dir", str(folder), report=tmp_path / "2.json")
        uncached = run_cli(url, *args, "--no-cache", report=tmp_path / "3.json")
    events = len(RESTHOOKS.events)
    assert f"payloads: 0 event(s) from the cache, {events} generated" in first.output
    assert f"payloads: {events} event(s) from the cache, 0 generated" in second.output
    assert "(no cache)" in uncached.output
    assert first.exit_code == second.exit_code == uncached.exit_code == 0
    assert second.report["run"]["settings"]["payload_cache"] == str(folder)
    assert uncached.report["run"]["settings"]["payload_cache"] is None


def test_workers_that_load_another_profile_leave_the_drafts_to_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = tmp_path / "specs"
    shutil.copytree(bundled_specs_dir() / "resthooks", specs / "hooks-copy")
    profile_file = specs / "hooks-copy" / "profile.yaml"
    profile_file.write_text(
        profile_file.read_text().replace("name: resthooks", "name: hooks-copy", 1)
    )
    profile = load_profiles([specs]).get("hooks-copy")
    document = specs / "hooks-copy" / "openapi.yaml"
    # changed on disk only: drafts made from it would differ from the run's
    document.write_text(
        document.read_text().replace(
            "        first_name: {type: string}\n",
            "        first_name: {type: string, pattern: '^A', minLength: 3}\n",
        )
    )
    spec = replace(SPEC, processes=2)
    here = plan_payloads(profile, list(profile.events), spec)
    monkeypatch.setattr(plans, "PARALLEL_FROM", 2)
    made = Made()
    apart = dict(iter_plans(profile, list(profile.events), spec, made))
    assert made.processes == 2
    assert _as_json(apart) == _as_json(here)
