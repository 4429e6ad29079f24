"""The dashboard at /_mock/: server-rendered HTML, no build step, refreshing itself.

It shows the subscriptions and their state, the delivery log with every attempt (request
headers and body, status code, timing, error, response), and offers a redeliver button, a
trigger form and, for settings-screen profiles, the create / validate / confirm forms of
the provider's settings screen. Forms post to /_mock/ui/... and come back with a message.
"""

from __future__ import annotations

import json
import re
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from mock_provider.control import NO_DATA, PREFIX, delivery_view
from mock_provider.http_json import ApiError, parse_json

if TYPE_CHECKING:
    from mock_provider.app import Mock

REFRESH_SECONDS = 3
SHOWN_DELIVERIES = 50

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;width:100%;margin-bottom:1.5rem;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.ok{color:#070}.bad{color:#b00}.wait{color:#a60}
pre{white-space:pre-wrap;max-height:20rem;overflow:auto;background:#f8f8f8;margin:.2rem 0}
form{display:inline}.box{border:1px solid #ccc;padding:.7rem;margin-bottom:1rem}
.msg{background:#eef6ff;border:1px solid #9bd;padding:.5rem;margin-bottom:1rem}
"""

# Reload unless the user is typing in a form.
SCRIPT = f"""
setInterval(function(){{
  var a=document.activeElement;
  if(!a||!/^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName)){{location.replace(location.pathname);}}
}},{REFRESH_SECONDS * 1000});
"""


def handle(mock: Mock, request: Request, rest: str) -> Response:
    """GET /_mock/ renders the page; POST /_mock/ui/ACTION runs a form and redirects back."""
    if rest in ("", "/"):
        if request.method != "GET":
            raise ApiError(405, "method not allowed", "the dashboard is read with GET")
        return Response(render(mock, request.args.get("msg", "")), content_type="text/html")
    if request.method != "POST":
        raise ApiError(405, "method not allowed", "dashboard actions are POST forms")
    length = request.content_length
    if length is not None and length > mock.config.body_limit:
        raise ApiError(413, "body too large", f"the limit is {mock.config.body_limit} bytes")
    mock.guard.check_form(request.form.get("csrf"))
    try:
        message = _act(mock, rest[len("/ui/") :], request.form)
    except ApiError as exc:
        message = f"{exc.error}: {exc.detail}"
    return Response(
        status=303,
        headers={"Location": f"{PREFIX}/?msg={quote(message)}"},
        content_type="text/plain",
    )


def _act(mock: Mock, action: str, form: Any) -> str:
    control = mock.control
    if action == "trigger":
        data: Any = NO_DATA
        if form.get("data", "").strip():
            data = parse_json(form["data"])
        seed = form.get("seed", "0").strip() or "0"
        if not re.fullmatch(r"-?[0-9]{1,12}", seed):
            raise ApiError(400, "wrong type", "the seed must be an integer")
        profile, event, source = (
            form.get("profile") or None,
            form.get("type", ""),
            form.get("payload"),
        )
        fired = control.fire(profile, event, data, {}, int(seed), source=source or "example")
        return f"event {fired['event_id']} triggered: {len(fired['deliveries'])} delivery(ies)"
    if action == "webhooks":
        profile = control.find_profile(form.get("profile") or None, settings_screen=True)
        events = [e.strip() for e in form.get("events", "").split(",") if e.strip()]
        token = form.get("token", "").strip() or None
        created = control.make_webhook(profile, events, form.get("url", ""), token)
        return f"webhook {created.id} created ({created.state})"
    match = re.fullmatch(r"(redeliver|validate|confirm)/([0-9]{1,18})", action)
    if not match:
        raise ApiError(404, "not found", f"no dashboard action {action!r}")
    verb, ident = match.group(1), int(match.group(2))
    if verb == "redeliver":
        return f"delivery {control.deliver_again(ident)} queued"
    subscription, profile = control.find_subscription(ident)
    if verb == "validate":
        outcome = mock.subscriptions.validate(profile, subscription)
        answer = outcome.error or f"HTTP {outcome.status_code}"
        return f"validation request sent to webhook {ident}: the endpoint answered {answer}"
    mock.subscriptions.confirm(subscription, form.get("secret", "").strip())
    return f"webhook {ident} confirmed and active"


def _form(mock: Mock, action: str) -> str:
    """The start of a dashboard form, with the token that proves the mock served it."""
    token = _h(mock.guard.form_token())
    return (
        f"<form method='post' action='{PREFIX}/ui/{_h(action)}'>"
        f"<input type='hidden' name='csrf' value='{token}'>"
    )


def _h(value: Any) -> str:
    return escape(str(value), quote=True)


def _status_class(status: str) -> str:
    return {"delivered": "ok", "active": "ok", "pending": "wait"}.get(status, "bad")


def render(mock: Mock, message: str = "") -> str:
    """The whole page."""
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        "<title>hookconform mock provider</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>hookconform mock provider</h1>",
        f"<p>Profiles: {_h(', '.join(mock.profiles))} &middot; faults: "
        f"{_h(', '.join(mock.faults.active) or 'none')} &middot; time scale "
        f"{_h(mock.config.time_scale)} &middot; <a href='{PREFIX}/openapi.json'>control API</a>"
        f" &middot; refreshes every {REFRESH_SECONDS} s</p>",
    ]
    if message:
        parts.append(f"<div class='msg'>{_h(message)}</div>")
    parts += [_forms(mock), _subscriptions(mock), _deliveries(mock), _notifications(mock)]
    parts.append(f"<script>{SCRIPT}</script></body></html>")
    return "".join(parts)


def _profile_select(names: list[str]) -> str:
    options = "".join(f"<option>{_h(n)}</option>" for n in names)
    return f"<select name='profile'>{options}</select>"


def _forms(mock: Mock) -> str:
    names = list(mock.profiles)
    events = sorted({e for p in mock.profiles.values() for e in p.events})
    datalist = "".join(f"<option value='{_h(e)}'>" for e in events)
    html = [
        "<div class='box'><h2>Trigger an event</h2>",
        _form(mock, "trigger"),
        _profile_select(names),
        " <input name='type' list='events' placeholder='event type' required>",
        f"<datalist id='events'>{datalist}</datalist>",
        " <select name='payload'><option value='example'>the profile's example, fresh</option>"
        "<option value='generated'>generated from the schema</option></select>",
        " seed <input name='seed' value='0' size='4'>",
        "<br><textarea name='data' rows='3' cols='80' placeholder='payload JSON"
        " (empty: as chosen above)'></textarea><br>",
        "<button>Trigger</button></form></div>",
    ]
    screens = [
        p.name for p in mock.profiles.values() if not p.semantics.subscription.managed_by_api
    ]
    if screens:
        html += [
            "<div class='box'><h2>New webhook (settings screen)</h2>",
            _form(mock, "webhooks"),
            _profile_select(screens),
            " <input name='url' placeholder='http://127.0.0.1:9000/hook' size='40' required>",
            " <input name='events' placeholder='event(s), comma-separated' size='30' required>",
            " <input name='token' placeholder='token (optional)'>",
            " <button>Create</button></form></div>",
        ]
    return "".join(html)


def _subscriptions(mock: Mock) -> str:
    rows = []
    for subscription in mock.store.subscriptions():
        if subscription.profile not in mock.profiles:
            continue
        view = mock.control.subscription_view(subscription)
        actions = ""
        profile = mock.profiles[subscription.profile]
        if profile.semantics.handshake.confirmation:
            actions += (
                _form(mock, f"validate/{subscription.id}") + "<button>Validate</button></form> "
            )
        if subscription.state == "pending":
            actions += (
                _form(mock, f"confirm/{subscription.id}")
                + "<input name='secret' placeholder='secret received' size='16'>"
                "<button>Confirm</button></form>"
            )
        rows.append(
            f"<tr><td>{subscription.id}</td><td>{_h(subscription.profile)}</td>"
            f"<td>{_h(', '.join(subscription.events))}</td><td>{_h(subscription.target_url)}</td>"
            f"<td class='{_status_class(subscription.state)}'>{_h(subscription.state)}"
            f"<br><small>{_h(subscription.reason)}</small></td>"
            f"<td><pre>{_h(json.dumps(view['object'], indent=1))}</pre></td><td>{actions}</td></tr>"
        )
    columns = ["id", "profile", "events", "target", "state", "object", ""]
    return _table("Subscriptions", columns, rows, "No subscriptions yet.")


def _deliveries(mock: Mock) -> str:
    rows = []
    for delivery in mock.store.deliveries(limit=SHOWN_DELIVERIES, newest_first=True):
        view = delivery_view(delivery)
        attempts = []
        for a in view["attempts"]:
            outcome = a["error"] or f"HTTP {a['status_code']}"
            headers = "\n".join(f"{k}: {v}" for k, v in a["request"]["headers"].items())
            attempts.append(
                f"<details><summary>#{a['number']} {_h(a['at'])}: {_h(outcome)}"
                f" ({a['duration_ms']:.1f} ms)</summary>"
                f"<pre>{_h(a['request']['method'])} {_h(delivery.target_url)}\n{_h(headers)}\n\n"
                f"{_h(a['request']['body'])}</pre>response: <pre>{_h(a['response_excerpt'])}</pre>"
                "</details>"
            )
        rows.append(
            f"<tr><td>{delivery.id}</td><td>{_h(delivery.event_type)}<br><small>event"
            f" {delivery.event_id}</small></td><td>{delivery.subscription_id}</td>"
            f"<td>{_h(delivery.target_url)}</td>"
            f"<td class='{_status_class(delivery.status)}'>{_h(delivery.status)}</td>"
            f"<td>{''.join(attempts) or 'none yet'}</td>"
            "<td>"
            + _form(mock, f"redeliver/{delivery.id}")
            + "<button>Redeliver</button></form></td></tr>"
        )
    columns = ["id", "event", "subscription", "target", "status", "attempts", ""]
    return _table(f"Deliveries (newest {SHOWN_DELIVERIES})", columns, rows, "No deliveries yet.")


def _table(title: str, columns: list[str], rows: list[str], empty: str) -> str:
    """A titled table of ready-made `<tr>` rows, with one line saying `empty` when none."""
    head = "<tr>" + "".join(f"<th>{_h(c)}</th>" for c in columns) + "</tr>"
    body = "".join(rows) or f"<tr><td colspan='{len(columns)}'>{_h(empty)}</td></tr>"
    return f"<h2>{_h(title)}</h2><table>{head}{body}</table>"


def _notifications(mock: Mock) -> str:
    found = mock.store.notifications()[-20:]
    if not found:
        return ""
    items = "".join(f"<li>{_h(n['kind'])}: {_h(n['message'])}</li>" for n in found)
    return f"<h2>Notifications</h2><ul>{items}</ul>"
