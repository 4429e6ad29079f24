"""The `hookconform` command line.

Expected errors (an unknown profile, a malformed file, a missing folder) are printed as one
line on stderr and answered with exit code 2; a traceback means a bug in hookconform.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from harness import __version__
from harness.describe import describe_semantics
from harness.errors import HarnessError, SpecError, TargetUnreachable
from harness.mock_client import DEFAULT_API_KEY, DEFAULT_BASIC_AUTH
from harness.options import (
    Option,
    OptionError,
    ReceiverOptions,
    SenderOptions,
    Side,
    build,
    for_side,
)
from harness.profiles import (
    Profile,
    check_folders,
    load_profiles,
    profile_folders,
    specs_dirs,
)
from harness.targets import TargetRefused, parse
from mock_provider.faults import FAULTS

if TYPE_CHECKING:
    from harness.report import Progress, Report
    from mock_provider.clock import Clock
    from mock_provider.outbound import Outbound

F = TypeVar("F", bound=Callable[..., Any])


class HarnessUsageError(click.ClickException):
    """A `HarnessError` shown the click way: `Error: ...` on stderr, exit code 2."""

    exit_code = 2


class UnreachableError(HarnessUsageError):
    """A target that cannot be reached at all: exit code 3."""

    exit_code = TargetUnreachable.exit_code


class Group(click.Group):
    """A click group that turns every `HarnessError` into one clear line and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SpecError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            raise HarnessUsageError(f"{len(exc.problems)} problem(s) in the profiles") from None
        except TargetUnreachable as exc:
            raise UnreachableError(str(exc)) from None
        except HarnessError as exc:
            raise HarnessUsageError(str(exc)) from None


class HttpUrl(click.ParamType):  # type: ignore[type-arg]
    """An absolute http(s) URL, read by the one parser every request goes through
    (`harness.targets`), and refused before anything is sent."""

    name = "URL"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return parse(str(value)).url
        except TargetRefused as exc:
            self.fail(str(exc), param, ctx)


HTTP_URL = HttpUrl()


class Parsed(click.ParamType):  # type: ignore[type-arg]
    """A run option's value, read by its parser from `harness.options`."""

    def __init__(self, option: Option) -> None:
        self.option = option
        self.name = option.metavar

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value  # a default
        try:
            return self.option.parse(value)
        except OptionError as exc:
            self.fail(str(exc), param, ctx)


def run_options(side: Side) -> Callable[[F], F]:
    """The run options of `side`'s suite (`harness.options`), as click options."""

    def decorate(command: F) -> F:
        for option in reversed(for_side(side)):
            default = option.default(side)
            shown = default not in (None, (), {})
            names = [f"--{option.name}", *([option.short] if option.short else [])]
            if option.flag:
                command = click.option(*names, option.field, is_flag=True, help=option.help)(
                    command
                )
                continue
            command = click.option(
                *names,
                option.field,
                type=Parsed(option),
                multiple=option.repeat,
                metavar=option.metavar,
                default=default if shown else None,
                show_default=shown,
                help=option.help,
            )(command)
        return command

    return decorate


def report_options(command: F) -> F:
    """`--report PATH.json` and `--junit PATH.xml`."""
    command = click.option("--junit", "junit_path", metavar="PATH.xml", help="Write JUnit XML.")(
        command
    )
    return click.option(
        "--report", "report_path", metavar="PATH.json", help="Write the JSON report."
    )(command)


def _built(side: Side, target: str, values: dict[str, Any]) -> ReceiverOptions | SenderOptions:
    try:
        return build(side, target, values)
    except OptionError as exc:
        raise HarnessError(str(exc)) from None


def specs_option(command: F) -> F:
    """`--specs DIR`, repeatable: more profile folders on top of the bundled ones."""
    return click.option(
        "--specs",
        "specs",
        multiple=True,
        metavar="DIR",
        type=click.Path(file_okay=False, path_type=str),
        help="A folder of profiles (or one profile folder) to load besides the bundled "
        "ones and HOOKCONFORM_SPECS. Repeatable; later folders win by profile name.",
    )(command)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hookconform")
