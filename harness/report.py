"""What a conformance run found, and the three ways of showing it.

`Result` is one check on one event (or on the whole profile); `Report` is a run. The report
is shown as a terminal summary, written as JSON (`--report`, schema `hookconform-report/1`,
described in the README) and as JUnit XML (`--junit`, one testcase per check and event).
`Progress` is the line that moves while a run goes on.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from harness import __version__
from harness.errors import ConformanceFailure
from harness.profiles import Profile

Status = Literal["passed", "failed", "blocked", "skipped", "error"]
REPORT_SCHEMA = "hookconform-report/1"
EXIT_CONFORMANT, EXIT_NOT_CONFORMANT, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
EXIT_INTERRUPTED = 130  # as a shell reports a program stopped by Ctrl-C


@dataclass
class Result:
    """The outcome of one check on one event (`event` None: the check covers the profile)."""

    check: str
    level: str
    declared_level: str
    summary: str
    source: str
    event: str | None
    status: Status = "passed"
    sent: int = 0
    duration: float = 0.0
    reason: str = ""
    failures: list[ConformanceFailure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the check left out, and why

    @property
    def name(self) -> str:
        return f"{self.check}[{self.event}]" if self.event else self.check


@dataclass
class Report:
    """A whole run: what was tested, against what, with which settings, and every result."""

    suite: str
    profile: Mapping[str, Any]
    target: str
    settings: Mapping[str, Any]
    results: list[Result]
    started: str
    duration: float
    notes: list[str] = field(default_factory=list)  # about the run: the window used, cleanup
    cleanup: Mapping[str, Any] | None = None  # sender: what the run made and removed
    interrupted: bool = False

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("passed", "failed", "blocked", "skipped", "error"), 0)
        for result in self.results:
            counts[result.status] += 1
        return counts

    @property
    def exit_code(self) -> int:
        """0 every MUST passed, 1 a MUST failed or could not run, 2 the harness broke."""
        if any(r.status == "error" for r in self.results):
            return EXIT_USAGE
        if any(_fails_the_run(r) for r in self.results):
            return EXIT_NOT_CONFORMANT
        return EXIT_CONFORMANT


class Interrupted(KeyboardInterrupt):
    """A run stopped (Ctrl-C, SIGTERM) once it had cleaned up; `report` says how far it got
    and what it removed."""

    def __init__(self, report: Report) -> None:
        super().__init__("interrupted")
        self.report = report


def profile_block(profile: Profile) -> dict[str, Any]:
    """What a report says of the profile: its name, title and semantic kinds."""
    return {"name": profile.name, "title": profile.title, "kinds": profile.semantics.kinds()}


# --- terminal ------------------------------------------------------------------------------


def summary(report: Report) -> str:
    """The terminal summary: one line per check, then every failure in detail."""
    lines = [
        f"hookconform {report.suite}: {report.profile['name']} -> {report.target}",
        "",
        f"{'check':<28} {'level':<6} {'events':>7}  result",
    ]
    by_check: dict[str, list[Result]] = {}
    for result in report.results:
        by_check.setdefault(result.check, []).append(result)
    for check, results in by_check.items():
        level = results[0].level
        covered = sum(1 for r in results if r.status in ("passed", "failed"))
        events = f"{covered}/{len(results)}" if results[0].event else "-"
        lines.append(f"{check:<28} {level:<6} {events:>7}  {_verdict(results)}")
    failed = [r for r in report.results if r.status in ("failed", "error")]
    for result in failed:
        lines += ["", f"--- {result.level} {result.name} {result.status.upper()}: {result.summary}"]
        lines += [f"    {line}" for line in _failure_lines(result)]
    noted = [f"note: {r.name}: {note}" for r in report.results for note in r.notes]
    noted += report.notes
    if report.cleanup is not None:
        noted.append(cleanup_text(report.cleanup))
    if noted:
        lines += ["", *noted]
    counts = report.counts()
    verdict = {0: "CONFORMANT", 1: "NOT CONFORMANT", 2: "ERROR"}[report.exit_code]
    if report.interrupted:
        verdict = f"INTERRUPTED after {len(report.results)} result(s), so far {verdict}"
    tally = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    lines += ["", f"{verdict}: {tally} ({report.duration:.1f} s)"]
    return "\n".join(lines)


def cleanup_text(cleanup: Mapping[str, Any]) -> str:
    """What a sender run made and removed, in one line."""
    text = f"cleanup: the suite made {cleanup['created']} subscription(s) and deleted "
    text += f"{cleanup['deleted']}"
    if cleanup["gone"]:
        text += f"; {cleanup['gone']} already gone (removed by the sender or the fuzzer)"
    if cleanup["left"]:
        return text + f"; NOT deleted: {'; '.join(cleanup['left'])}"
    return text + "; none is left"


def _verdict(results: Sequence[Result]) -> str:
    statuses = {r.status for r in results}
    for status in ("error", "failed", "blocked"):
        if status in statuses:
            count = sum(1 for r in results if r.status == status)
            where = f" ({count} of {len(results)})" if results[0].event else ""
            reason = next(r.reason for r in results if r.status == status)
            return f"{status.upper()}{where}" + (f": {reason}" if status == "blocked" else "")
    if statuses == {"skipped"}:
        return f"skipped: {results[0].reason}"
    return "passed"


def failure_text(result: Result) -> str:
    """What went wrong in `result` (sent, seen, expected, source), as the summary shows it."""
    return "\n".join(_failure_lines(result))


def _failure_lines(result: Result) -> list[str]:
    if result.status == "error":
        return [result.reason]
    lines = result.failures[0].lines() if result.failures else []
    if len(result.failures) > 1:
        lines.append(f"(and {len(result.failures) - 1} more failures in the JSON report)")
    return lines


class Progress:
    """A one-line progress display on stderr: done/total (check x event) and what just ran.

    On a terminal the line is rewritten in place; otherwise one line is printed per stage.
    """

    def __init__(self, stream: IO[str] | None = None, enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.total = 0
        self.done = 0
        self.lock = threading.RLock()  # workers advance while the plan thread notes

    def stage(self, text: str) -> None:
        """A new stage of the run: one line everywhere."""
        if self.enabled:
            self._line(text, final=True)

    def note(self, text: str) -> None:
        """What the current stage is doing: shown on a terminal only."""
        if self.tty:
            self._line(text)

    def start(self, total: int) -> None:
        self.total, self.done = total, 0

    def advance(self, name: str) -> None:
        with self.lock:
            self.done += 1
            if self.tty:
                self._line(f"[{self.done:>4}/{self.total}] {name}")

    def finish(self) -> None:
        if self.enabled:
            self._line(f"[{self.done:>4}/{self.total}] checks x events done", final=True)

    def _line(self, text: str, *, final: bool = False) -> None:
        end = "\n" if final else ""
        prefix = "\r\x1b[K" if self.tty else ""
        with self.lock:
            self.stream.write(f"{prefix}{text[:110]}{end}")
            self.stream.flush()


# --- JSON ----------------------------------------------------------------------------------


def to_json(report: Report) -> dict[str, Any]:
    """The report as the `hookconform-report/1` JSON document."""
    checks: dict[str, dict[str, Any]] = {}
    for result in report.results:
        entry = checks.setdefault(
            result.check,
            {
                "id": result.check,
                "level": result.level,
                "declared_level": result.declared_level,
                "summary": result.summary,
                "source": result.source,
                "results": [],
            },
        )
        entry["results"].append(
            {
                "event": result.event,
                "status": result.status,
                "sent": result.sent,
                "duration_seconds": round(result.duration, 4),
                "reason": result.reason or None,
                "notes": list(result.notes),
                "failures": [f.to_json() for f in result.failures],
            }
        )
    return {
        "schema": REPORT_SCHEMA,
        "tool": {"name": "hookconform", "version": __version__},
        "suite": report.suite,
        "run": {
            "started": report.started,
            "duration_seconds": round(report.duration, 3),
            "settings": dict(report.settings),
        },
        "profile": dict(report.profile),
        "target": report.target,
        "notes": list(report.notes),
        **({"cleanup": dict(report.cleanup)} if report.cleanup is not None else {}),
        "interrupted": report.interrupted,
        "conformant": report.exit_code == EXIT_CONFORMANT and not report.interrupted,
        "exit_code": report.exit_code,
        "totals": report.counts(),
        "checks": list(checks.values()),
    }


def write_json(report: Report, path: str | Path) -> None:
    Path(path).write_text(
        json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


# --- JUnit XML -----------------------------------------------------------------------------

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    """`text` without the characters XML 1.0 cannot carry (generated payloads have them)."""
    return _NOT_XML.sub("\ufffd", text)


def to_junit(report: Report) -> str:
    """JUnit XML: one testsuite, one testcase per (check, event).

    A failed MUST is a `<failure>`; a failed SHOULD is a passing testcase whose
    `<system-out>` says what failed, so that CI goes red exactly when the exit code is 1.
    A MUST that could not run (blocked) is a `<failure>` too; other blocked and skipped
    results are `<skipped>`; a harness error is an `<error>`.
    """
    counts = report.counts()
    must_failed = sum(1 for r in report.results if _fails_the_run(r))
    suite = ET.Element(
        "testsuite",
        name=f"hookconform.{report.suite}.{report.profile['name']}",
        tests=str(len(report.results)),
        failures=str(must_failed),
        errors=str(counts["error"]),
        skipped=str(sum(1 for r in report.results if _skipped(r))),
        time=f"{report.duration:.3f}",
        timestamp=report.started,
    )
    properties = ET.SubElement(suite, "properties")
    cleanup = {"cleanup": cleanup_text(report.cleanup)} if report.cleanup is not None else {}
    for key, value in {"target": report.target, **report.settings, **cleanup}.items():
        shown = ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        ET.SubElement(properties, "property", name=_xml(str(key)), value=_xml(shown))
    for result in report.results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=_xml(f"hookconform.{report.suite}.{report.profile['name']}.{result.check}"),
            name=_xml(result.name),
            time=f"{result.duration:.3f}",
        )
        text = _xml("\n".join(_failure_lines(result)))
        out = [_xml(note) for note in result.notes]
        if _fails_the_run(result):
            first = result.failures[0] if result.failures else None
            message = _xml(str(first).splitlines()[0] if first else result.reason)
            ET.SubElement(case, "failure", message=message, type=result.level).text = text
        elif result.status == "failed":
            out.insert(0, f"SHOULD not met:\n{text}")
        elif result.status == "error":
            ET.SubElement(case, "error", message=_xml(result.reason)).text = _xml(result.reason)
        elif _skipped(result):
            ET.SubElement(case, "skipped", message=_xml(f"{result.status}: {result.reason}"))
        if out:
            ET.SubElement(case, "system-out").text = "\n".join(out)
    root = ET.Element("testsuites", name="hookconform", tests=suite.get("tests", "0"))
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _fails_the_run(result: Result) -> bool:
    """A MUST that failed or could not run: what makes the exit code 1."""
    return result.level == "MUST" and result.status in ("failed", "blocked")


def _skipped(result: Result) -> bool:
    return result.status == "skipped" or (result.status == "blocked" and result.level != "MUST")


def write_junit(report: Report, path: str | Path) -> None:
    Path(path).write_text(to_junit(report), encoding="utf-8")


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
