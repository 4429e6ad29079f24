"""The dashboard at /_mock/dashboard/: a live page over the mock's state, and its actions.

GET /_mock/dashboard/ renders the page (`dashboard_page`), GET .../live its live part (the page
fetches it every few seconds), POST .../ACTION runs a form: trigger, webhooks (create),
validate/ID, confirm/ID, enable/ID, disable/ID, delete/ID, redeliver/ID (with `data`: an edited
copy). The page's script posts forms in the background with `X-Dashboard: fetch` and gets JSON
`{"message", "ok"}`; a plain form post (no script) is redirected back to the page with the
message. /_mock/ redirects to the dashboard.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from werkzeug.wrappers import Request, Response

from mock_provider.control import NO_DATA
from mock_provider.dashboard_page import HOME, Page, filters
from mock_provider.http_json import ApiError, json_response, parse_json

if TYPE_CHECKING:
    from mock_provider.app import Mock

_ACTION = re.compile(r"(redeliver|validate|confirm|enable|disable|delete)/([0-9]{1,18})")


def handle(mock: Mock, request: Request, rest: str) -> Response:
    """`rest`: the path after /_mock/dashboard."""
    page = Page(mock)
    if rest in ("", "/", "/live"):
        if request.method not in ("GET", "HEAD"):
            raise ApiError(405, "method not allowed", "the dashboard is read with GET")
        chosen, problem = filters(mock, request.args)
        if rest == "/live":
            return Response(page.live(chosen), content_type="text/html; charset=utf-8")
        message = request.args.get("msg", "") or problem
        html = page.render(chosen, message, bad=bool(problem) or request.args.get("bad") == "1")
        return Response(html, content_type="text/html; charset=utf-8")
    if request.method != "POST":
        raise ApiError(405, "method not allowed", "dashboard actions are POST forms")
    length = request.content_length
    if length is not None and length > mock.config.body_limit:
        raise ApiError(413, "body too large", f"the limit is {mock.config.body_limit} bytes")
    mock.guard.check_form(request.form.get("csrf"))
    ok = True
    try:
        message = act(mock, rest.lstrip("/"), request.form)
    except ApiError as exc:
        ok, message = False, f"{exc.error}: {exc.detail}"
    if request.headers.get("X-Dashboard") == "fetch":
        return json_response({"message": message, "ok": ok})
    return Response(
        status=303,
        headers={"Location": f"{HOME}?msg={quote(message)}&bad={0 if ok else 1}"},
        content_type="text/plain",
    )


def act(mock: Mock, action: str, form: Any) -> str:
    """Run dashboard action `action` with the form's fields; the message to show."""
    control = mock.control
    if action == "trigger":
        return _trigger(mock, form)
    if action == "webhooks":
        profile = control.find_profile(form.get("profile") or None, settings_screen=True)
        events = [e.strip() for v in form.getlist("events") for e in v.split(",") if e.strip()]
        token = form.get("token", "").strip() or None
        created = control.make_webhook(profile, events, form.get("url", ""), token)
        return f"webhook {created.id} created ({created.state})"
    match = _ACTION.fullmatch(action)
    if not match:
        raise ApiError(404, "not found", f"no dashboard action {action!r}")
    verb, ident = match.group(1), int(match.group(2))
    if verb == "redeliver":
        data = parse_json(form["data"]) if form.get("data", "").strip() else NO_DATA
        again = control.deliver_again(ident, data)
        what = "an edited copy" if data is not NO_DATA else "a redelivery"
        note = _schema_note(again.get("schema_errors"))
        return f"delivery {again['delivery_id']} queued: {what} of delivery {ident}{note}"
    subscription, profile = control.find_subscription(ident)
    if verb == "validate":
        outcome = mock.subscriptions.validate(profile, subscription)
        answer = outcome.error or f"HTTP {outcome.status_code}"
        secret = mock.store.handshakes(ident)[-1].secret
        return (
            f"validation request sent to webhook {ident} with the secret {secret}:"
            f" the endpoint answered {answer}"
        )
    if verb == "confirm":
        mock.subscriptions.confirm(subscription, form.get("secret", "").strip())
        return f"webhook {ident} confirmed and active"
    if verb == "delete":
        mock.subscriptions.delete(subscription)
        return f"subscription {ident} deleted"
    changed = mock.subscriptions.update(profile, subscription, enabled=verb == "enable")
    return f"subscription {ident} is {changed.state}"


def _trigger(mock: Mock, form: Any) -> str:
    data: Any = NO_DATA
    if form.get("data", "").strip():
        data = parse_json(form["data"])
    seed = form.get("seed", "0").strip() or "0"
    if not re.fullmatch(r"-?[0-9]{1,12}", seed):
        raise ApiError(400, "wrong type", "the seed must be an integer")
    source = form.get("payload") or "example"
    profile, event = form.get("profile") or None, form.get("type", "")
    fired = mock.control.fire(profile, event, data, {}, int(seed), source=source)
    count = sum(len(e["deliveries"]) for e in fired["events"])
    note = _schema_note(fired["schema_errors"])
    return f"event {fired['event_id']} triggered: {count} delivery(ies){note}"


def _schema_note(errors: list[str] | None) -> str:
    """What a message adds when the payload sent breaks the event's schema (it is sent)."""
    return f" (it breaks the event's schema: {errors[0]})" if errors else ""
