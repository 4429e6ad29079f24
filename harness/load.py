"""`hookconform load`: a receiver under a provider's burst, on Locust, judged as conformance.

The run, in order:

1. the target is resolved once and must answer at all (exit 3 otherwise);
2. where the profile has a handshake the receiver answers (a hook-secret echo, a
   validation request, a challenge, a ping), it is done first, once; a wrong answer ends
   the run before any load, as the provider would never deliver;
3. the plan is made up front (`harness.load_plan`) and Locust runs it in a child process
   (`python -m locust -f harness/loadfile.py`): in one process, in `--workers K` processes
   on this machine (Locust's `--processes`), or as the master of workers on other machines
   (`--master`); the child prints a progress line a second;
4. what the child measured is judged (`judge`): every answer within the provider's timeout,
   no 5xx, no dropped connection, every delivery accepted, and the rate sustained where a
   rate was asked for; each is a check of the report, which the JSON and JUnit writers of
   the other suites write, with the latency percentiles and the counts by outcome, and a
   latency-over-time page (`harness.load_plot`).

Exit codes are the other suites': 0 conformant, 1 a MUST failed, 2 a usage error (no
Locust, a bad option), 3 the target cannot be reached.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.challenges import judge as judge_answer
from harness.challenges import new_challenge, values_for
from harness.errors import ConformanceFailure, HarnessError
from harness.load_plan import plan_document, write_plan
from harness.load_spec import PLAN_ENV, PROGRESS, RESULT_ENV, Stage
from harness.profiles import Profile
from harness.receiver import check_reachable
from harness.report import Report, Result, now_iso, profile_block
from harness.targets import Target, pin
from harness.transport import HttpClient, TransportError
from harness.wire import (
    WireRequest,
    challenge_request,
    delivery_request,
    event_headers,
    hook_secret_request,
    validation_request,
)

LOADFILE = Path(__file__).with_name("loadfile.py")  # never imported here: Locust's own
INSTALL = "hookconform load runs on Locust, which is not installed: pip install 'hookconform[load]'"
GRACE = 60.0  # seconds the child may take beyond the planned stages (start, drain, report)
RATE_KEPT = 0.9  # of a stage's rate, the share of deliveries answered in time that must come


def locust_installed() -> bool:
    return importlib.util.find_spec("locust") is not None


@dataclass(frozen=True)
class LoadOptions:
    """What the load run was asked to do (`stages` from `harness.load_spec.stages`)."""

    url: str
    stages: tuple[Stage, ...]
    secret: str | None = None
    events: tuple[str, ...] = ()
    workers: int = 0  # Locust worker processes on this machine (0: one process)
    master: bool = False  # the master of workers started elsewhere (plain Locust)
    expect_workers: int = 1
    master_port: int = 5557
    timeout: float | None = None  # the provider's; the profile's when None
    seed: int = 0
    cache_dir: str | None = ".hookconform-cache"
    plan_copy: str | None = None  # the plan also written here, for workers elsewhere


class LoadThresholdMissed(ConformanceFailure):
    """A promise the receiver did not keep under load: how many deliveries broke it."""

    title = "Load threshold missed"

    def __init__(self, message: str, *, examples: Sequence[str] = (), **kw: Any) -> None:
        super().__init__(message, **kw)
        self.examples = list(examples)

    def details(self) -> list[str]:
        return [f"e.g. {example}" for example in self.examples]

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "examples": self.examples}


@dataclass
class Measured:
    """What the child recorded: per delivery when it was sent, how long the answer took and
    what came of it (2xx, 4xx, 5xx, timeout, connection-error)."""

    records: list[tuple[float, float, str]]
    started: float
    by_worker: dict[str, int] = field(default_factory=dict)  # Locust workers: how many each sent
    seconds: float = 0.0  # the planned length of the run
    by_outcome: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.by_outcome = Counter(r[2] for r in self.records)

    def percentile(self, share: float) -> float:
        latencies = sorted(r[1] for r in self.records)
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, math.ceil(share * len(latencies)) - 1)]

    def summary(self, timeout: float) -> dict[str, Any]:
        late = sum(1 for r in self.records if r[1] > timeout * 1000.0)
        return {
            "deliveries": len(self.records),
            "per_second": round(len(self.records) / self.seconds, 1) if self.seconds else None,
            "latency_ms": {
                "p50": round(self.percentile(0.50), 2),
                "p95": round(self.percentile(0.95), 2),
                "p99": round(self.percentile(0.99), 2),
                "max": round(max((r[1] for r in self.records), default=0.0), 2),
            },
            "by_outcome": dict(sorted(self.by_outcome.items())),
            "later_than_timeout": late,
            "by_worker": dict(self.by_worker),
        }


# --- the handshake, once, before any load ------------------------------------------------


def handshake_problems(profile: Profile, target: Target, secret: str | None) -> list[str]:
    """What was wrong with the receiver's answer to the profile's handshake ([]: none, or
    the profile has none the receiver answers)."""
    rule = profile.semantics.handshake
    check = None
    if rule.echo:
        request = hook_secret_request(profile, "hookconform-load")
        header = (rule.header or "").lower()

        def check(status: int | None, headers: dict[str, str], body: bytes) -> list[str]:
            echoed = {k.lower(): v for k, v in headers.items()}.get(header)
            good = status in rule.accept_statuses and echoed == "hookconform-load"
            return [] if good else [f"HTTP {status}, {rule.header} echoed: {echoed!r}"]

    elif rule.confirmation:
        request = validation_request(profile, "hookconform-load")
    elif rule.challenges:
        challenge = new_challenge()
        request = challenge_request(profile, secret, challenge)
        values = values_for(challenge, secret, encoding=rule.hmac_encoding, prefix=rule.hmac_prefix)

        def check(status: int | None, headers: dict[str, str], body: bytes) -> list[str]:
            return judge_answer(rule.answers, values, status, headers, body)

    elif rule.pings:
        event = profile.event(rule.event or "")
        example: Any = next(iter(event.examples.values()), {})
        headers = event_headers(profile, event.name)
        request = delivery_request(profile, example, secret=secret, extra_headers=headers)
    else:
        return []
    return _answered(target, request, check)


def _answered(target: Target, request: WireRequest, check: Any) -> list[str]:
    client = HttpClient()
    try:
        answer = client.request(
            target,
            request.method,
            headers=request.headers,
            body=request.body,
            query=request.query,
            timeout=10.0,
            read_limit=64 * 1024,
        )
    except TransportError as exc:
        return [str(exc)]
    finally:
        client.close()
    if check is not None:
        return list(check(answer.status, dict(answer.headers), answer.body))
    return [] if 200 <= answer.status < 300 else [f"HTTP {answer.status}"]


# --- the Locust child ---------------------------------------------------------------------


def locust_command(options: LoadOptions, host: str) -> list[str]:
    command = [sys.executable, "-m", "locust", "-f", str(LOADFILE), "--headless"]
    command += ["--host", host, "--only-summary", "--loglevel", "WARNING"]
    command += ["--exit-code-on-error", "0", "--stop-timeout", "5"]
    if options.workers:
        command += ["--processes", str(options.workers)]
    if options.master:
        command += ["--master", "--expect-workers", str(options.expect_workers)]
        command += ["--master-bind-port", str(options.master_port)]
    return command


def run_child(options: LoadOptions, plan: dict[str, Any], folder: Path) -> Measured:
    """Run the plan in a Locust child; what it measured. The child's progress lines go to
    this process's stderr; its own output is kept for an error message."""
    plan_file, result_file = folder / "plan.json", folder / "result.json"
    write_plan(plan, plan_file)
    if options.plan_copy:
        write_plan(plan, Path(options.plan_copy))
    env = {**os.environ, PLAN_ENV: str(plan_file), RESULT_ENV: str(result_file)}
    seconds = sum(s.seconds for s in options.stages)
    limit = seconds + GRACE + (600.0 if options.master else 0.0)  # a master waits for workers
    kept: deque[str] = deque(maxlen=5)  # Locust's own last words, for an error
    with subprocess.Popen(
        locust_command(options, plan["host"]),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        timer = threading.Timer(limit, child.kill)
        timer.start()
        try:
            assert child.stderr is not None
            for line in child.stderr:
                if line.startswith(PROGRESS):
                    sys.stderr.write("  " + line[len(PROGRESS) :])
                    sys.stderr.flush()
                elif line.strip():
                    kept.append(line.strip())
            code = child.wait()
        finally:
            timer.cancel()
            if child.poll() is None:
                child.kill()
    if code not in (0, 1) or not result_file.is_file():
        words = " | ".join(kept) or "no output"
        raise HarnessError(f"Locust exited {code} (limit {limit:g} s): {words}")
    found = json.loads(result_file.read_text(encoding="utf-8"))
    records = [(float(t), float(ms), str(o)) for t, ms, o in found["records"]]
    by_worker = {str(k): int(v) for k, v in found["by_worker"].items()}
    return Measured(records, float(found["started"]), by_worker, seconds)


# --- judging ------------------------------------------------------------------------------


def _result(check: str, summary: str, source: str, failure: LoadThresholdMissed | None) -> Result:
    result = Result(
        check=check,
        level="MUST",
        declared_level="MUST",
        summary=summary,
        source=source,
        event=None,
        status="failed" if failure else "passed",
    )
    if failure is not None:
        result.failures.append(failure)
    return result


def judge(
    profile: Profile, measured: Measured, stages: Sequence[Stage], timeout: float
) -> list[Result]:
    """The load checks: one result each."""
    records = measured.records
    limit_ms = timeout * 1000.0
    source_timeout = profile.semantics.timeout.cited or "the profile's timeout rule"
    results = []

    def missed(which: list[tuple[float, float, str]], words: str) -> LoadThresholdMissed | None:
        if not which:
            return None
        shown = [
            f"{r[2]} after {r[1]:.1f} ms, {r[0] - measured.started:.1f} s in" for r in which[:3]
        ]
        return LoadThresholdMissed(
            f"{len(which)} of {len(records)} deliveries {words}", examples=shown
        )

    slow = [r for r in records if r[1] > limit_ms or r[2] == "timeout"]
    results.append(
        _result(
            "L-answers-in-time",
            f"Every delivery is answered within the provider's timeout ({timeout:g} s).",
            source_timeout,
            missed(slow, f"were answered later than {timeout:g} s, or not at all"),
        )
    )
    errors = [r for r in records if r[2] == "5xx"]
    results.append(
        _result(
            "L-no-server-errors",
            "No delivery gets a 5xx (a provider retries it, adding to the load).",
            "https://www.standardwebhooks.com/ (a 5xx is a failed attempt, retried)",
            missed(errors, "got a 5xx"),
        )
    )
    dropped = [r for r in records if r[2] == "connection-error"]
    results.append(
        _result(
            "L-no-connection-errors",
            "No connection is refused or dropped.",
            "https://www.standardwebhooks.com/ (a dropped connection is a failed attempt)",
            missed(dropped, "found the connection refused or dropped"),
        )
    )
    refused = [r for r in records if r[2] in ("3xx", "4xx")]
    results.append(
        _result(
            "L-accepts-deliveries",
            "Every delivery, valid and authentic, gets a 2xx.",
            "the profile's envelope and authenticity rules",
            missed(refused, "got a 3xx or 4xx"),
        )
    )
    if all(s.rate is not None for s in stages):
        results.append(_rate_result(measured, stages, limit_ms))
    return results


def _rate_result(measured: Measured, stages: Sequence[Stage], limit_ms: float) -> Result:
    """Each stage's rate kept: of its planned deliveries, 90 % sent and answered 2xx in time."""
    problems, start = [], measured.started
    for number, stage in enumerate(stages, 1):
        end = start + stage.seconds
        kept = sum(
            1 for t, ms, o in measured.records if start <= t < end and o == "2xx" and ms <= limit_ms
        )
        wanted = (stage.rate or 0.0) * stage.seconds
        if kept < RATE_KEPT * wanted:
            problems.append(
                f"stage {number} ({stage.rate:g}/s for {stage.seconds:g} s): {kept} of "
                f"{wanted:.0f} deliveries answered 2xx in time ({kept / stage.seconds:.1f}/s)"
            )
        start = end
    failure = None
    if problems:
        failure = LoadThresholdMissed(
            "the rate was not kept: " + "; ".join(problems),
            expected=f"at least {RATE_KEPT:.0%} of each stage's deliveries answered 2xx in time "
            "(where the load generator itself falls short, --workers adds processes)",
        )
    return _result(
        "L-sustains-rate",
        "The receiver keeps up with the rate asked for, stage by stage.",
        "the rate named on the command line (--rate or --burst)",
        failure,
    )


# --- the run ------------------------------------------------------------------------------


def run_load(profile: Profile, options: LoadOptions) -> tuple[Report, Measured | None]:
    """Run the load stage against `options.url` and judge it; the report, and what was
    measured (None when the handshake failed and no load was sent)."""
    if not locust_installed():
        raise HarnessError(INSTALL)
    target = pin(options.url)
    timeout = options.timeout or profile.semantics.timeout.seconds or 30.0
    if timeout <= 0:
        raise HarnessError("--timeout must be more than 0 seconds")
    events = list(options.events) or list(profile.events)
    for event in events:
        profile.event(event)
    check_reachable(target, timeout=5.0)
    started, clock = now_iso(), time.perf_counter()
    settings: dict[str, Any] = {
        "stages": [vars(s) for s in options.stages],
        "timeout_seconds": timeout,
        "workers": options.workers,
        "master": options.master,
        "events": events,
    }
    problems = handshake_problems(profile, target, options.secret)
    rule = profile.semantics.handshake
    shaken = None
    if rule.kind != "none":
        failure = (
            LoadThresholdMissed(
                "the handshake failed, so a provider would deliver nothing: " + "; ".join(problems)
            )
            if problems
            else None
        )
        shaken = _result(
            "L-handshake-first",
            "The profile's handshake is answered before the load.",
            rule.cited or "the profile's handshake rule",
            failure,
        )
    measured = None
    results = [shaken] if shaken else []
    if not problems:
        cache = Path(options.cache_dir) if options.cache_dir else None
        plan = plan_document(
            profile,
            target,
            secret=options.secret,
            events=events,
            stages=options.stages,
            timeout=timeout,
            seed=options.seed,
            cache_dir=cache,
        )
        with tempfile.TemporaryDirectory(prefix="hookconform-load-") as folder:
            measured = run_child(options, plan, Path(folder))
        results += judge(profile, measured, options.stages, timeout)
        settings["measured"] = measured.summary(timeout)
    report = Report(
        suite="load",
        profile=profile_block(profile),
        target=options.url,
        settings=settings,
        results=results,
        started=started,
        duration=time.perf_counter() - clock,
    )
    return report, measured
