"""How the harness, playing the receiver, answers a sender's challenge handshakes and pings.

The capture server asks `HandshakeAnswers` first about every request (`CaptureServer.handshake`):
a request that is the profile's challenge gets one of the profile's right answers (or, on a
path the sender suite marked, a wrong one, to see that the sender refuses it); a request that
is the profile's ping event gets a 200. Neither uses up a path's scripted answers, which are
for deliveries. Keyed by the handshake kind: `challenge` (`request`, `answers`) and
`ping-event` (`event`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qsl

from harness.capture import CapturedRequest, Reply
from harness.profiles import Profile

WRONG = Reply(200, {"Content-Type": "text/plain"}, b"not the challenge")


class HandshakeAnswers:
    """Answers to handshake requests (None for anything else), by the profile's data."""

    def __init__(self, profile: Profile, secret: Callable[[], str | None]) -> None:
        self.profile = profile
        self.secret = secret  # the secret the sender signs and challenges with, asked late
        self.wrong: set[str] = set()  # capture paths whose challenges get a wrong answer

    def __call__(self, request: CapturedRequest) -> Reply | None:
        rule = self.profile.semantics.handshake
        if rule.challenges:
            return self._challenge(request)
        if rule.pings and self.is_ping(request):
            return Reply(200)
        return None

    def _challenge(self, request: CapturedRequest) -> Reply | None:
        rule = self.profile.semantics.handshake
        if rule.request is None or not rule.answers:
            return None
        query = dict(parse_qsl(request.query, keep_blank_values=True))
        found = rule.request.recognise(request.method, query, dict(request.headers), request.body)
        if found is None:
            return None
        if request.path in self.wrong:
            return WRONG
        values = rule.challenge_values(found.get("challenge", ""), self.secret())
        values.update({k: v for k, v in found.items() if k != "token"})
        status, headers, body = rule.answers[0].render(values)
        return Reply(status, headers, body)

    def is_ping(self, request: CapturedRequest) -> bool:
        """Whether `request` is the ping event: its body valid for the event's schema and each
        declared header with a constant value carrying it."""
        rule = self.profile.semantics.handshake
        if not rule.pings or rule.event not in self.profile.events:
            return False
        event = self.profile.event(rule.event or "")
        try:
            body = json.loads(request.body)
        except ValueError:
            return False
        constant = [(h.name, h.schema["const"]) for h in event.headers if "const" in h.schema]
        return event.is_valid(body) and all(request.header(n) == str(v) for n, v in constant)
