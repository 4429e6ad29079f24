"""Signature test vectors: signed requests, right and wrong, as data any library can load.

`cases` is the one list of what a verifier must accept and refuse for a scheme
(`harness.signatures.Scheme`): the receiver suite's forgeries (R-rejects-forged) are its
refused cases, and `hookconform vectors` writes all of them with fixed secrets, ids and
times, so that the same vectors come out on every run. Each vector says what a verifier is
given (secret, headers, body bytes, the time it verifies at) and the verdict it must reach,
with the reason in words.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from harness import __version__
from harness.profiles import Profile
from harness.signatures import Scheme, Stamp

VALID, INVALID = "valid", "invalid"
NOW = 1_700_000_000  # the time every vector is judged at, but where a case says otherwise
BASE64_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # Standard Webhooks' published one
RAW_SECRET = "hookconform-vector-secret"
OTHER_BASE64_SECRET = "whsec_" + base64.b64encode(b"hookconform: another secret!").decode()
TOKEN_ID, UUID_ID = "2KWPBgLlAfxdpx2AI54pPJ85f4W", "1f81eb52-5198-4599-803e-771906343485"
OTHER_BODY = b'{"forged":true}'


@dataclass(frozen=True)
class Case:
    """One request a verifier is given and the verdict it must reach."""

    name: str
    headers: dict[str, str]
    body: bytes
    verdict: str
    reason: str
    now: int = NOW


# Standard Webhooks' published vector (shared/reference/standard-webhooks.md, PROVIDERS.md).
PUBLISHED = Case(
    "published",
    {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    },
    b'{"test": 2432232314}',
    VALID,
    "Standard Webhooks' published test vector",
    now=1614265330,
)


def secret_of(scheme: Scheme) -> str:
    """The fixed secret the vectors are signed with, in the scheme's form."""
    return BASE64_SECRET if scheme.key_encoding == "base64" else RAW_SECRET


def other_secret(scheme: Scheme) -> str:
    return OTHER_BASE64_SECRET if scheme.key_encoding == "base64" else f"{RAW_SECRET}-other"


def fixed_stamp(scheme: Scheme) -> Stamp:
    ident = UUID_ID if scheme.id_form == "uuid" else TOKEN_ID
    return Stamp(f"{scheme.id_prefix}{ident}", NOW)


def _without(headers: dict[str, str], name: str | None) -> dict[str, str]:
    return {k: v for k, v in headers.items() if name is None or k.lower() != name.lower()}


def forgeries(scheme: Scheme, secret: str, other: str, stamp: Stamp, body: bytes) -> list[Case]:
    """The requests a verifier must refuse although they look signed: each changes one part
    the signature covers (the key, the body's value, the id, the timestamp) or leaves out a
    header the scheme needs. The time-bound ones (stale, ahead) are `replays`."""
    genuine = scheme.headers([secret], stamp, body)
    found = [
        Case(
            "wrong-secret",
            scheme.headers([other], stamp, body),
            body,
            INVALID,
            f"{scheme.header} made with another secret",
        ),
        Case(
            "missing-signature",
            _without(genuine, scheme.header),
            body,
            INVALID,
            f"no {scheme.header} header",
        ),
        Case(
            "changed-body",
            genuine,
            _changed(body),
            INVALID,
            "a member added to the body after it was signed",
        ),
        Case(
            "signature-of-another-body",
            {**genuine, scheme.header: scheme.headers([secret], stamp, OTHER_BODY)[scheme.header]},
            body,
            INVALID,
            "the signature of another body",
        ),
    ]
    if scheme.signs_id and scheme.id_header:
        moved = {**genuine, scheme.id_header: f"{scheme.id_prefix}another-delivery"}
        other_id = f"a {scheme.id_header} other than the one signed"
        found.append(Case("wrong-id", moved, body, INVALID, other_id))
        found.append(
            Case(
                "missing-id",
                _without(genuine, scheme.id_header),
                body,
                INVALID,
                f"no {scheme.id_header} header",
            )
        )
    if scheme.timestamped:
        later = scheme.headers([secret], Stamp(stamp.id, stamp.timestamp + 1), body)
        relabelled = dict(genuine)
        if scheme.timestamp_header:
            relabelled[scheme.timestamp_header] = later[scheme.timestamp_header]
            found.append(
                Case(
                    "missing-timestamp",
                    _without(genuine, scheme.timestamp_header),
                    body,
                    INVALID,
                    f"no {scheme.timestamp_header} header",
                )
            )
        else:  # the timestamp is written in the signature header
            relabelled[scheme.header] = genuine[scheme.header].replace(
                str(stamp.timestamp), str(stamp.timestamp + 1), 1
            )
        found.append(
            Case(
                "changed-timestamp",
                relabelled,
                body,
                INVALID,
                "a timestamp other than the one signed (one second later)",
                now=stamp.timestamp + 1,
            )
        )
    return found


def _changed(body: bytes) -> bytes:
    """`body` with one member more: another value, not only other bytes."""
    document = json.loads(body)
    changed = (
        {**document, "x_hookconform_forged": True}
        if isinstance(document, dict)
        else [*document, True]
        if isinstance(document, list)
        else [document, True]
    )
    return json.dumps(changed, separators=(",", ":")).encode()


