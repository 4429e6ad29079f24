"""Signed requests made on purpose: right over other bytes, or wrong in one covered part.

The receiver checks of signatures (`harness.checks.signed`) and R-rejects-forged sign with
these; everything follows the profile's signature scheme (`harness.signatures.Scheme`).
"""

from __future__ import annotations

import time
from typing import Any

from harness.receiver import Trial
from harness.signatures import Scheme, Stamp
from harness.vectors import forgeries
from harness.wire import WireRequest


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


def signature_forgeries(trial: Trial, payload: Any, wrong: str) -> list[tuple[str, WireRequest]]:
    """Deliveries a signing receiver must refuse (`harness.vectors.forgeries`): each changes
    one part the signature covers or leaves out a header it needs; the rest of each request
    is the delivery as the provider sends it."""
    scheme = scheme_of(trial)
    stamp = fresh(trial)
    genuine = trial.request(payload, signing=stamp)
    kept = {k: v for k, v in genuine.headers.items() if k.lower() not in scheme_headers(scheme)}
    return [
        (
            case.reason,
            WireRequest(genuine.method, {**kept, **case.headers}, case.body, genuine.query),
        )
        for case in forgeries(scheme, trial.run.secret or "", wrong, stamp, genuine.body)
    ]


def scheme_headers(scheme: Scheme) -> frozenset[str]:
    return frozenset(h.lower() for h in scheme.own_headers)
