"""Named faults: deliberate deviations from a profile's promises.

They exist so the sender checks can prove they catch a real deviation, and so receiver
authors can rehearse a misbehaving provider. Each is switched on with `--fault NAME` or
`PUT /_mock/faults` and shows in what is delivered.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from harness.errors import HarnessError

FAULTS: dict[str, str] = {
    "no-retry": "a failed attempt is never retried, whatever the retry policy says",
    "ignore-gone": "a Gone answer (e.g. 410) is treated as an ordinary failure",
    "no-overwrite": "a create for an existing key adds a second subscription",
    "wrong-challenge": "the authenticity value (challenge, token, key, signature) is wrong",
    "missing-challenge": "the authenticity header (challenge or signature) is left out",
    "schema-drift": "the delivered body breaks the event schema",
    "duplicate-delivery": "every successful delivery is sent a second time",
    "out-of-order": "deliveries to a subscription are held and sent newest first",
    "skip-validation": "subscriptions get deliveries before their handshake is complete",
    "drop-token": "the authenticity token is left out of the body",
    "no-hook-secret": "create skips the X-Hook-Secret handshake and activates at once",
}


class UnknownFaultError(HarnessError):
    """A fault name the mock does not know."""


def check_names(names: Iterable[str]) -> list[str]:
    """The names, deduplicated in order; `UnknownFaultError` for any unknown one."""
    names = list(dict.fromkeys(names))
    unknown = [n for n in names if n not in FAULTS]
    if unknown:
        raise UnknownFaultError(
            f"unknown fault(s) {', '.join(map(repr, unknown))} (known: {', '.join(FAULTS)})"
        )
    return names


class Faults:
    """The set of active faults, shared by the engine and the APIs (thread-safe)."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._active = frozenset(check_names(names))

    def __contains__(self, name: object) -> bool:
        return name in self._active

    @property
    def active(self) -> list[str]:
        return [name for name in FAULTS if name in self._active]

    def replace(self, names: Iterable[str]) -> list[str]:
        """Make exactly `names` active; the new list."""
        checked = frozenset(check_names(names))
        with self._lock:
            self._active = checked
        return self.active
