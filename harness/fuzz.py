"""schemathesis against a sender's subscription API, as the profile's OpenAPI describes it.

Every operation of the profile's `paths` gets a bounded number of generated requests (valid
and invalid ones); each answer must not be a server error and must match the response schema
the document declares for its status.

schemathesis sends with `requests`, which would look the host up again: the requests go to
the address the run pinned instead, with the host name in the Host header (and in TLS's
server name for https), so the fuzzed API is the one the rest of the run talks to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from requests.adapters import HTTPAdapter
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from harness.profiles import Profile
from harness.strategies import BACKEND
from harness.targets import Target

CHECKS = [not_a_server_error, response_schema_conformance]


@dataclass(frozen=True)
class FuzzProblem:
    """One answer that broke a check: which operation, which check, the details."""

    operation: str
    title: str
    detail: str


def api_document(profile: Profile) -> dict[str, Any]:
    """The profile's subscription API alone, as an OpenAPI 3.1 document."""
    document = {k: v for k, v in profile.openapi.items() if k != "webhooks"}
    document.setdefault("paths", {})
    return document


class _Pinned(HTTPAdapter):
    """TLS to an address, checked against the host name the URL had."""

    def __init__(self, host: str) -> None:
        self.host = host
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["server_hostname"] = kwargs["assert_hostname"] = self.host
        super().init_poolmanager(*args, **kwargs)


def pinned_session(base: Target) -> tuple[requests.Session, str, dict[str, str]]:
    """A requests session, the base URL on the pinned address, and the Host header for it."""
    address = base.addresses[0]
    shown = f"[{address}]" if ":" in address else address
    url = f"{base.scheme}://{shown}:{base.port}{base.path.split('?')[0].rstrip('/')}"
    session = requests.Session()
    if base.scheme == "https":
        session.mount(f"https://{shown}:{base.port}", _Pinned(base.host))
    return session, url, {"Host": base.authority}


def fuzz(
    profile: Profile,
    base: Target,
    *,
    headers: Mapping[str, str] | None = None,
    max_examples: int = 10,
    seed_value: int = 0,
) -> list[FuzzProblem]:
    """Run the checks on every operation; the problems found (at most one per operation)."""
    schema = schemathesis.openapi.from_dict(api_document(profile))
    session, base_url, host = pinned_session(base)
    sent = {**dict(headers or {}), **host}
    problems = []
    try:
        for result in schema.get_all_operations():
            operation = result.ok()  # type: ignore[union-attr]  # the document is valid
            problem = _fuzz_operation(operation, session, base_url, sent, max_examples, seed_value)
            if problem is not None:
                problems.append(problem)
    finally:
        session.close()
    return problems


def _fuzz_operation(
    operation: Any,
    session: requests.Session,
    base_url: str,
    headers: dict[str, str],
    max_examples: int,
    seed_value: int,
) -> FuzzProblem | None:
    found: list[FuzzProblem] = []

    @seed(seed_value)
    @settings(
        max_examples=max_examples,
        derandomize=False,  # the seed decides, whatever settings profile the caller loaded
        backend=BACKEND,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy())
    def one(case: Any) -> None:
        if found:
            return
        try:
            response = case.call(base_url=base_url, session=session, headers=headers, timeout=10)
        except OSError as exc:  # requests' errors: refused, reset, timed out
            found.append(
                FuzzProblem(
                    operation.label,
                    "No answer",
                    f"{case.method} {case.formatted_path}: {exc}"[:800],
                )
            )
            return
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, FailureGroup) as exc:  # one failure, or several at once
            failures = exc.exceptions if isinstance(exc, FailureGroup) else (exc,)
            titles = [getattr(f, "title", "") or type(f).__name__ for f in failures]
            text = "; ".join(str(f).strip() for f in failures)
            found.append(
                FuzzProblem(
                    operation.label,
                    " / ".join(titles),
                    f"{case.method} {case.formatted_path} -> {response.status_code}: {text}"[:800],
                )
            )

    one()
    return found[0] if found else None


def fuzz_subscription_api(run: Any) -> list[FuzzProblem]:
    """`fuzz` with a sender run's API base and credentials."""
    client = run.client
    return fuzz(run.profile, client.base, headers=client.headers)
