"""The one rule for the URLs hookconform connects to (harness.targets): one strict parser,
names resolved once by an injected resolver (no test looks up a real name), every address
checked, the mock itself never a target. The pytest options: in test_pytest_plugin.py."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.errors import HarnessError
from harness.targets import parse


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/hooks", "https://example.test", "http://[::1]:80/"]
)
def test_http_urls_pass(url: str) -> None:
    assert parse(url).url == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("notaurl", "not an http(s) URL"),
        ("ftp://127.0.0.1/hooks", "not an http(s) URL"),
        ("http:///hooks", "not an http(s) URL"),
        ("http://[::1/hooks", "Invalid IPv6 URL"),
        ("http://127.0.0.1:99999/", "Port out of range"),
    ],
)
def test_anything_else_says_what_is_wrong(url: str, reason: str) -> None:
    with pytest.raises(HarnessError, match=re.escape(reason)):
        parse(url)


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["receiver", "http://[::1/x", "--profile", "resthooks"], "'URL'"),
        (["sender", "--profile", "resthooks", "--api", "notaurl", "--trigger", "true"], "'--api'"),
        (
            [
                "sender",
                "--profile",
                "resthooks",
                "--api",
                "http://127.0.0.1:9",
                "--trigger-url",
                "x",
            ],
            "'--trigger-url'",
        ),
        (["trigger", "contact.create", "--mock", "127.0.0.1:8765"], "'--mock'"),
    ],
)
def test_every_command_refuses_a_bad_url_with_one_line(args: list[str], option: str) -> None:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 2
    assert f"Invalid value for {option}" in result.output
    assert "Traceback" not in result.output
