"""The hookconform pytest plugin (entry point `pytest11: hookconform`): fixtures and hooks only.

Options (each also an ini option, named with underscores: `hookconform_receiver = URL`; the
command line wins):

- `--hookconform-receiver URL` / `--hookconform-sender-api URL`: turn the run into a
  conformance run of that side: one item per (check, event) under a `hookconform` node
  (`harness.pytest_items`); without either the plugin adds no items.
- `--hookconform-profile NAME` and `--hookconform-specs DIR` (repeatable: more profiles).
- `--hookconform-load-rate R` and `--hookconform-load-duration D` (with the receiver): a
  load stage too, on Locust in a child process, its L- checks as items (`hookconform load`).
- Every run option of the CLI suites (`harness.options.OPTIONS`) as `--hookconform-NAME`:
  `--hookconform-secret`, `-events`, `-checks`, `-exclude-checks`; for the receiver suite
  `-max-examples`, `-seed`, `-timeout`, `-concurrency`; for the sender suite `-header`
  (repeatable), `-auth`, `-trigger`, `-trigger-url`, `-subscribe-cmd`, `-time-scale`,
  `-window`, `-attempt-timeout`, `-callback-host`. A repeatable option is one value per line
  in the ini file.

Fixtures:

- `hookconform_profile`: a loaded profile by name; `hookconform_catalog`: all of them.
- `make_hookconform_capture` (session): a factory of started capture servers, stopped at the
  end of the session; `hookconform_capture`: one capture server per session, its recorded
  requests and scripts cleared before each test.
- `make_hookconform_mock` (session): a factory of started mock providers
  (`harness.live_mock.LiveMock`), stopped at the end; `hookconform_mock`: one per session,
  reset before each test, configured by the overridable `hookconform_mock_options`.
- `hookconform_receiver_url`: the URL the `hookconform` marker checks; override it.

The `@pytest.mark.hookconform(CHECK, profile=..., event=..., secret=...)` marker runs one
receiver check against `hookconform_receiver_url` before the test's body.

Every server binds 127.0.0.1 on a free port, so pytest-xdist workers never share one.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from harness import checks as registry
from harness import load_spec
from harness.capture import CaptureServer
from harness.errors import HarnessError
from harness.options import BOTH, OPTIONS, Option, OptionError, Side, build, narrowed, text, url
from harness.profiles import Catalog, Profile, load_profiles
from harness.pytest_items import ConformanceError, HookconformCollector, ItemOutcome, Target, judge

MARKER = (
    "hookconform(check, profile=None, event=None, secret=None): run one receiver check "
    "(e.g. R-rejects-forged) against the hookconform_receiver_url fixture before the test"
)


# The plugin's own options; the run options come from harness.options, as the CLI's do.
OWN: tuple[Option, ...] = (
    Option(
        "receiver",
        "receiver",
        "URL",
        "Run the receiver suite against this webhook endpoint.",
        url,
        BOTH,
    ),
    Option(
        "sender-api",
        "sender_api",
        "URL",
        "Run the sender suite against this subscription API (a hookconform mock needs nothing "
        "else).",
        url,
        BOTH,
    ),
    Option(
        "profile",
        "profile",
        "NAME",
        "The provider profile (also the default profile of hookconform_mock).",
        text,
        BOTH,
    ),
    Option(
        "specs",
        "specs",
        "DIR",
        "A folder of profiles (or one profile folder) to load besides the bundled ones and "
        "HOOKCONFORM_SPECS. Repeatable (one per line in the ini file).",
        text,
        BOTH,
        repeat=True,
    ),
)
LOAD = (
    Option(
        "load-rate",
        "load_rate",
        "R",
        "With --hookconform-receiver: also a load stage at R deliveries per second, on Locust "
        "in a child process (pip install 'hookconform[load]'); its L- checks are items.",
        load_spec.rate,
        BOTH,
    ),
    Option(
        "load-duration",
        "load_duration",
        "D",
        "How long the load stage runs: seconds or 30s, 2m (default 30 s; alone it implies "
        "the default rate).",
        load_spec.duration,
        BOTH,
    ),
)
ALL = (*OWN, *LOAD, *OPTIONS)
MARKER_ARGUMENTS = frozenset({"check", "profile", "event", "secret"})
SETTINGS = pytest.StashKey[dict[str, Any]]()
CATALOG = pytest.StashKey[Catalog]()


class _Parse:
    """An option's parser as argparse wants it."""

    def __init__(self, option: Option) -> None:
        self.option = option
        self.__name__ = option.name

    def __call__(self, value: str) -> Any:
        try:
            return self.option.parse(value)
        except OptionError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None


