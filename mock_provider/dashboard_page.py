"""The dashboard's HTML: the whole page, and its live part that the page fetches again.

Server-rendered; `dashboard.js` merges the live part in by row (`data-row`, a key, and
`data-v`, a hash of the row's markup: an unchanged row is kept as the user left it). Times are
absolute, so a row changes only when what it shows does.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from harness.profiles import Profile
from mock_provider.control import PREFIX
from mock_provider.store import DELIVERY_STATUSES, Attempt, Delivery, Handshake, Subscription

if TYPE_CHECKING:
    from mock_provider.app import Mock

HOME = f"{PREFIX}/dashboard/"
LIVE_SECONDS = 2
SHOWN_DELIVERIES = 50
_HERE = Path(__file__).parent
STYLE = (_HERE / "dashboard.css").read_text(encoding="utf-8")
SCRIPT = (_HERE / "dashboard.js").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Filters:
    """Which deliveries the page lists (from its query string)."""

    subscription: int | None = None
    event_type: str | None = None
    status: str | None = None
    # The page, newest first: the deliveries older than `after`, or the newer ones just
    # above `before`; neither is the newest page.
    after: int | None = None
    before: int | None = None

    def query(self, after: int | None = None, before: int | None = None) -> str:
        """The query string of these filters on the page `after` or `before` asks for."""
        pairs = {"subscription": self.subscription, "type": self.event_type}
        pairs |= {"status": self.status, "after": after, "before": before}
        given = {k: v for k, v in pairs.items() if v is not None}
        return f"?{urlencode(given)}" if given else ""

    def store_filters(self) -> dict[str, Any]:
        """The filters as `Store.deliveries` takes them."""
        return {
            "subscription": self.subscription,
            "event_type": self.event_type,
            "status": self.status,
        }


def filters(mock: Mock, args: Any) -> tuple[Filters, str]:
    """The filters the query string asks for, and what was wrong with it ('' if nothing);
    a wrong value is left out rather than refused, so the page always renders."""
    problems = []
    subscription = args.get("subscription") or None
    if subscription is not None and not re.fullmatch(r"[0-9]{1,18}", subscription):
        problems.append(f"subscription {subscription!r} is not an id")
        subscription = None
    event_type = args.get("type") or None
    if event_type is not None and event_type not in _event_types(mock):
        problems.append(f"{event_type!r} is not an event of the served profiles")
        event_type = None
    status = args.get("status") or None
    if status is not None and status not in DELIVERY_STATUSES:
        problems.append(f"status {status!r} is not one of {', '.join(DELIVERY_STATUSES)}")
        status = None
    cursors = []
    for name in ("after", "before"):
        cursor = args.get(name) or None
        if cursor is not None and not re.fullmatch(r"[0-9]{1,18}", cursor):
            problems.append(f"{name} {cursor!r} is not a delivery id")
            cursor = None
        cursors.append(int(cursor) if cursor else None)
    found = Filters(int(subscription) if subscription else None, event_type, status, *cursors)
    return found, "; ".join(problems)


def _h(value: Any) -> str:
    return escape(str(value), quote=True)


def _clock(moment: float) -> str:
    return datetime.fromtimestamp(moment).strftime("%H:%M:%S")


def _pretty(text: str) -> str:
    """JSON text indented for reading; other text as it is."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _event_types(mock: Mock) -> list[str]:
    return sorted({e for p in mock.profiles.values() for e in p.events})


def _row(tag: str, key: str, css: str, inner: str) -> str:
    """A keyed row of the live part; its version is a hash of its markup."""
    version = hashlib.sha1(inner.encode(), usedforsecurity=False).hexdigest()[:12]
    return f"<{tag} data-row='{_h(key)}' data-v='{version}' class='{css}'>{inner}</{tag}>"


