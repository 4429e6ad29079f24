"""The mock provider's state in SQLite (standard library, WAL): nothing is lost on restart.

Subscriptions, events, deliveries and attempts are rows. Owed attempts form the `outbox`:
one row per pending delivery with the time its next attempt is due, removed in the same
transaction that records the attempt ending the delivery. A mock killed at any moment and
started again on the same file finds every owed attempt still in the outbox.
"""

from __future__ import annotations

import collections
import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from harness.targets import origin

SCHEMA = """
CREATE TABLE IF NOT EXISTS subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    profile TEXT NOT NULL,
    public_id TEXT NOT NULL,
    events TEXT NOT NULL,
    target_url TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    secret TEXT,
    pending_secret TEXT,
    scope TEXT NOT NULL DEFAULT '{}',
    object TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    profile TEXT NOT NULL,
    type TEXT NOT NULL,
    payload TEXT NOT NULL,
    headers TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    subscription_id INTEGER NOT NULL,
    target_url TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_by_subscription ON deliveries (subscription_id);
CREATE INDEX IF NOT EXISTS deliveries_by_event ON deliveries (event_id);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL,
    number INTEGER NOT NULL,
    at REAL NOT NULL,
    status_code INTEGER,
    duration_ms REAL NOT NULL,
    error TEXT,
    request TEXT NOT NULL,
    response_excerpt TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS attempts_by_delivery ON attempts (delivery_id);
CREATE TABLE IF NOT EXISTS outbox (
    delivery_id INTEGER PRIMARY KEY,
    due REAL NOT NULL,
    origin TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS outbox_by_due ON outbox (due);
CREATE TABLE IF NOT EXISTS notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id INTEGER NOT NULL,
    delivery_id INTEGER,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS handshakes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    secret TEXT NOT NULL,
    url TEXT NOT NULL,
    at REAL NOT NULL,
    status_code INTEGER,
    duration_ms REAL NOT NULL,
    error TEXT,
    request TEXT NOT NULL,
    response_excerpt TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS handshakes_by_subscription ON handshakes (subscription_id);
CREATE TABLE IF NOT EXISTS settings (
    profile TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (profile, name)
);
"""

DELIVERY_STATUSES = ("pending", "delivered", "failed", "abandoned")
# A delivery with its event, and when its next attempt is due while it is owed.
_DELIVERIES = (
    "SELECT d.*, e.type AS event_type, e.profile AS profile, e.payload AS payload,"
    " e.headers AS headers, o.due AS next_due"
    " FROM deliveries d JOIN events e ON e.id = d.event_id"
    " LEFT JOIN outbox o ON o.delivery_id = d.id"
)
# The distinct origins in the outbox, one index step each (a skip scan): cheap however many
# deliveries an origin owes.
_ORIGINS = """
WITH RECURSIVE o(origin) AS (
    SELECT MIN(origin) FROM outbox
    UNION ALL
    SELECT (SELECT MIN(origin) FROM outbox WHERE origin > o.origin) FROM o
    WHERE o.origin IS NOT NULL
)
SELECT origin FROM o WHERE origin IS NOT NULL
"""


@dataclass
class Subscription:
    """A subscription (a webhook): where events go and in which state."""

    id: int
    profile: str
    public_id: Any
    events: list[str]
    target_url: str
    state: str  # active | inactive | pending (awaiting its handshake)
    reason: str
    secret: str | None
    pending_secret: str | None
    scope: dict[str, Any]
    object: dict[str, Any]
    created_at: float

    @property
    def active(self) -> bool:
        return self.state == "active"


@dataclass
class Attempt:
    """One HTTP attempt of a delivery, as logged."""

    number: int
    at: float
    status_code: int | None
    duration_ms: float
    error: str | None
    request: dict[str, Any]
    response_excerpt: str


@dataclass
class Handshake:
    """A handshake request the mock sent a subscription's endpoint, with the secret it
    carried (`kind`: the handshake's, e.g. secret-confirmation) and what the endpoint answered."""

    id: int
    subscription_id: int
    kind: str
    secret: str
    url: str
    request: Attempt


