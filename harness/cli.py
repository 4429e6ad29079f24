"""The `hookconform` command line.

Expected errors (an unknown profile, a malformed file, a missing folder) are printed as one
line on stderr and answered with exit code 2; a traceback means a bug in hookconform.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

from harness import __version__
from harness.describe import describe_semantics
from harness.errors import HarnessError, SpecError
from harness.profiles import (
    Profile,
    check_folders,
    load_profiles,
    profile_folders,
    specs_dirs,
)

F = TypeVar("F", bound=Callable[..., Any])


class HarnessUsageError(click.ClickException):
    """A `HarnessError` shown the click way: `Error: ...` on stderr, exit code 2."""

    exit_code = 2


class Group(click.Group):
    """A click group that turns every `HarnessError` into one clear line and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SpecError as exc:
            for problem in exc.problems:
                click.echo(str(problem), err=True)
            raise HarnessUsageError(f"{len(exc.problems)} problem(s) in the profiles") from None
        except HarnessError as exc:
            raise HarnessUsageError(str(exc)) from None


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
    """hookconform: a conformance test harness and mock provider for webhooks."""


@cli.group(cls=Group)
def specs() -> None:
    """List, show, validate and sample the provider profiles."""


@specs.command("list")
@specs_option
def specs_list(specs: Sequence[str]) -> None:
    """One line per profile: name, title, number of events, sources."""
    catalog = load_profiles(specs)
    width = max(len(p.name) for p in catalog)
    title_width = max(len(p.title) for p in catalog)
    for profile in catalog:
        events = f"{len(profile.events)} events"
        sources = ", ".join(profile.sources)
        click.echo(
            f"{profile.name:<{width}}  {profile.title:<{title_width}}  {events:>10}  {sources}"
        )


@specs.command("show")
@click.argument("name")
@specs_option
def specs_show(name: str, specs: Sequence[str]) -> None:
    """The semantics of profile NAME in plain words, its subscription API and its events."""
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
    roles = profile.semantics["subscription"].get("operations", {})
    if not roles:
        click.echo("\nSubscription API: none (configured in the provider's settings screen)")
        return
    click.echo("\nSubscription API:")
    for role in roles:
        operation = profile.subscription_operation(role)
        if operation:
            click.echo(f"  {role:<7} {operation.method:<6} {operation.path}")


@specs.command("validate")
@click.argument("dirs", nargs=-1, type=click.Path(path_type=str))
@specs_option
def specs_validate(dirs: Sequence[str], specs: Sequence[str]) -> None:
    """Check every profile (bundled, HOOKCONFORM_SPECS, --specs and DIRS).

    Exit 0 when all are valid; exit 2 with every problem as `FILE: JSON-PATH: message`.
    """
    folders = [f for root in specs_dirs([*specs, *dirs]) for f in profile_folders(root)]
    catalog, problems = check_folders(folders)
    for profile in catalog:
        click.echo(f"ok       {profile.name} ({len(profile.events)} events) {profile.folder}")
    if problems:
        raise SpecError(problems)
    click.echo(f"{len(catalog)} profiles valid")


@specs.command("example")
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
    """A valid payload for EVENT of profile NAME, as JSON."""
    profile = load_profiles(specs).get(name)
    found = profile.event(event)
    if generate:
        from harness.strategies import draw, payloads  # schemathesis loads slowly

        payload = draw(payloads(profile, event), seed_value=seed_value)
    else:
        payload = found.example()
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False))


def main() -> None:
    """The console script's entry point."""
    cli(prog_name="hookconform")