class Page:
    """Renders the dashboard of `mock`; forms carry its form token."""

    def __init__(self, mock: Mock) -> None:
        self.mock = mock

    def form(self, action: str, *, css: str = "inline", extra: str = "") -> str:
        """The start of a form posting to dashboard action `action`, in the background."""
        token = _h(self.mock.guard.form_token())
        return (
            f"<form class='{css}' method='post' action='{HOME}{_h(action)}' data-js {extra}>"
            f"<input type='hidden' name='csrf' value='{token}'>"
        )

    def button(self, action: str, label: str, *, css: str = "", confirm: str = "") -> str:
        asks = f"data-confirm='{_h(confirm)}'" if confirm else ""
        return f"{self.form(action, extra=asks)}<button class='{css}'>{_h(label)}</button></form>"

    # the whole page ---------------------------------------------------------------------

    def render(self, chosen: Filters, message: str = "", bad: bool = False) -> str:
        mock = self.mock
        faults = ", ".join(mock.faults.active) or "none"
        head = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>hookconform mock: {_h(', '.join(mock.profiles))}</title>"
            f"<style>{STYLE}</style></head>"
            f"<body data-live='{HOME}live' data-every='{LIVE_SECONDS}'>"
            "<header><h1>hookconform mock provider</h1>"
            f"<span class='meta'>profiles {_h(', '.join(mock.profiles))} · faults {_h(faults)}"
            f" · time scale {_h(mock.config.time_scale)}"
            f" · <a href='{PREFIX}/openapi.json'>control API</a></span>"
            f"<span id='stamp'>live · every {LIVE_SECONDS} s</span></header><main>"
            f"<div id='msg' role='status' class='{'bad' if bad else ''}'>{_h(message)}</div>"
        )
        live = f"<div id='live'>{self.live(chosen)}</div>"
        return f"{head}{self._forms()}{live}</main><script>{SCRIPT}</script></body></html>"

    def _forms(self) -> str:
        mock = self.mock
        names = "".join(f"<option>{_h(n)}</option>" for n in mock.profiles)
        events = "".join(f"<option value='{_h(e)}'>" for e in _event_types(mock))
        cards = [
            "<div class='card'><h2>Trigger an event</h2>",
            self.form("trigger", css="trigger"),
            f"<label>profile <select name='profile'>{names}</select></label>",
            "<label>event <input name='type' list='event-types' required size='26'"
            " placeholder='event type'></label>",
            f"<datalist id='event-types'>{events}</datalist>",
            "<label>payload <select name='payload'><option value='example'>the profile's"
            " example, fresh</option><option value='generated'>generated from the schema"
            "</option></select></label>",
            "<label>seed <input name='seed' value='0' size='4'></label>",
            "<textarea name='data' rows='3' placeholder='or your own payload, as JSON'>"
            "</textarea><div class='tools'><button class='primary'>Trigger</button></div>"
            "</form></div>",
        ]
        for profile in mock.profiles.values():
            if not profile.semantics.subscription.managed_by_api:
                cards.append(self._new_webhook(profile))
        return f"<div class='cards'>{''.join(cards)}</div>"

    def _new_webhook(self, profile: Profile) -> str:
        """The provider's settings-screen form: one event where the profile allows one."""
        one = profile.semantics.subscription.one_event
        options = "".join(f"<option>{_h(e)}</option>" for e in profile.events)
        events = (
            f"<select name='events' required>{options}</select>"
            if one
            else f"<select name='events' multiple required size='4'>{options}</select>"
        )
        token = profile.semantics.authenticity.subscription_field
        token_field = (
            f"<label>{_h(token)} <input name='token' placeholder='(made up if empty)'></label>"
            if token
            else ""
        )
        hint = "one event" if one else "one or more events (Ctrl-click)"
        return (
            f"<div class='card'><h2>New {_h(profile.name)} webhook <small>(settings screen)"
            f"</small></h2>{self.form('webhooks', css='new-webhook', extra='data-clear')}"
            f"<input type='hidden' name='profile' value='{_h(profile.name)}'>"
            "<label>URL <input name='url' size='34' required"
            " placeholder='http://127.0.0.1:9000/hook'></label>"
            f"<label>{hint} {events}</label>{token_field}"
            "<div class='tools'><button class='primary'>Create</button></div></form></div>"
        )

    # the live part ----------------------------------------------------------------------

    def live(self, chosen: Filters) -> str:
        return self._subscriptions() + self._deliveries(chosen) + self._notifications()

    def _subscriptions(self) -> str:
        mock = self.mock
        rows = [
            self._subscription(s, mock.profiles[s.profile])
            for s in mock.store.subscriptions()
            if s.profile in mock.profiles
        ]
        columns = [("id", "n"), ("profile", "s"), ("events", "w"), ("target", "")]
        columns += [("state", "s"), ("", "a")]
        table = _table("subscriptions", columns, rows, "No subscriptions yet.")
        return f"<h2>Subscriptions</h2>{table}"

    def _subscription(self, subscription: Subscription, profile: Profile) -> str:
        view = self.mock.control.subscription_view(subscription)
        ident = subscription.id
        css = {"active": "ok", "pending": "wait"}.get(subscription.state, "bad")
        actions = [f"<a href='{HOME}?subscription={ident}'>deliveries</a>"]
        if profile.semantics.handshake.confirmation:
            actions.append(self.button(f"validate/{ident}", "Validate"))
        if subscription.state == "inactive":
            actions.append(self.button(f"enable/{ident}", "Enable"))
        else:
            actions.append(self.button(f"disable/{ident}", "Disable"))
        actions.append(
            self.button(
                f"delete/{ident}", "Delete", css="danger", confirm=f"Delete subscription {ident}?"
            )
        )
        if subscription.state == "pending":
            actions.append(
                self.form(f"confirm/{ident}", css="confirm")
                + "<input name='secret' placeholder='secret received' size='14' required>"
                " <button>Confirm</button></form>"
            )
        handshakes = "".join(
            self._handshake(ident, n, h)
            for n, h in enumerate(self.mock.store.handshakes(ident), start=1)
        )
        object_json = json.dumps(view["object"], indent=2, ensure_ascii=False)
        inner = (
            f"<td>{ident}</td><td>{_h(subscription.profile)}</td>"
            f"<td>{_h(', '.join(subscription.events))}</td>"
            f"<td>{_h(subscription.target_url)}"
            f"<details data-key='s{ident}-object'><summary>object</summary>"
            f"<pre>{_h(object_json)}</pre></details>{handshakes}</td>"
            f"<td><span class='badge'>{_h(subscription.state)}</span>"
            f"<br><small>{_h(subscription.reason)}</small></td>"
            f"<td><div class='tools'>{''.join(actions)}</div></td>"
        )
        return _row("tr", f"s{ident}", css, inner)

    def _handshake(self, ident: int, number: int, handshake: Handshake) -> str:
        sent = handshake.request
        answer = sent.error or f"HTTP {sent.status_code}"
        what = "challenge" if handshake.kind == "challenge" else "secret"  # what it carried
        return (
            f"<details class='attempt {_outcome_class(sent)}' data-key='s{ident}-h{number}'>"
            f"<summary>{_h(handshake.kind)} request at {_clock(sent.at)}: {what}"
            f" <b class='secret'>{_h(handshake.secret)}</b>, {_h(answer)}</summary>"
            f"{_exchange(handshake.url, sent)}</details>"
        )

    def _deliveries(self, chosen: Filters) -> str:
        store, given = self.mock.store, chosen.store_filters()
        found = store.deliveries(
            **given,
            limit=SHOWN_DELIVERIES,
            newest_first=True,
            after=chosen.after,
            before=chosen.before,
        )
        total = store.count_deliveries(**given)
        rows = [self._delivery(d) for d in found]
        filtered = chosen.store_filters() != Filters().store_filters()
        empty = "No deliveries match." if filtered else "No deliveries yet."
        if chosen.after is not None or chosen.before is not None:
            empty = "No deliveries on this page."
        columns = [("id", "n"), ("event", "w"), ("status", "t"), ("attempts", ""), ("", "b")]
        return (
            f"<h2>Deliveries <small>({total} in all, newest first)</small></h2>"
            f"{self._filter_bar(chosen)}{self._pager(chosen, found, total)}"
            f"{_table('deliveries', columns, rows, empty)}"
        )

    def _pager(self, chosen: Filters, found: list[Delivery], total: int) -> str:
        """Where the page is in the log, with links to the newer and the older pages."""
        links = []
        if found:
            newer = self.mock.store.count_deliveries(**chosen.store_filters(), above=found[0].id)
            older = total - newer - len(found)
            shown = f"{newer + 1} to {newer + len(found)} of {total}"
            if newer:  # fewer than a page above: the newest page
                cursor = found[0].id if newer > SHOWN_DELIVERIES else None
                links.append(f"<a href='{HOME}{_h(chosen.query(before=cursor))}'>← newer</a>")
            if older > 0:
                links.append(f"<a href='{HOME}{_h(chosen.query(after=found[-1].id))}'>older →</a>")
        else:
            shown = f"none of {total} on this page" if total else "none"
            if total:
                links.append(f"<a href='{HOME}{_h(chosen.query())}'>newest</a>")
        inner = f"<span class='shown'>{shown}</span> {' '.join(links)}"
        return _row("div", "pager", "pager", inner)

    def _filter_bar(self, chosen: Filters) -> str:
        def select(name: str, label: str, values: list[tuple[str, str]], current: Any) -> str:
            options = "".join(
                f"<option value='{_h(v)}'{' selected' if str(current) == v else ''}>"
                f"{_h(t)}</option>"
                for v, t in [("", f"any {label}"), *values]
            )
            return f"<select name='{name}' aria-label='{label}'>{options}</select>"

        subscriptions = [
            (str(s.id), f"{s.id}: {s.target_url}")
            for s in self.mock.store.subscriptions()
            if s.profile in self.mock.profiles
        ]
        events = [(e, e) for e in _event_types(self.mock)]
        statuses = [(s, s) for s in DELIVERY_STATUSES]
        inner = (
            f"<form id='filters' class='filters' method='get' action='{HOME}'>"
            f"{select('subscription', 'subscription', subscriptions, chosen.subscription)}"
            f"{select('type', 'event', events, chosen.event_type)}"
            f"{select('status', 'status', statuses, chosen.status)}"
            f"<button>Filter</button> <a href='{HOME}'>clear</a></form>"
        )
        return _row("div", "filters", "", inner)

    def _delivery(self, delivery: Delivery) -> str:
        profile = self.mock.profiles.get(delivery.profile)
        css, label, note = _status(delivery, profile)
        attempts = "".join(self._attempt(delivery, a) for a in delivery.attempts)
        inner = (
            f"<td>{delivery.id}</td>"
            f"<td>{_h(delivery.event_type)}<br><small>event {delivery.event_id} · "
            f"subscription {delivery.subscription_id}</small></td>"
            f"<td><span class='badge'>{_h(label)}</span>"
            f"{f'<div class=retry>{_h(note)}</div>' if note else ''}"
            f"<br><small>{_h(delivery.target_url)}</small></td>"
            f"<td>{attempts or '<span class=muted>none yet</span>'}"
            f"{self._edit(delivery)}</td>"
            f"<td>{self.button(f'redeliver/{delivery.id}', 'Redeliver')}</td>"
        )
        return _row("tr", f"d{delivery.id}", css, inner)

    def _attempt(self, delivery: Delivery, attempt: Attempt) -> str:
        outcome = attempt.error or f"HTTP {attempt.status_code}"
        return (
            f"<details class='attempt {_outcome_class(attempt)}'"
            f" data-key='d{delivery.id}-a{attempt.number}'>"
            f"<summary>#{attempt.number} {_clock(attempt.at)} {_h(outcome)}"
            f" · {attempt.duration_ms:.0f} ms</summary>"
            f"{_exchange(delivery.target_url, attempt)}</details>"
        )

    def _edit(self, delivery: Delivery) -> str:
        payload = json.dumps(delivery.payload, indent=2, ensure_ascii=False)
        return (
            f"<details class='edit' data-key='d{delivery.id}-edit'><summary>Edit and redeliver"
            "</summary><small>The event's payload: the mock adds the envelope, signature and"
            " token as for every delivery, and sends it to this subscription alone.</small>"
            f"{self.form(f'redeliver/{delivery.id}', css='edit')}"
            f"<textarea name='data' rows='{min(payload.count(chr(10)) + 2, 16)}'>{_h(payload)}"
            "</textarea><div class='tools'><button class='primary'>Send edited</button></div>"
            "</form></details>"
        )

    def _notifications(self) -> str:
        found = self.mock.store.notifications()[-20:]
        if not found:
            return ""
        items = "".join(
            f"<li>{_clock(n['at'])} {_h(n['kind'])}: {_h(n['message'])}</li>" for n in found
        )
        return f"<h2>Notifications</h2>{_row('ul', 'notifications', '', items)}"