def _ini_name(option: Option) -> str:
    return f"hookconform_{option.name.replace('-', '_')}"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hookconform", "webhook conformance (hookconform)")
    for option in ALL:
        if option.flag:
            group.addoption(
                f"--hookconform-{option.name}",
                dest=_ini_name(option),
                action="store_const",
                const=True,
                help=option.help,
            )
            parser.addini(_ini_name(option), f"{option.help} (true/false)", type="string")
            continue
        group.addoption(
            f"--hookconform-{option.name}",
            dest=_ini_name(option),
            metavar=option.metavar,
            type=_Parse(option),
            action="append" if option.repeat else "store",
            help=option.help,
        )
        described = f"{option.help} ({option.metavar})"
        if option.repeat:
            parser.addini(_ini_name(option), described, type="linelist")
        else:
            parser.addini(_ini_name(option), described, type="string")


def _settings(config: pytest.Config) -> dict[str, Any]:
    """Every option's value by field, command line over ini; None when neither gives one."""
    values: dict[str, Any] = {}
    for option in ALL:
        value = config.getoption(_ini_name(option))
        raw = config.getini(_ini_name(option))
        if value is None and raw:
            given = raw if option.repeat else [raw]
            try:
                parsed = [option.parse(str(item).strip()) for item in given]
            except OptionError as exc:
                raise pytest.UsageError(f"ini option {_ini_name(option)}: {exc}") from None
            value = parsed if option.repeat else parsed[0]
        values[option.field] = value
    return values


def _catalog(config: pytest.Config) -> Catalog:
    if CATALOG not in config.stash:
        config.stash[CATALOG] = load_profiles(config.stash[SETTINGS].get("specs") or ())
    return config.stash[CATALOG]


def _targets(config: pytest.Config, settings: dict[str, Any]) -> list[Target]:
    urls: dict[Side, str | None] = {
        "receiver": settings["receiver"],
        "sender": settings["sender_api"],
    }
    if not any(urls.values()):
        return []
    if not settings["profile"]:
        raise HarnessError("--hookconform-profile NAME is needed with a hookconform target")
    profile = _catalog(config).get(settings["profile"])
    for event in settings["events"] or ():
        profile.event(event)
    try:
        targets = [
            Target(side, profile, build(side, found, settings))
            for side, found in urls.items()
            if found
        ]
    except OptionError as exc:
        raise HarnessError(str(exc)) from None
    if settings["load_rate"] is not None or settings["load_duration"] is not None:
        targets.append(_load_target(profile, settings))
    for target in targets:
        target.applicable()  # unknown check ids are a usage error now, not at run time
    return targets


def _load_target(profile: Profile, settings: dict[str, Any]) -> Target:
    """The load stage against the receiver, with the receiver suite's secret and events."""
    if not settings["receiver"]:
        raise HarnessError("--hookconform-load-rate and -duration need --hookconform-receiver")
    options = load_spec.LoadOptions(
        url=settings["receiver"],
        stages=tuple(
            load_spec.stages(rate_value=settings["load_rate"], seconds=settings["load_duration"])
        ),
        secret=settings["secret"],
        events=tuple(settings["events"] or ()),
        timeout=settings["timeout"],
    )
    return Target("load", profile, options)


TARGETS = pytest.StashKey[list[Target]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    try:
        settings = _settings(config)
        config.stash[SETTINGS] = settings
        config.stash[TARGETS] = _targets(config, settings)
    except HarnessError as exc:
        raise pytest.UsageError(f"hookconform: {exc}") from None


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        f"hookconform: {t.side} suite, profile {t.profile.name}, target {t.url}"
        for t in config.stash.get(TARGETS, [])
    ]


