"""The mock's outbound HTTP: every delivery attempt, handshake and validation request.

Each request passes the target rule (`harness.targets.TargetRule`: loopback and the
`--allow-target` entries, never the mock itself) at the moment it is sent, and goes to the
addresses that were checked, through one deadline-bounded client (`harness.transport`):
`--timeout` is the total time an attempt may take, whatever the receiver does. A URL the
rule refuses at send time (its name now resolves elsewhere) is a failed attempt that was
never sent.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.targets import Target, TargetRefused, TargetRule
from harness.transport import HttpClient, TransportError
from harness.wire import WireRequest
from mock_provider.http_json import ApiError

EXCERPT_BYTES = 2048
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Outcome:
    """What one HTTP attempt came to."""

    status_code: int | None
    error: str | None
    category: str  # 2xx, 3xx, 4xx, 5xx, timeout, connection-error
    duration_ms: float
    excerpt: str
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names


class Outbound:
    """Sends the mock's requests to allowed targets, each within `timeout` seconds."""

    def __init__(self, rule: TargetRule, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.rule = rule
        self.timeout = timeout
        self.client = HttpClient()

    def listening_on(self, host: str, port: int) -> None:
        """Learn the mock's own address and port: never a target."""
        self.rule = self.rule.listening_on(host, port)

    def check(self, url: Any) -> str:
        """`url` when the mock may deliver to it; a 422 saying why not otherwise."""
        try:
            self.rule.check(url)
        except TargetRefused as exc:
            raise ApiError(422, "target not allowed", str(exc)) from None
        return str(url)

    def send(self, url: str, request: WireRequest) -> Outcome:
        """One attempt: checked against the rule now, sent within the deadline."""
        started = time.perf_counter()
        try:
            target: Target = self.rule.check(url)
        except TargetRefused as exc:
            return Outcome(None, f"not sent: {exc}", "connection-error", _ms(started), "")
        try:
            answer = self.client.request(
                target,
                request.method,
                headers=request.headers,
                body=request.body,
                query=request.query,
                timeout=self.timeout,
                read_limit=EXCERPT_BYTES,
            )
        except TransportError as exc:
            category = "timeout" if exc.timed_out else "connection-error"
            words = "timeout" if exc.timed_out else "connection error"
            return Outcome(None, f"{words}: {exc}", category, _ms(started), "")
        excerpt = answer.body.decode("utf-8", "replace")
        status = answer.status
        category = f"{status // 100}xx"
        return Outcome(status, None, category, _ms(started), excerpt, answer.header_map())

    def close(self) -> None:
        self.client.close()


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