def cli() -> None:
    """hookconform: a conformance test harness and mock provider for webhooks.

    \b
    Examples:
      hookconform specs list
      hookconform checks list --profile staffology
      hookconform mock --profile clockodo
      hookconform receiver http://127.0.0.1:9000/hooks --profile clockodo \\
          --secret my-token
      hookconform vectors --profile standard-webhooks
      hookconform load http://127.0.0.1:9000/hooks --profile resthooks --rate 50
    """


@cli.group(cls=Group, short_help="List, show, validate and sample the provider profiles.")
def specs() -> None:
    """List, show, validate and sample the provider profiles.

    \b
    Examples:
      hookconform specs list
      hookconform specs show staffology
    """


@specs.command("list", short_help="List the profiles: name, title, events, sources.")
@specs_option
def specs_list(specs: Sequence[str]) -> None:
    """One line per profile: name, title, number of events, sources.

    \b
    Examples:
      hookconform specs list
    """
    catalog = load_profiles(specs)
    width = max(len(p.name) for p in catalog)
    title_width = max(len(p.title) for p in catalog)
    for profile in catalog:
        events = f"{len(profile.events)} events"
        sources = ", ".join(profile.sources)
        click.echo(
            f"{profile.name:<{width}}  {profile.title:<{title_width}}  {events:>10}  {sources}"
        )


@specs.command("show", short_help="Describe a profile: its semantics, API and events.")
@click.argument("name")
@specs_option
def specs_show(name: str, specs: Sequence[str]) -> None:
    """The semantics of profile NAME in plain words, its subscription API and its events.

    \b
    Examples:
      hookconform specs show staffology
      hookconform specs show hirehop
    """
    profile = load_profiles(specs).get(name)
    click.secho(f"{profile.name}: {profile.title}", bold=True)
    if profile.description:
        click.echo(profile.description)
    click.echo(f"folder: {profile.folder}")
    if len(profile.lineage) > 1:
        click.echo("extends: " + " -> ".join(profile.lineage[1:]))
    click.echo("\nSemantics:")
    for kind, sentence, provenance in describe_semantics(profile):
        click.echo(f"  {kind + ':':<17}{sentence}")
        click.echo(f"  {'':<17}({provenance})")
    _show_api(profile)
    click.echo(f"\nEvents ({len(profile.events)}):")
    width = max(len(e) for e in profile.events)
    for event in profile.events.values():
        headers = ", ".join(h.name for h in event.headers)
        extra = f"  [headers: {headers}]" if headers else ""
        click.echo(f"  {event.name:<{width}}  {event.summary}{extra}")


def _show_api(profile: Profile) -> None:
    roles = profile.semantics.subscription.operations
    if not roles:
        click.echo("\nSubscription API: none (configured in the provider's settings screen)")
        return
    click.echo("\nSubscription API:")
    for role in roles:
        operation = profile.subscription_operation(role)
        if operation:
            click.echo(f"  {role:<7} {operation.method:<6} {operation.path}")


@specs.command("validate", short_help="Check every profile and list each problem found.")
@click.argument("dirs", nargs=-1, type=click.Path(path_type=str))
@specs_option
def specs_validate(dirs: Sequence[str], specs: Sequence[str]) -> None:
    """Check every profile (bundled, HOOKCONFORM_SPECS, --specs and DIRS).

    Exit 0 when all are valid; exit 2 with every problem as `FILE: JSON-PATH: message`.

    \b
    Examples:
      hookconform specs validate
    """
    folders = [f for root in specs_dirs([*specs, *dirs]) for f in profile_folders(root)]
    catalog, problems = check_folders(folders)
    for profile in catalog:
        click.echo(f"ok       {profile.name} ({len(profile.events)} events) {profile.folder}")
    if problems:
        raise SpecError(problems)
    click.echo(f"{len(catalog)} profiles valid")


@specs.command("example", short_help="Print a valid payload of an event, as JSON.")
@click.argument("name")
@click.argument("event")
@click.option(
    "--generate",
    is_flag=True,
    help="Generate a payload from the event schema instead of the profile's example.",
)
@click.option(
    "--seed", "seed_value", type=int, default=0, show_default=True, help="Seed for --generate."
)
@specs_option
def specs_example(
    name: str, event: str, generate: bool, seed_value: int, specs: Sequence[str]
) -> None:
    """A valid payload for EVENT of profile NAME, as JSON: the first example, or a generated
    one with --generate or when no source gives an example.

    \b
    Examples:
      hookconform specs example hirehop invoice.status.updated
      hookconform specs example clockodo entry.stopped --generate --seed 3
    """
    profile = load_profiles(specs).get(name)
    found = profile.event(event)
    if generate or not found.examples:
        if not generate:
            click.echo(f"{name} has no example of {event}: a generated payload", err=True)
        from harness.strategies import draw, payloads  # schemathesis loads slowly

        payload = draw(payloads(profile, event), seed_value=seed_value)
    else:
        payload = found.example()
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False))


