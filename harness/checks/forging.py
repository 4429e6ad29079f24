"""Signed requests made on purpose: right over other bytes, or wrong in one covered part.

The receiver checks of signatures (`harness.checks.signed`) and R-rejects-forged sign with
these; everything follows the profile's signature scheme (`harness.signatures.Scheme`).
"""

from __future__ import annotations

import json
import time
from typing import Any

from harness.receiver import Trial
from harness.signatures import Scheme, Stamp
from harness.wire import WireRequest, encode

OTHER_BODY = b'{"forged":true}'


def scheme_of(trial: Trial) -> Scheme:
    scheme = trial.profile.semantics.authenticity.scheme
    assert scheme is not None, f"{trial.check.id} applies to signing profiles only"
    return scheme


def fresh(trial: Trial, offset: float = 0.0) -> Stamp:
    """A new delivery id and the present (moved by `offset` seconds)."""
    return Stamp(scheme_of(trial).new_id(), int(time.time() + offset))


def signed(
    trial: Trial, body: bytes, *, secrets: list[str], stamp: Stamp, like: WireRequest
) -> WireRequest:
    """`like` with `body`, signed with each of `secrets` over `stamp`."""
    headers = {**like.headers, **scheme_of(trial).headers(secrets, stamp, body)}
    return WireRequest(like.method, headers, body, like.query)


def _with_headers(request: WireRequest, headers: dict[str, str]) -> WireRequest:
    return WireRequest(request.method, headers, request.body, request.query)


def _without(request: WireRequest, name: str) -> WireRequest:
    kept = {k: v for k, v in request.headers.items() if k.lower() != name.lower()}
    return _with_headers(request, kept)


def _changed(body: bytes) -> bytes:
    """`body` with one member more (another value, not only other bytes: a receiver that
    re-serialises before verifying rejects it too; R-verifies-raw-bytes sends the latter)."""
    document = json.loads(body)
    if isinstance(document, dict):
        return encode({**document, "x_hookconform_forged": True})
    return encode([*document, True] if isinstance(document, list) else [document, True])


def signature_forgeries(trial: Trial, payload: Any, wrong: str) -> list[tuple[str, WireRequest]]:
    """Deliveries a signing receiver must refuse: each changes one part the signature covers
    (the key, the body, the id, the timestamp) or leaves out a header it needs."""
    scheme = scheme_of(trial)
    secret = trial.run.secret or ""
    stamp = fresh(trial)
    genuine = trial.request(payload, signing=stamp)
    header = scheme.header
    other = signed(trial, OTHER_BODY, secrets=[secret], stamp=stamp, like=genuine)
    forged = [
        (f"{header} made with another secret", trial.request(payload, secret=wrong)),
        (f"no {header} header", _without(genuine, header)),
        (
            "a member added to the body after it was signed",
            WireRequest(genuine.method, genuine.headers, _changed(genuine.body), genuine.query),
        ),
        ("the signature of another body", _with_headers(genuine, other.headers)),
    ]
    if scheme.signs_id and scheme.id_header:
        moved = {**genuine.headers, scheme.id_header: scheme.new_id()}
        forged.append(
            (f"a {scheme.id_header} other than the one signed", _with_headers(genuine, moved))
        )
        forged.append((f"no {scheme.id_header} header", _without(genuine, scheme.id_header)))
    if scheme.timestamped:
        later = Stamp(stamp.id, stamp.timestamp + 1)
        relabelled = dict(genuine.headers)
        if scheme.timestamp_header:
            relabelled[scheme.timestamp_header] = str(later.timestamp)
            forged.append(
                (f"no {scheme.timestamp_header} header", _without(genuine, scheme.timestamp_header))
            )
        else:  # the timestamp is written in the signature header
            parsed = scheme.parse(genuine.headers)
            signatures = [] if isinstance(parsed, str) else list(parsed.signatures)
            relabelled[header] = scheme.header_value(signatures, later)
        forged.append(
            (
                "a timestamp other than the one signed (one second later)",
                _with_headers(genuine, relabelled),
            )
        )
    return forged
