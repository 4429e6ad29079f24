"""The one rule for the URLs hookconform connects to (harness.targets): one strict parser,
names resolved once by an injected resolver (no test looks up a real name), every address
checked, the mock itself never a target. The pytest options: in test_pytest_plugin.py."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable

import pytest
from click.testing import CliRunner

from harness.cli import cli
from harness.errors import HarnessError, TargetUnreachable
from harness.targets import TargetRefused, TargetRule, parse, pin


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


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        # What urlsplit reads as 127.0.0.1 and an HTTP client as 10.0.0.1 (the reported bypass).
        ("http://10.0.0.1\\@127.0.0.1/x", "holds a backslash"),
        ("http://127.0.0.2:18802\\@127.0.0.1:18801/ok", "holds a backslash"),
        ("http://user:pw@127.0.0.1/x", "holds user info"),
        ("http://10.0.0.1@127.0.0.1/x", "holds user info"),
        ("http://127.1/x", "not an IPv4 address in dotted-quad form"),
        ("http://0x7f.0.0.1/x", "not an IPv4 address in dotted-quad form"),
        ("http://2130706433/x", "not an IPv4 address in dotted-quad form"),
        ("http://127.000.0.1/x", "not an IPv4 address in dotted-quad form"),
        ("http://[fe80::1%25eth0]/x", "zone ids are not allowed"),
        ("http://%31%32%37.0.0.1/x", "percent signs"),
        ("http://127.0.0.1 /x", "holds the character ' '"),
        ("http://127.0.0.1/\tx", "holds the character"),
        ("http://bücher.example/x", "punycode"),
        ("http://127.0.0.1:0/x", "port 0"),
    ],
)
def test_what_two_parsers_could_read_differently_is_refused(url: str, reason: str) -> None:
    with pytest.raises(TargetRefused, match=re.escape(reason)):
        parse(url)


def _dns(table: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "unknown name")
        return table[host]

    return resolve


DNS = _dns(
    {
        "evil.localhost": ["10.0.0.1"],
        "localhost.localdomain": ["192.168.1.9"],
        "ip6-localhost": ["::1"],
        "split.example": ["127.0.0.1", "10.0.0.2"],
        "hooks.internal": ["10.4.4.4"],
        "mapped.example": ["::ffff:10.0.0.1"],
    }
)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://evil.localhost/", "evil.localhost (10.0.0.1) is neither"),
        ("http://localhost.localdomain/", "(192.168.1.9) is neither"),
        ("http://split.example/", "split.example (10.0.0.2) is neither"),
        ("http://mapped.example/", "(10.0.0.1) is neither"),
        ("http://10.0.0.1/", "10.0.0.1 is neither"),
        ("http://0.0.0.0:80/", "not an address to deliver to"),
        ("http://nowhere.example/", "cannot resolve 'nowhere.example'"),
    ],
)
def test_the_mock_delivers_only_where_every_address_is_allowed(url: str, reason: str) -> None:
    with pytest.raises(TargetRefused, match=re.escape(reason)):
        TargetRule.from_entries([], resolver=DNS).check(url)


def test_names_resolve_once_and_the_target_carries_the_checked_addresses() -> None:
    calls: list[str] = []

    def counting(host: str, port: int) -> list[str]:
        calls.append(host)
        return DNS(host, port)

    rule = TargetRule.from_entries(
        ["hooks.internal", "10.9.0.0/16", "172.16.0.7"], resolver=counting
    )
    assert calls == ["hooks.internal"]  # pinned when the rule is made
    pinned = rule.check("http://hooks.internal:8080/x?y=1")
    assert (pinned.addresses, pinned.authority, pinned.path) == (
        ("10.4.4.4",),
        "hooks.internal:8080",
        "/x?y=1",
    )
    assert calls == ["hooks.internal"]  # ... and not looked up again
    assert rule.check("http://10.9.200.1/").addresses == ("10.9.200.1",)
    assert rule.check("http://172.16.0.7/").addresses == ("172.16.0.7",)
    assert rule.check("http://ip6-localhost:9/").addresses == ("::1",)
    assert rule.check("http://[::1]:9/").authority == "[::1]:9"
    with pytest.raises(TargetRefused):
        rule.check("http://172.16.0.8/")


def test_the_mock_itself_is_never_a_target_other_loopback_ports_are() -> None:
    rule = TargetRule.from_entries([], resolver=DNS).listening_on("127.0.0.1", 8765)
    for url in ("http://127.0.0.1:8765/_mock/deliveries/1/redeliver", "http://localhost:8765/"):
        with pytest.raises(TargetRefused, match="is the mock itself"):
            TargetRule(
                rule.allowed, rule.pinned, rule.own, _dns({"localhost": ["127.0.0.1"]})
            ).check(url)
    assert rule.check("http://127.0.0.1:8766/").port == 8766
    assert rule.check("http://127.0.0.2:8765/").addresses == ("127.0.0.2",)
    everywhere = rule.listening_on("0.0.0.0", 8765)
    with pytest.raises(TargetRefused, match="is the mock itself"):
        everywhere.check("http://127.0.0.2:8765/")


@pytest.mark.parametrize("entry", ["not a host!", "http://x/", "999.1.1.1.1"])
def test_a_bad_allow_target_entry_is_one_clear_error(entry: str) -> None:
    with pytest.raises(HarnessError, match="--allow-target"):
        TargetRule.from_entries([entry], resolver=DNS)


def test_pin_resolves_a_name_and_says_when_it_cannot() -> None:
    assert pin("http://localhost:9/").addresses  # the one real name a test may look up
    with pytest.raises(TargetUnreachable, match=r"cannot resolve 'nowhere\.example'"):
        pin("http://nowhere.example/", resolver=DNS)