# --- the mock provider and its trigger ------------------------------------------------------

FAULT_LINES = "\n".join(f"  {name:<20}{line}" for name, line in FAULTS.items())


@cli.command(
    "mock",
    short_help="Run a mock provider that sends a profile's webhooks.",
    epilog=f"\b\nFaults (--fault NAME, repeatable; or PUT /_mock/faults):\n{FAULT_LINES}",
)
@click.option(
    "--profile",
    "profiles",
    multiple=True,
    required=True,
    metavar="NAME",
    help="Profile to emulate. Repeatable: several are served each under /<profile>/.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=str),
    help="SQLite file keeping the state across restarts (default: a temporary file).",
)
@click.option(
    "--time-scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Multiply every retry schedule and window by this (0.001: 5 min = 0.3 s).",
)
@click.option(
    "--clock",
    "clock",
    default="real",
    show_default=True,
    type=click.Choice(["real", "virtual"]),
    help="virtual: time stands still until POST /_mock/clock advances it; every attempt "
    "due on the way is made at its exact time (no --time-scale then).",
)
@click.option(
    "--timeout",
    default=None,
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Seconds each delivery attempt, handshake and validation request waits for an "
    "answer (default: the provider's, from the profile: e.g. 3 for slack, 30 for stripe; a "
    "handshake's own limit for its request; 10 where the profile gives none).",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="NAME",
    type=click.Choice([str(f) for f in FAULTS]),  # the names: Choice would offer the members
    help="Deviate from the profile on purpose (see the list below).",
)
@click.option(
    "--allow-target",
    "allow_targets",
    multiple=True,
    metavar="ADDRESS|CIDR|NAME",
    help="Deliver there too (default: loopback addresses only), e.g. 10.0.0.5, "
    "192.168.0.0/16 or hooks.internal (resolved once, at start). Repeatable.",
)
@click.option(
    "--host-name",
    "host_names",
    multiple=True,
    metavar="NAME",
    help="Answer requests addressed to NAME too (default: only the address the mock listens "
    "on and localhost), e.g. the name a container network gives it. Repeatable.",
)
@click.option("--plan", metavar="NAME", help="Account plan whose quotas apply (e.g. enterprise).")
@click.option(
    "--api-key",
    default=DEFAULT_API_KEY,
    show_default=True,
    help="Key accepted as x-api-key or Bearer token by APIs that take one.",
)
@click.option(
    "--basic-auth",
    default=DEFAULT_BASIC_AUTH,
    show_default=True,
    metavar="USER:PASSWORD",
    help="Credentials accepted by APIs that take HTTP basic auth.",
)
@click.option(
    "--quiet", is_flag=True, help="Print only the addresses, not a line per request sent."
)
@specs_option
def mock(
    profiles: Sequence[str],
    host: str,
    port: int,
    db: str | None,
    time_scale: float,
    clock: str,
    timeout: float | None,
    faults: Sequence[str],
    allow_targets: Sequence[str],
    host_names: Sequence[str],
    plan: str | None,
    api_key: str,
    basic_auth: str,
    quiet: bool,
    specs: Sequence[str],
) -> None:
    """Run a mock provider: the profiles' subscription APIs, a durable delivery engine, a
    control API and a dashboard. Ctrl-C stops it.

    \b
    Examples:
      hookconform mock --profile clockodo
      hookconform mock --profile factorial --profile hirehop --port 0
      hookconform mock --profile resthooks --time-scale 0.001 --db mock.sqlite3
      hookconform mock --profile factorial --clock virtual
    """
    import faulthandler
    import signal
    import threading

    from mock_provider.app import MockConfig
    from mock_provider.server import MockServer

    config = MockConfig(
        profiles=list(profiles),
        db=db,
        time_scale=time_scale,
        clock=clock,
        timeout=timeout,
        faults=list(faults),
        allow_targets=list(allow_targets),
        host_names=list(host_names),
        plan=plan,
        api_key=api_key,
        basic_auth=basic_auth,
        specs=list(specs),
    )
    try:
        server = MockServer(config, host=host, port=port, catalog=load_profiles(specs))
    except OSError as exc:
        raise HarnessError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    faulthandler.enable()  # should the process ever crash in C code, every thread's stack
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if len(profiles) == 1:
        click.echo(f"API:          {server.url}/  ({profiles[0]} at its real paths)")
    else:
        for name in profiles:
            click.echo(f"API:          {server.url}/{name}/")
    click.echo(f"control API:  {server.control_url}/events, /subscriptions, /deliveries, ...")
    click.echo(f"              (OpenAPI: {server.control_url}/openapi.json)")
    click.echo(f"dashboard:    {server.dashboard_url}")
    click.echo(f"database:     {server.mock.store.path}")
    for name, values in server.mock.store.settings().items():
        shown = ", ".join(f"{k} {v}" for k, v in values.items())
        click.echo(f"settings:     {name}: {shown} (change with PUT {server.control_url}/settings)")
    click.echo(f"timeout:      {_deadlines(server.mock.outbound, server.mock.profiles.values())}")
    if server.mock.clock.virtual:
        click.echo(
            f"clock:        virtual, standing still; move it with POST {server.control_url}/clock"
            ' {"advance_seconds": 3600}'
        )
    click.echo(
        "Ctrl-C stops the mock. What it sends and gets back:"
        if not quiet
        else "Ctrl-C stops the mock."
    )
    if not quiet:
        _print_activity(server.mock.clock)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    click.echo("mock stopped")


