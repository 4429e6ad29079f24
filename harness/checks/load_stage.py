"""The load checks (L-*): what a receiver must keep doing under its provider's burst.

Each is given a `LoadTrial`: the profile, what the Locust child measured (`Measured`: per
delivery when it was sent, how long the answer took, what came of it), the stages the run
was asked for, the provider's timeout, and the handshake sent first with what was wrong with
its answer. A check raises `LoadThresholdMissed` naming how many deliveries broke its
promise, with a few of them (`HandshakeFailed`, with the exchange, for the handshake), or
`Skip` when it does not apply to this run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.checks import check, not_
from harness.errors import HandshakeFailed, LoadThresholdMissed
from harness.load_measured import Measured, Record
from harness.load_spec import Stage
from harness.profiles import Profile
from harness.receiver import Exchange, Skip

RATE_KEPT = 0.9  # of a stage's deliveries, the share that must be answered 2xx in time
STANDARD_WEBHOOKS = "https://www.standardwebhooks.com/"


@dataclass(frozen=True)
class LoadTrial:
    profile: Profile
    measured: Measured
    stages: Sequence[Stage]
    timeout: float
    handshake: Exchange | None = None  # the handshake sent before the load, and its answer
    handshake_problems: Sequence[str] = ()  # what was wrong with that answer

    def missed(self, broke: Sequence[Record], words: str, **kw: str) -> None:
        """Raise for the deliveries in `broke` (nothing when there are none)."""
        if not broke:
            return
        started = self.measured.started
        shown = [f"{r[2]} after {r[1]:.1f} ms, {r[0] - started:.1f} s in" for r in broke[:3]]
        total = len(self.measured.records)
        raise LoadThresholdMissed(
            f"{len(broke)} of {total} deliveries {words}", examples=shown, **kw
        )


@check(
    id="L-handshake-first",
    level="MUST",
    side="load",
    scope="profile",
    rule="handshake",
    applies_to=[("handshake", not_("none"))],
)
def handshake_first(trial: LoadTrial) -> None:
    """The profile's handshake is answered right before the load (else nothing is sent)."""
    if trial.handshake is not None and trial.handshake_problems:
        raise HandshakeFailed(
            request=trial.handshake.sent(),
            response=trial.handshake.seen(),
            expected=f"the {trial.profile.semantics.handshake.kind} handshake answered right"
            " before any load, or a provider delivers nothing; it differs: "
            + "; ".join(trial.handshake_problems),
        )


@check(
    id="L-answers-in-time",
    level="MUST",
    side="load",
    scope="profile",
    rule="timeout",
    applies_to=[("timeout", not_("none"))],  # a provider that waits forever sets no limit
)
def answers_in_time(trial: LoadTrial) -> None:
    """Every delivery is answered within the provider's timeout."""
    limit = trial.timeout * 1000.0
    late = [r for r in trial.measured.records if r[1] > limit or r[2] == "timeout"]
    trial.missed(late, f"were answered later than {trial.timeout:g} s, or not at all")


@check(
    id="L-no-server-errors",
    level="MUST",
    side="load",
    scope="profile",
    source=f"{STANDARD_WEBHOOKS} (a 5xx is a failed attempt: the provider retries it)",
)
def no_server_errors(trial: LoadTrial) -> None:
    """No delivery gets a 5xx (each is retried, adding to the load)."""
    trial.missed([r for r in trial.measured.records if r[2] == "5xx"], "got a 5xx")


@check(
    id="L-no-connection-errors",
    level="MUST",
    side="load",
    scope="profile",
    source=f"{STANDARD_WEBHOOKS} (a refused or dropped connection is a failed attempt)",
)
def no_connection_errors(trial: LoadTrial) -> None:
    """No connection is refused or dropped."""
    dropped = [r for r in trial.measured.records if r[2] == "connection-error"]
    trial.missed(dropped, "found the connection refused or dropped")


@check(
    id="L-accepts-deliveries",
    level="MUST",
    side="load",
    scope="profile",
    rule="envelope",
)
def accepts_deliveries(trial: LoadTrial) -> None:
    """Every delivery, valid and authentic as the provider sends it, gets a 2xx."""
    refused = [r for r in trial.measured.records if r[2] in ("3xx", "4xx")]
    trial.missed(refused, "got a 3xx or 4xx")


@check(
    id="L-sustains-rate",
    level="MUST",
    side="load",
    scope="profile",
    source="the rate asked for (--rate or --burst)",
)
def sustains_rate(trial: LoadTrial) -> None:
    """At each stage's rate, 90 % of its deliveries are answered 2xx in time."""
    if any(s.rate is None for s in trial.stages):
        raise Skip("a closed loop (--users) asks for no rate")
    limit = trial.timeout * 1000.0
    records = trial.measured.records
    problems, start = [], min((r[0] for r in records), default=trial.measured.started)
    for number, stage in enumerate(trial.stages, 1):
        end = start + stage.seconds
        kept = sum(1 for t, ms, o in records if start <= t < end and o == "2xx" and ms <= limit)
        wanted = (stage.rate or 0.0) * stage.seconds
        if kept < RATE_KEPT * wanted:
            problems.append(
                f"stage {number} ({stage.rate:g}/s for {stage.seconds:g} s): {kept} of "
                f"{wanted:.0f} deliveries answered 2xx in time ({kept / stage.seconds:.1f}/s)"
            )
        start = end
    if problems:
        raise LoadThresholdMissed(
            "the rate was not kept: " + "; ".join(problems),
            expected=f"at least {RATE_KEPT:.0%} of each stage's deliveries answered 2xx in "
            "time (where the load generator itself falls short, --workers adds processes)",
        )
