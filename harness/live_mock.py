"""A running mock provider as a test sees it: the handle the pytest fixtures hand out.

    mock = LiveMock.start("resthooks", time_scale=0.001)
    subscription = mock.subscribe("contact.created", "http://127.0.0.1:9000/hooks")
    mock.trigger("contact.created", set={"/data/id": 42})
    [delivery] = mock.wait_for_deliveries(1, timeout=5)
    mock.stop()

With `clock="virtual"` time stands still until `mock.advance(seconds)` moves it: the retries
that fall due on the way are made at their exact times before it returns.

Subscriptions go through the profile's own subscription API (the profile's OpenAPI and its
`semantics.subscription` roles, with the mock's default credentials) or, for providers
configured in a settings screen, through the mock's control API, as a person would.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from harness.errors import HarnessError
from harness.mock_client import CONTROL, MockClient, mock_credentials
from harness.profiles import Catalog, Profile
from harness.subscriber import ApiSubscription, SubscriptionClient
from harness.targets import pin
from harness.transport import HttpClient
from mock_provider.app import MockConfig
from mock_provider.server import MockServer

SETTLED = ("delivered", "failed", "abandoned")
PAGE = 1000  # deliveries a page of the log asks for: the most the control API gives


class LiveMock:
    """A mock provider for one profile, serving on a free loopback port."""

    def __init__(self, server: MockServer, profile: Profile, faults: Sequence[str] = ()) -> None:
        self.server = server
        self.profile = profile
        self.faults = list(faults)
        self.http = HttpClient()
        base = pin(server.url)
        self.control = MockClient(base, self.http)
        headers, basic_auth = mock_credentials(profile)
        self.api = (
            SubscriptionClient(
                profile, base, headers=headers, basic_auth=basic_auth, http=self.http
            )
            if profile.semantics.subscription.managed_by_api
            else None
        )

    @classmethod
    def start(
        cls,
        profile: str,
        *,
        time_scale: float = 1.0,
        faults: Sequence[str] = (),
        plan: str | None = None,
        catalog: Catalog | None = None,
        **config: Any,
    ) -> LiveMock:
        """Start a mock of `profile`; `config` takes any other `MockConfig` field."""
        settings = MockConfig(
            profiles=[profile], time_scale=time_scale, faults=list(faults), plan=plan, **config
        )
        server = MockServer(settings, catalog=catalog).start()
        try:
            return cls(server, server.mock.profiles[profile], faults)
        except BaseException:
            server.stop()
            raise

    def stop(self) -> None:
        self.server.stop()
        self.http.close()

    @property
    def url(self) -> str:
        """The base URL of the profile's API (its real paths start here)."""
        return self.server.url

    @property
    def control_url(self) -> str:
        return self.server.control_url

    def reset(self) -> None:
        """Forget every subscription, event and delivery; only the configured faults on."""
        self.control.checked("POST", "/reset")
        self.control.checked("PUT", "/faults", {"faults": self.faults})

    def subscribe(self, event: str, url: str, *, secret: str | None = None) -> ApiSubscription:
        """Subscribe `url` to `event` the way the provider's users do.

        Through the subscription API (a hook-secret handshake, if the profile has one,
        reaches `url` while the call is open), or through the control API for a
        settings-screen provider; `secret` is the subscription's token where the profile
        takes one. `HarnessError` when the mock refuses.
        """
        self.profile.event(event)
        if self.api is not None:
            response, made = self.api.create(event, url, secret=secret)
            if not response.ok or made is None:
                raise HarnessError(f"the mock refused the subscription: {response.summary()}")
            return made
        view = self.control.create_webhook(self.profile, self.profile.name, event, url, secret)
        return ApiSubscription(view["id"], event, view["target_url"], view["active"], view)

    def validate(self, webhook_id: Any) -> dict[str, Any]:
        """Press "validate" on a settings-screen webhook: the validation request is sent to its
        URL; the answer is its outcome (status code, error, duration, response excerpt)."""
        return self.control.checked("POST", f"/webhooks/{webhook_id}/validate")

    def confirm(self, webhook_id: Any, secret: str) -> dict[str, Any]:
        """Enter the secret the endpoint received; the webhook as it is then."""
        return self.control.checked("POST", f"/webhooks/{webhook_id}/confirm", {"secret": secret})

    def subscriptions(self) -> list[dict[str, Any]]:
        """Every subscription as the control API shows it (state, reason, target URL)."""
        return self.control.checked("GET", "/subscriptions")["subscriptions"]

    def trigger(
        self,
        event: str,
        data: Any = None,
        set: dict[str, Any] | None = None,  # the control API's name
        *,
        seed: int = 0,
    ) -> dict[str, Any]:
        """Make the mock emit `event`: `data` as the payload, or one generated from the schema
        (the same for the same `seed`); `set` maps JSON pointers to values to put in it.

        The answer: `event_id`, the `deliveries` made, the `payload` and its `schema_errors`.
        """
        self.profile.event(event)  # an unknown event: one clear error, before any call
        body: dict[str, Any] = {"profile": self.profile.name, "type": event, "seed": seed}
        if data is not None:
            body["data"] = data
        if set:
            body["set"] = set
        return self.control.checked("POST", "/events", body)

    def set_faults(self, names: Sequence[str]) -> None:
        """Make exactly these faults active (until the next reset)."""
        self.control.checked("PUT", "/faults", {"faults": list(names)})

    def deliveries(
        self,
        *,
        subscription: int | None = None,
        event: int | None = None,
        status: str | None = None,
    ) -> list[dict[str, Any]]:
        """The delivery log, each delivery with every attempt; filters are ids and a status.
        The whole log, oldest first: the control API's pages are followed to the last."""
        query = {"subscription": subscription, "event": event, "status": status}
        given = "&".join(f"{k}={v}" for k, v in query.items() if v is not None)
        page = self.control.checked("GET", f"/deliveries?limit={PAGE}&{given}")
        found: list[dict[str, Any]] = page["deliveries"]
        while page["next"]:
            page = self.control.checked("GET", page["next"].removeprefix(CONTROL))
            found += page["deliveries"]
        return found

    def clock(self) -> dict[str, Any]:
        """The mock's clock: `mode`, `now`, and for a virtual one `in_flight` and `next_due`."""
        return self.control.checked("GET", "/clock")

    def advance(self, seconds: float, *, wait_seconds: float = 30.0) -> dict[str, Any]:
        """Advance a virtual clock (`clock="virtual"`) by `seconds`: every attempt that falls
        due on the way is made at the time it falls due, and the call returns once they are
        logged. `HarnessError` on the real clock, or when the attempts are still in flight
        after `wait_seconds` of real time (a receiver slower than that)."""
        if self.server.mock.clock.mode != "virtual":
            raise HarnessError(
                "advance() needs a virtual clock: start the mock with clock='virtual'"
            )
        body = {"advance_seconds": seconds, "wait_seconds": wait_seconds}
        answer = self.control.checked("POST", "/clock", body)
        if not answer["done"]:
            raise HarnessError(
                f"{answer['in_flight']} attempt(s) still in flight after {wait_seconds:g} s;"
                f" the clock stopped at {answer['now']}"
            )
        return answer

    def wait_for_deliveries(
        self, count: int, timeout: float = 5.0, **filters: Any
    ) -> list[dict[str, Any]]:
        """Block until `count` deliveries are settled (delivered, failed or abandoned); return
        them. TimeoutError saying how many were when they are not in time."""
        deadline = time.monotonic() + timeout
        while True:
            settled = [d for d in self.deliveries(**filters) if d["status"] in SETTLED]
            if len(settled) >= count:
                return settled
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{len(settled)} of {count} deliveries settled within {timeout:g} s"
                )
            time.sleep(0.02)
