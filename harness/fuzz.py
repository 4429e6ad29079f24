"""schemathesis against a sender's subscription API, as the profile's OpenAPI describes it.

Every operation of the profile's `paths` gets a bounded number of generated requests (valid
and invalid ones); each answer must not be a server error and must match the response schema
the document declares for its status.

A sender under test may be a real one, so the generated requests are aimed (`Aim`): every
body's target URL field is the harness's capture server (a subscription the fuzzer creates
delivers nowhere else), every path parameter the profile gives a value takes that value, and
a subscription id in a path is the id of a subscription the run made itself, so no request
touches a subscription the run did not make. What the creates made is reported, so that the
run deletes it.

schemathesis sends with `requests`, which would look the host up again: the requests go to
the address the run pinned instead, with the host name in the Host header (and in TLS's
server name for https), so the fuzzed API is the one the rest of the run talks to.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from requests.adapters import HTTPAdapter
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from harness.profiles import PATH_PARAMETER, Profile
from harness.strategies import BACKEND
from harness.targets import Target

if TYPE_CHECKING:
    from harness.sender import Handle, SenderRun

CHECKS = [not_a_server_error, response_schema_conformance]
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Aim:
    """What every generated request is pinned to (see the module docstring)."""

    target_url: str
    target_fields: frozenset[str]  # the body fields that hold a subscription's target URL
    path_values: Mapping[str, Any]  # fixed path parameters and the run's own subscription id
    create: str | None  # the create operation's operationId
    made: Callable[[Any], None]  # told each 2xx answer body of the create operation

    def leaves_out(self, operation: Any) -> bool:
        """An operation that could change what the run did not make: it writes, and names
        something by a path parameter the aim has no value for."""
        if operation.method.upper() in SAFE_METHODS:
            return False
        names = PATH_PARAMETER.findall(operation.path)
        return any(name not in self.path_values for name in names)

    def apply(self, case: Any) -> None:
        if isinstance(case.body, dict):
            for name in self.target_fields & set(case.body):
                case.body[name] = self.target_url
        if case.path_parameters:
            for name in self.path_values.keys() & set(case.path_parameters):
                case.path_parameters[name] = self.path_values[name]

    def answered(self, case: Any, response: Any) -> None:
        if case.operation.definition.raw.get("operationId") != self.create:
            return
        if 200 <= response.status_code < 300:
            with contextlib.suppress(ValueError):
                self.made(response.json())


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
    aim: Aim,
    *,
    headers: Mapping[str, str] | None = None,
    max_examples: int = 10,
    seed_value: int = 0,
) -> tuple[list[FuzzProblem], list[str]]:
    """Run the checks on every operation, each request aimed by `aim`: the problems found
    (at most one per operation) and the operations left out (`Aim.leaves_out`)."""
    schema = schemathesis.openapi.from_dict(api_document(profile))
    session, base_url, host = pinned_session(base)
    sent = {**dict(headers or {}), **host}
    problems, left_out = [], []
    try:
        for result in schema.get_all_operations():
            operation = result.ok()  # type: ignore[union-attr]  # the document is valid
            if aim.leaves_out(operation):
                left_out.append(operation.label)
                continue
            problem = _fuzz_operation(
                operation, aim, session, base_url, sent, max_examples, seed_value
            )
            if problem is not None:
                problems.append(problem)
    finally:
        session.close()
    return problems, left_out


def _fuzz_operation(
    operation: Any,
    aim: Aim,
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
        aim.apply(case)
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
        aim.answered(case, response)
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


def fuzz_subscription_api(
    run: SenderRun, own: Handle | None
) -> tuple[list[FuzzProblem], list[str]]:
    """`fuzz` with a sender run's API base and credentials, aimed at its capture server and
    at `own`, a subscription the run made for it (None: the API would not make one)."""
    client = run.client
    assert client is not None  # S-api-fuzz applies to API-managed profiles only
    profile = run.profile
    rule = profile.semantics.subscription
    values: dict[str, Any] = dict(rule.path_parameters)
    if profile.id_parameter is not None and own and own.subscription is not None:
        values[profile.id_parameter] = own.subscription.id
    target_fields = {rule.request_field("target_url"), rule.fields.target_url} - {None}

    def made(body: Any) -> None:
        subscription = client.parse(body)
        if subscription is not None:
            run.made(subscription)

    create = profile.subscription_operation("create")
    aim = Aim(
        target_url=run.capture.url_for(f"{profile.name}-fuzzed"),
        target_fields=frozenset(str(f) for f in target_fields),
        path_values=values,
        create=create.operation_id if create else None,
        made=made,
    )
    return fuzz(profile, client.base, aim, headers=client.headers)
