"""The mock provider as a WSGI application: profile APIs, the control API and the dashboard.

One profile is served at its real paths, so an official client pointed at the mock's base
URL works unchanged; several are served each under `/<profile>/`. The control API and the
dashboard are under `/_mock/` in both cases.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from harness.errors import HarnessError
from harness.mock_client import DEFAULT_API_KEY, DEFAULT_BASIC_AUTH
from harness.profiles import Catalog, Profile, load_profiles
from harness.targets import Resolver, TargetRule, system_resolver
from mock_provider import auth, clock, dashboard
from mock_provider.control import PREFIX, ControlApi
from mock_provider.dashboard_page import HOME
from mock_provider.delivery import Engine
from mock_provider.faults import Faults
from mock_provider.guard import Guard
from mock_provider.http_json import DEFAULT_BODY_LIMIT, ApiError, refuse_other_bodies
from mock_provider.outbound import Outbound
from mock_provider.profile_api import ProfileApi
from mock_provider.realistic import example_payload
from mock_provider.store import Store, Subscription
from mock_provider.subscriptions import Subscriptions, new_secret

log = logging.getLogger(__name__)


@dataclass
class MockConfig:
    """Everything `hookconform mock` takes on its command line."""

    profiles: list[str]
    db: str | None = None
    time_scale: float = 1.0
    clock: str = "real"  # or "virtual": see mock_provider.clock
    faults: list[str] = field(default_factory=list)
    allow_targets: list[str] = field(default_factory=list)
    plan: str | None = None
    api_key: str = DEFAULT_API_KEY
    basic_auth: str = DEFAULT_BASIC_AUTH
    timeout: float | None = None  # None: each provider's own (see mock_provider.outbound)
    workers: int = 8
    body_limit: int = DEFAULT_BODY_LIMIT
    specs: list[str] = field(default_factory=list)
    host_names: list[str] = field(default_factory=list)
    resolver: Resolver = system_resolver  # how target names are looked up (tests pass one)


def _check(config: MockConfig, profiles: Iterable[Profile]) -> None:
    if not config.profiles:
        raise HarnessError("name at least one profile with --profile")
    if config.time_scale <= 0:
        raise HarnessError(f"--time-scale must be positive, not {config.time_scale}")
    if config.clock not in clock.MODES:
        raise HarnessError(f"--clock is real or virtual, not {config.clock!r}")
    if config.clock == "virtual" and config.time_scale != 1.0:
        raise HarnessError(
            "--time-scale scales the real clock; a virtual clock moves only when advanced"
            " (POST /_mock/clock), so leave --time-scale out"
        )
    if config.timeout is not None and config.timeout <= 0:
        raise HarnessError(f"the timeout must be positive, not {config.timeout}")
    if ":" not in config.basic_auth:
        raise HarnessError("--basic-auth must be USER:PASSWORD")
    if config.plan is not None:
        plans = {p for profile in profiles for p in profile.semantics.quotas.limits}
        if config.plan not in plans:
            known = ", ".join(sorted(plans)) or "none: the served profiles have no quotas"
            raise HarnessError(f"unknown plan {config.plan!r} (known: {known})")


class Mock:
    """A configured mock provider: store, engine, services and the WSGI app."""

    def __init__(self, config: MockConfig, catalog: Catalog | None = None) -> None:
        catalog = catalog if catalog is not None else load_profiles(config.specs)
        self.config = config
        self.profiles: dict[str, Profile] = {name: catalog.get(name) for name in config.profiles}
        _check(config, self.profiles.values())
        self.faults = Faults(config.faults)
        self.clock = clock.make(config.clock, config.time_scale)
        rule = TargetRule.from_entries(config.allow_targets, resolver=config.resolver)
        self._idle = threading.Condition()
        self._active = 0
        self._closing = False
        self._tmpdir: str | None = None
        db = config.db
        if db is None:
            self._tmpdir = tempfile.mkdtemp(prefix="hookconform-mock-")
            db = os.path.join(self._tmpdir, "mock.sqlite3")
        try:
            self.store = Store(db, self.clock.now)
        except Exception as exc:  # sqlite3 errors: an unusable --db path
            self._cleanup()
            raise HarnessError(f"cannot open the database {db}: {exc}") from None
        self.outbound = Outbound(rule, timeout=config.timeout)
        self.guard = Guard(config.host_names)
        self.engine = Engine(
            self.store,
            self.profiles,
            self.faults,
            self.outbound,
            clock=self.clock,
            workers=config.workers,
        )
        self.subscriptions = Subscriptions(self.store, self.outbound, self.faults, plan=config.plan)
        self.subscriptions.ping = self.ping
        credentials = auth.Credentials(config.api_key, config.basic_auth)
        self.apis = {
            name: ProfileApi(
                profile, self.subscriptions, self.store, self.engine, credentials, config.body_limit
            )
            for name, profile in self.profiles.items()
            if profile.semantics.subscription.managed_by_api
        }
        self.control = ControlApi(self)
        self._account_settings()

    def _account_settings(self) -> None:
        """Give every account setting a value the first time (kept across restarts)."""
        for profile in self.profiles.values():
            rule = profile.semantics.authenticity
            for name in profile.semantics.account_settings:
                if self.store.setting(profile.name, name) is not None:
                    continue
                if name == rule.account_setting:
                    # A signing key may have a form (Standard Webhooks: whsec_<base64>).
                    value = rule.scheme.new_secret() if rule.scheme else new_secret()[:12]
                else:  # a verification token: a credential of its own, never the secret
                    value = new_secret()[:24]
                self.store.set_setting(profile.name, name, value)

    def listening_on(self, host: str, port: int) -> None:
        """Learn the address and port the mock serves on: the only Host it answers to (with
        `localhost` and the `--host-name`s), and never a delivery target."""
        self.outbound.listening_on(host, port)
        self.guard = Guard(self.config.host_names, listening=(host, port))

    @property
    def single(self) -> bool:
        return len(self.profiles) == 1

    def generate(self, profile: Profile, event: str, seed: int) -> Any:
        """A payload for `event` generated from its schema (the same for the same seed)."""
        from harness.strategies import draw, payloads  # schemathesis loads slowly

        return draw(payloads(profile, event), seed_value=seed)

    def ping(self, profile: Profile, subscription: Subscription) -> None:
        """Deliver a ping-event handshake's event to a new subscription: its example (or a
        payload generated from its schema), signed and logged like any delivery."""
        event = profile.semantics.handshake.event or ""
        found = profile.event(event)

        def payload(variant: Profile, _: Subscription | None) -> Any:
            if found.examples:
                return example_payload(found, 0, self.clock.now())
            return self.generate(variant, event, 0)

        self.engine.trigger(profile, event, payload, to=[subscription])

    def start(self) -> None:
        self.engine.start()

    def close(self) -> None:
        """Finish the requests under way, stop the engine, close the store."""
        with self._idle:
            self._closing = True
            longest = max(map(self.outbound.deadline_for, self.profiles.values()), default=0)
            self._idle.wait_for(lambda: self._active == 0, timeout=longest + 5)
        self.engine.stop()
        self.outbound.close()
        self.store.close()
        self._cleanup()

    def _cleanup(self) -> None:
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    # WSGI -------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self._idle:
            if self._closing:
                refused = ApiError(503, "shutting down", "the mock is stopping").response()
                return refused(environ, start_response)
            self._active += 1
        try:
            return self._respond(environ, start_response)
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def _respond(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        request.max_content_length = self.config.body_limit
        try:
            self.guard.check(request)
            response = self.dispatch(request)
        except ApiError as exc:
            response = exc.response()
        except HTTPException as exc:  # werkzeug's own refusals, e.g. an oversized form
            status = exc.code or 400
            response = ApiError(status, exc.name, exc.description or exc.name).response()
        except Exception:
            log.exception("unexpected error on %s %s", request.method, request.path)
            response = ApiError(500, "internal error", "a bug in the mock; see its log").response()
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        path = request.path
        if path == PREFIX or path.startswith(PREFIX + "/"):
            rest = path[len(PREFIX) :]
            if rest in ("", "/"):  # where the dashboard was: a person typing the short URL
                return Response(status=308, headers={"Location": HOME})
            if rest == "/dashboard" or rest.startswith("/dashboard/"):
                return dashboard.handle(self, request, rest[len("/dashboard") :])
            refuse_other_bodies(request)
            return self.control.handle(request, rest)
        if self.single:
            profile = next(iter(self.profiles.values()))
            return self._profile_api(profile, request, path)
        name, _, rest = path.lstrip("/").partition("/")
        if name not in self.profiles:
            raise ApiError(
                404,
                "not found",
                f"several profiles are served, each under /<profile>/ ({', '.join(self.profiles)})",
            )
        return self._profile_api(self.profiles[name], request, "/" + rest)

    def _profile_api(self, profile: Profile, request: Request, path: str) -> Response:
        refuse_other_bodies(request)
        api = self.apis.get(profile.name)
        if api is None:
            raise ApiError(
                404,
                "no subscription API",
                f"{profile.name!r} webhooks are made in a settings screen: use POST"
                f" {PREFIX}/webhooks or the dashboard at {HOME}",
            )
        return api.handle(request, path)
