"""Payload plans: every payload a receiver run sends, per event, made once and kept.

Most of a receiver run is generating payloads, and what it generates is fixed by its inputs:
the profile, the event, the seed, the counts, the secret and the versions of hookconform,
Hypothesis and schemathesis. So a plan is made in two steps:

- a *draft* per event, the expensive part: the valid payloads Hypothesis draws for it (none
  repeating another of the event's or any event's example) and the invalid ones no event of
  the profile accepts. A draft depends on nothing but those inputs, so drafts of several
  events are made at once in worker processes, and each is kept in the cache folder under a
  SHA-256 of its inputs;
- the *plans*, cheap: the drafts in event order, each valid payload kept unless an earlier
  event's plan has the same bytes on the wire (a receiver may keep what it has seen, so no
  generated payload repeats another), topped up with draws from further seeds where that left
  an event short.

The cache folder is `.hookconform-cache/` in the working directory unless `--cache-dir` names
another (`--no-cache`: none); it holds a file per draft under `plans/` and marks itself with
a `CACHEDIR.TAG` and a `.gitignore` of `*`, as pytest's cache does. A changed profile (its
OpenAPI document or its semantics block) or a changed version of any of the three gives other
keys, so a stale draft is never read; deleting the folder at any time is safe. A draft that
JSON cannot carry exactly (bytes, a NaN) is made again on every run rather than kept changed.
"""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import importlib.metadata
import json
import math
import multiprocessing
import os
import threading
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness import __version__
from harness.cache import Entries
from harness.errors import HarnessError
from harness.profiles import Profile, bundled_specs_dir, load_profiles
from harness.strategies import payloads, sample
from harness.wire import authenticate, delivery_request, encode, stamp

if TYPE_CHECKING:
    from harness.report import Progress

DEFAULT_CACHE_DIR = ".hookconform-cache"
# The one-off valid payloads the checks take per event (R-envelope's is also the one that
# R-rejects-forged forges and R-responds-in-time times); then come the payloads of the
# concurrency burst, then R-accepts-generated's.
FRESH_SLOTS = ("envelope", "duplicate", "headers")
_FIXED_TIME = datetime(2000, 1, 1, tzinfo=UTC)
_FORMAT = 1  # of a kept draft; a change of what a draft holds changes it
_DRAWS = 3  # seeds a draft tries; the plan tops up from the next ones
# Below this many drafts to make, starting worker processes costs more than it saves.
PARALLEL_FROM = 8


@dataclass
class EventPlan:
    """The payloads one event's trials send, fixed before any is sent."""

    examples: list[Any]
    fresh: list[Any]
    negative: list[Any]
    burst: int

    def slot(self, name: str) -> Any:
        """The fresh payload reserved for `name` (one of FRESH_SLOTS)."""
        return self._at(FRESH_SLOTS.index(name))

    def burst_payload(self, index: int) -> Any:
        return self._at(len(FRESH_SLOTS) + index % max(self.burst, 1))

    def generated(self) -> list[Any]:
        return self.fresh[len(FRESH_SLOTS) + self.burst :]

    def _at(self, index: int) -> Any:
        pool = self.fresh or self.examples
        return pool[min(index, len(pool) - 1)]


@dataclass(frozen=True)
class PlanSpec:
    """What a plan is made of, but the profile and the events."""

    secret: str | None
    max_examples: int
    concurrency: int
    seed_value: int
    negatives: bool = True
    cache_dir: Path | None = None  # None: nothing kept
    processes: int | None = None  # worker processes; None: one per CPU

    def burst(self, events: int) -> int:
        return math.ceil(self.concurrency / max(events, 1))

    def wanted(self, events: int) -> int:
        return len(FRESH_SLOTS) + self.burst(events) + self.max_examples


@dataclass
class Draft:
    """One event's generated payloads, before the other events' are taken out."""

    fresh: list[Any]
    negative: list[Any]


@dataclass
class Made:
    """How the drafts of a run came about: read from the cache, or generated (and where)."""

    cached: int = 0
    generated: int = 0
    processes: int = 0

    def line(self) -> str:
        where = f" in {self.processes} processes" if self.processes > 1 else ""
        return f"payloads: {self.cached} event(s) from the cache, {self.generated} generated{where}"