@dataclass
class Delivery:
    """One event owed to one subscription, with every attempt made so far."""

    id: int
    public_id: str
    event_id: int
    event_type: str
    profile: str
    subscription_id: int
    target_url: str
    status: str
    attempt_count: int
    attempts: list[Attempt]
    created_at: float
    payload: Any
    headers: dict[str, str]
    next_due: float | None = None  # when the next attempt is due, while it is owed


@dataclass
class Record:
    """An attempt and its consequences, to be logged in one transaction.

    `status` is the delivery's new status; with `next_due` the delivery stays owed.
    `subscription` is (id, new state, reason) when the outcome changes it.
    """

    delivery_id: int
    attempt: Attempt | None
    status: str
    next_due: float | None = None
    subscription: tuple[int, str, str] | None = None
    delete_subscription: int | None = None
    notifications: Sequence[tuple[int, str, str]] = ()


SUBSCRIPTION_COLUMNS = (
    "id", "profile", "public_id", "events", "target_url", "state", "reason", "secret",
    "pending_secret", "scope", "object", "created_at",
)  # fmt: skip


def _subscription(row: sqlite3.Row, prefix: str = "") -> Subscription:
    return Subscription(
        id=row[prefix + "id"],
        profile=row[prefix + "profile"],
        public_id=json.loads(row[prefix + "public_id"]),
        events=json.loads(row[prefix + "events"]),
        target_url=row[prefix + "target_url"],
        state=row[prefix + "state"],
        reason=row[prefix + "reason"],
        secret=row[prefix + "secret"],
        pending_secret=row[prefix + "pending_secret"],
        scope=json.loads(row[prefix + "scope"]),
        object=json.loads(row[prefix + "object"]),
        created_at=row[prefix + "created_at"],
    )


def _delivery_filters(
    subscription: int | None, event: int | None, event_type: str | None, status: str | None
) -> tuple[list[str], list[Any]]:
    """The WHERE terms (over deliveries `d` and events `e`) and parameters of the filters."""
    where: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("d.subscription_id", subscription),
        ("d.event_id", event),
        ("e.type", event_type),
        ("d.status", status),
    ):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    return where, params


def _attempt(row: sqlite3.Row, number: int) -> Attempt:
    return Attempt(
        number=number,
        at=row["at"],
        status_code=row["status_code"],
        duration_ms=row["duration_ms"],
        error=row["error"],
        request=json.loads(row["request"]),
        response_excerpt=row["response_excerpt"],
    )


