"""The one rule for the URLs hookconform connects to: parsed once, resolved once, pinned.

Every request hookconform makes goes to a `Target`: the URL as the user or a subscriber gave
it, read by one strict parser, and the addresses its host resolved to. The HTTP client
(`harness.transport`) never reads a URL itself: it connects to `Target.addresses` and sends
`Target.authority` as the Host header, so what was checked is what is contacted, with no
second name lookup in between (a name that resolves elsewhere the second time, DNS
rebinding, cannot slip past the check).

Two uses:

- `pin(url)`: the harness's own requests (`hookconform receiver URL`, `sender --api URL`).
  The user named the target, so any address is allowed; a name that does not resolve is
  `TargetUnreachable` (exit 3).
- `TargetRule.check(url)`: where the mock provider may deliver. Every address the name
  resolves to must be allowed: loopback (127.0.0.0/8, ::1) by default, plus the addresses,
  CIDR ranges and names given with `--allow-target` (a name is resolved once, when the rule
  is made, and pinned to those addresses). The mock's own listening address and port are
  never a target, so it cannot be made to deliver to itself.

The parser refuses what two URL parsers could read differently: backslashes, user info
(`http://10.0.0.1\\@127.0.0.1/` is 127.0.0.1 to one parser and 10.0.0.1 to another),
whitespace and control characters, percent-encoded or non-ASCII host names, IPv6 zone ids
and IPv4 addresses in anything but dotted-quad form (`127.1`, `0x7f.0.0.1`).

The resolver is a parameter everywhere: tests inject one, so that no test looks up a name
other than `localhost` in the real DNS.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import urllib3.util

from harness.errors import HarnessError, TargetUnreachable

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]

MAX_URL = 2048
LITERALS_KEPT = 4096  # checked IP-address URLs a rule remembers
SCHEMES = {"http": 80, "https": 443}
LOOPBACK: tuple[Network, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
_NUMBER = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x20\x7f\\]")


class TargetRefused(HarnessError):
    """A URL that may not be a target, and why."""


@dataclass(frozen=True)
class Target:
    """A URL read once and its host's addresses, the ones a connection may go to."""

    url: str
    scheme: str
    host: str  # a lower-case name or an IP address, without brackets
    port: int
    path: str  # path and query, "/" at least: the request target
    addresses: tuple[str, ...]

    @property
    def authority(self) -> str:
        """The Host header: host, and the port where it is not the scheme's default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == SCHEMES[self.scheme] else f"{host}:{self.port}"

    @property
    def origin(self) -> tuple[str, str, int]:
        """(scheme, host, port): what connections to this target share."""
        return self.scheme, self.host, self.port

    def with_path(self, path: str) -> Target:
        """The same host and addresses, another request target (a path on the same API)."""
        return Target(self.url, self.scheme, self.host, self.port, path, self.addresses)


@dataclass(frozen=True)
class ParsedUrl:
    """A URL as `parse` reads it, before its host is resolved."""

    url: str
    scheme: str
    host: str
    port: int
    path: str

    @functools.cached_property
    def literal(self) -> Address | None:
        """The host as an IP address, when it is one."""
        try:
            return ipaddress.ip_address(self.host)
        except ValueError:
            return None


def parse(url: Any) -> ParsedUrl:
    """Read an absolute http(s) URL strictly; `TargetRefused` saying why it cannot be one."""
    if not isinstance(url, str) or not url:
        raise TargetRefused("the URL must be a non-empty string")
    return _parse(url)


# A pure function of the string, asked again at every delivery attempt (a refusal is not kept).
@functools.lru_cache(maxsize=4096)
def _parse(url: str) -> ParsedUrl:
    if len(url) > MAX_URL:
        raise TargetRefused(f"the URL is longer than {MAX_URL} characters")
    bad = _FORBIDDEN_CHARACTERS.search(url)
    if bad:
        what = "a backslash" if bad.group() == "\\" else f"the character {bad.group()!r}"
        raise TargetRefused(f"{url!r} holds {what}, which URL parsers read differently")
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
        other = urllib3.util.parse_url(url)
    except ValueError as exc:
        raise TargetRefused(f"{url!r} is not a valid URL ({exc})") from None
    except urllib3.exceptions.LocationParseError as exc:
        raise TargetRefused(f"{url!r} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not host:
        raise TargetRefused(f"{url!r} is not an http(s) URL")
    if "@" in parts.netloc:
        raise TargetRefused(f"{url!r} holds user info (user@host), which is not allowed")
    host = _host(url, host)
    try:
        theirs = ((other.scheme or "").lower(), _host(url, (other.host or "").strip("[]")))
    except TargetRefused:
        theirs = None
    if theirs != (scheme, host) or other.port != port:
        raise TargetRefused(f"{url!r} is ambiguous: URL parsers read its host differently")
    port = port if port is not None else SCHEMES[scheme]
    if port == 0:
        raise TargetRefused(f"{url!r}: port 0 is not a port to connect to")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return ParsedUrl(url, scheme, host, port, path)


def _host(url: str, host: str) -> str:
    """The host in one spelling: a compressed IP address or a lower-case ASCII name."""
    if "%" in host:
        raise TargetRefused(f"{url!r}: percent signs and IPv6 zone ids are not allowed in a host")
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host).compressed
        except ValueError:
            raise TargetRefused(f"{url!r}: {host!r} is not an IPv6 address") from None
    name = host.rstrip(".")
    if _NUMBER.match(name.rpartition(".")[2]):  # ends in a number: an IPv4 address or nothing
        try:
            return ipaddress.IPv4Address(name).compressed
        except ValueError:
            raise TargetRefused(
                f"{url!r}: {host!r} is not an IPv4 address in dotted-quad form"
            ) from None
    if not name.isascii() or not _NAME.match(name):
        raise TargetRefused(
            f"{url!r}: {host!r} is not a host name (use the ASCII, punycode form of a name)"
        )
    return name


def origin(url: str) -> str:
    """`scheme://host:port` of a URL: what requests to it share (the URL itself when it is
    not one to use)."""
    try:
        parsed = parse(url)
    except TargetRefused:
        return url
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{parsed.scheme}://{host}:{parsed.port}"


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system's resolver gives for `host`, in its order."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]).partition("%")[0] for info in found))


def _resolve(parsed: ParsedUrl, resolver: Resolver) -> tuple[str, ...]:
    """The host's addresses (an IP literal is its own); `TargetUnreachable` when none."""
    literal = parsed.literal
    if literal is not None:
        return (literal.compressed,)
    try:
        found = [_address(a).compressed for a in resolver(parsed.host, parsed.port)]
    except (OSError, UnicodeError, ValueError) as exc:
        raise TargetUnreachable(f"cannot resolve {parsed.host!r}: {exc}") from None
    if not found:
        raise TargetUnreachable(f"cannot resolve {parsed.host!r}: no address")
    return tuple(dict.fromkeys(found))