def _outcome_class(attempt: Attempt) -> str:
    good = attempt.status_code is not None and 200 <= attempt.status_code < 300
    return "ok" if good else "bad"


def _exchange(target_url: str, attempt: Attempt) -> str:
    """A logged request (line, headers, pretty body, copy buttons) and the answer's start."""
    request = attempt.request
    url = _url(target_url, request.get("query") or {})
    headers = "\n".join(f"{k}: {v}" for k, v in request["headers"].items())
    body = _pretty(request.get("body", ""))
    shown = f"<pre class='json'>{_h(body)}</pre>" if body else ""
    return (
        f"<div class='body'><pre class='request'>{_h(request.get('method', 'POST'))} {_h(url)}"
        f"\n{_h(headers)}</pre>{shown}<div class='tools'>"
        f"<button type='button' data-copy='{_h(body)}'>Copy body</button>"
        f"<button type='button' data-copy='{_h(curl(url, request))}'>Copy as curl</button>"
        f"</div>response: <pre>{_h(attempt.response_excerpt or '(empty)')}</pre></div>"
    )


def _table(ident: str, columns: list[tuple[str, str]], rows: list[str], empty: str) -> str:
    """A table of ready-made rows under (heading, width class) columns; `empty` if none."""
    widths = "".join(f"<col class='{w}'>" if w else "<col>" for _, w in columns)
    head = "".join(f"<th>{_h(name)}</th>" for name, _ in columns)
    body = "".join(rows) or f"<tr><td colspan='{len(columns)}' class='empty'>{_h(empty)}</td></tr>"
    return f"<table id='{ident}'><colgroup>{widths}</colgroup><tr>{head}</tr>{body}</table>"