class Store:
    """One SQLite connection shared by the server's threads, one writer at a time."""

    def __init__(self, path: str, clock: Callable[[], float] = time.time) -> None:
        """`clock` dates every row the store writes itself (the mock's clock: see
        mock_provider.clock)."""
        self.path = path
        self.now = clock
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL: a commit survives the process being killed (not a power cut), and WAL
        # keeps it cheap enough to log every attempt.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._migrate()
        self._db.execute("CREATE INDEX IF NOT EXISTS outbox_by_origin ON outbox (origin, due)")

    def _migrate(self) -> None:
        """Bring a file written by an earlier version up to this schema (nothing is lost)."""
        columns = {row["name"] for row in self._db.execute("PRAGMA table_info(outbox)")}
        if "origin" not in columns:
            with self.transaction() as db:
                db.execute("ALTER TABLE outbox ADD COLUMN origin TEXT NOT NULL DEFAULT ''")
                owed = db.execute(
                    "SELECT o.delivery_id, d.target_url FROM outbox o"
                    " JOIN deliveries d ON d.id = o.delivery_id"
                ).fetchall()
                db.executemany(
                    "UPDATE outbox SET origin = ? WHERE delivery_id = ?",
                    [(origin(row["target_url"]), row["delivery_id"]) for row in owed],
                )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # settings -------------------------------------------------------------------------

    def setting(self, profile: str, name: str) -> str | None:
        rows = self._query(
            "SELECT value FROM settings WHERE profile = ? AND name = ?", (profile, name)
        )
        return rows[0]["value"] if rows else None

    def settings(self) -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        for row in self._query("SELECT profile, name, value FROM settings ORDER BY profile"):
            found.setdefault(row["profile"], {})[row["name"]] = row["value"]
        return found

    def set_setting(self, profile: str, name: str, value: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO settings (profile, name, value) VALUES (?, ?, ?)"
                " ON CONFLICT (profile, name) DO UPDATE SET value = excluded.value",
                (profile, name, value),
            )

    # subscriptions --------------------------------------------------------------------

    def add_subscription(
        self,
        *,
        profile: str,
        events: list[str],
        target_url: str,
        state: str,
        reason: str = "",
        secret: str | None = None,
        pending_secret: str | None = None,
        scope: Mapping[str, Any] | None = None,
        object: Mapping[str, Any] | None = None,
        public_id: Any = None,
    ) -> Subscription:
        """Insert a subscription; `public_id` None means its row id."""
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO subscriptions (profile, public_id, events, target_url, state,"
                " reason, secret, pending_secret, scope, object, created_at)"
                " VALUES (?, 'null', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    profile,
                    json.dumps(events),
                    target_url,
                    state,
                    reason,
                    secret,
                    pending_secret,
                    json.dumps(dict(scope or {})),
                    json.dumps(dict(object or {})),
                    self.now(),
                ),
            )
            row_id = cursor.lastrowid
            assert row_id is not None
            db.execute(
                "UPDATE subscriptions SET public_id = ? WHERE id = ?",
                (json.dumps(row_id if public_id is None else public_id), row_id),
            )
        found = self.subscription(row_id)
        assert found is not None
        return found

    def update_subscription(self, subscription_id: int, **changes: Any) -> Subscription | None:
        """Change columns of a subscription; None when it does not exist."""
        encoded = {
            key: json.dumps(value) if key in ("events", "scope", "object", "public_id") else value
            for key, value in changes.items()
        }
        if encoded:
            columns = ", ".join(f"{key} = ?" for key in encoded)
            with self.transaction() as db:
                db.execute(
                    f"UPDATE subscriptions SET {columns} WHERE id = ?",
                    (*encoded.values(), subscription_id),
                )
        return self.subscription(subscription_id)

    def subscription(self, subscription_id: int) -> Subscription | None:
        rows = self._query("SELECT * FROM subscriptions WHERE id = ?", (subscription_id,))
        return _subscription(rows[0]) if rows else None

    def subscriptions(self, profile: str | None = None) -> list[Subscription]:
        if profile is None:
            rows = self._query("SELECT * FROM subscriptions ORDER BY id")
        else:
            rows = self._query(
                "SELECT * FROM subscriptions WHERE profile = ? ORDER BY id", (profile,)
            )
        return [_subscription(row) for row in rows]

    def delete_subscription(self, subscription_id: int) -> None:
        """Remove a subscription; its pending deliveries are abandoned."""
        with self.transaction() as db:
            db.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))
            self._abandon(db, subscription_id)

    def _abandon(self, db: sqlite3.Connection, subscription_id: int) -> None:
        db.execute(
            "DELETE FROM outbox WHERE delivery_id IN"
            " (SELECT id FROM deliveries WHERE subscription_id = ? AND status = 'pending')",
            (subscription_id,),
        )
        db.execute(
            "UPDATE deliveries SET status = 'abandoned'"
            " WHERE subscription_id = ? AND status = 'pending'",
            (subscription_id,),
        )

    # handshakes -----------------------------------------------------------------------

    def add_handshake(
        self, subscription_id: int, kind: str, secret: str, url: str, sent: Attempt
    ) -> None:
        """Log a handshake request (kept when its subscription goes, as deliveries are)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO handshakes (subscription_id, kind, secret, url, at, status_code,"
                " duration_ms, error, request, response_excerpt)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    subscription_id,
                    kind,
                    secret,
                    url,
                    sent.at,
                    sent.status_code,
                    sent.duration_ms,
                    sent.error,
                    json.dumps(sent.request),
                    sent.response_excerpt,
                ),
            )

    def handshakes(self, subscription_id: int | None = None) -> list[Handshake]:
        """The handshake requests sent, oldest first: all, or one subscription's."""
        where, params = (
            ("WHERE subscription_id = ?", (subscription_id,))
            if subscription_id is not None
            else ("", ())
        )
        rows = self._query(f"SELECT * FROM handshakes {where} ORDER BY id", params)
        return [
            Handshake(
                id=row["id"],
                subscription_id=row["subscription_id"],
                kind=row["kind"],
                secret=row["secret"],
                url=row["url"],
                request=_attempt(row, number=1),
            )
            for row in rows
        ]

    # events and deliveries ------------------------------------------------------------

    def add_event(
        self,
        profile: str,
        event_type: str,
        payload: Any,
        targets: Iterable[tuple[int, str, float]],
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, list[int]]:
        """Record an event and one pending delivery per (subscription, url, due time)."""
        now = self.now()
        deliveries = []
        with self.transaction() as db:
            cursor = db.execute(
                "INSERT INTO events (profile, type, payload, headers, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (profile, event_type, json.dumps(payload), json.dumps(dict(headers or {})), now),
            )
            event_id = cursor.lastrowid
            assert event_id is not None
            for subscription_id, target_url, due in targets:
                deliveries.append(
                    self._add_delivery(db, event_id, subscription_id, target_url, due, now)
                )
        return event_id, deliveries

    def _add_delivery(
        self,
        db: sqlite3.Connection,
        event_id: int,
        subscription_id: int,
        target_url: str,
        due: float,
        now: float,
    ) -> int:
        cursor = db.execute(
            "INSERT INTO deliveries (public_id, event_id, subscription_id, target_url, status,"
            " created_at) VALUES (?, ?, ?, ?, 'pending', ?)",
            (str(uuid.uuid4()), event_id, subscription_id, target_url, now),
        )
        delivery_id = cursor.lastrowid
        assert delivery_id is not None
        db.execute(
            "INSERT INTO outbox (delivery_id, due, origin) VALUES (?, ?, ?)",
            (delivery_id, due, origin(target_url)),
        )
        return delivery_id

    def redeliver(self, delivery_id: int, target_url: str) -> int:
        """A new pending delivery of the same event to the same subscription, due now."""
        delivery = self.delivery(delivery_id)
        assert delivery is not None
        now = self.now()
        with self.transaction() as db:
            return self._add_delivery(
                db, delivery.event_id, delivery.subscription_id, target_url, now, now
            )

    def reschedule(self, dues: Mapping[int, float]) -> None:
        """Move the next attempt of pending deliveries (only those still owed)."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE outbox SET due = ? WHERE delivery_id = ?",
                [(due, delivery_id) for delivery_id, due in dues.items()],
            )

    def held(self, subscription_id: int) -> list[int]:
        """The pending deliveries of a subscription that have had no attempt yet."""
        rows = self._query(
            "SELECT id FROM deliveries WHERE subscription_id = ? AND status = 'pending'"
            " AND attempts = 0 ORDER BY id",
            (subscription_id,),
        )
        return [row["id"] for row in rows]

    def due(
        self,
        now: float,
        limit: int,
        depth: int,
        low: int,
        claimed: Mapping[int, str],
        after: str | None = None,
    ) -> list[tuple[int, str]]:
        """Owed deliveries that are due and not `claimed`, with their target origin, at most
        `limit`: for each origin with at most `low` claimed, its oldest due ones up to `depth`
        claimed in all. Origins are visited in turn, starting after `after`."""
        counts = collections.Counter(claimed.values())
        origins = [row["origin"] for row in self._query(_ORIGINS)]
        if after in origins:
            start = origins.index(after) + 1
            origins = origins[start:] + origins[:start]
        found: list[tuple[int, str]] = []
        for name in origins:
            room = min(depth - counts[name], limit - len(found))
            if counts[name] > low or room <= 0:
                continue
            rows = self._query(
                "SELECT delivery_id FROM outbox WHERE origin = ? AND due <= ?"
                " ORDER BY due, delivery_id LIMIT ?",
                (name, now, room + counts[name]),
            )
            fresh = [r["delivery_id"] for r in rows if r["delivery_id"] not in claimed]
            found += [(delivery_id, name) for delivery_id in fresh[:room]]
            if len(found) >= limit:
                break
        return found

    def next_due(self, exclude: Iterable[int] = ()) -> float | None:
        """When the next owed attempt is due, leaving out `exclude` (attempts under way)."""
        skip = list(exclude)
        marks = ",".join("?" * len(skip))
        rows = self._query(
            f"SELECT MIN(due) AS due FROM outbox WHERE delivery_id NOT IN ({marks})", skip
        )
        return rows[0]["due"] if rows else None

    def due_count(self, now: float) -> int:
        """How many owed attempts are due at `now`."""
        return self._query("SELECT COUNT(*) AS n FROM outbox WHERE due <= ?", (now,))[0]["n"]

    def owed(self) -> int:
        return self._query("SELECT COUNT(*) AS n FROM outbox")[0]["n"]

    def work(self, delivery_id: int) -> tuple[Delivery, Subscription | None] | None:
        """A delivery and its subscription, for an attempt; None when no longer owed."""
        columns = ", ".join(f"s.{c} AS s_{c}" for c in SUBSCRIPTION_COLUMNS)
        rows = self._query(
            "SELECT d.*, e.type AS event_type, e.profile AS profile, e.payload AS payload,"
            f" e.headers AS headers, {columns}"
            " FROM deliveries d JOIN events e ON e.id = d.event_id"
            " LEFT JOIN subscriptions s ON s.id = d.subscription_id WHERE d.id = ?",
            (delivery_id,),
        )
        if not rows or rows[0]["status"] != "pending":
            with self.transaction() as db:
                db.execute("DELETE FROM outbox WHERE delivery_id = ?", (delivery_id,))
            return None
        row = rows[0]
        (delivery,) = self._with_attempts(rows, False)
        return delivery, _subscription(row, "s_") if row["s_id"] is not None else None

    def record_attempts(self, records: Sequence[Record]) -> None:
        """Log attempts and their consequences, in order, in one transaction."""
        with self.transaction() as db:
            for record in records:
                self._record(db, record)

    def _record(self, db: sqlite3.Connection, record: Record) -> None:
        delivery_id, attempt = record.delivery_id, record.attempt
        if attempt is not None:
            db.execute(
                "INSERT INTO attempts (delivery_id, number, at, status_code, duration_ms,"
                " error, request, response_excerpt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    delivery_id,
                    attempt.number,
                    attempt.at,
                    attempt.status_code,
                    attempt.duration_ms,
                    attempt.error,
                    json.dumps(attempt.request),
                    attempt.response_excerpt,
                ),
            )
            db.execute(
                "UPDATE deliveries SET status = ?, attempts = ? WHERE id = ?",
                (record.status, attempt.number, delivery_id),
            )
        else:
            db.execute(
                "UPDATE deliveries SET status = ? WHERE id = ?", (record.status, delivery_id)
            )
        if record.next_due is None:
            db.execute("DELETE FROM outbox WHERE delivery_id = ?", (delivery_id,))
        else:
            db.execute(
                "UPDATE outbox SET due = ? WHERE delivery_id = ?", (record.next_due, delivery_id)
            )
        now = self.now()
        for subscription_id, kind, message in record.notifications:
            db.execute(
                "INSERT INTO notifications (subscription_id, delivery_id, kind, message, at)"
                " VALUES (?, ?, ?, ?, ?)",
                (subscription_id, delivery_id, kind, message, now),
            )
        if record.subscription is not None:
            subscription_id, state, reason = record.subscription
            db.execute(
                "UPDATE subscriptions SET state = ?, reason = ? WHERE id = ?",
                (state, reason, subscription_id),
            )
            if state != "active":
                self._abandon(db, subscription_id)
        if record.delete_subscription is not None:
            db.execute("DELETE FROM subscriptions WHERE id = ?", (record.delete_subscription,))
            self._abandon(db, record.delete_subscription)

    def deliveries(
        self,
        *,
        subscription: int | None = None,
        event: int | None = None,
        event_type: str | None = None,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
        newest_first: bool = False,
        after: int | None = None,
        before: int | None = None,
    ) -> list[Delivery]:
        """Deliveries matching the filters, with their attempts, in id order (`newest_first`
        reverses it). `after` and `before` are ids in that order: the page starts right after
        `after`; with `before` alone it is the `limit` deliveries right before `before`."""
        where, params = _delivery_filters(subscription, event, event_type, status)
        later, earlier = ("<", ">") if newest_first else (">", "<")
        if after is not None:
            where.append(f"d.id {later} ?")
            params.append(after)
        if before is not None:
            where.append(f"d.id {earlier} ?")
            params.append(before)
        backwards = before is not None and after is None  # walk from `before`, then turn
        order = "DESC" if newest_first != backwards else "ASC"
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self._query(
            f"{_DELIVERIES} {clause} ORDER BY d.id {order} LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        found = self._with_attempts(rows, True)
        return found[::-1] if backwards else found

    def count_deliveries(
        self,
        *,
        subscription: int | None = None,
        event: int | None = None,
        event_type: str | None = None,
        status: str | None = None,
        above: int | None = None,
    ) -> int:
        """How many deliveries match the filters (and have an id above `above`)."""
        where, params = _delivery_filters(subscription, event, event_type, status)
        if above is not None:
            where.append("d.id > ?")
            params.append(above)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        join = " JOIN events e ON e.id = d.event_id" if event_type is not None else ""
        rows = self._query(f"SELECT COUNT(*) AS n FROM deliveries d{join} {clause}", params)
        return rows[0]["n"]

    def delivery(self, delivery_id: int, *, with_attempts: bool = True) -> Delivery | None:
        rows = self._query(
            f"{_DELIVERIES} WHERE d.id = ?",
            (delivery_id,),
        )
        found = self._with_attempts(rows, with_attempts)
        return found[0] if found else None

    def delivery_by_public_id(self, public_id: str) -> Delivery | None:
        rows = self._query("SELECT id FROM deliveries WHERE public_id = ?", (public_id,))
        return self.delivery(rows[0]["id"]) if rows else None

    def _with_attempts(self, rows: list[sqlite3.Row], with_attempts: bool) -> list[Delivery]:
        attempts: dict[int, list[Attempt]] = {row["id"]: [] for row in rows}
        if with_attempts and rows:
            marks = ",".join("?" * len(attempts))
            for a in self._query(
                f"SELECT * FROM attempts WHERE delivery_id IN ({marks}) ORDER BY id",
                list(attempts),
            ):
                attempts[a["delivery_id"]].append(_attempt(a, a["number"]))
        return [
            Delivery(
                id=row["id"],
                public_id=row["public_id"],
                event_id=row["event_id"],
                event_type=row["event_type"],
                profile=row["profile"],
                subscription_id=row["subscription_id"],
                target_url=row["target_url"],
                status=row["status"],
                attempt_count=row["attempts"],
                attempts=attempts[row["id"]],
                created_at=row["created_at"],
                payload=json.loads(row["payload"]),
                headers=json.loads(row["headers"]),
                next_due=row["next_due"] if "next_due" in row.keys() else None,  # noqa: SIM118 (a Row: `in` looks at values)
            )
            for row in rows
        ]

    # notifications and reset ----------------------------------------------------------

    def notifications(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self._query("SELECT * FROM notifications ORDER BY id")]

    def reset(self) -> None:
        """Forget every subscription, event, delivery, attempt, handshake and notification."""
        with self.transaction() as db:
            for table in (
                "outbox",
                "attempts",
                "deliveries",
                "events",
                "notifications",
                "handshakes",
                "subscriptions",
            ):
                db.execute(f"DELETE FROM {table}")