def iter_plans(
    profile: Profile, events: Sequence[str], spec: PlanSpec, made: Made | None = None
) -> Iterator[tuple[str, EventPlan]]:
    """Every payload the run sends, per event in order, each event's fixed before the first
    is sent.

    No generated payload repeats another or an example: only R-accepts-duplicate repeats a
    delivery on purpose (and the examples are sent as the profile gives them, even where two
    events share one). Generated payloads carry only declared fields (unknown fields are
    R-tolerates-unknown-fields' business); every other one has its integers written as
    floats. Of `max_examples // 4` (at least one) negative payloads per event, those are kept
    that no event of the profile accepts as delivered.
    """
    made = made if made is not None else Made()
    wanted = spec.wanted(len(events))
    keys = _Keys(profile, spec.secret)
    for event in events:
        keys.unique(profile.event(event).examples.values())
    for event, draft in _drafts(profile, events, spec, made):
        fresh = keys.unique(draft.fresh)
        for attempt in range(_DRAWS, 2 * _DRAWS):  # an earlier event had some: top up
            if len(fresh) >= wanted:
                break
            fresh += keys.unique(_draws(profile, event, spec, wanted - len(fresh) + 2, attempt))
        yield (
            event,
            EventPlan(
                examples=list(profile.event(event).examples.values()),
                fresh=fresh[:wanted],
                negative=draft.negative,
                burst=spec.burst(len(events)),
            ),
        )


def plan_payloads(profile: Profile, events: Sequence[str], spec: PlanSpec) -> dict[str, EventPlan]:
    """`iter_plans` at once: every event's plan."""
    return dict(iter_plans(profile, events, spec))


class PlanBook:
    """The events' plans as they become ready: a thread makes them while the first checks
    already run, and a trial that needs a plan not yet made waits for it."""

    def __init__(self, events: Sequence[str]) -> None:
        self.events = list(events)
        self._plans: dict[str, EventPlan] = {}
        self._ready = {event: threading.Event() for event in self.events}
        self._error: BaseException | None = None

    def fill(self, plans: Iterator[tuple[str, EventPlan]], progress: Progress) -> None:
        """Take the plans from `plans` as they come (run in a thread)."""
        try:
            for number, (event, plan) in enumerate(plans, 1):
                self._plans[event] = plan
                self._ready[event].set()
                progress.note(f"payloads ready: {event} ({number}/{len(self.events)})")
        except BaseException as exc:  # handed to every waiting trial, then re-raised
            self._error = exc
        finally:
            for ready in self._ready.values():
                ready.set()

    def __getitem__(self, event: str) -> EventPlan:
        self._ready[event].wait()
        if self._error is not None:
            raise HarnessError(f"payload generation failed: {self._error}") from self._error
        return self._plans[event]

    def __iter__(self) -> Iterator[str]:
        return iter(self.events)

    @property
    def error(self) -> BaseException | None:
        return self._error


# --- drafts --------------------------------------------------------------------------------


