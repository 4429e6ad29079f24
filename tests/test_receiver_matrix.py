"""The proof that the receiver checks can fail: one broken receiver per defect.

Each broken receiver (tests/receivers) is the reference receiver with one step done wrong.
Against each, `hookconform receiver` must exit 1 with the expected check failing and no other
MUST check failing; against the reference receiver every check of every profile passes.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from harness.profiles import load_profiles
from tests.receivers import (
    SMALL,
    AnswersSlowly,
    CrashesOnMalformedJson,
    CrashesOnUnknownField,
    CrashesOnValidation,
    FailsUnderConcurrency,
    ForgetsHookSecretEcho,
    IgnoresAuthenticity,
    Receiver,
    RejectsArrays,
    RejectsDuplicates,
    WantsIsoTime,
    run_suite,
    serve,
)

CATALOG = load_profiles()
SECRET = "s3cret-value"
# A Standard Webhooks key is whsec_ and base64 (the specification's test vector's secret).
SECRETS = {"standard-webhooks": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}


class Defect(NamedTuple):
    receiver: type[Any]
    profile: str
    check: str
    options: dict[str, Any] = {}  # noqa: RUF012 - never changed
    also: frozenset[str] = frozenset()  # checks the same defect fails as well


# The README's defect -> check table is this list.
DEFECTS = {
    "ignores the challenge": Defect(IgnoresAuthenticity, "factorial-v1", "R-rejects-forged"),
    "ignores the token": Defect(IgnoresAuthenticity, "clockodo", "R-rejects-forged"),
    "ignores the export key": Defect(IgnoresAuthenticity, "hirehop", "R-rejects-forged"),
    # Ignoring the signature accepts a byte added after signing too (R-verifies-raw-bytes).
    "ignores the signature": Defect(
        IgnoresAuthenticity,
        "resthooks",
        "R-rejects-forged",
        also=frozenset({"R-verifies-raw-bytes"}),
    ),
    "500 on an unknown field": Defect(
        CrashesOnUnknownField, "resthooks", "R-tolerates-unknown-fields"
    ),
    "crashes on malformed JSON": Defect(CrashesOnMalformedJson, "resthooks", "R-malformed-input"),
    "rejects a duplicate": Defect(RejectsDuplicates, "resthooks", "R-accepts-duplicate"),
    "answers slowly": Defect(AnswersSlowly, "resthooks", "R-responds-in-time", {"timeout": 0.1}),
    "rejects an array body": Defect(RejectsArrays, "staffology", "R-envelope"),
    "rejects HireHop's time format": Defect(WantsIsoTime, "hirehop", "R-envelope"),
    "does not echo X-Hook-Secret": Defect(
        ForgetsHookSecretEcho, "resthooks", "R-hook-secret-handshake"
    ),
    "fails under concurrency": Defect(FailsUnderConcurrency, "resthooks", "R-concurrent"),
    "5xx to the validation request": Defect(
        CrashesOnValidation, "clockodo", "R-validation-handshake"
    ),
}


@pytest.mark.parametrize("defect", list(DEFECTS), ids=list(DEFECTS))
def test_each_broken_receiver_fails_exactly_its_check(defect: str) -> None:
    case = DEFECTS[defect]
    profile = CATALOG.get(case.profile)
    events = list(profile.events)[:2]
    with serve(case.receiver(profile, SECRET)) as url:
        run = run_suite(url, profile, secret=SECRET, events=events, **SMALL, **case.options)
    assert run.exit_code == 1, run.output
    assert case.check in run.failing("MUST"), run.output
    assert run.failing("MUST") == {case.check, *case.also}, run.output
    assert f"--- MUST {case.check}" in run.output


def test_a_broken_envelope_blocks_the_checks_that_need_it() -> None:
    profile = CATALOG.get("staffology")
    with serve(RejectsArrays(profile)) as url:
        run = run_suite(url, profile, events=["Employee_Created"], **SMALL)
    assert run.statuses("R-envelope") == {"failed"}
    assert run.statuses("R-accepts-examples") == {"blocked"}
    assert run.statuses("R-concurrent") == {"blocked"}
    assert "BLOCKED (1 of 1): R-envelope failed for this event" in run.output
    # Checks that do not need the envelope still judge the receiver.
    assert run.statuses("R-malformed-input") == {"passed"}


@pytest.mark.parametrize("profile", [p.name for p in CATALOG])
def test_the_reference_receiver_passes_every_check(profile: str) -> None:
    loaded = CATALOG.get(profile)
    secret = SECRETS.get(profile, SECRET)
    with serve(Receiver(loaded, secret)) as url:
        run = run_suite(url, loaded, secret=secret, max_examples=1, concurrency=4)
    assert run.exit_code == 0, run.output
    statuses = {r["status"] for c in run.report["checks"] for r in c["results"]}
    # Skipped only: the examples check of an event no source gives an example of.
    skipped = {
        (c["id"], r["event"])
        for c in run.report["checks"]
        for r in c["results"]
        if r["status"] == "skipped"
    }
    assert skipped == {
        ("R-accepts-examples", event) for event in loaded.events if not loaded.event(event).examples
    }, run.output
    assert statuses <= {"passed", "skipped"}, run.output
    assert run.report["totals"]["passed"] + len(skipped) == len(
        [r for c in run.report["checks"] for r in c["results"]]
    )
    assert "CONFORMANT" in run.output