def _deadlines(outbound: Outbound, profiles: Iterable[Profile]) -> str:
    """How long the mock waits for answers, in words: --timeout's, or each provider's."""
    if outbound.timeout is not None:
        return f"{outbound.timeout:g} s for every request (--timeout)"
    shown = []
    for profile in profiles:
        each = outbound.deadline_for(profile)
        handshake = outbound.deadline_for(profile, handshake=True)
        apart = f" (its handshake {handshake:g} s)" if handshake != each else ""
        shown.append(f"{profile.name} {each:g} s{apart}")
    return f"each attempt waits as its provider does: {', '.join(shown)} (--timeout to change)"


def _print_activity(clock: Clock) -> None:
    """Print the mock's activity lines (each attempt, each handshake with its secret), each
    dated by the mock's clock: on a virtual one, the date too (an advance crosses days)."""
    import logging

    from mock_provider.outbound import activity

    shown = "%Y-%m-%d %H:%M:%S" if clock.virtual else "%H:%M:%S"
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter("%(asctime)s  %(message)s", shown)
    formatter.converter = lambda _: time.localtime(clock.now())
    handler.setFormatter(formatter)
    activity.addHandler(handler)
    activity.setLevel(logging.INFO)
    activity.propagate = False


def _override(text: str) -> tuple[str, Any]:
    pointer, sep, raw = text.partition("=")
    if not sep or not pointer.startswith("/"):
        raise click.BadParameter(f"{text!r}: expected /json/pointer=value", param_hint="--set")
    try:
        return pointer, json.loads(raw)
    except ValueError:
        return pointer, raw


