"""Named faults: deliberate deviations from a profile's promises, a closed set.

They exist so the sender checks can prove they catch a real deviation, and so receiver
authors can rehearse a misbehaving provider. Each is switched on with `--fault NAME` or
`PUT /_mock/faults` and shows in what is delivered. Code names a fault by its `Fault` member,
never by a string, so a misspelt fault is a type error, not a fault that silently never
fires; an unknown name from a user is an `UnknownFaultError` at every entry.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterable

from harness.errors import HarnessError


class Fault(enum.StrEnum):
    NO_RETRY = "no-retry"
    IGNORE_GONE = "ignore-gone"
    NO_OVERWRITE = "no-overwrite"
    WRONG_CHALLENGE = "wrong-challenge"
    MISSING_CHALLENGE = "missing-challenge"
    SCHEMA_DRIFT = "schema-drift"
    DUPLICATE_DELIVERY = "duplicate-delivery"
    OUT_OF_ORDER = "out-of-order"
    SLOW = "slow"
    SKIP_VALIDATION = "skip-validation"
    DROP_TOKEN = "drop-token"
    NO_HOOK_SECRET = "no-hook-secret"
    STALE_TIMESTAMP = "stale-timestamp"
    RESERIALIZED_SIGNATURE = "signs-reserialized"
    CHANGING_ID = "changing-id"
    ACCEPTS_WRONG_ANSWER = "any-answer"
    NO_PING = "no-ping"


FAULTS: dict[str, str] = {
    Fault.NO_RETRY: "a failed attempt is never retried, whatever the retry policy says",
    Fault.IGNORE_GONE: "a Gone answer (e.g. 410) is treated as an ordinary failure",
    Fault.NO_OVERWRITE: "a create for an existing key adds a second subscription",
    Fault.WRONG_CHALLENGE: "the authenticity value (challenge, token, key, signature) is wrong",
    Fault.MISSING_CHALLENGE: "the authenticity header (challenge or signature) is left out",
    Fault.SCHEMA_DRIFT: "the delivered body breaks the event schema",
    Fault.DUPLICATE_DELIVERY: "every successful delivery is sent a second time",
    Fault.OUT_OF_ORDER: "deliveries to a subscription are held and sent newest first",
    Fault.SLOW: "every first attempt is held past the profile's latency promise (scaled)",
    Fault.SKIP_VALIDATION: "subscriptions get deliveries before their handshake is complete",
    Fault.DROP_TOKEN: "the authenticity token is left out of the body",
    Fault.NO_HOOK_SECRET: "create skips the X-Hook-Secret handshake and activates at once",
    Fault.STALE_TIMESTAMP: "signatures are dated 10 min past the timestamp tolerance",
    Fault.RESERIALIZED_SIGNATURE: "signatures cover the body re-serialised, not as sent",
    Fault.CHANGING_ID: "each attempt of a delivery carries a new delivery id",
    Fault.ACCEPTS_WRONG_ANSWER: "a wrong or late answer to a challenge handshake is accepted",
    Fault.NO_PING: "no ping event is sent when a webhook is made",
}


class UnknownFaultError(HarnessError):
    """A fault name the mock does not know."""


def check_names(names: Iterable[str]) -> list[Fault]:
    """The faults named, deduplicated in order; `UnknownFaultError` for any unknown name."""
    names = list(dict.fromkeys(names))
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        raise UnknownFaultError(
            f"unknown fault(s) {', '.join(map(repr, unknown))} (known: {', '.join(FAULTS)})"
        )
    return [Fault(n) for n in names]


class Faults:
    """The set of active faults, shared by the engine and the APIs (thread-safe)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._active = frozenset(check_names(names))

    def __contains__(self, fault: Fault) -> bool:
        if not isinstance(fault, Fault):
            raise TypeError(f"faults are Fault members, not {fault!r}")
        return fault in self._active

    @property
    def active(self) -> list[str]:
        return [str(fault) for fault in Fault if fault in self._active]

    def replace(self, names: Iterable[str]) -> list[str]:
        """Make exactly `names` active; the new list."""
        checked = frozenset(check_names(names))
        with self._lock:
            self._active = checked
        return self.active