def _status(delivery: Delivery, profile: Profile | None) -> tuple[str, str, str]:
    """(css class, label, note) of a delivery: failures in red with how far the retries are."""
    tried = len(delivery.attempts)
    if delivery.status == "delivered":
        return "ok", "delivered", ""
    if delivery.status != "pending":
        return "bad", delivery.status, f"after {tried} attempt(s)" if tried else ""
    when = f"next attempt at {_clock(delivery.next_due)}" if delivery.next_due else ""
    if not tried:
        return "wait", "queued", when
    retry = profile.semantics.retry if profile else None
    most = retry.max_attempts if retry and retry.enabled else None
    of = f" of {most}" if most else ""
    return "bad", "retrying", f"attempt {tried}{of} failed · {when}".rstrip(" ·")


def _url(target_url: str, query: dict[str, Any]) -> str:
    if not query:
        return target_url
    joiner = "&" if "?" in target_url else "?"
    return f"{target_url}{joiner}{urlencode(query)}"


def curl(url: str, request: dict[str, Any]) -> str:
    """A curl command that sends the logged request again, byte for byte."""
    parts = ["curl", "-X", request.get("method", "POST"), shlex.quote(url)]
    for name, value in request["headers"].items():
        if name.lower() not in ("content-length", "host"):
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    if request.get("body"):
        parts += ["--data-binary", shlex.quote(request["body"])]
    return " ".join(parts)