@cli.command("trigger", short_help="Trigger an event on a running mock provider.")
@click.argument("event")
@click.option(
    "--mock",
    "mock_url",
    required=True,
    type=HTTP_URL,
    metavar="URL",
    help="The mock's base URL, e.g. http://127.0.0.1:8765.",
)
@click.option("--profile", help="The event's profile (needed when the mock serves several).")
@click.option(
    "--data",
    metavar="JSON|@FILE",
    help="The payload (default: the event's example, with fresh ids and times).",
)
@click.option(
    "--generate",
    is_flag=True,
    help="Send a payload generated from the event schema (with --seed) instead of the example.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="/POINTER=VALUE",
    help="Set a field of the payload (value as JSON, else as a string). Repeatable.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of a generated payload.")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    metavar="SECONDS",
    help="Wait up to SECONDS for the deliveries and print each outcome.",
)
def trigger(
    event: str,
    mock_url: str,
    profile: str | None,
    data: str | None,
    generate: bool,
    overrides: Sequence[str],
    seed: int,
    wait: float,
) -> None:
    """Trigger EVENT on a running mock provider (POST /_mock/events).

    Without --data the mock sends the event's example from the profile, made fresh for each
    subscriber (new ids, the current time, its own company); --generate sends a payload
    generated from the schema instead.

    \b
    Examples:
      hookconform trigger entry.stopped --mock http://127.0.0.1:8765 --wait 5
      hookconform trigger entry.stopped --mock http://127.0.0.1:8765 --generate
    """
    from harness.mock_client import MockClient

    if generate and data is not None:
        raise HarnessError("--generate and --data exclude each other: give one")
    body: dict[str, Any] = {"type": event, "seed": seed, "set": dict(map(_override, overrides))}
    body["payload"] = "generated" if generate else "example"
    if profile:
        body["profile"] = profile
    if data is not None:
        text = data
        if data.startswith("@"):
            try:
                text = Path(data[1:]).read_text(encoding="utf-8")
            except OSError as exc:
                raise HarnessError(f"cannot read {data[1:]}: {exc.strerror}") from None
        try:
            body["data"] = json.loads(text)
        except ValueError as exc:
            raise HarnessError(f"--data is not JSON: {exc}") from None
    client = MockClient.at(mock_url)
    try:
        client.reachable()  # exit 3 when nothing answers there
        _trigger_and_wait(client, body, wait)
    finally:
        client.close()


def _trigger_and_wait(client: Any, body: dict[str, Any], wait: float) -> None:
    import time

    fired = client.checked("POST", "/events", body)
    made = fired.get("events", [fired])
    count = sum(len(one["deliveries"]) for one in made)
    click.echo(f"event {fired['event_id']}: {count} delivery(ies)")
    for one in made:
        for error in one.get("schema_errors", []):
            click.echo(f"  note: the payload breaks the event schema: {error}")
    if not count:
        click.echo(
            "  no subscription receives this event: subscribe first (GET /_mock/subscriptions"
            " lists what the mock has), or enable, validate or confirm the one there is"
        )
    if not wait or not count:
        return
    deadline = time.monotonic() + wait
    while True:
        found = [
            d
            for one in made
            for d in client.checked("GET", f"/deliveries?event={one['event_id']}")["deliveries"]
        ]
        if all(d["status"] != "pending" for d in found) or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    for delivery in found:
        attempts = delivery["attempts"]
        last = attempts[-1] if attempts else None
        outcome = (
            "no attempt yet" if last is None else last["error"] or f"HTTP {last['status_code']}"
        )
        following = delivery.get("next_attempt_at")
        after = f", next attempt at {following}" if following else ""
        click.echo(
            f"delivery {delivery['id']} -> {delivery['target_url']}: {delivery['status']}"
            f" ({outcome}, {len(attempts)} attempt(s){after})"
        )


# --- the receiver suite and the checks registry -------------------------------------------


def _writable(path: str | None) -> None:
    """Refuse a report path before the run, not after it."""
    if path and Path(path).is_dir():
        raise HarnessError(f"cannot write {path}: it is a folder; give a file name")
    if path and not Path(path).resolve().parent.is_dir():
        raise HarnessError(f"cannot write {path}: its folder does not exist")


def _write(writer: Callable[[Report, str], None], report: Report, path: str, what: str) -> None:
    try:
        writer(report, path)
    except OSError as exc:
        raise HarnessError(f"cannot write {path}: {exc.strerror or exc}") from None
    click.echo(f"{what}: {path}")


