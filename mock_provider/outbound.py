"""The mock's outbound HTTP: every delivery attempt, handshake and validation request.

Each request passes the target rule (`harness.targets.TargetRule`: loopback and the
`--allow-target` entries, never the mock itself) at the moment it is sent, and goes to the
addresses that were checked, through one deadline-bounded client (`harness.transport`):
the deadline is the total time an attempt may take, whatever the receiver does, and is the
provider's own (the profile's `timeout.seconds`; a handshake's `seconds` for its request)
unless `--timeout` sets one for all. A URL the
rule refuses at send time (its name now resolves elsewhere) is a failed attempt that was
never sent.

A redirect is followed only when the profile says its provider follows it (`redirects`),
at most `max_hops` times, each hop passing the target rule and all within the one deadline;
the last answer is the attempt's outcome.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from harness.profiles import Profile
from harness.semantics import RedirectsRule
from harness.targets import Target, TargetRefused, TargetRule
from harness.transport import FRAMING, HttpClient, TransportError
from harness.wire import WireRequest
from mock_provider.http_json import ApiError
from mock_provider.store import Attempt

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
    """Sends the mock's requests to allowed targets, each within its deadline: `timeout`
    seconds when given (`--timeout`), else the provider's own (`deadline_for`)."""

    def __init__(self, rule: TargetRule, *, timeout: float | None = None) -> None:
        self.rule = rule
        self.timeout = timeout
        self.client = HttpClient()

    def deadline_for(self, profile: Profile, *, handshake: bool = False) -> float:
        """Seconds a request of `profile`'s provider waits for its answer: `--timeout`, else
        the handshake's time limit (for a handshake request), else the profile's timeout,
        else `DEFAULT_TIMEOUT` (a provider that waits indefinitely is not emulated)."""
        if self.timeout is not None:
            return self.timeout
        limit = profile.semantics.handshake.seconds if handshake else None
        return limit or profile.semantics.timeout.seconds or DEFAULT_TIMEOUT

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

    def send(
        self,
        url: str,
        request: WireRequest,
        *,
        deadline: float,
        redirects: RedirectsRule | None = None,
    ) -> Outcome:
        """One attempt: checked against the rule now, sent within `deadline` seconds in all,
        following the redirects `redirects` says to follow."""
        started = time.perf_counter()
        hops = 0
        while True:
            try:
                target: Target = self.rule.check(url)
            except TargetRefused as exc:
                where = f" (redirected {hops} time(s))" if hops else ""
                return Outcome(
                    None, f"not sent{where}: {exc}", "connection-error", _ms(started), ""
                )
            # the first hop has the whole deadline (and says so when it passes); a redirect
            # has what is left of it
            left = deadline - (time.perf_counter() - started) if hops else deadline
            if left <= 0:
                words = f"timeout: the deadline passed after {hops} redirect(s)"
                return Outcome(None, words, "timeout", _ms(started), "")
            try:
                answer = self.client.request(
                    target,
                    request.method,
                    headers=request.headers,
                    body=request.body,
                    query=request.query,
                    timeout=left,
                    read_limit=EXCERPT_BYTES,
                )
            except TransportError as exc:
                category = "timeout" if exc.timed_out else "connection-error"
                words = "timeout" if exc.timed_out else "connection error"
                return Outcome(None, f"{words}: {exc}", category, _ms(started), "")
            headers = answer.header_map()
            location = headers.get("location")
            status = answer.status
            if redirects and redirects.follows(status) and location and hops < redirects.max_hops:
                url, request = urljoin(url, location), _redirected(request, status, redirects)
                hops += 1
                continue
            excerpt = answer.body.decode("utf-8", "replace")
            return Outcome(status, None, f"{status // 100}xx", _ms(started), excerpt, headers)

    def close(self) -> None:
        self.client.close()


def _redirected(request: WireRequest, status: int, redirects: RedirectsRule) -> WireRequest:
    """The request sent to a redirect's Location: the same, or a GET without its body."""
    method = redirects.method_after(status, request.method)
    if method == request.method:
        return request
    headers = {
        k: v
        for k, v in request.headers.items()
        if k.lower() not in FRAMING and k.lower() != "content-type"
    }
    return WireRequest(method, headers, b"", request.query)


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


# What the mock sent and what came back, a line each, for a person at its terminal
# (`hookconform mock` prints it; elsewhere it goes nowhere unless a handler is added).
activity = logging.getLogger("mock_provider.activity")


def logged_attempt(number: int, request: WireRequest, outcome: Outcome, at: float) -> Attempt:
    """An HTTP attempt as the store logs it: the request sent, what it came to, and `at`, the
    time it was made on the mock's clock."""
    return Attempt(
        number=number,
        at=at,
        status_code=outcome.status_code,
        duration_ms=outcome.duration_ms,
        error=outcome.error,
        request={
            "method": request.method,
            "headers": request.headers,
            "query": request.query,
            "body": request.body.decode("utf-8", "replace"),
        },
        response_excerpt=outcome.excerpt,
    )