@pytest.hookimpl(tryfirst=True)  # before -k and -m deselect, so that they select these too
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    targets = config.stash.get(TARGETS, [])
    if targets:
        node = HookconformCollector.from_parent(
            session, name="hookconform", nodeid="hookconform", targets=targets
        )
        items.extend(session.genitems(node))


# --- the marker ----------------------------------------------------------------------------

MARKED = pytest.StashKey[Target]()


@pytest.fixture
def hookconform_receiver_url(pytestconfig: pytest.Config) -> str:
    """The webhook endpoint the `hookconform` marker checks: `--hookconform-receiver`, or
    override this fixture (e.g. with your app's test server URL)."""
    url = pytestconfig.stash[SETTINGS]["receiver"]
    if url is None:
        pytest.fail(
            "the hookconform marker needs a receiver URL: override the "
            "hookconform_receiver_url fixture, or pass --hookconform-receiver URL",
            pytrace=False,
        )
    return url


@pytest.fixture(autouse=True)
def _hookconform_marked_check(request: pytest.FixtureRequest) -> None:
    """For a test marked `hookconform`: what its check runs against (run in the call)."""
    marker = request.node.get_closest_marker("hookconform")
    if marker is None:
        return
    settings = request.config.stash[SETTINGS]
    unknown = sorted(set(marker.kwargs) - MARKER_ARGUMENTS)
    if len(marker.args) > 1 or unknown:
        extra = ", ".join([*map(repr, marker.args[1:]), *unknown])
        pytest.fail(
            f"hookconform marker: one check per marker, and only the arguments "
            f"{', '.join(sorted(MARKER_ARGUMENTS))}; not {extra}",
            pytrace=False,
        )
    check = marker.args[0] if marker.args else marker.kwargs.get("check")
    profile_name = marker.kwargs.get("profile", settings["profile"])
    if not check or not profile_name:
        pytest.fail(
            "@pytest.mark.hookconform needs a check id and a profile: "
            "hookconform('R-rejects-forged', profile='resthooks')",
            pytrace=False,
        )
    found = registry.registered("receiver")
    if check not in {c.id for c in found}:
        known = ", ".join(c.id for c in found)
        message = f"hookconform marker: {check!r} is not a receiver check ({known})"
        pytest.fail(message, pytrace=False)
    event = marker.kwargs.get("event")
    events = (event,) if event else settings["events"] or ()
    try:
        profile = _catalog(request.config).get(profile_name)
        for name in events:
            profile.event(name)
    except HarnessError as exc:
        problem = f"hookconform marker: {exc}"
    else:
        problem = ""
    if problem:
        pytest.fail(problem, pytrace=False)  # outside `except`: no "during handling" chain
    given = {**settings, "secret": marker.kwargs.get("secret", settings["secret"])}
    options = build("receiver", request.getfixturevalue("hookconform_receiver_url"), given)
    request.node.stash[MARKED] = Target("receiver", profile, narrowed(options, (check,), events))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    target = item.stash.get(MARKED, None)
    if target is not None:
        _run_marked(target)
    return (yield)


def _run_marked(target: Target) -> None:
    if not target.applicable():
        pytest.skip(f"{target.options.checks[0]} does not apply to profile {target.profile.name!r}")
    try:
        report = target.run(target.options.checks, target.options.events)
        judge(*(ItemOutcome.of(result) for result in report.results))
    except HarnessError as exc:
        failure = f"hookconform could not run: {exc}"
    except ConformanceError as exc:
        failure = exc.text
    else:
        return
    pytest.fail(failure, pytrace=False)  # outside `except`: no "during handling" chain


# --- profiles ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def hookconform_catalog(pytestconfig: pytest.Config) -> Catalog:
    """Every loaded profile (bundled plus HOOKCONFORM_SPECS), loaded once per session."""
    return _catalog(pytestconfig)


@pytest.fixture(scope="session")
def hookconform_profile(hookconform_catalog: Catalog) -> Callable[[str], Profile]:
    """A loaded profile by name: `hookconform_profile("factorial").validate(event, payload)`."""
    return hookconform_catalog.get