def _run_suite(
    ctx: click.Context,
    run: Callable[[Progress], Report],
    *,
    report_path: str | None,
    junit_path: str | None,
) -> NoReturn:
    """Run a suite with a progress display, print its summary, write the reports asked for
    and exit with the report's code (3 when the target cannot be reached at all)."""
    from harness.report import (
        EXIT_INTERRUPTED,
        Interrupted,
        Progress,
        summary,
        write_json,
        write_junit,
    )

    _writable(report_path)
    _writable(junit_path)
    try:
        with _sigterm_interrupts():
            report = run(Progress())  # TargetUnreachable: exit 3, through the group
        code = report.exit_code
    except Interrupted as stopped:  # cleaned up already: show how far it got
        report, code = stopped.report, EXIT_INTERRUPTED
    click.echo(summary(report))
    if report_path:
        _write(write_json, report, report_path, "JSON report")
    if junit_path:
        _write(write_junit, report, junit_path, "JUnit XML")
    ctx.exit(code)


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a CI job cancelled) stops a run as Ctrl-C does, so that it cleans up."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@cli.command("receiver", short_help="Test a webhook receiver the way its provider calls it.")
@click.argument("url", type=HTTP_URL)
@click.option("--profile", "profile_name", required=True, metavar="NAME", help="The profile.")
@run_options("receiver")
@report_options
@specs_option
@click.pass_context
def receiver(
    ctx: click.Context,
    /,
    url: str,
    profile_name: str,
    report_path: str | None,
    junit_path: str | None,
    specs: Sequence[str],
    **values: Any,
) -> None:
    """Play profile NAME's provider against the webhook endpoint at URL.

    Exit 0 when every MUST check passed, 1 when one failed, 2 for a usage or spec error,
    3 when nothing answers at URL.

    \b
    Examples:
      hookconform receiver http://127.0.0.1:9000/hooks --profile clockodo \\
          --secret my-token
      hookconform receiver http://127.0.0.1:9000/hooks --profile resthooks \\
          --checks R-accepts-examples --report receiver.json
    """
    from harness.receiver import run_receiver  # schemathesis loads slowly

    profile = load_profiles(specs).get(profile_name)
    options = _built("receiver", url, values)
    assert isinstance(options, ReceiverOptions)
    _run_suite(
        ctx,
        lambda progress: run_receiver(profile, options, progress=progress),
        report_path=report_path,
        junit_path=junit_path,
    )


@cli.group("checks", cls=Group, short_help="List the conformance checks and their sources.")
def checks_group() -> None:
    """The conformance checks: what each checks, when it applies, its source.

    \b
    Examples:
      hookconform checks list --side receiver
    """


@checks_group.command("list", short_help="List every check: id, level, applies-to, source.")
@click.option("--profile", "profile_name", metavar="NAME", help="Only checks that apply to it.")
@click.option("--side", type=click.Choice(["receiver", "sender", "load"]), help="Only one suite.")
@specs_option
def checks_list(profile_name: str | None, side: str | None, specs: Sequence[str]) -> None:
    """Id, level, applies-to, what it checks and the source of every check.

    With --profile, only the checks that apply to it, at the level they are reported at for
    it, with the profile's own source sentences.

    \b
    Examples:
      hookconform checks list
      hookconform checks list --profile staffology --side sender
    """
    from harness import checks as registry

    profile = load_profiles(specs).get(profile_name) if profile_name else None
    for found in registry.registered(side, profile):  # type: ignore[arg-type]
        level = found.level_for(profile) if profile else found.level
        click.echo(f"{found.id:<29} {level:<6} {found.side:<8} {found.summary}")
        click.echo(f"{'':<29} applies to: {found.applies_text()}")
        source = found.source_for(profile) or found.source
        if source:
            click.echo(f"{'':<29} source: {source}")