def make_draft(profile: Profile, event: str, spec: PlanSpec, wanted: int) -> Draft:
    """`event`'s draft: its valid draws, none repeating another or any event's example, and
    its invalid payloads that no event accepts."""
    keys = _Keys(profile, spec.secret)
    for each in profile.events.values():
        keys.unique(each.examples.values())
    fresh: list[Any] = []
    for attempt in range(_DRAWS):  # early draws repeat each other: top up with other seeds
        fresh += keys.unique(_draws(profile, event, spec, wanted - len(fresh) + 2, attempt))
        if len(fresh) >= wanted:
            break
    bad: list[Any] = []
    if spec.negatives:
        negative = payloads(profile, event, negative=True)
        bad = sample(negative, max(1, spec.max_examples // 4), seed_value=_seed(event, spec))
    return Draft(fresh=fresh, negative=[p for p in bad if _rejected_by_all(profile, p, spec)])


def _drafts(
    profile: Profile, events: Sequence[str], spec: PlanSpec, made: Made
) -> Iterator[tuple[str, Draft]]:
    """Each event's draft in order: kept ones read, the others made (in worker processes when
    there are enough of them) and kept."""
    wanted = spec.wanted(len(events))
    printed = fingerprint(profile)
    names = {event: _draft_key(printed, event, spec, wanted) for event in events}
    found: dict[str, Draft] = {}
    kept: Entries | None = None
    if spec.cache_dir is not None:
        kept = Entries("plans", root=spec.cache_dir)
        _mark(spec.cache_dir)
        for event in events:
            draft = _read(kept.get(names[event]))
            if draft is not None:
                found[event] = draft
    missing = [event for event in events if event not in found]
    made.cached, made.generated = len(found), len(missing)
    fresh = _in_processes(profile, missing, spec, wanted, made)
    for event in events:
        if event in found:
            yield event, found[event]
            continue
        draft = next(fresh)
        if kept is not None:
            text = _written(draft)
            if text is not None:
                kept.put(names[event], text)
        yield event, draft


def _in_processes(
    profile: Profile, events: Sequence[str], spec: PlanSpec, wanted: int, made: Made
) -> Iterator[Draft]:
    """The drafts of `events` in order, made by worker processes when there are at least
    PARALLEL_FROM of them and more than one CPU, else here."""
    processes = min(spec.processes or os.cpu_count() or 1, len(events))
    if len(events) < PARALLEL_FROM or processes < 2:
        made.processes = 1 if events else 0
        return _here(profile, events, spec, wanted)
    roots = [] if profile.folder.parent == bundled_specs_dir() else [str(profile.folder.parent)]
    try:
        # spawn, not fork: the run's threads (the client's, the trials') must not be copied
        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_start,
            initargs=(roots, profile.name, fingerprint(profile)),
        )
    except (OSError, ValueError):  # no processes to be had here: make them in this one
        made.processes = 1
        return _here(profile, events, spec, wanted)
    made.processes = processes
    return _collected(pool, profile, events, spec, wanted)


def _here(profile: Profile, events: Sequence[str], spec: PlanSpec, wanted: int) -> Iterator[Draft]:
    return (make_draft(profile, event, spec, wanted) for event in events)


def _collected(
    pool: concurrent.futures.ProcessPoolExecutor,
    profile: Profile,
    events: Sequence[str],
    spec: PlanSpec,
    wanted: int,
) -> Iterator[Draft]:
    futures = [pool.submit(_worker_draft, event, spec, wanted) for event in events]
    try:
        for number, future in enumerate(futures):
            try:
                yield future.result()
            except _ProfileDiffers:  # the workers could not load the run's profile
                yield from _here(profile, events[number:], spec, wanted)
                return
            except concurrent.futures.process.BrokenProcessPool as exc:
                raise HarnessError(f"a payload generating process died: {exc}") from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class _ProfileDiffers(Exception):
    """A worker found another profile under the name than the run's."""


_WORKER: dict[str, Profile] = {}


def _worker_start(roots: list[str], name: str, expected: str) -> None:
    """Load the run's profile; when another comes (or none), each draft asked is refused."""
    try:
        profile = load_profiles(roots).get(name)
    except HarnessError:  # a broken profile beside it: the run makes its drafts itself
        return
    if fingerprint(profile) == expected:
        _WORKER["profile"] = profile


def _worker_draft(event: str, spec: PlanSpec, wanted: int) -> Draft:
    if "profile" not in _WORKER:
        raise _ProfileDiffers(event)
    return make_draft(_WORKER["profile"], event, spec, wanted)


# --- payloads ------------------------------------------------------------------------------


class _Keys:
    """The wire bytes of payloads already taken (with the secret and a fixed send time)."""

    def __init__(self, profile: Profile, secret: str | None) -> None:
        self.profile, self.secret = profile, secret
        self.seen: set[bytes] = set()

    def key(self, payload: Any) -> bytes | None:
        try:
            sent = authenticate(self.profile, payload, self.secret)
            return encode(stamp(self.profile, sent, now=_FIXED_TIME))
        except (UnicodeEncodeError, ValueError, TypeError):  # not JSON: bytes, surrogates
            return None

    def unique(self, candidates: Any) -> list[Any]:
        """Those of `candidates` not taken before, now taken."""
        kept = []
        for payload in candidates:
            found = self.key(payload)
            if found is not None and found not in self.seen:
                self.seen.add(found)
                kept.append(payload)
        return kept


def _seed(event: str, spec: PlanSpec) -> int:
    return (spec.seed_value + zlib.crc32(event.encode())) % 2**32


def _draws(profile: Profile, event: str, spec: PlanSpec, count: int, attempt: int) -> list[Any]:
    """`count` valid payloads of `event` from its `attempt`-th seed; every other one with
    its integers written as floats, where the schema still takes them."""
    validator = profile.event(event)
    drawn = sample(
        payloads(profile, event, closed=True), count, seed_value=_seed(event, spec) + attempt
    )
    return [
        _integral_floats(p) if i % 2 and validator.is_valid(_integral_floats(p)) else p
        for i, p in enumerate(drawn)
    ]


def _integral_floats(node: Any) -> Any:
    """`node` with its integers written as floats (1 -> 1.0): valid JSON Schema integers."""
    if isinstance(node, bool):
        return node
    if isinstance(node, int) and abs(node) < 2**53:
        return float(node)
    if isinstance(node, dict):
        return {k: _integral_floats(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_integral_floats(v) for v in node]
    return node


def _rejected_by_all(profile: Profile, payload: Any, spec: PlanSpec) -> bool:
    try:
        body = delivery_request(profile, payload, secret=spec.secret).json()
    except (UnicodeEncodeError, ValueError, TypeError):  # not JSON: bytes, surrogates
        return False
    return not any(event.is_valid(body) for event in profile.events.values())


# --- the cache -----------------------------------------------------------------------------


def fingerprint(profile: Profile) -> str:
    """A SHA-256 of what generation reads of `profile`: its OpenAPI document and semantics."""
    text = json.dumps(
        [profile.name, profile.openapi, profile.raw_semantics], sort_keys=True, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache
def _generators() -> str:
    """The versions that decide what a seed generates."""
    found = [f"hookconform {__version__}", f"draft {_FORMAT}"]
    for package in ("hypothesis", "schemathesis", "hypothesis-jsonschema", "jsonschema"):
        try:
            found.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{package} none")
    return ", ".join(found)


def _draft_key(printed: str, event: str, spec: PlanSpec, wanted: int) -> str:
    secret = hashlib.sha256((spec.secret or "").encode("utf-8", "surrogatepass")).hexdigest()
    inputs = [
        _generators(),
        printed,
        event,
        spec.seed_value,
        wanted,
        spec.max_examples if spec.negatives else None,
        spec.secret is not None,
        secret,
    ]
    return hashlib.sha256(json.dumps(inputs).encode("utf-8")).hexdigest()


def _written(draft: Draft) -> str | None:
    """The draft as JSON, or None when JSON would not give back exactly the same payloads."""
    kept = {"fresh": draft.fresh, "negative": draft.negative}
    try:
        text = json.dumps(kept, allow_nan=False)
    except (TypeError, ValueError):  # bytes, NaN
        return None
    back = json.loads(text)
    return text if back == kept and _same_types(back, kept) else None


def _same_types(left: Any, right: Any) -> bool:
    """`left` and `right` are built of the same types (1 and 1.0 are equal, not the same)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(_same_types(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return all(_same_types(a, b) for a, b in zip(left, right, strict=True))
    return True


def _read(text: str | None) -> Draft | None:
    if text is None:
        return None
    try:
        kept = json.loads(text)
        return Draft(fresh=list(kept["fresh"]), negative=list(kept["negative"]))
    except (ValueError, KeyError, TypeError):  # a damaged file: made again
        return None


def _mark(folder: Path) -> None:
    """Mark `folder` as a cache: backup tools skip it, git ignores it."""
    marks = {
        "CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55\n"
        "# This is hookconform's cache folder (payload plans); deleting it is safe.\n",
        ".gitignore": "# hookconform's cache folder\n*\n",
    }
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in marks.items():
            if not (folder / name).exists():
                (folder / name).write_text(text, encoding="utf-8")
    except OSError:
        pass  # an unwritable folder is as good as none: the drafts are made each run
