"""Deliberately broken receivers: each one is examples/receiver.py with one step done wrong.

They exist to prove that every receiver check can fail: tests/test_receiver_matrix.py runs
the suite against each and expects exactly its check to fail. `serve()` runs any of them (or
the reference) on a free loopback port.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from click.testing import CliRunner
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from harness import pointers
from harness.cli import cli
from harness.options import ReceiverOptions
from harness.profiles import Profile
from harness.receiver import run_receiver
from harness.report import summary, to_json
from harness.schemas import registry_for, validator_for
from harness.strategies import RECEIVER_PATH, receiver_document

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "receiver.py"


def _load_reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hookconform_reference_receiver", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


reference = _load_reference()
Receiver = reference.Receiver
answer = reference.answer


class QuietHandler(reference.KeepAliveHandler):  # type: ignore[misc, name-defined]
    """No access log: a run sends hundreds of requests, and pytest would keep every line."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@contextmanager
def drops_connections() -> Iterator[str]:
    """A server on 127.0.0.1 that accepts every connection and closes it at once, never
    answering; yield its base URL."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        stop = threading.Event()

        def drop() -> None:
            while not stop.is_set():
                with suppress(OSError):
                    listener.accept()[0].close()

        threading.Thread(target=drop, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{listener.getsockname()[1]}"
        finally:
            stop.set()


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run `app` on 127.0.0.1 on a free port in a thread; yield its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}/hooks"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


class IgnoresAuthenticity(Receiver):
    """Never looks at the challenge header, the body token or the signature."""

    def authentic(self, request: Request, raw: bytes, body: Any) -> bool:
        return True


class CrashesOnUnknownField(Receiver):
    """Maps bodies onto a strict model: a field the schema does not declare is a 500."""

    def __init__(self, profile: Profile, secret: str | None = None) -> None:
        super().__init__(profile, secret)
        uri = "urn:hookconform:test:closed"
        registry = registry_for({uri: receiver_document(profile, closed=True)})
        body = ["post", "requestBody", "content", "application/json", "schema"]
        self.strict = [
            validator_for(
                uri, pointers.join(["paths", RECEIVER_PATH.format(index=i), *body]), registry
            )
            for i in range(len(profile.events))
        ]

    def accept(self, raw: bytes, body: Any, event: str) -> Response:
        if not any(validator.is_valid(body) for validator in self.strict):
            return answer(500, error="TypeError: unexpected keyword argument")
        return super().accept(raw, body, event)


class CrashesOnMalformedJson(Receiver):
    """Parses without handling errors: malformed JSON raises, which werkzeug answers 500."""

    def parse(self, raw: bytes) -> Any:
        try:
            return super().parse(raw)
        except ValueError as exc:
            raise RuntimeError("the handler crashed on a malformed body") from exc


class RejectsDuplicates(Receiver):
    """Answers 409 to a delivery it has seen before, instead of acknowledging the retry."""

    def accept(self, raw: bytes, body: Any, event: str) -> Response:
        if hashlib.sha256(raw).hexdigest() in self.seen:
            return answer(409, error="already received")
        return super().accept(raw, body, event)


class AnswersSlowly(Receiver):
    """Does its work before answering: every delivery takes `delay` seconds."""

    delay = 0.15

    def accept(self, raw: bytes, body: Any, event: str) -> Response:
        time.sleep(self.delay)
        return super().accept(raw, body, event)


class RejectsArrays(Receiver):
    """Expects a JSON object: an array body is a 400."""

    def parse(self, raw: bytes) -> Any:
        body = super().parse(raw)
        if isinstance(body, list):
            raise ValueError("expected an object")
        return body


class ForgetsHookSecretEcho(Receiver):
    """Answers the X-Hook-Secret handshake with a 200 but does not echo the header."""

    def handshake(self, request: Request) -> Response | None:
        response = super().handshake(request)
        return answer(200, ok=True) if response is not None else None


class FailsUnderConcurrency(Receiver):
    """Has `limit` workers (a small connection pool): a request beyond them gets a 503."""

    limit = 2
    hold = 0.05

    def __init__(self, profile: Profile, secret: str | None = None) -> None:
        super().__init__(profile, secret)
        self.active = 0
        self.gauge = threading.Lock()

    def handle(self, request: Request) -> Response:
        with self.gauge:
            self.active += 1
            busy = self.active > self.limit
        try:
            if busy:
                return answer(503, error="no free worker")
            time.sleep(self.hold)
            return super().handle(request)
        finally:
            with self.gauge:
                self.active -= 1


class SlowsUnderConcurrency(FailsUnderConcurrency):
    """Beyond `limit` requests at once, takes `slow` seconds (a queue behind a small pool)
    instead of refusing."""

    slow = 0.3

    def handle(self, request: Request) -> Response:
        with self.gauge:
            self.active += 1
            busy = self.active > self.limit
        try:
            time.sleep(self.slow if busy else 0.0)
            return Receiver.handle(self, request)
        finally:
            with self.gauge:
                self.active -= 1


class CrashesOnValidation(Receiver):
    """Treats the validation request as a delivery and crashes on its missing event name."""

    def validation_secret(self, request: Request, rule: dict[str, Any]) -> str | None:
        if super().validation_secret(request, rule) is not None:
            raise KeyError("event_name")
        return None


class WantsIsoTime(Receiver):
    """Reads the envelope's send time as ISO 8601, so HireHop's `YYYY-MM-DD HH:MM:SS` is a 400."""

    def accept(self, raw: bytes, body: Any, event: str) -> Response:
        stamp = pointers.get(body, self.profile.semantics.envelope.time or "")
        try:
            datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            return answer(400, error=f"time {stamp!r} is not ISO 8601")
        return super().accept(raw, body, event)


@dataclass
class SuiteRun:
    """What `hookconform receiver` printed, its exit code and its JSON report."""

    exit_code: int
    output: str
    report: dict[str, Any]

    def statuses(self, check: str) -> set[str]:
        return {r["status"] for r in self.check(check)["results"]}

    def check(self, check: str) -> dict[str, Any]:
        return next(c for c in self.report["checks"] if c["id"] == check)

    def failing(self, level: str | None = None) -> set[str]:
        """The ids of the checks with a failed result (at `level` when given)."""
        return {
            c["id"]
            for c in self.report["checks"]
            if any(r["status"] == "failed" for r in c["results"])
            and (level is None or c["level"] == level)
        }


# Small runs: two generated payloads per event, four at once.
SMALL = {"max_examples": 2, "concurrency": 4}


def run_suite(url: str, profile: Profile, **options: Any) -> SuiteRun:
    """Run the receiver suite in-process on an already loaded profile (fast: its generated
    strategies are cached) and see what the command would print and write."""
    report = run_receiver(profile, ReceiverOptions(url=url, **options))
    return SuiteRun(report.exit_code, summary(report), to_json(report))


def run_cli(*args: str, report: Path | None = None) -> SuiteRun:
    """Run `hookconform receiver ARGS` through click, reading the JSON report if written."""
    extra = ["--report", str(report)] if report else []
    result = CliRunner().invoke(cli, ["receiver", *args, *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    data = json.loads(report.read_text(encoding="utf-8")) if report and report.exists() else {}
    return SuiteRun(result.exit_code, result.output, data)
