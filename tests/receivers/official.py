"""Receivers whose verification no one here wrote: the providers' own libraries do it.

Each is a small WSGI app as a provider's documentation writes one: the handshake answered the
way the provider documents it, the signature verified over the raw bytes by the official
library (401 when it fails), 400 for a body that is not JSON, 200 otherwise, and a delivery
whose id header was seen before acknowledged again. GitHub, Shopify and Zoom publish no Python
verifier: theirs follow the documented recipe, written plainly with `hmac.compare_digest`.

The one-defect variants below each get one step wrong, as a receiver author might;
tests/test_official_judges.py runs the receiver suite against all of them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

import slack_sdk.signature
import standardwebhooks.webhooks
import stripe
import svix.webhooks
from werkzeug.wrappers import Request, Response

# What a provider-documented receiver allows of a timestamp's age where the provider names no
# number (Zoom); the libraries keep their own defaults.
TOLERANCE = 300
NO_TOLERANCE = 10**10  # "a huge tolerance": the timestamp check in effect switched off


class Rejected(Exception):
    """The delivery is not signed with the secret (or no longer: its time is too old)."""


def answer(status: int, **body: Any) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


class Official:
    """The steps every provider's documentation shows; `verified` is the library's part."""

    id_header: str | None = None  # the delivery id a retry keeps, where the provider has one

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        if request.method != "POST":
            return answer(405, error="webhooks are POSTed")
        if request.mimetype != "application/json":
            return answer(415, error="expected application/json")
        raw = request.get_data()
        try:
            body = self.verified(request, self.signed_bytes(raw))
        except Rejected as exc:
            return answer(401, error=f"not authentic: {exc}")
        except ValueError as exc:
            return answer(400, error=f"not JSON: {exc}")
        shaken = self.handshake(request, body)
        if shaken is not None:
            return shaken
        ident = request.headers.get(self.id_header) if self.id_header else None
        with self.lock:
            duplicate = ident in self.seen
            if ident is not None:
                self.seen.add(ident)
        return answer(200, received=True, duplicate=duplicate)

    def signed_bytes(self, raw: bytes) -> bytes:
        """The bytes the signature is checked over: the raw body, as every provider says."""
        return raw

    def verified(self, request: Request, raw: bytes) -> Any:
        """The body, parsed, once the library has verified it; Rejected when it does not."""
        raise NotImplementedError

    def handshake(self, request: Request, body: Any) -> Response | None:
        """The answer to a (verified) handshake request; None for a delivery."""
        return None


def _lowered(request: Request) -> dict[str, str]:
    return {k.lower(): v for k, v in request.headers.items()}


class StandardWebhooks(Official):
    """`standardwebhooks.webhooks.Webhook(secret).verify(body, headers)`."""

    id_header = "webhook-id"

    def verified(self, request: Request, raw: bytes) -> Any:
        try:
            return standardwebhooks.webhooks.Webhook(self.secret).verify(raw, _lowered(request))
        except standardwebhooks.webhooks.WebhookVerificationError as exc:
            raise Rejected(str(exc)) from None


class Svix(Official):
    """`svix.webhooks.Webhook(secret).verify(body, headers)` (it reads webhook-* headers too)."""

    id_header = "webhook-id"

    def verified(self, request: Request, raw: bytes) -> Any:
        try:
            svix.webhooks.Webhook(self.secret).verify(raw, _lowered(request))
        except svix.webhooks.WebhookVerificationError as exc:
            raise Rejected(str(exc)) from None
        return json.loads(raw)


class Stripe(Official):
    """`stripe.Webhook.construct_event(payload, sig_header, secret)`, default tolerance."""

    tolerance = stripe.Webhook.DEFAULT_TOLERANCE

    def verified(self, request: Request, raw: bytes) -> Any:
        header = self.signature_header(request.headers.get("Stripe-Signature", ""))
        try:
            event = stripe.Webhook.construct_event(raw, header, self.secret, self.tolerance)
        except stripe.SignatureVerificationError as exc:
            raise Rejected(str(exc)) from None
        except (AttributeError, TypeError) as exc:  # JSON, but no event object (e.g. an array)
            raise ValueError(f"not a Stripe event: {exc}") from None
        return event.to_dict()

    def signature_header(self, value: str) -> str:
        return value


class Slack(Official):
    """`slack_sdk.signature.SignatureVerifier(signing_secret).is_valid(body, ts, signature)`;
    the url_verification challenge echoed as text/plain, as Slack's page says."""

    def verified(self, request: Request, raw: bytes) -> Any:
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        signature = request.headers.get("X-Slack-Signature")
        try:
            valid = self.valid(raw, timestamp, signature)
        except ValueError:  # a timestamp that is not a number
            valid = False
        if not valid:
            raise Rejected("X-Slack-Signature does not hold")
        return json.loads(raw)

    def valid(self, raw: bytes, timestamp: str | None, signature: str | None) -> bool:
        verifier = slack_sdk.signature.SignatureVerifier(self.secret)
        return verifier.is_valid(raw, timestamp, signature)

    def handshake(self, request: Request, body: Any) -> Response | None:
        if isinstance(body, dict) and body.get("type") == "url_verification":
            return Response(str(body.get("challenge", "")), mimetype="text/plain")
        return None


def _hmac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


class GitHub(Official):
    """GitHub's documented recipe (no official Python verifier): X-Hub-Signature-256 is
    "sha256=" and the hex HMAC-SHA256 of the raw body; a ping gets a 2xx like any event."""

    id_header = "X-GitHub-Delivery"

    def verified(self, request: Request, raw: bytes) -> Any:
        expected = "sha256=" + _hmac(self.secret, raw).hex()
        given = request.headers.get("X-Hub-Signature-256", "")
        if not hmac.compare_digest(expected.encode(), given.encode()):
            raise Rejected("X-Hub-Signature-256 does not hold")
        return json.loads(raw)

    def handshake(self, request: Request, body: Any) -> Response | None:
        if request.headers.get("X-GitHub-Event") == "ping":
            return answer(200, pong=True)
        return None


