"""schemathesis against the mock, in process: every profile's subscription API and the control
API answer no server error and nothing that breaks their declared response schemas.

Generated target URLs are pointed at a real loopback receiver and generated ids at existing
subscriptions and deliveries, so that successful answers (objects, lists, the delivery log)
are checked too, not only refusals.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from mock_support import Receiver, basic, bundled, receiver, resolver
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from mock_provider.app import Mock, MockConfig

CHECKS = [not_a_server_error, response_schema_conformance]
EXAMPLES = 15

CREDENTIALS = {
    "factorial-v1": {"Authorization": "Bearer test-api-key"},
    "factorial": {"x-api-key": "test-api-key"},
    "staffology": basic("test:test"),
    "resthooks": {},
}


@pytest.fixture
def endpoint() -> Iterator[Receiver]:
    with receiver() as found:
        yield found


def _mock(*profiles: str) -> Mock:
    config = MockConfig(list(profiles), time_scale=0.001, timeout=0.5, resolver=resolver())
    mock = Mock(config, bundled())
    mock.start()
    return mock


def _aim(case: Any, mock: Mock, target_url: str) -> None:
    """Point a generated case at the receiver and at things that exist."""
    api = mock.apis.get(next(iter(mock.profiles)))
    if isinstance(case.body, dict):
        for name in ("target_url", "url", api.fields.get("target_url") if api else None):
            if name and name in case.body:
                case.body[name] = target_url
    params = case.path_parameters
    if not params:
        return
    subscriptions = mock.store.subscriptions()
    if api and subscriptions and api.id_param in params:
        chosen = subscriptions[-1]
        params[api.id_param] = str(chosen.public_id)
        params.update({k: str(v) for k, v in chosen.scope.items()})
        deliveries = mock.store.deliveries(subscription=chosen.id, limit=1)
        for name in params:
            if (
                name not in (api.id_param, *chosen.scope)
                and deliveries
                and "payload" in name.lower()
            ):
                params[name] = deliveries[0].public_id
    for name in ("id",):
        if api is None and name in params and subscriptions:
            params[name] = subscriptions[-1].id


def _run(schema: Any, mock: Mock, headers: dict[str, str], target_url: str) -> collections.Counter:
    """Every operation with a bounded number of generated cases; statuses seen."""
    seen: collections.Counter = collections.Counter()
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            _aim(case, mock, target_url)
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            seen[response.status_code // 100] += 1

        check()
    return seen


def _seed(mock: Mock, profile: str, target_url: str) -> None:
    """A subscription made through the API from its documented example, and one delivery."""
    api = mock.apis[profile]
    create = api.by_role["create"].operation
    content = create.spec["requestBody"]["content"]["application/json"]
    body = dict(next(iter(content["examples"].values()))["value"])
    body[api.fields["target_url"]] = target_url
    path = create.path
    for name, value in (
        mock.profiles[profile].semantics["subscription"].get("path_parameters", {}).items()
    ):
        path = path.replace("{" + name + "}", str(value))
    client = mock_client(mock)
    answer = client.post(path, json=body, headers=CREDENTIALS[profile])
    assert answer.status_code < 300, answer.get_data(as_text=True)
    event = mock.store.subscriptions()[0].events[0]
    example = mock.profiles[profile].event(event).example()
    mock.engine.trigger(mock.profiles[profile], event, example)
    deadline = time.monotonic() + 5
    while mock.store.owed() and time.monotonic() < deadline:
        time.sleep(0.01)


def mock_client(mock: Mock) -> Any:
    from werkzeug.test import Client

    return Client(mock)


@pytest.mark.parametrize("profile", list(CREDENTIALS))
def test_profile_api_conforms_to_its_openapi(profile: str, endpoint: Receiver) -> None:
    mock = _mock(profile)
    try:
        _seed(mock, profile, endpoint.url)
        schema = schemathesis.openapi.from_wsgi(f"/_mock/profiles/{profile}/openapi.json", mock)
        seen = _run(schema, mock, CREDENTIALS[profile], endpoint.url)
    finally:
        mock.close()
    assert seen[2] > EXAMPLES, seen  # successful answers were checked ...
    assert seen[4] > 0, seen  # ... and refusals too


def test_control_api_conforms_to_its_openapi(endpoint: Receiver) -> None:
    mock = _mock("clockodo", "hirehop", "resthooks")
    try:
        mock.control.make_webhook(mock.profiles["hirehop"], ["job.status.updated"], endpoint.url)
        schema = schemathesis.openapi.from_wsgi("/_mock/openapi.json", mock)
        seen = _run(schema, mock, {}, endpoint.url)
    finally:
        mock.close()
    assert seen[2] > EXAMPLES, seen
    assert seen[4] > 0, seen