@cli.command("vectors", short_help="Write signature test vectors of a profile, as JSON.")
@click.option("--profile", "profile_name", required=True, metavar="NAME", help="The profile.")
@click.option(
    "--output",
    "-o",
    metavar="FILE",
    type=click.Path(dir_okay=False, writable=True, path_type=str),
    help="Write the JSON here instead of to stdout.",
)
@specs_option
def vectors(profile_name: str, output: str | None, specs: Sequence[str]) -> None:
    """Positive and negative test vectors of profile NAME's signature scheme, as JSON.

    Each vector gives a verifier its input (secret, headers, the body as text and as
    base64 bytes, `now`: the Unix time to verify at) and the verdict it must reach
    (`expected`: valid or invalid) with the reason. The secrets, ids and times are fixed,
    so the same vectors come out on every run: a library's test suite can keep them.
    Standard Webhooks' published vector is among those of a profile that uses its scheme.

    \b
    Examples:
      hookconform vectors --profile standard-webhooks
      hookconform vectors --profile stripe --output stripe-vectors.json
    """
    from harness.vectors import document
    from harness.wire import encode

    profile = load_profiles(specs).get(profile_name)
    rule = profile.semantics.authenticity
    if rule.scheme is None:
        raise HarnessError(
            f"profile {profile.name!r} does not sign its deliveries (authenticity kind "
            f"{rule.kind}): there are no signature vectors"
        )
    examples = [e.example() for e in profile.events.values() if e.examples]
    body = encode(examples[0] if examples else {"type": "hookconform.vector"})
    text = json.dumps(document(profile, body), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    _writable(output)
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise HarnessError(f"cannot write {output}: {exc.strerror or exc}") from None
    click.echo(f"{len(document(profile, body)['vectors'])} vectors: {output}", err=True)


# --- the load stage ------------------------------------------------------------------------


def _load_options(command: F) -> F:
    """The options of `hookconform load`, each parsed by `harness.load_spec`."""
    from harness.load_spec import DEFAULT_SECONDS, PER_USER

    decorators = [
        click.argument("url", required=False),
        click.option("--profile", "profile_name", metavar="NAME", help="The provider profile."),
        click.option("--secret", help="The secret your receiver checks (signing secret, token)."),
        click.option(
            "--rate",
            metavar="R",
            help=f"Deliveries per second, open loop (default {PER_USER:g}).",
        ),
        click.option(
            "--users",
            type=int,
            metavar="N",
            help="Instead of a rate: N senders, each sending as soon as it is answered.",
        ),
        click.option(
            "--duration",
            metavar="D",
            help=f"How long: seconds or 30s, 2m, 1h (default {DEFAULT_SECONDS:g} s).",
        ),
        click.option("--events", metavar="E1,...", help="Only these events (default: all)."),
        click.option(
            "--burst",
            metavar="SPEC",
            help="A burst shape instead of --rate/--duration: RATE:SECONDS steps, e.g. "
            "50:10,500:5,50:10.",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=0),
            default=0,
            metavar="K",
            help="Locust worker processes on this machine (0: one process).",
        ),
        click.option(
            "--master",
            is_flag=True,
            help="Be the Locust master of workers started elsewhere (see --write-plan).",
        ),
        click.option(
            "--expect-workers",
            type=click.IntRange(min=1),
            default=1,
            metavar="K",
            help="With --master: how many workers to wait for.",
        ),
        click.option(
            "--master-port", type=int, default=5557, show_default=True, help="With --master."
        ),
        click.option(
            "--write-plan",
            metavar="FILE",
            help="Also write the plan here, for workers on other machines to read.",
        ),
        click.option(
            "--timeout",
            type=float,
            help="The provider's answer timeout in seconds (default: the profile's).",
        ),
        click.option("--seed", type=int, default=0, show_default=True, help="Payload seed."),
        click.option("--report", "report_path", metavar="FILE", help="Write the JSON report."),
        click.option("--junit", "junit_path", metavar="FILE", help="Write JUnit XML."),
        click.option(
            "--plot", "plot_path", metavar="FILE", help="Write the latency-over-time page (HTML)."
        ),
        click.option(
            "--locustfile",
            "print_locustfile",
            is_flag=True,
            help="Print the path of hookconform's locustfile and exit (for plain locust -f).",
        ),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


@cli.command("load", short_help="Put a receiver under its provider's burst, on Locust.")
@_load_options
@specs_option
@click.pass_context
def load(ctx: click.Context, /, **values: Any) -> None:
    """Send URL deliveries as profile NAME's provider does, at a rate or in a burst, on
    Locust, and judge the receiver: every answer within the provider's timeout, no 5xx, no
    dropped connection, every delivery accepted, the rate kept.

    Locust runs in a child process (pip install 'hookconform[load]'). Exit 0 when every
    threshold held, 1 when one did not, 2 for a usage error, 3 when nothing answers at URL.

    \b
    Examples:
      hookconform load http://127.0.0.1:9000/hooks --profile resthooks \\
          --rate 50 --duration 20s
      hookconform load http://127.0.0.1:9000/hooks --profile stripe \\
          --secret whsec_x --burst 50:10,500:5,50:10 --workers 2 \\
          --report load.json --plot load.html
    """
    from harness.load import INSTALL, LOADFILE, locust_installed

    if values["print_locustfile"]:
        click.echo(LOADFILE)
        ctx.exit(0)
    if not locust_installed():
        raise HarnessError(INSTALL)
    for name in ("url", "profile_name"):
        if not values[name]:
            flag = "URL" if name == "url" else "--profile"
            raise HarnessError(f"hookconform load needs {flag}: see hookconform load --help")
    options, profile = _built_load(values)
    _writable(values["plot_path"])
    _writable(values["write_plan"])
    _run_suite(
        ctx,
        lambda progress: _loaded(profile, options, values),
        report_path=values["report_path"],
        junit_path=values["junit_path"],
    )


def _built_load(values: dict[str, Any]) -> tuple[Any, Profile]:
    """The options and the profile of a load run, every word parsed (OptionError: exit 2)."""
    from harness.load_spec import LoadOptions, burst, duration, rate, stages

    try:
        planned = stages(
            rate_value=rate(values["rate"]) if values["rate"] is not None else None,
            users=values["users"],
            seconds=duration(values["duration"]) if values["duration"] is not None else None,
            steps=burst(values["burst"]) if values["burst"] is not None else None,
        )
    except OptionError as exc:
        raise HarnessError(str(exc)) from None
    if values["timeout"] is not None and values["timeout"] <= 0:
        raise HarnessError("--timeout must be more than 0 seconds")
    profile = load_profiles(values["specs"]).get(values["profile_name"])
    events = tuple(e.strip() for e in (values["events"] or "").split(",") if e.strip())
    options = LoadOptions(
        url=values["url"],
        stages=tuple(planned),
        secret=values["secret"],
        events=events,
        workers=values["workers"],
        master=values["master"],
        expect_workers=values["expect_workers"],
        master_port=values["master_port"],
        timeout=values["timeout"],
        seed=values["seed"],
        plan_copy=values["write_plan"],
    )
    return options, profile


def _loaded(profile: Profile, options: Any, values: dict[str, Any]) -> Report:
    """Run the load stage; print what was measured and write the page asked for."""
    from harness.load import run_load
    from harness.load_plot import page

    report, measured = run_load(profile, options)
    figures = report.settings.get("measured")
    if figures:
        latency = figures["latency_ms"]
        outcomes = ", ".join(f"{n} {o}" for o, n in figures["by_outcome"].items())
        click.echo(
            f"measured: {figures['deliveries']} deliveries, {figures['per_second']}/s; "
            f"latency p50 {latency['p50']} ms, p95 {latency['p95']} ms, p99 {latency['p99']} "
            f"ms, max {latency['max']} ms; {outcomes}"
        )
    if values["plot_path"] and measured is not None:
        timeout = report.settings["timeout_seconds"]
        title = f"hookconform load: {profile.name} -> {options.url}"
        text = page(measured.records, measured.started, timeout=timeout, title=title)
        try:
            Path(values["plot_path"]).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise HarnessError(f"cannot write {values['plot_path']}: {exc.strerror}") from None
        click.echo(f"latency over time: {values['plot_path']}")
    return report


# --- the sender suite ----------------------------------------------------------------------


@cli.command("sender", short_help="Test that a webhook sender keeps its profile's promises.")
@click.option("--profile", "profile_name", required=True, metavar="NAME", help="The profile.")
@click.option(
    "--api",
    type=HTTP_URL,
    metavar="URL",
    help="Base URL of the sender's subscription API (or a hookconform mock provider).",
)
@run_options("sender")
@report_options
@specs_option
@click.pass_context
def sender(
    ctx: click.Context,
    /,
    profile_name: str,
    api: str | None,
    report_path: str | None,
    junit_path: str | None,
    specs: Sequence[str],
    **values: Any,
) -> None:
    """Play the receiver of profile NAME's webhooks and check a sender keeps its promises.

    The harness subscribes its capture server through the sender's subscription API, makes
    the sender emit events and watches what arrives. Exit 0 when every MUST check passed, 1
    when one failed, 2 for a usage or spec error, 3 when the API cannot be reached.

    A hookconform mock can stand in for the sender, as in the examples.

    \b
    Examples:
      hookconform mock --profile resthooks --time-scale 0.0001 &
      hookconform sender --profile resthooks --api http://127.0.0.1:8765 \\
          --time-scale 0.0001
    """
    from harness.sender import run_sender

    profile = load_profiles(specs).get(profile_name)
    options = _built("sender", api or "", values)
    assert isinstance(options, SenderOptions)
    _run_suite(
        ctx,
        lambda progress: run_sender(profile, options, progress=progress),
        report_path=report_path,
        junit_path=junit_path,
    )


def main() -> None:
    """The console script's entry point."""
    cli(prog_name="hookconform")
