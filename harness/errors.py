"""The two exception trees: usage and spec errors (exit 2) and conformance failures.

`HarnessError` and its subclasses are expected errors that the CLI prints as one line and
answers with exit code 2. `ConformanceFailure` subclasses are findings about the thing under
test: they are `AssertionError`s so that pytest reports them as test failures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class HarnessError(Exception):
    """A usage, configuration or spec error: the run cannot start or go on."""

    exit_code = 2


class UnknownProfileError(HarnessError):
    """A profile name that no loaded specs folder defines."""


class UnknownEventError(HarnessError):
    """An event type that the profile does not define."""


class TargetUnreachable(HarnessError):
    """The system under test cannot be reached at all (connection refused, no such host)."""

    exit_code = 3


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a profile: the file, where in it, and what."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.message}"


class SpecError(HarnessError):
    """One or more profiles are invalid; `problems` lists every one."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        head = str(self.problems[0]) if self.problems else "invalid profile"
        more = f" (and {count - 1} more problems)" if count > 1 else ""
        super().__init__(head + more)


class ConformanceFailure(AssertionError):
    """The thing under test broke a rule of its profile."""

    title = "Conformance failure"


class SchemaViolation(ConformanceFailure):
    """A payload does not match its event schema."""

    title = "Payload does not match the event schema"

    def __init__(self, profile: str, event: str, errors: Iterable[str]) -> None:
        self.profile = profile
        self.event = event
        self.errors = list(errors)
        lines = "\n".join(f"  - {error}" for error in self.errors)
        super().__init__(f"{self.title} ({profile}, {event}):\n{lines}")


class ExchangeFailure(ConformanceFailure):
    """A failure seen in one HTTP exchange: the request sent, the response seen (None when
    there was none), what was expected and the source sentence of the rule.

    `request` and `response` are plain mappings (method, url, headers, body excerpt; status,
    headers, body excerpt, error, elapsed) so that reports can print and serialize them.
    """

    title = "Unexpected answer"

    def __init__(
        self,
        *,
        request: Mapping[str, Any],
        response: Mapping[str, Any] | None,
        expected: str,
        source: str = "",
    ) -> None:
        self.request = dict(request)
        self.response = dict(response) if response is not None else None
        self.expected = expected
        self.source = source
        super().__init__(f"{self.title}: expected {expected}; got {self.seen()}")

    def seen(self) -> str:
        """The response in a few words: its status, or why there was none."""
        if self.response is None:
            return "nothing"
        if self.response.get("error"):
            return str(self.response["error"])
        return f"HTTP {self.response.get('status')}"


class DeliveryNotAccepted(ExchangeFailure):
    """A delivery the provider really sends was not answered with a 2xx."""

    title = "Delivery not accepted"


class ServerErrorOnBadInput(ExchangeFailure):
    """Bad input caused a 5xx or a dropped connection, which a provider retries."""

    title = "Server error or dropped connection on bad input"


class BadInputNotRejected(ExchangeFailure):
    """Bad input was not answered with a 4xx."""

    title = "Bad input not rejected with a 4xx"


class ForgeryAccepted(ExchangeFailure):
    """A delivery with a wrong or missing authenticity proof was answered with a 2xx."""

    title = "Forged delivery accepted"


class AnswerTooSlow(ExchangeFailure):
    """An answer came after the provider's timeout, or not at all."""

    title = "Answer slower than the provider's timeout"


class HandshakeFailed(ExchangeFailure):
    """A handshake request was not answered the way the profile requires."""

    title = "Handshake not completed"


class SenderFailure(ConformanceFailure):
    """A sender broke a promise; what arrived (or was answered) and what was expected."""

    title = "Sender failure"

    def __init__(
        self,
        message: str,
        *,
        request: object | None = None,
        response: str = "",
        expected: str = "",
        source: str = "",
    ) -> None:
        self.request = request  # the harness.capture.CapturedRequest that arrived, if any
        self.response = response  # what the sender's API answered, if it is about a call
        self.expected = expected
        self.source = source
        super().__init__(message)


class DeliveryFailure(SenderFailure):
    """A delivery that should not have come, did not come, or came wrong."""

    title = "Delivery does not keep the profile's promise"


class SubscriptionFailure(SenderFailure):
    """The subscription API did not behave as the profile says."""

    title = "Subscription API does not keep the profile's promise"
