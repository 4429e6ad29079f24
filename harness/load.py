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
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness import checks as registry
from harness.challenges import new_challenge
from harness.errors import ConformanceFailure, HarnessError
from harness.load_measured import Measured
from harness.load_plan import plan_document, write_plan
from harness.load_spec import PLAN_ENV, PROGRESS, RESULT_ENV, LoadOptions, Stage
from harness.profiles import Profile
from harness.receiver import Client, Exchange, Skip, check_reachable, check_secret
from harness.report import Report, Result, now_iso, profile_block
from harness.targets import Target, pin
from harness.wire import (
    challenge_request,
    delivery_request,
    event_headers,
    hook_secret_request,
    validation_request,
)

LOADFILE = Path(__file__).with_name("loadfile.py")  # never imported here: Locust's own
INSTALL = "hookconform load runs on Locust, which is not installed: pip install 'hookconform[load]'"
GRACE = 60.0  # seconds the child may take beyond the planned stages (start, drain, report)


def locust_installed() -> bool:
    return importlib.util.find_spec("locust") is not None


# --- the handshake, once, before any load ------------------------------------------------

HANDSHAKE_PATIENCE = 10.0  # seconds the handshake's answer may take (its own limit applies too)


def handshake_answer(
    profile: Profile, target: Target, secret: str | None
) -> tuple[Exchange | None, list[str]]:
    """The profile's handshake sent to the receiver, and what was wrong with its answer ([]:
    nothing); (None, []) when the profile has none the receiver answers."""
    rule = profile.semantics.handshake
    challenge = new_challenge()
    if rule.echo:
        request = hook_secret_request(profile, challenge)
    elif rule.challenges:
        request = challenge_request(profile, secret, challenge)
    elif rule.confirmation:
        request = validation_request(profile, challenge)
    elif rule.pings:
        event = profile.event(rule.event or "")
        example: Any = next(iter(event.examples.values()), {})
        headers = event_headers(profile, event.name)
        request = delivery_request(profile, example, secret=secret, extra_headers=headers)
    else:
        return None, []
    client = Client(target, pool_size=1, patience=HANDSHAKE_PATIENCE)
    try:
        answer = client.send(request)
    finally:
        client.close()
    if answer.status is None:
        return answer, [answer.error or "no answer"]
    if rule.echo:
        echoed = rule.echoed(challenge, answer.status, answer.headers)
        statuses = " or ".join(str(status) for status in rule.accept_statuses)
        return answer, [] if echoed else [f"not {statuses} echoing {rule.header}"]
    if rule.challenges:
        seen = (answer.status, answer.headers, answer.body)
        return answer, rule.answer_problems(challenge, secret, seen, elapsed=answer.elapsed)
    return answer, [] if answer.ok else ["not a 2xx"]


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


def judge(
    profile: Profile,
    measured: Measured | None,
    stages: Sequence[Stage],
    timeout: float,
    handshake: Exchange | None = None,
    handshake_problems: Sequence[str] = (),
    *,
    held: frozenset[str] = frozenset(),
    checks: Sequence[str] = (),
    exclude_checks: Sequence[str] = (),
) -> list[Result]:
    """The load checks (`harness.checks.load_stage`) that apply to `profile`, one result each;
    with no load sent (`measured` None: the handshake failed) all but the handshake's are
    blocked."""
    from harness.checks.load_stage import LoadTrial

    trial = LoadTrial(
        profile, measured or Measured([], 0.0), stages, timeout, handshake, handshake_problems
    )
    results = []
    chosen = registry.select(registry.registered("load", profile), checks, exclude_checks)
    for found in chosen:
        result = Result(
            check=found.id,
            level=found.level_for(profile, held),
            declared_level=found.level,
            summary=found.summary,
            source=found.source_for(profile),
            event=None,
        )
        if measured is None and found.rule != "handshake":
            result.status, result.reason = "blocked", "the handshake failed: no load was sent"
        else:
            try:
                found.function(trial)
            except Skip as exc:
                result.status, result.reason = "skipped", str(exc)
            except ConformanceFailure as exc:
                result.status = "failed"
                result.failures.append(exc)
        results.append(result)
    return results


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
    check_secret(profile, options.secret)
    check_reachable(target, timeout=5.0)
    started, clock = now_iso(), time.perf_counter()
    settings: dict[str, Any] = {
        "stages": [vars(s) for s in options.stages],
        "timeout_seconds": timeout,
        "workers": options.workers,
        "master": options.master,
        "events": events,
    }
    handshake, problems = handshake_answer(profile, target, options.secret)
    measured = None
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
        settings["measured"] = measured.summary(timeout)
    held = frozenset({"timeout"} if options.timeout is not None else ())
    results = judge(
        profile,
        measured,
        options.stages,
        timeout,
        handshake,
        problems,
        held=held,
        checks=options.checks,
        exclude_checks=options.exclude_checks,
    )
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
