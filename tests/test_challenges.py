"""The handshake catalogue of shared/PROVIDERS.md, each written as profile data.

Every entry is a profile of its own (standard-webhooks with the entry's `handshake`), loaded
from a specs folder as a spec writer's would be. Over loopback: the receiver suite's
R-challenge-handshake passes the reference receiver, which answers by the data alone, and
fails a receiver that answers wrongly; the mock sends the entry's request when a webhook is
made, saves it after a right answer (the harness's `HandshakeAnswers`) and refuses it
after a wrong one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from mock_support import running
from werkzeug.wrappers import Request, Response

from harness.answering import HandshakeAnswers
from harness.capture import CapturedRequest, CaptureServer
from harness.challenges import (
    ORIGIN,
    ChallengeRequest,
    fill,
    named_in,
    values_for,
)
from harness.profiles import Profile, load_profiles
from harness.semantics import HandshakeRule
from harness.targets import pin
from harness.transport import HttpClient
from harness.wire import challenge_request
from tests.receivers import Receiver, run_suite, serve

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

# name -> the handshake rule, as a spec writer writes it (the facts of PROVIDERS.md's table).
CATALOGUE: dict[str, dict[str, Any]] = {
    "dropbox": {
        "source": "https://www.dropbox.com/developers/reference/webhooks",
        "request": {"method": "GET", "query": {"challenge": "{challenge}"}},
        "answers": [
            {
                "status": [200],
                "content_type": "text/plain",
                "body": "{challenge}",
                "headers": {"X-Content-Type-Options": "nosniff"},
            }
        ],
        "seconds": 10,
    },
    "meta": {
        "source": "https://developers.facebook.com/docs/graph-api/webhooks/getting-started",
        "request": {
            "method": "GET",
            "query": {
                "hub.mode": "subscribe",
                "hub.challenge": "{challenge}",
                "hub.verify_token": "{token}",
            },
        },
        "answers": [{"status": [200], "body": "{challenge}"}],
        "seconds": 10,
    },
    "microsoft-graph": {
        "source": "https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks",
        "request": {"method": "POST", "query": {"validationToken": "{challenge}"}},
        "answers": [{"status": [200], "content_type": "text/plain", "body": "{challenge}"}],
        "seconds": 10,
    },
    "x-crc": {
        "source": "https://developer.x.com/en/docs/x-api/enterprise/account-activity-api/guides/securing-webhooks",
        "request": {"method": "GET", "query": {"crc_token": "{challenge}"}},
        "answers": [
            {
                "status": [200],
                "content_type": "application/json",
                "json": {"response_token": "sha256={hmac}"},
            }
        ],
        "hmac": {"encoding": "base64"},
        "seconds": 3,
    },
    "cloudevents": {
        "source": "https://github.com/cloudevents/spec/blob/main/cloudevents/http-webhook.md",
        "request": {"method": "OPTIONS", "headers": {"WebHook-Request-Origin": "{origin}"}},
        "answers": [
            {"status": [200, 204], "headers": {"WebHook-Allowed-Origin": ["{origin}", "*"]}}
        ],
        "seconds": 10,
    },
}


@pytest.fixture(scope="module")
def specs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("specs")
    for name, rule in CATALOGUE.items():
        folder = root / f"handshake-{name}"
        folder.mkdir()
        profile = {
            "name": f"handshake-{name}",
            "title": f"The {name} handshake on Standard Webhooks",
            "extends": "standard-webhooks",
            "sources": ["https://www.standardwebhooks.com/"],
            "semantics": {"handshake": {"kind": "challenge", **rule}},
        }
        (folder / "profile.yaml").write_text(yaml.safe_dump(profile, sort_keys=False))
    return root


@pytest.fixture(scope="module")
def catalog(specs: Path) -> Any:
    return load_profiles([specs])


class AnswersWrongly(Receiver):
    """Recognises the challenge but answers it with something else."""

    def challenge(self, request: Request, rule: HandshakeRule) -> Response | None:
        if super().challenge(request, rule) is None:
            return None
        return Response("ok", status=200, mimetype="text/plain")


def test_every_entry_is_a_valid_profile(catalog: Any) -> None:
    for name in CATALOGUE:
        rule = catalog.get(f"handshake-{name}").semantics.handshake
        assert rule.challenges
        assert rule.request is not None
        assert rule.answers


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_the_receiver_check_passes_a_right_answer_and_fails_a_wrong_one(
    catalog: Any, name: str
) -> None:
    profile: Profile = catalog.get(f"handshake-{name}")
    options: dict[str, Any] = {"secret": SECRET, "checks": ["R-challenge-handshake"]}
    with serve(Receiver(profile, SECRET)) as url:
        right = run_suite(url, profile, **options)
    assert right.exit_code == 0, right.output
    with serve(AnswersWrongly(profile, SECRET)) as url:
        wrong = run_suite(url, profile, **options)
    assert wrong.failing("MUST") == {"R-challenge-handshake"}, wrong.output


def _x_crc(environ: dict[str, Any], start_response: Any) -> Any:
    """X's CRC answer as X's docs write it, not through hookconform: the base64 HMAC-SHA256
    of crc_token keyed with the consumer secret, prefixed sha256=."""
    token = Request(environ).args.get("crc_token", "")
    mac = hmac.new(SECRET.encode(), token.encode(), hashlib.sha256).digest()
    answer = {"response_token": "sha256=" + base64.b64encode(mac).decode()}
    return Response(json.dumps(answer), mimetype="application/json")(environ, start_response)


def test_an_hmac_answer_written_from_the_docs_passes(catalog: Any) -> None:
    profile: Profile = catalog.get("handshake-x-crc")
    with serve(_x_crc) as url:
        run = run_suite(url, profile, secret=SECRET, checks=["R-challenge-handshake"])
    assert run.exit_code == 0, run.output
    assert ORIGIN.endswith(".example")  # what {origin} is: a reserved name, never a real host


def webhook(profile: str, capture: CaptureServer, path: str) -> dict[str, Any]:
    return {"profile": profile, "url": capture.url_for(path), "events": ["invoice.paid"]}


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_the_mock_saves_a_webhook_only_after_a_right_answer(specs: Path, name: str) -> None:
    profile_name = f"handshake-{name}"
    with running(profile_name, specs=[str(specs)]) as (server, client):
        profile = server.mock.profiles[profile_name]
        secret = client.ok("GET", "/_mock/settings")["settings"][profile_name]["signing_secret"]
        answers = HandshakeAnswers(profile, lambda: secret)
        with CaptureServer() as capture:
            capture.handshake = answers
            made = client.call(
                "POST",
                "/_mock/webhooks",
                {
                    "profile": profile_name,
                    "url": capture.url_for("right"),
                    "events": ["invoice.paid"],
                },
            )
            assert made.status == 201, made.body
            sent = capture.requests_for("/right")
            method = CATALOGUE[name]["request"]["method"]
            assert [r.method for r in sent] == [method]
            answers.wrong.add("/wrong")
            refused = client.call(
                "POST",
                "/_mock/webhooks",
                {
                    "profile": profile_name,
                    "url": capture.url_for("wrong"),
                    "events": ["invoice.paid"],
                },
            )
            assert refused.status == 422, refused.body
            assert "challenge is not right" in refused.body["detail"]


def test_a_zoom_validation_is_dated_when_sent_and_recognised_whatever_its_date() -> None:
    """Zoom's event_ts is `{now_ms}`: the mock and the receiver suite send the time of
    sending in Unix milliseconds, a number; the capture recognises and answers a validation of
    any date, as Zoom's own requests (here the docs' example, dated another day) carry."""
    zoom = load_profiles().get("zoom")
    sent_at = datetime(2026, 12, 4, 3, 0, 0, 250_000, tzinfo=UTC)
    sent = json.loads(challenge_request(zoom, SECRET, "a-challenge", now=sent_at).body)
    assert sent["event_ts"] == 1_796_353_200_250
    docs = {
        "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"},
        "event_ts": 1654503849680 + 86_400_000,
        "event": "endpoint.url_validation",
    }
    answers = HandshakeAnswers(zoom, lambda: SECRET)
    reply = answers(_arrived(json.dumps(docs).encode()))
    assert reply is not None
    mac = hmac.new(SECRET.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256).hexdigest()
    assert json.loads(reply.body) == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": mac}
    # Not a number, so not this request: no answer, and no error either (Python's JSON reader
    # takes NaN and Infinity, which are no time).
    for odd in ("NaN", "Infinity", "1e400", "true", '"soon"', "null"):
        body = json.dumps(docs).replace(str(docs["event_ts"]), odd).encode()
        assert answers(_arrived(body)) is None, odd


def test_the_time_of_sending_in_a_query_or_a_header_is_digits() -> None:
    request = ChallengeRequest(
        method="GET",
        query={"challenge": "{challenge}", "at": "{now}"},
        headers={"X-Sent-At": "{now_ms}", "X-Note": "sent at {now}"},
    )
    values = values_for("c", None, now=1_700_000_000.5)
    assert fill(dict(request.query), values) == {"challenge": "c", "at": 1_700_000_000}
    assert fill("sent at {now}", values) == "sent at 1700000000"  # inside text: text
    headers = {"X-Sent-At": "2", "X-Note": "sent at 5"}
    found = request.recognise("GET", {"challenge": "c", "at": "1"}, headers, b"")
    assert found == {"challenge": "c", "now": "1", "now_ms": "2"}
    assert request.recognise("GET", {"challenge": "c", "at": "x"}, headers, b"") is None
    # what the validator reads: every {name} written, with where it is
    assert request.placeholders == {"challenge", "now", "now_ms"}
    assert list(named_in({"body": ["ok", "{chalenge} {now}"]})) == [
        (("body", 1), "chalenge"),
        (("body", 1), "now"),
    ]


def _arrived(body: bytes) -> CapturedRequest:
    return CapturedRequest(
        method="POST",
        path="/zoom",
        query="",
        headers=(("Content-Type", "application/json"),),
        body=body,
        truncated=False,
        arrived=0.0,
        arrived_at=datetime.now(UTC),
        status=200,
    )


def test_the_mock_sends_slacks_verification_token_never_the_signing_secret() -> None:
    """Slack's url_verification carries `token`, the app's verification token: an account
    setting of its own, which the mock makes, shows and takes changed; the signing secret
    signs the request and appears in no body."""
    with running("slack") as (server, client), CaptureServer() as capture:
        settings = client.ok("GET", "/_mock/settings")["settings"]["slack"]
        secret, token = settings["signing_secret"], settings["verification_token"]
        assert token != secret
        capture.handshake = HandshakeAnswers(server.mock.profiles["slack"], lambda: secret)
        hook = {"profile": "slack", "url": capture.url_for("a"), "events": ["app_mention"]}
        assert client.call("POST", "/_mock/webhooks", hook).status == 201
        changed = {
            "profile": "slack",
            "settings": {"verification_token": "Jhj5dZrVaK7ZwHHjRyZWjbDl"},
        }
        client.ok("PUT", "/_mock/settings", changed)  # any text: it signs nothing
        hook["url"] = capture.url_for("b")
        assert client.call("POST", "/_mock/webhooks", hook).status == 201
        first, second = (capture.requests_for(p)[0] for p in ("/a", "/b"))
    assert (first.json()["token"], second.json()["token"]) == (token, "Jhj5dZrVaK7ZwHHjRyZWjbDl")
    assert secret.encode() not in first.body + second.body


def test_the_reference_receiver_checks_the_verification_token_it_is_given() -> None:
    """examples/receiver.py --token T answers a challenge only when it carries T; without
    --token it judges the challenge by its signature alone, as Slack's SDKs do."""
    slack = load_profiles().get("slack")
    client = HttpClient()

    def answered(receiver: Receiver, token: str) -> int:
        with serve(receiver) as url:
            sent = challenge_request(slack, SECRET, "c", token=token)
            return client.request(
                pin(url), "POST", headers=sent.headers, body=sent.body, timeout=5
            ).status

    assert answered(Receiver(slack, SECRET, "right"), "right") == 200
    assert answered(Receiver(slack, SECRET, "right"), "wrong") == 403
    assert answered(Receiver(slack, SECRET), "any") == 200
    client.close()


def test_only_the_signing_secret_must_be_able_to_sign() -> None:
    """PUT /_mock/settings: a signing secret that cannot sign is refused (422) and the old one
    kept; the verification token beside it is any text."""
    with running("standard-webhooks", "slack") as (_, client):
        before = client.ok("GET", "/_mock/settings")["settings"]
        bad = {"profile": "standard-webhooks", "settings": {"signing_secret": "whsec_%%%"}}
        refused = client.call("PUT", "/_mock/settings", bad)
        assert refused.status == 422, refused.body
        assert "not whsec_<base64>" in refused.body["detail"]
        token = {"profile": "slack", "settings": {"verification_token": "%%% any text"}}
        after = client.ok("PUT", "/_mock/settings", token)["settings"]
    assert after["standard-webhooks"] == before["standard-webhooks"]
    assert after["slack"]["verification_token"] == "%%% any text"
