"""A client of a provider's subscription API, driven by the profile rather than by code.

The profile says which operation plays which role (`semantics.subscription.operations`),
which field holds the event, the target URL, the active flag and the secret (`fields`, and
`request_fields` where a request body names one differently), and example values for path
parameters such as an API version (`path_parameters`). Request bodies start from the
operation's first example in openapi.yaml and take only fields its schema declares, so a
required extra such as Factorial's `company_id` comes from the profile, not from code.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.errors import ApiNoAnswer, HarnessError, TargetUnreachable
from harness.profiles import PATH_PARAMETER, Operation, Profile
from harness.semantics import SubscriptionRule
from harness.targets import Target
from harness.transport import HttpClient, TransportError, call_json


@dataclass(frozen=True)
class ApiResponse:
    """What the subscription API answered."""

    method: str
    url: str
    request_body: Any
    status: int
    headers: dict[str, str]
    body: Any  # parsed JSON, or the text when it is not JSON

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def summary(self) -> str:
        text = self.body if isinstance(self.body, str) else json.dumps(self.body)
        return f"{self.method} {self.url} -> {self.status} {text[:300]}"


@dataclass
class ApiSubscription:
    """A subscription as the API described it."""

    id: Any
    event: str
    target_url: str
    active: bool | None
    raw: dict[str, Any] = field(default_factory=dict)


class SubscriptionClient:
    """Create, list, get, update and delete subscriptions through a profile's API."""

    def __init__(
        self,
        profile: Profile,
        base: Target,
        *,
        headers: Mapping[str, str] | None = None,
        basic_auth: tuple[str, str] | None = None,
        timeout: float = 10.0,
        http: HttpClient | None = None,
    ) -> None:
        if not profile.semantics.subscription.managed_by_api:
            raise HarnessError(
                f"profile {profile.name!r} has no subscription API: its subscriptions are "
                "made in the provider's settings screen"
            )
        self.profile = profile
        self.base = base.with_path(base.path.split("?")[0].rstrip("/"))
        self.base_url = base.url.split("?")[0].rstrip("/")
        self.headers = {"Accept": "application/json", **(headers or {})}
        if basic_auth:
            token = base64.b64encode(":".join(basic_auth).encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"
        self.timeout = timeout
        self.http = http or HttpClient()
        self.rule = profile.semantics.subscription
        self.path_values: dict[str, Any] = dict(self.rule.path_parameters)

    # The roles.

    def can(self, role: str) -> bool:
        return self.profile.subscription_operation(role) is not None

    def create(
        self, event: str, target_url: str, *, secret: str | None = None
    ) -> tuple[ApiResponse, ApiSubscription | None]:
        """Subscribe `target_url` to `event`; the answer and, when it is 2xx, the subscription
        (what was sent, when the answer has no body; the id from a Location header)."""
        authenticity = self.profile.semantics.authenticity
        value = authenticity.subscription_value(secret) if secret is not None else None
        values = {"event": event, "target_url": target_url, "secret": value, "active": True}
        body = self._body("create", values)
        response = self._call("create", body=body)
        made = self.parse(response.body) if response.ok else None
        if response.ok and response.body is None:  # a create answered without a body
            made = ApiSubscription(None, event, target_url, None, raw=dict(body or {}))
        if made is not None and made.id is None:
            made.id = _id_from_location(response.headers.get("location"))
        return response, made

    def list(self) -> tuple[ApiResponse, list[ApiSubscription]]:
        """Every subscription the API lists."""
        response = self._call("list")
        field = self.rule.vocabulary.list.items
        items = response.body.get(field, []) if isinstance(response.body, dict) and field else []
        if isinstance(response.body, list):
            items = response.body
        found = [self.parse(item) for item in items or [] if isinstance(item, dict)]
        return response, [s for s in found if s is not None]

    def get(self, subscription: ApiSubscription) -> tuple[ApiResponse, ApiSubscription | None]:
        """One subscription by id; None when the API no longer knows it."""
        response = self._call("get", subscription=subscription)
        return response, self.parse(response.body) if response.ok else None

    def update(self, subscription: ApiSubscription, **changes: Any) -> ApiResponse:
        """Change `active`, `target_url` or `event` of a subscription."""
        values = {
            "id": subscription.id,
            "event": subscription.event,
            "target_url": subscription.target_url,
            "active": subscription.active,
            **changes,
        }
        return self._call("update", subscription=subscription, body=self._body("update", values))

    def delete(self, subscription: ApiSubscription) -> ApiResponse:
        values = {"id": subscription.id, "event": subscription.event}
        return self._call("delete", subscription=subscription, body=self._body("delete", values))

    def find(self, subscription: ApiSubscription) -> ApiSubscription | None:
        """The subscription as the API shows it now (get where it can, the list otherwise)."""
        if self.can("get"):
            return self.get(subscription)[1]
        _, listed = self.list()
        return next((s for s in listed if _same(s, subscription, self.rule)), None)

    def parse(self, item: Any) -> ApiSubscription | None:
        """A subscription from an API object, by the profile's field names."""
        if isinstance(item, list) and len(item) == 1:
            item = item[0]
        if not isinstance(item, dict):
            return None
        fields = self.rule.fields
        return ApiSubscription(
            id=item.get(fields.id or "id"),
            event=item.get(fields.event or "", ""),
            target_url=item.get(fields.target_url or "", ""),
            active=item.get(fields.active) if fields.active else None,
            raw=item,
        )

    # Requests.

    def _operation(self, role: str) -> Operation:
        operation = self.profile.subscription_operation(role)
        if operation is None:
            raise HarnessError(f"profile {self.profile.name!r} has no {role} operation")
        return operation

    def _body(self, role: str, values: Mapping[str, Any]) -> dict[str, Any] | None:
        """The request body: the operation's example, the given values by field name, and only
        fields its schema declares."""
        spec = self._operation(role).spec.get("requestBody")
        if not spec:
            return None
        media = spec.get("content", {}).get("application/json", {})
        schema = self.profile.resolve(media.get("schema", {}))
        declared = _declared(self.profile, schema)
        examples = list(media.get("examples", {}).values())
        body = dict(examples[0]["value"]) if examples and role == "create" else {}
        for part, value in values.items():
            name = self._request_field(part)
            if not name or (declared and name not in declared):
                continue
            if value is None:
                body.pop(name, None)
            else:
                body[name] = value
        return body

    def _request_field(self, part: str) -> str | None:
        """The body's name for `part`; the secret's is the authenticity kind's field unless
        the subscription rule names it."""
        name = self.rule.request_field(part)
        if name is None and part == "secret":
            return self.profile.semantics.authenticity.subscription_field
        return name

    def _path(self, operation: Operation, subscription: ApiSubscription | None) -> str:
        values = dict(self.path_values)
        if subscription is not None and self.profile.id_parameter is not None:
            values[self.profile.id_parameter] = subscription.id

        def fill(match: re.Match[str]) -> str:
            # `specs validate` makes sure every parameter has a value or is the id.
            return str(values.get(match.group(1), ""))

        return PATH_PARAMETER.sub(fill, operation.path)

    def _call(
        self, role: str, *, subscription: ApiSubscription | None = None, body: Any = None
    ) -> ApiResponse:
        operation = self._operation(role)
        path = self._path(operation, subscription)
        url = self.base_url + path
        target = self.base.with_path(self.base.path + path)
        try:
            answer = call_json(
                self.http,
                target,
                operation.method,
                body=body,
                headers=self.headers,
                timeout=self.timeout,
            )
        except TransportError as exc:
            if exc.refused:
                raise TargetUnreachable(
                    f"cannot reach the subscription API at {url}: {exc}"
                ) from None
            raise ApiNoAnswer(  # reachable, but no answer: a broken API
                f"{operation.method} {url} got no answer: {exc}",
                expected="an HTTP answer from the subscription API",
            ) from None
        headers = {k.lower(): v for k, v in answer.headers}
        return ApiResponse(operation.method, url, body, answer.status, headers, answer.parsed())


def _declared(profile: Profile, schema: Any) -> set[str]:
    """The property names a request schema declares (through allOf too)."""
    schema = profile.resolve(schema)
    if not isinstance(schema, dict):
        return set()
    names = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        names |= _declared(profile, part)
    return names


def _same(a: ApiSubscription, b: ApiSubscription, rule: SubscriptionRule) -> bool:
    if rule.fields.id is not None and a.id is not None and b.id is not None:
        return str(a.id) == str(b.id)
    return a.event == b.event


def _id_from_location(location: str | None) -> str | None:
    return location.rstrip("/").rsplit("/", 1)[-1] if location else None