class Shopify(Official):
    """Shopify's documented recipe (no official Python verifier): X-Shopify-Hmac-SHA256 is
    the base64 HMAC-SHA256 of the raw body."""

    id_header = "X-Shopify-Webhook-Id"

    def verified(self, request: Request, raw: bytes) -> Any:
        expected = base64.b64encode(_hmac(self.secret, raw))
        given = request.headers.get("X-Shopify-Hmac-SHA256", "").encode()
        if not hmac.compare_digest(expected, given):
            raise Rejected("X-Shopify-Hmac-SHA256 does not hold")
        return json.loads(raw)


class Zoom(Official):
    """Zoom's documented recipe (no official Python verifier): x-zm-signature is "v0=" and the
    hex HMAC-SHA256 of "v0:{x-zm-request-timestamp}:{body}", the timestamp at most TOLERANCE
    seconds old; endpoint.url_validation is answered with plainToken and its hex HMAC."""

    check_age = True

    def verified(self, request: Request, raw: bytes) -> Any:
        timestamp = request.headers.get("x-zm-request-timestamp", "")
        message = b"v0:" + timestamp.encode() + b":" + raw
        expected = "v0=" + _hmac(self.secret, message).hex()
        given = request.headers.get("x-zm-signature", "")
        if not hmac.compare_digest(expected.encode(), given.encode()):
            raise Rejected("x-zm-signature does not hold")
        if self.check_age and (not timestamp.isdigit() or time.time() - int(timestamp) > TOLERANCE):
            raise Rejected(f"x-zm-request-timestamp {timestamp!r} is too old")
        return json.loads(raw)

    def handshake(self, request: Request, body: Any) -> Response | None:
        if not (isinstance(body, dict) and body.get("event") == "endpoint.url_validation"):
            return None
        plain = str(body.get("payload", {}).get("plainToken", ""))
        return answer(200, plainToken=plain, encryptedToken=self.encrypted(plain))

    def encrypted(self, plain: str) -> str:
        return _hmac(self.secret, plain.encode()).hex()


# One defect each ---------------------------------------------------------------------------


class Reserialises:
    """(a) Verifies over the JSON re-serialised (compact, as providers send it), not the raw
    bytes: a body in any other bytes fails, one with bytes added after signing passes."""

    def signed_bytes(self, raw: bytes) -> bytes:
        document = json.loads(raw)
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


class StandardWebhooksReserialises(Reserialises, StandardWebhooks):
    pass


class StripeReserialises(Reserialises, Stripe):
    pass


class SlackReserialises(Reserialises, Slack):
    pass


class GitHubReserialises(Reserialises, GitHub):
    pass


class StandardWebhooksAnyTime(StandardWebhooks):
    """(b) The HMAC checked by hand with the library's own `sign`, the timestamp never."""

    def verified(self, request: Request, raw: bytes) -> Any:
        headers = _lowered(request)
        stamp = datetime.fromtimestamp(int(headers.get("webhook-timestamp", "0")), tz=UTC)
        hook = standardwebhooks.webhooks.Webhook(self.secret)
        expected = hook.sign(headers.get("webhook-id", ""), stamp, raw.decode())
        given = headers.get("webhook-signature", "").split(" ")
        if not any(hmac.compare_digest(expected, s) for s in given):
            raise Rejected("no matching signature")
        return json.loads(raw)


class StripeAnyTime(Stripe):
    """(b) `construct_event` with a huge tolerance: no timestamp is too old."""

    tolerance = NO_TOLERANCE


class SlackAnyTime(Slack):
    """(b) The library's `generate_signature` compared by hand, the timestamp never checked."""

    def valid(self, raw: bytes, timestamp: str | None, signature: str | None) -> bool:
        verifier = slack_sdk.signature.SignatureVerifier(self.secret)
        expected = verifier.generate_signature(timestamp=timestamp or "", body=raw)
        return expected is not None and hmac.compare_digest(expected, signature or "")


class ZoomAnyTime(Zoom):
    """(b) The recipe without its timestamp check."""

    check_age = False


class StandardWebhooksFirstSignature(StandardWebhooks):
    """(c) Hands the library only the first signature of webhook-signature."""

    def verified(self, request: Request, raw: bytes) -> Any:
        headers = _lowered(request)
        headers["webhook-signature"] = headers.get("webhook-signature", "").split(" ")[0]
        try:
            return standardwebhooks.webhooks.Webhook(self.secret).verify(raw, headers)
        except standardwebhooks.webhooks.WebhookVerificationError as exc:
            raise Rejected(str(exc)) from None


class StripeFirstSignature(Stripe):
    """(c) Hands the library Stripe-Signature cut after its first v1 entry."""

    def signature_header(self, value: str) -> str:
        items = value.split(",")
        first = next((i for i, item in enumerate(items) if item.startswith("v1=")), len(items))
        return ",".join(items[: first + 1])


class SlackAnswersOk(Slack):
    """(d) Answers the url_verification request with "ok" instead of the challenge."""

    def handshake(self, request: Request, body: Any) -> Response | None:
        if super().handshake(request, body) is not None:
            return Response("ok", mimetype="text/plain")
        return None


class ZoomWrongKey(Zoom):
    """(d) encryptedToken keyed with the plainToken itself, not the secret token."""

    def encrypted(self, plain: str) -> str:
        return _hmac(plain, plain.encode()).hex()
