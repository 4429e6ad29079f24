"""A reference webhook receiver: correct for every hookconform profile, keyed by semantic kinds.

    python examples/receiver.py --profile NAME [--secret S] [--token T] [--port P] [--host H]
                                [--quiet]

What it does with each request, in order:

1. handshakes: a hook-secret-echo profile's header is echoed with a 200; a
   secret-confirmation profile's validation request (the secret in the query or the body)
   gets a 200 and the secret is logged for the person to enter at the provider; a challenge
   profile's request (any method) gets the profile's first right answer (the challenge
   echoed, its HMAC, the origin allowed), once its signature (where it is signed) and its
   verification token (with --token) are right; anything else but a POST gets 405;
2. a content type other than JSON gets 415, a body that is not JSON 400;
3. authenticity, when a secret is configured: the challenge header or the body token (token,
   export key) must match; a signature must be one over the raw bytes with the secret (any
   one of several), its timestamp within the profile's tolerance; else 401;
4. the body must be valid for at least one event of the profile (envelope included), else 422;
5. a delivery already seen (a retry) gets 200 again, but is handled only once.

Everything comes from the profile: nothing here names a provider.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import logging
import os
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any


def _in_the_venv() -> None:
    """Run under the clone's .venv when started by another Python (`python3 examples/...`):
    hookconform and werkzeug are installed there, by `make demo`."""
    try:
        import werkzeug  # noqa: F401

        import harness  # noqa: F401
    except ImportError:
        venv = Path(__file__).resolve().parents[1] / ".venv"
        python = venv / "bin" / "python"
        if python.is_file() and Path(sys.prefix).resolve() != venv.resolve():
            os.execv(str(python), [str(python), *sys.argv])
        sys.exit(
            "receiver.py needs hookconform installed: run `make demo` once, then"
            " `.venv/bin/python examples/receiver.py ...` (or activate .venv first)"
        )


_in_the_venv()

from werkzeug.serving import WSGIRequestHandler, make_server  # noqa: E402
from werkzeug.wrappers import Request, Response  # noqa: E402

from harness import pointers  # noqa: E402
from harness.errors import HarnessError  # noqa: E402
from harness.profiles import Profile, load_profiles  # noqa: E402
from harness.semantics import HandshakeRule  # noqa: E402

log = logging.getLogger("hookconform.examples.receiver")
REMEMBERED = 10_000  # deliveries kept for recognising retries


def answer(status: int, **body: Any) -> Response:
    """A small JSON answer."""
    return Response(json.dumps(body), status=status, mimetype="application/json")


class Receiver:
    """A WSGI webhook receiver for one profile. Subclasses change one step to break it."""

    def __init__(
        self, profile: Profile, secret: str | None = None, token: str | None = None
    ) -> None:
        self.profile = profile
        self.secret = secret
        self.token = token  # a challenge's verification token, checked when given
        self.seen: OrderedDict[str, None] = OrderedDict()
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        handshake = self.handshake(request)
        if handshake is not None:
            return handshake
        if request.method != "POST":
            return answer(405, error="webhooks are POSTed")
        if request.mimetype != "application/json":
            return answer(415, error="expected application/json")
        raw = request.get_data()
        try:
            body = self.parse(raw)
        except ValueError:
            return answer(400, error="the body is not JSON")
        if not self.authentic(request, raw, body):
            return answer(401, error="not authentic")
        event = self.event_for(body)
        if event is None:
            return answer(422, error="the body matches no event of the profile")
        return self.accept(raw, body, event)

    def parse(self, raw: bytes) -> Any:
        return json.loads(raw)

    def handshake(self, request: Request) -> Response | None:
        """The answer to a handshake request, or None when `request` is a delivery."""
        rule = self.profile.semantics.handshake
        if rule.echo and rule.header:
            secret = request.headers.get(rule.header)
            if secret is not None:
                return Response(status=200, headers={rule.header: secret})
        if rule.confirmation:
            secret = self.validation_secret(request, rule)
            if secret is not None:
                log.warning("validation secret to enter at the provider: %s", secret)
                return answer(200, validated=True)
        if rule.challenges and rule.request is not None and rule.answers:
            return self.challenge(request, rule)
        return None

    def challenge(self, request: Request, rule: HandshakeRule) -> Response | None:
        """The right answer to a challenge handshake (None: `request` is not one)."""
        assert rule.request is not None
        raw = request.get_data()
        found = rule.request.recognise(request.method, request.args, request.headers, raw)
        if found is None:
            return None
        if rule.request.signed and not self.authentic(request, raw, None):
            return answer(401, error="not authentic")
        if self.token is not None and not _same(found.get("token"), self.token):
            return answer(403, error="wrong verification token")
        values = rule.challenge_values(found.get("challenge", ""), self.secret)
        values.update({k: v for k, v in found.items() if k != "token"})
        status, headers, body = rule.answers[0].render(values)
        return Response(body, status=status, headers=headers)

    def validation_secret(self, request: Request, rule: HandshakeRule) -> str | None:
        if "query" in rule.secret_in and rule.query_param in request.args:
            return request.args[rule.query_param]
        if (
            "body" in rule.secret_in
            and rule.body_pointer
            and request.mimetype == "application/json"
        ):
            try:
                body = json.loads(request.get_data())
                secret = pointers.get(body, rule.body_pointer)
            except (*pointers.MISSING, ValueError):
                return None
            if isinstance(secret, str) and self.event_for(body) is None:
                return secret
        return None

    def authentic(self, request: Request, raw: bytes, body: Any) -> bool:
        """Whether the delivery proves it comes from the provider (always, without a secret)."""
        rule = self.profile.semantics.authenticity
        if self.secret is None or rule.none:
            return True
        if rule.kind == "challenge-header" and rule.header:
            return _same(request.headers.get(rule.header), self.secret)
        if rule.kind == "body-token" and rule.pointer:
            try:
                return _same(pointers.get(body, rule.pointer), self.secret)
            except (*pointers.MISSING, ValueError):
                return False
        if rule.scheme is not None:  # over the raw bytes, any one signature, a fresh time
            headers = dict(request.headers.items())
            return not rule.scheme.verify(self.secret, headers, raw, now=time.time())
        return False

    def event_for(self, body: Any) -> str | None:
        """The first event whose payload schema (envelope included) `body` is valid for.

        Not every envelope names its event, so the body itself decides.
        """
        return next((n for n, e in self.profile.events.items() if e.is_valid(body)), None)

    def accept(self, raw: bytes, body: Any, event: str) -> Response:
        """Handle a valid, authentic delivery once; a retry of it is acknowledged again."""
        digest = hashlib.sha256(raw).hexdigest()
        with self.lock:
            duplicate = digest in self.seen
            self.seen[digest] = None
            if len(self.seen) > REMEMBERED:
                self.seen.popitem(last=False)
        if not duplicate:
            log.info("received %s", event)
        return answer(200, received=event, duplicate=duplicate)


class KeepAliveHandler(WSGIRequestHandler):
    """HTTP/1.1 answers. Werkzeug's development server still closes the connection after
    each one (`Connection: close`, and it drains the socket), so a provider's pooled
    connections are not kept open: every delivery opens its own."""

    protocol_version = "HTTP/1.1"


def _same(given: Any, expected: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", required=True, help="the provider profile to receive")
    parser.add_argument("--secret", help="the challenge, token, export key or signing secret")
    parser.add_argument(
        "--token",
        help="the verification token a challenge handshake carries (Slack's token), checked "
        "when given; without it only the challenge's signature is (as Slack's SDKs do)",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--specs", action="append", default=[], help="more profile folders")
    parser.add_argument("--quiet", action="store_true", help="no access log line per request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if args.quiet:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        profile = load_profiles(args.specs).get(args.profile)
        rule = profile.semantics.authenticity
        problem = rule.secret_problem(args.secret) if args.secret is not None else None
        if problem:
            raise HarnessError(f"--secret cannot sign profile {profile.name!r}: {problem}")
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    server = make_server(
        args.host,
        args.port,
        Receiver(profile, args.secret, args.token),
        threaded=True,
        request_handler=KeepAliveHandler,
    )
    print(f"receiving {profile.name} webhooks on http://{args.host}:{server.port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