# --- the capture server --------------------------------------------------------------------


@pytest.fixture(scope="session")
def _hookconform_servers() -> Iterator[tuple[ExitStack, ExitStack]]:
    """Where the factories register what they start: (capture servers, mocks). Captures stop
    first, which cuts their delayed replies short, so no mock waits out a delivery to one."""
    with ExitStack() as mocks, ExitStack() as captures:
        yield captures, mocks


@pytest.fixture(scope="session")
def make_hookconform_capture(
    _hookconform_servers: tuple[ExitStack, ExitStack],
) -> Callable[..., CaptureServer]:
    """A factory of started capture servers (`max_body=` optional), all stopped at the end."""
    captures, _ = _hookconform_servers

    def make(**options: Any) -> CaptureServer:
        return captures.enter_context(CaptureServer(**options))

    return make


@pytest.fixture(scope="session")
def _hookconform_session_capture(
    make_hookconform_capture: Callable[..., CaptureServer],
) -> CaptureServer:
    return make_hookconform_capture()


@pytest.fixture
def hookconform_capture(_hookconform_session_capture: CaptureServer) -> CaptureServer:
    """A capture server with nothing recorded and no script: `.url`, `.respond_with(...)`,
    `.script([...], path=None)`, `.requests`, `.wait_for(n, timeout)`."""
    _hookconform_session_capture.clear()
    return _hookconform_session_capture


# --- the mock provider ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def make_hookconform_mock(
    pytestconfig: pytest.Config,
    hookconform_catalog: Catalog,
    _hookconform_servers: tuple[ExitStack, ExitStack],
) -> Callable[..., Any]:
    """A factory of started mock providers, all stopped at the end of the session:
    `make_hookconform_mock(profile=NAME, time_scale=1.0, faults=[...], plan=None)`, or
    `clock="virtual"` for a clock that `mock.advance(seconds)` moves.

    The profile defaults to `--hookconform-profile`; any other `MockConfig` field (e.g.
    `timeout=`) may be given too.
    """
    from harness.live_mock import LiveMock  # the mock provider loads only when used

    default = pytestconfig.stash[SETTINGS]["profile"]
    _, mocks = _hookconform_servers

    def make(profile: str | None = None, **options: Any) -> LiveMock:
        name = profile or default
        if not name:
            pytest.fail(
                "make_hookconform_mock: which profile should the mock play? "
                "make_hookconform_mock(profile=NAME), --hookconform-profile NAME, or override "
                "hookconform_mock_options",
                pytrace=False,
            )
        try:
            mock = LiveMock.start(name, catalog=hookconform_catalog, **options)
        except (HarnessError, TypeError) as exc:  # an unknown profile, fault, plan or option
            problem = f"make_hookconform_mock: {exc}"
        else:
            mocks.callback(mock.stop)
            return mock
        pytest.fail(problem, pytrace=False)  # outside `except`: no "during handling" chain

    return make


@pytest.fixture(scope="session")
def hookconform_mock_options() -> dict[str, Any]:
    """The options of the mock behind `hookconform_mock` (profile=, time_scale=, faults=,
    plan=, clock="virtual"); override to change them. Empty: `--hookconform-profile`, real
    time."""
    return {}


@pytest.fixture(scope="session")
def _hookconform_session_mock(
    make_hookconform_mock: Callable[..., Any], hookconform_mock_options: dict[str, Any]
) -> Any:
    return make_hookconform_mock(**hookconform_mock_options)


@pytest.fixture
def hookconform_mock(_hookconform_session_mock: Any) -> Any:
    """A mock provider with no subscriptions, events or deliveries and only its configured
    faults: `.url`, `.subscribe(event, url)`, `.trigger(event, data=None, set=None)`,
    `.deliveries(...)`, `.wait_for_deliveries(n, timeout)`, `.validate(webhook_id)`, and on
    a virtual clock `.advance(seconds)` (its time carries on from test to test)."""
    _hookconform_session_mock.reset()
    return _hookconform_session_mock