def _address(text: str) -> Address:
    address = ipaddress.ip_address(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def pin(url: str, *, resolver: Resolver = system_resolver) -> Target:
    """A URL the user named, resolved: `TargetRefused` (exit 2) when it is not a URL to use,
    `TargetUnreachable` (exit 3) when its name does not resolve."""
    parsed = parse(url)
    return Target(*_fields(parsed), _resolve(parsed, resolver))


def _fields(parsed: ParsedUrl) -> tuple[str, str, str, int, str]:
    return parsed.url, parsed.scheme, parsed.host, parsed.port, parsed.path


def _networks(entry: str) -> Network | None:
    try:
        return ipaddress.ip_network(entry.strip("[]"), strict=False)
    except ValueError:
        return None


@dataclass(frozen=True)
class TargetRule:
    """Where the mock provider may deliver: loopback and the `--allow-target` entries, never
    the mock itself (`own`: the address and port it listens on)."""

    allowed: tuple[Network, ...] = LOOPBACK
    pinned: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    own: tuple[str, int] | None = None
    resolver: Resolver = system_resolver
    # The targets of URLs whose host is an IP address: nothing is looked up, so the answer
    # stays the same for this rule (a name is resolved and checked at every call).
    _literals: dict[str, Target] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def from_entries(
        cls, entries: Iterable[str], *, resolver: Resolver = system_resolver
    ) -> TargetRule:
        """Loopback plus each `--allow-target` entry: an IP address, a CIDR range, or a host
        name, resolved now and pinned to the addresses it has now. `HarnessError` for an entry
        that is none of these."""
        allowed = list(LOOPBACK)
        pinned: dict[str, tuple[str, ...]] = {}
        for entry in entries:
            network = _networks(entry)
            if network is not None:
                allowed.append(network)
                continue
            try:
                parsed = parse(f"http://{entry}/")
            except TargetRefused:
                raise HarnessError(
                    f"--allow-target {entry!r}: not an IP address, a CIDR range or a host name"
                ) from None
            try:
                addresses = _resolve(parsed, resolver)
            except TargetUnreachable as exc:
                raise HarnessError(f"--allow-target {entry!r}: {exc}") from None
            pinned[parsed.host] = addresses
            allowed += [ipaddress.ip_network(a) for a in addresses]
        return cls(tuple(dict.fromkeys(allowed)), pinned, None, resolver)

    def listening_on(self, host: str, port: int) -> TargetRule:
        """The same rule, knowing the address and port the mock listens on."""
        return TargetRule(self.allowed, self.pinned, (host, port), self.resolver)

    def check(self, url: Any) -> Target:
        """The target `url` names when the mock may deliver to it; `TargetRefused` saying why
        not (a name that does not resolve is refused too)."""
        known = self._literals.get(url) if isinstance(url, str) else None
        if known is not None:
            return known
        parsed = parse(url)
        try:
            addresses = self.pinned.get(parsed.host) or _resolve(parsed, self.resolver)
        except TargetUnreachable as exc:
            raise TargetRefused(str(exc)) from None
        for text in addresses:
            self._allow(parsed, _address(text))
        target = Target(*_fields(parsed), addresses)
        if parsed.literal is not None and parsed.host not in self.pinned:
            if len(self._literals) >= LITERALS_KEPT:
                self._literals.clear()
            self._literals[url] = target
        return target

    def _allow(self, parsed: ParsedUrl, address: Address) -> None:
        shown = parsed.host if parsed.host == address.compressed else f"{parsed.host} ({address})"
        if address.is_unspecified or address.is_multicast:
            raise TargetRefused(f"{shown} is not an address to deliver to")
        if self._is_own(address, parsed.port):
            raise TargetRefused(
                f"{shown}:{parsed.port} is the mock itself: it never delivers to its own address"
            )
        if not any(address in network for network in self.allowed):
            raise TargetRefused(
                f"the mock delivers only to loopback addresses and to those given with "
                f"--allow-target; {shown} is neither"
            )

    def _is_own(self, address: Address, port: int) -> bool:
        if self.own is None or port != self.own[1]:
            return False
        listening = _address(self.own[0])
        if listening.is_unspecified:  # listening everywhere: every local address is the mock
            return address.is_loopback or address == listening
        return address == listening
