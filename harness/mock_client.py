"""The one client of a hookconform mock provider's control API (`/_mock/`), and the mock's
default credentials.

The sender suite, the pytest fixtures and `hookconform trigger` all talk to a mock through
`MockClient`; the mock provider takes its default credentials from here, so both sides agree
on them without the harness importing the mock.
"""

from __future__ import annotations

from typing import Any

from harness.errors import HarnessError, TargetUnreachable
from harness.profiles import Profile
from harness.security import requirements
from harness.targets import Target, pin
from harness.transport import HttpClient, TransportError, call_json

CONTROL = "/_mock"
# What a mock accepts unless told otherwise (`hookconform mock --api-key`, `--basic-auth`).
DEFAULT_API_KEY = "test-api-key"
DEFAULT_BASIC_AUTH = "test:test"
TIMEOUT = 30.0


def mock_credentials(profile: Profile) -> tuple[dict[str, str], tuple[str, str] | None]:
    """A mock's default credentials in the form the profile's first security requirement
    asks for: (headers, basic auth)."""
    for needed in requirements(profile.openapi, {}):
        for scheme in needed:
            if scheme.kind == "api-key" and scheme.header:
                return {scheme.header: DEFAULT_API_KEY}, None
            if scheme.kind == "bearer":
                return {"Authorization": f"Bearer {DEFAULT_API_KEY}"}, None
            if scheme.kind == "basic":
                user, _, password = DEFAULT_BASIC_AUTH.partition(":")
                return {}, (user, password)
    return {}, None


class WebhookRefused(HarnessError):
    """The mock refused to make a webhook (`status`: its answer), e.g. a failed challenge."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class MockClient:
    """Calls to the control API of the mock whose base is `root` (its URL, or a
    `/<profile>/` mount of it)."""

    def __init__(self, root: Target, http: HttpClient | None = None) -> None:
        self.root = root.with_path(root.path.split("?")[0].rstrip("/"))
        self.http = http or HttpClient()

    @property
    def url(self) -> str:
        """The mock's base URL, as the user gave it (without a trailing slash)."""
        base = self.root.url.split("?")[0].rstrip("/")
        return base.removesuffix(CONTROL)

    @classmethod
    def at(cls, url: str, http: HttpClient | None = None) -> MockClient:
        """A client of the mock at `url` (`TargetRefused` for a URL not to use)."""
        target = pin(url)
        return cls(target.with_path(target.path.removesuffix("/").removesuffix(CONTROL)), http)

    @classmethod
    def detect(cls, api: Target, http: HttpClient) -> MockClient | None:
        """The mock behind `api` (its base URL or a `/<profile>/` mount), if it is one: known
        by a harmless GET of its profile list. `TargetUnreachable` when nothing answers."""
        base = api.path.split("?")[0].rstrip("/")
        for root in dict.fromkeys([base, ""]):
            candidate = cls(api.with_path(root), http)
            try:
                answer = candidate.http.request(
                    candidate._at("/profiles"), "GET", timeout=5, read_limit=1024 * 1024
                )
            except TransportError as exc:
                if exc.refused:
                    raise TargetUnreachable(f"cannot reach {api.url}: {exc}") from None
                continue
            if answer.status == 200 and b'"profiles"' in answer.body:
                return candidate
        return None

    def _at(self, path: str) -> Target:
        return self.root.with_path(f"{self.root.path}{CONTROL}{path}")

    def reachable(self) -> None:
        """`TargetUnreachable` unless the mock answers (any status will do)."""
        try:
            self.http.request(self._at("/profiles"), "GET", timeout=5)
        except TransportError as exc:
            raise TargetUnreachable(f"cannot reach the mock at {self.url}: {exc}") from None

    def call(
        self, method: str, path: str, body: Any = None, *, timeout: float = TIMEOUT
    ) -> tuple[int, Any]:
        """(status, the answer as JSON or text); `HarnessError` when none came."""
        try:
            answer = call_json(self.http, self._at(path), method, body=body, timeout=timeout)
        except TransportError as exc:
            raise HarnessError(f"the mock's control API failed: {method} {path}: {exc}") from None
        return answer.status, answer.parsed()

    def checked(self, method: str, path: str, body: Any = None, *, timeout: float = TIMEOUT) -> Any:
        """The answer of a call that must succeed; `HarnessError` with the mock's reason."""
        status, answer = self.call(method, path, body, timeout=timeout)
        if not 200 <= status < 300:
            detail = answer.get("detail", answer) if isinstance(answer, dict) else answer
            raise HarnessError(f"the mock refused {method} {CONTROL}{path} ({status}): {detail}")
        return answer

    def create_webhook(
        self, profile: Profile, served_as: str, event: str, url: str, secret: str | None
    ) -> dict[str, Any]:
        """A webhook made as a person would in the provider's settings screen: the mock's
        answer (`served_as`: the profile's name on the mock)."""
        body: dict[str, Any] = {"profile": served_as, "url": url}
        if profile.semantics.subscription.one_event:
            body["event"] = event
        else:
            body["events"] = [event]
        field = profile.semantics.authenticity.subscription_field
        if field is not None and secret is not None:
            body[field] = secret
        status, made = self.call("POST", "/webhooks", body)
        if not 200 <= status < 300:
            detail = made.get("detail", made) if isinstance(made, dict) else made
            raise WebhookRefused(
                f"the mock refused POST {CONTROL}/webhooks ({status}): {detail}", status
            )
        assert isinstance(made, dict)
        return made

    def close(self) -> None:
        self.http.close()
