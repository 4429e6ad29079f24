"""The two exception trees: usage and spec errors (exit 2) and conformance failures.

`HarnessError` and its subclasses are expected errors that the CLI prints as one line and
answers with exit code 2. `ConformanceFailure` subclasses are findings about the thing under
test: they are `AssertionError`s so that pytest reports them as test failures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.text import excerpt

if TYPE_CHECKING:
    from harness.capture import CapturedRequest


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
    """The thing under test broke a rule of its profile.

    Every failure renders itself: `lines()` for the terminal, JUnit XML and pytest, `to_json()`
    for the JSON report. A new cause is a new subclass; no reporter needs to change.
    """

    title = "Conformance failure"

    def __init__(self, message: str, *, expected: str = "", source: str = "") -> None:
        super().__init__(message)
        self.expected = expected
        self.source = source

    @property
    def kind(self) -> str:
        return type(self).__name__

    def details(self) -> list[str]:
        """What this cause adds to the message: what was sent, seen or arrived."""
        return []

    def lines(self) -> list[str]:
        lines = [str(self), *self.details()]
        if self.expected:
            lines.append(f"expected: {self.expected}")
        if self.source:
            lines.append(f"source:   {self.source}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "message": str(self),
            "expected": self.expected,
            "source": self.source,
        }


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
        super().__init__(
            f"{self.title}: expected {expected}; got {self.seen()}",
            expected=expected,
            source=source,
        )

    def seen(self) -> str:
        """The response in a few words: its status, or why there was none."""
        if self.response is None:
            return "nothing"
        if self.response.get("error"):
            return str(self.response["error"])
        return f"HTTP {self.response.get('status')}"

    def details(self) -> list[str]:
        request, response = self.request, self.response
        lines = [f"sent:     {request['method']} {request['url']}"]
        lines += [f"          {k}: {v}" for k, v in request["headers"].items()]
        lines.append(f"          body: {request['body'] or '(empty)'}")
        if response is None or response.get("error"):
            lines.append(f"seen:     {self.seen()}")
        else:
            lines.append(f"seen:     HTTP {response['status']} after {response['elapsed']:.3f} s")
            lines.append(f"          body: {response['body'] or '(empty)'}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "request": self.request, "response": self.response}


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


class ReplayAccepted(ExchangeFailure):
    """A correctly signed delivery dated outside the tolerance was answered with a 2xx."""

    title = "Replayed delivery accepted"


class LoadThresholdMissed(ConformanceFailure):
    """A promise a receiver did not keep under load: how many deliveries broke it, with a
    few of them (when sent, how long the answer took, what came of it)."""

    title = "Load threshold missed"

    def __init__(self, message: str, *, examples: Sequence[str] = (), **kw: Any) -> None:
        super().__init__(message, **kw)
        self.examples = list(examples)

    def details(self) -> list[str]:
        return [f"e.g. {example}" for example in self.examples]

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "examples": self.examples}


class AnswerTooSlow(ExchangeFailure):
    """An answer came after the provider's timeout, or not at all."""

    title = "Answer slower than the provider's timeout"


class HandshakeFailed(ExchangeFailure):
    """A handshake request was not answered the way the profile requires."""

    title = "Handshake not completed"


class SenderFailure(ConformanceFailure):
    """A sender broke a promise: what arrived at the capture server (`arrived`), what its API
    answered (`api`: a one-line summary, and `status`), and what was expected."""

    title = "Sender failure"

    def __init__(
        self,
        message: str,
        *,
        arrived: CapturedRequest | None = None,
        api: str = "",
        status: int | None = None,
        expected: str = "",
        source: str = "",
    ) -> None:
        super().__init__(message, expected=expected, source=source)
        self.arrived = arrived
        self.api = api
        self.status = status

    def details(self) -> list[str]:
        lines: list[str] = []
        arrived = self.arrived
        if arrived is not None:
            query = f"?{arrived.query}" if arrived.query else ""
            lines.append(f"arrived:  {arrived.method} {arrived.path}{query}")
            lines += [f"          {k}: {v}" for k, v in arrived.headers]
            lines.append(f"          body: {excerpt(arrived.body) or '(empty)'}")
        if self.api:
            lines.append(f"api:      {self.api}")
        return lines

    def to_json(self) -> dict[str, Any]:
        arrived = self.arrived
        return {
            **super().to_json(),
            "arrived": None
            if arrived is None
            else {
                "method": arrived.method,
                "path": arrived.path,
                "query": arrived.query,
                "headers": dict(arrived.headers),
                "body_excerpt": excerpt(arrived.body),
                "at": arrived.arrived_at.isoformat(timespec="milliseconds"),
            },
            "api_response": self.api or None,
        }


# What arrived, or did not.


class DeliveryMissing(SenderFailure):
    """A delivery that should have come did not come in time."""

    title = "Delivery missing"


class UnexpectedDelivery(SenderFailure):
    """Something arrived that the profile says must not (after delete, Gone, a 2xx...)."""

    title = "Unexpected delivery"


class DeliveryMalformed(SenderFailure):
    """A delivery came, but its body, headers, envelope or proof break the profile."""

    title = "Delivery does not keep the profile's promise"


class WrongSchedule(SenderFailure):
    """Retries came, but not when the profile's schedule says."""

    title = "Retries off the schedule"


class TooLate(SenderFailure):
    """The first attempt came later than the profile's latency promise."""

    title = "Delivery later than promised"


class HandshakeMissing(SenderFailure):
    """The handshake the profile promises (X-Hook-Secret, a validation request) did not come
    or came without its secret."""

    title = "Handshake missing"


# What the subscription API did.


class SubscriptionRefused(SenderFailure):
    """The API refused a subscription the profile says it takes (`status`: its answer)."""

    title = "Subscription refused"


class RefusalMissing(SenderFailure):
    """The API took a request the profile says it refuses (a duplicate, a failed handshake)."""

    title = "Refusal missing"


class DuplicateMade(SenderFailure):
    """A create for a subscription that exists made a second one, where the profile says it
    answers the existing one (`on_duplicate: existing`)."""

    title = "Duplicate subscription made"


class ApiCallFailed(SenderFailure):
    """A change, a delete or a confirmation through the API did not succeed."""

    title = "Subscription API call failed"


class ApiNoAnswer(SenderFailure):
    """The subscription API gave no HTTP answer at all."""

    title = "No answer from the subscription API"


class WrongState(SenderFailure):
    """The API shows a subscription in a state the profile does not allow after what
    happened (still active after Gone or exhaustion, listed after delete, ...)."""

    title = "Subscription in the wrong state"


class ApiFindings(SenderFailure):
    """schemathesis found server errors or answers that break the API's own document."""

    title = "Subscription API breaks its OpenAPI document"
