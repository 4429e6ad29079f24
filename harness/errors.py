"""The two exception trees: usage and spec errors (exit 2) and conformance failures.

`HarnessError` and its subclasses are expected errors that the CLI prints as one line and
answers with exit code 2. `ConformanceFailure` subclasses are findings about the thing under
test: they are `AssertionError`s so that pytest reports them as test failures.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class HarnessError(Exception):
    """A usage, configuration or spec error: the run cannot start or go on."""

    exit_code = 2


class UnknownProfileError(HarnessError):
    """A profile name that no loaded specs folder defines."""


class UnknownEventError(HarnessError):
    """An event type that the profile does not define."""


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