def replays(scheme: Scheme, secret: str, stamp: Stamp, body: bytes) -> list[Case]:
    """Correctly signed requests judged too far from their timestamp."""
    genuine = scheme.headers([secret], stamp, body)
    found = []
    if scheme.timestamped and scheme.tolerance is not None:
        late = int(stamp.timestamp + scheme.tolerance + 60)
        tolerance = scheme.tolerance
        reason = f"signed {tolerance + 60:g} s before it is verified ({tolerance:g} s tolerance)"
        found.append(Case("stale-timestamp", genuine, body, INVALID, reason, now=late))
    if scheme.timestamped and scheme.future_tolerance is not None:
        early = int(stamp.timestamp - scheme.future_tolerance - 60)
        ahead = scheme.future_tolerance + 60
        reason = f"dated {ahead:g} s after it is verified ({scheme.future_tolerance:g} s tolerance)"
        found.append(Case("future-timestamp", genuine, body, INVALID, reason, now=early))
    return found


def accepted(scheme: Scheme, secret: str, other: str, stamp: Stamp, body: bytes) -> list[Case]:
    """Requests a verifier must accept: compact, in other bytes, rotated, at the tolerance."""
    found = [Case("compact", scheme.headers([secret], stamp, body), body, VALID, "signed as sent")]
    spaced = json.dumps(json.loads(body), indent=2, ensure_ascii=True).encode() + b"\n"
    found.append(
        Case(
            "other-bytes",
            scheme.headers([secret], stamp, spaced),
            spaced,
            VALID,
            "signed over these exact bytes (indented, \\u escapes): verify the raw bytes, "
            "never re-serialised JSON",
        )
    )
    if scheme.rotates:
        rotated = scheme.headers([other, secret], stamp, body)
        found.append(
            Case("rotated", rotated, body, VALID, "two signatures, the second made with the secret")
        )
        found.append(
            Case(
                "rotated-none-valid",
                scheme.headers([other, other], stamp, body),
                body,
                INVALID,
                "two signatures, neither made with the secret",
            )
        )
    if scheme.timestamped and scheme.tolerance is not None:
        edge = int(stamp.timestamp + scheme.tolerance)
        reason = f"verified {scheme.tolerance:g} s after it was signed: at the tolerance"
        found.append(
            Case(
                "at-the-tolerance", scheme.headers([secret], stamp, body), body, VALID, reason, edge
            )
        )
    return found


def cases(scheme: Scheme, body: bytes) -> list[Case]:
    """Every vector of `scheme` for `body`, with the fixed secrets, id and time."""
    secret, other, stamp = secret_of(scheme), other_secret(scheme), fixed_stamp(scheme)
    return [
        *accepted(scheme, secret, other, stamp, body),
        *forgeries(scheme, secret, other, stamp, body),
        *replays(scheme, secret, stamp, body),
    ]


def _published(scheme: Scheme) -> list[Case]:
    """Standard Webhooks' own vector, where the scheme verifies it (it is that scheme)."""
    if scheme.key_encoding != "base64" or scheme.id_header is None:
        return []
    wanted = {scheme.header, scheme.timestamp_header, scheme.id_header}
    if wanted != set(PUBLISHED.headers):
        return []
    good = not scheme.verify(BASE64_SECRET, PUBLISHED.headers, PUBLISHED.body, now=PUBLISHED.now)
    return [PUBLISHED] if good else []


def document(profile: Profile, body: bytes) -> dict[str, Any]:
    """The vectors of `profile`'s signature as one JSON document."""
    scheme = profile.semantics.authenticity.scheme
    assert scheme is not None, f"profile {profile.name!r} does not sign"
    return {
        "profile": profile.name,
        "generator": f"hookconform {__version__}",
        "scheme": scheme_view(scheme),
        "vectors": [_vector(scheme, c) for c in [*_published(scheme), *cases(scheme, body)]],
    }


def _vector(scheme: Scheme, case: Case) -> dict[str, Any]:
    text = case.body.decode("utf-8", "replace")
    return {
        "name": case.name,
        "secret": secret_of(scheme),
        "headers": case.headers,
        "body": text,
        "body_base64": base64.b64encode(case.body).decode(),
        "now": case.now,
        "expected": case.verdict,
        "reason": case.reason,
    }


def scheme_view(scheme: Scheme) -> dict[str, Any]:
    return {
        "header": scheme.header,
        "signed": scheme.signed,
        "header_format": scheme.header_format,
        "signature_format": scheme.signature_format,
        "separator": scheme.separator,
        "algorithm": f"HMAC-{scheme.algorithm.upper()}",
        "encoding": scheme.encoding,
        "key": {"encoding": scheme.key_encoding, "prefix": scheme.key_prefix},
        "timestamp": {
            "header": scheme.timestamp_header,
            "tolerance_seconds": scheme.tolerance,
            "future_tolerance_seconds": scheme.future_tolerance,
        },
        "id_header": scheme.id_header,
    }
