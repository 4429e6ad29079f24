"""The `hookconform specs` commands and every command's --help, through click's CliRunner and
once as a real process."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.profiles import ENV_VAR, load_profiles

CATALOG = load_profiles()


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_list_has_one_line_per_profile() -> None:
    result = run("specs", "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == [p.name for p in CATALOG]
    staffology = next(line for line in lines if line.startswith("staffology"))
    assert f"{len(CATALOG.get('staffology').events)} events" in staffology
    assert "003_82dc6790c6af47ca.txt" in staffology


def test_list_shows_profiles_from_specs_and_environment(write_profile: Any) -> None:
    root = write_profile("acme", based_on="resthooks", edit=lambda p, o: p.update(title="Acme"))
    assert "acme" not in run("specs", "list").output
    from_option = run("specs", "list", "--specs", str(root))
    assert any(line.startswith("acme ") for line in from_option.output.splitlines())
    from_env = run("specs", "list", env={ENV_VAR: str(root)})
    assert any(line.startswith("acme ") for line in from_env.output.splitlines())


def test_show_describes_semantics_in_plain_words() -> None:
    result = run("specs", "show", "staffology")
    assert result.exit_code == 0
    assert "extends: resthooks" in result.output
    assert "a JSON array of one item" in result.output
    assert "409 or 410 deactivates the subscription" in result.output
    assert "Employee_Created" in result.output
    assert "GET    /employers/{employerId}/webhooks" in result.output


def test_show_settings_screen_profile() -> None:
    result = run("specs", "show", "hirehop")
    assert "configured in the provider's settings screen" in result.output
    assert "the answer is ignored" in result.output


def test_validate_passes_on_the_bundled_profiles() -> None:
    result = run("specs", "validate")
    assert result.exit_code == 0
    assert result.output.strip().endswith(f"{len(CATALOG)} profiles valid")


def test_validate_lists_every_problem_and_exits_2(write_profile: Any) -> None:
    def breaks_two_things(profile: dict[str, Any], openapi: dict[str, Any]) -> None:
        del profile["semantics"]["gone"]["source"]
        openapi["components"]["schemas"]["Contact"]["properties"]["id"]["type"] = "integr"

    root = write_profile("broken", based_on="resthooks", edit=breaks_two_things)
    result = CliRunner().invoke(cli, ["specs", "validate", str(root)])
    assert result.exit_code == 2
    folder = root / "broken"
    assert f"{folder / 'profile.yaml'}: $.semantics.gone: 'source' is a required property" in (
        result.output
    )
    assert f"{folder / 'openapi.yaml'}: $.components.schemas.Contact.properties.id.type:" in (
        result.output
    )
    assert "Error: 2 problem(s) in the profiles" in result.output


def test_example_prints_the_profiles_example() -> None:
    result = run("specs", "example", "hirehop", "invoice.status.updated")
    assert result.exit_code == 0
    event = CATALOG.get("hirehop").event("invoice.status.updated")
    assert json.loads(result.output) == event.example()


def test_example_generate_is_valid_and_repeatable() -> None:
    first = run("specs", "example", "clockodo", "entry.stopped", "--generate", "--seed", "7")
    again = run("specs", "example", "clockodo", "entry.stopped", "--generate", "--seed", "7")
    assert first.exit_code == 0
    payload = json.loads(first.output)
    CATALOG.get("clockodo").validate("entry.stopped", payload)
    assert first.output == again.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["specs", "show", "nope"], "Error: unknown profile 'nope' (known: clockodo,"),
        (
            ["specs", "example", "resthooks", "nope"],
            "Error: profile 'resthooks' has no event 'nope'",
        ),
        (["specs", "list", "--specs", "/does/not/exist"], "Error: specs folder not found"),
    ],
)
def test_expected_errors_are_one_line_and_exit_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.output.startswith(message)
    assert len(result.output.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_malformed_yaml_is_a_clear_error(write_profile: Any) -> None:
    root = write_profile("broken", raw={"profile.yaml": "name: [\n"})
    result = CliRunner().invoke(cli, ["specs", "list", "--specs", str(root)])
    assert result.exit_code == 2
    assert f"{root / 'broken' / 'profile.yaml'}: $: malformed YAML at line 2" in result.output
    assert "Traceback" not in result.output


def test_python_dash_m_harness_runs_as_a_real_process(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness", "specs", "show", "nope"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("Error: unknown profile 'nope'")
    assert "Traceback" not in done.stderr


# --- every --help: examples that work, summaries that are whole ------------------------------


def walk(
    command: click.Command = cli, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    """Every command with the words that name it after `hookconform`, the top level first."""
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from walk(sub, (*path, name))


COMMANDS = dict(walk())
GROUPS = [path for path, command in COMMANDS.items() if isinstance(command, click.Group)]
READ_ONLY = ("specs", "checks")  # commands that need no server and change nothing


def named(path: tuple[str, ...]) -> str:
    return " ".join(("hookconform", *path))


def help_of(path: tuple[str, ...], width: int = 80) -> str:
    """What `hookconform PATH --help` prints in a terminal `width` columns wide."""
    result = CliRunner().invoke(
        cli, [*path, "--help"], prog_name="hookconform", terminal_width=width
    )
    return result.output


def example_block(text: str) -> list[str]:
    """The lines under `Examples:` in a help text, as printed."""
    found = re.search(r"^ *Examples:\n((?: {4,}\S.*\n)+)", text, re.M)
    return found.group(1).splitlines() if found else []


def command_lines(block: list[str]) -> list[str]:
    """The example command lines, continued lines (ending in a backslash) joined."""
    text = re.sub(r" *\\\n *", " ", "\n".join(block))
    return [line.strip() for line in text.splitlines()]


EXAMPLES = sorted({line for p in COMMANDS for line in command_lines(example_block(help_of(p)))})


@pytest.mark.parametrize("path", COMMANDS, ids=named)
def test_every_help_has_examples_that_fit_80_columns(path: tuple[str, ...]) -> None:
    block = example_block(help_of(path))
    assert block, f"{named(path)} --help has no Examples: section"
    assert all(line.startswith("hookconform ") for line in command_lines(block))
    assert all(len(line) <= 80 for line in block)


def test_the_examples_cover_every_read_only_command() -> None:
    shown = {tuple(shlex.split(line)[1:3]) for line in EXAMPLES}
    for path, command in COMMANDS.items():
        if path and path[0] in READ_ONLY and not isinstance(command, click.Group):
            assert path in shown, f"no example runs {named(path)}"


@pytest.mark.parametrize(
    "line", [line for line in EXAMPLES if line.split()[1] in READ_ONLY], ids=str
)
def test_read_only_examples_run(line: str) -> None:
    result = run(*shlex.split(line)[1:])
    assert result.exit_code == 0, result.output
    assert result.output.strip()


@pytest.mark.parametrize(
    "line", [line for line in EXAMPLES if line.split()[1] not in READ_ONLY], ids=str
)
def test_server_examples_name_real_commands_and_options(line: str) -> None:
    # Not run (they serve or need a server); --help after them still refuses an unknown
    # command or option with exit 2.
    args = shlex.split(line.removesuffix("&"))[1:]
    result = CliRunner().invoke(cli, [*args, "--help"], prog_name="hookconform")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: hookconform {args[0]} ")


@pytest.mark.parametrize("width", [80, 60])
@pytest.mark.parametrize("path", GROUPS, ids=named)
def test_command_summaries_are_whole_sentences(path: tuple[str, ...], width: int) -> None:
    section = help_of(path, width).split("\nCommands:\n", 1)[1]
    assert "..." not in section
    lines = section.strip().splitlines()
    if width == 80:  # one line each, a whole sentence
        group = COMMANDS[path]
        assert isinstance(group, click.Group)
        assert len(lines) == len(group.commands)
        assert all(line.endswith(".") for line in lines)
