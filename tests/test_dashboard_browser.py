"""The dashboard driven in a real headless Chromium through Playwright, as a developer uses it.

Playwright comes from the package index; the browser is the system's Chromium (Debian's
`chromium` package: browser downloads are not possible here), found as `chromium` on PATH or
named by `HOOKCONFORM_CHROMIUM`. Without one the tests skip with one line, but with `CI=true`
they fail: CI installs it (`.ci/run`). `make screenshot` sets `HOOKCONFORM_SCREENSHOT` to
refresh the README's picture (docs/dashboard.png) from the first test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mock_support import Receiver, receiver, running

ARGS = [  # no background traffic: this machine's network is closed
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 15_000
SCALE = 0.02  # clockodo's first retries: 5 s and 300 s, so 0.1 s and 6 s here


def _chromium() -> str:
    found = os.environ.get("HOOKCONFORM_CHROMIUM") or shutil.which("chromium")
    found = found or shutil.which("chromium-browser")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        found = None
    if not found:
        reason = "no Chromium and Playwright (install Debian's chromium; pip install playwright)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    return found


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=executable, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        tab = context.new_page()
        tab.set_default_timeout(WAIT_MS)
        tab.on("dialog", lambda dialog: dialog.accept())
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        yield tab
        browser.close()
        assert errors == [], f"the page's script failed: {errors}"


def _live_update(page: Any) -> None:
    """Wait until the page has fetched its live part once more."""
    before = page.inner_text("#stamp")
    page.wait_for_function(
        "before => document.getElementById('stamp').textContent !== before", arg=before
    )


def _row(page: Any, table: str, text: str) -> Any:
    return page.locator(f"#{table} tr[data-row]", has_text=text).first


def _screenshot(page: Any, tmp_path: Path) -> None:
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    chosen = os.environ.get("HOOKCONFORM_SCREENSHOT")
    if chosen:
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=chosen, full_page=False)


def _create_validate_confirm(page: Any, endpoint: Receiver) -> str:
    form = page.locator("form.new-webhook")
    form.locator("input[name=url]").fill(endpoint.url)
    assert form.locator("select[name=events]").get_attribute("multiple") is None  # one event
    form.locator("select[name=events]").select_option("entry.stopped")
    form.locator("button").click()
    page.wait_for_selector("#msg:has-text('created (pending)')")
    row = _row(page, "subscriptions", endpoint.url)
    assert row.locator(".badge").inner_text() == "pending"
    row.locator("button", has_text="Validate").click()
    page.wait_for_selector("#msg:has-text('the endpoint answered HTTP 200')")
    secret = endpoint.wait_for(1)[0].query["secret"]
    assert secret in page.inner_text("#msg")  # the secret it sent, in the message
    page.wait_for_selector(f"#subscriptions .secret:has-text('{secret}')")  # and in the log
    row.locator("input[name=secret]").fill(secret)
    row.locator("button", has_text="Confirm").click()
    page.wait_for_selector("#msg:has-text('confirmed and active')")
    page.wait_for_function(
        "url => [...document.querySelectorAll('#subscriptions tr[data-row]')]"
        ".some(r => r.textContent.includes(url) && r.querySelector('.badge').textContent"
        " === 'active')",
        arg=endpoint.url,
    )
    return secret


def test_a_delivery_is_watched_from_red_to_green_with_its_attempt_kept_open(
    page: Any, tmp_path: Path
) -> None:
    with (
        receiver() as endpoint,
        running("clockodo", time_scale=SCALE) as (server, _),
    ):
        page.goto(server.dashboard_url)
        assert page.title().startswith("hookconform mock")
        _create_validate_confirm(page, endpoint)

        endpoint.script = [500, 500]  # two failures, then the receiver answers 200
        trigger = page.locator("form.trigger")
        trigger.locator("input[name=type]").fill("entry.stopped")
        trigger.locator("button").click()
        page.wait_for_selector("#msg:has-text('1 delivery(ies)')")
        retrying = page.locator("#deliveries tr.bad[data-row]").first
        retrying.wait_for()
        assert retrying.locator(".badge").inner_text() == "retrying"
        note = retrying.locator(".retry").inner_text()
        assert "of 10 failed" in note
        assert "next attempt at" in note
        first = retrying.locator("details.attempt").first
        first.locator("summary").click()
        assert "HTTP 500" in first.locator("summary").inner_text()
        assert '"event_name": "entry.stopped"' in first.locator("pre.json").inner_text()
        scrolled = page.evaluate("window.scrollTo(0, 400); window.scrollY")
        assert scrolled > 0

        page.wait_for_selector("#deliveries tr.ok[data-row] .badge:has-text('delivered')")
        delivered = page.locator("#deliveries tr.ok[data-row]").first
        assert delivered.locator("details.attempt").count() == 3
        assert delivered.locator("details.attempt").first.get_attribute("open") is not None
        _live_update(page)  # and on the updates after it changed
        assert delivered.locator("details.attempt").first.get_attribute("open") is not None
        assert page.evaluate("window.scrollY") == scrolled
        assert len(endpoint.deliveries()) == 3
        _screenshot(page, tmp_path)


def test_typed_input_filters_copy_as_curl_and_edit_and_redeliver(page: Any, tmp_path: Path) -> None:
    with (
        receiver() as endpoint,
        running("clockodo", time_scale=SCALE) as (server, client),
    ):
        page.goto(server.dashboard_url)
        _create_validate_confirm(page, endpoint)
        for event in ("entry.stopped", "entry.stopped"):
            client.ok("POST", "/_mock/events", {"type": event})
        client.settle()
        page.wait_for_function("document.querySelectorAll('#deliveries tr[data-row]').length == 2")

        # Half-typed input survives the updates, inside the live part and outside it.
        page.locator("form.trigger textarea").fill('{"half": ')
        row = _row(page, "deliveries", "entry.stopped")
        row.locator("details.edit summary").click()
        editor = row.locator("details.edit textarea")
        payload = json.loads(editor.input_value())
        payload["payload"]["entry"]["id"] = 4242
        editor.fill(json.dumps(payload))
        page.locator("header h1").click()  # away from the editor: the updates go on
        _live_update(page)
        _live_update(page)
        assert page.locator("form.trigger textarea").input_value() == '{"half": '
        assert json.loads(editor.input_value()) == payload
        row.locator("details.edit button").click()
        page.wait_for_selector("#msg:has-text('edited copy of delivery')")
        client.settle()
        edited = endpoint.deliveries()[-1].json()
        assert edited["payload"]["entry"]["id"] == 4242
        assert edited["token"]  # sent as every delivery is: the token filled in

        # Copy as curl gives a command that sends the same request. The edited copy's row
        # comes with a live update: wait for it, attempt and all, before opening it (a row
        # arriving on top after the click would leave `.first` a closed one).
        page.wait_for_function(
            "document.querySelectorAll('#deliveries tr[data-row]').length == 3 && document"
            ".querySelector('#deliveries tr[data-row]').querySelector('details.attempt')"
        )
        newest = page.locator("#deliveries tr[data-row]").first
        newest.locator("details.attempt summary").first.click()
        newest.locator("button", has_text="Copy as curl").first.click()
        command = page.evaluate("navigator.clipboard.readText()")
        assert command.startswith(f"curl -X POST {endpoint.url} ")
        if shutil.which("curl"):  # pasted into a shell, it sends the same bytes
            sent, count = endpoint.deliveries()[-1], len(endpoint.requests)
            subprocess.run(["bash", "-c", command + " --silent"], check=True, timeout=10)
            again = endpoint.wait_for(count + 1)[-1]
            assert again.body == sent.body
            assert again.headers["User-Agent"] == sent.headers["User-Agent"]

        # Filters: by status, then by event type, kept in the address.
        page.select_option("#filters select[name=status]", "failed")
        page.wait_for_selector("#deliveries td.empty:has-text('No deliveries match.')")
        assert "status=failed" in page.url
        page.select_option("#filters select[name=status]", "")
        page.select_option("#filters select[name=type]", "entry.stopped")
        page.wait_for_function("document.querySelectorAll('#deliveries tr[data-row]').length == 3")

        # Redeliver, disable, enable and delete from the rows.
        newest.locator("button", has_text="Redeliver").click()
        page.wait_for_selector("#msg:has-text('queued')")
        page.wait_for_function("document.querySelectorAll('#deliveries tr[data-row]').length == 4")
        subscription = _row(page, "subscriptions", endpoint.url)
        subscription.locator("button", has_text="Disable").click()
        page.wait_for_selector("#msg:has-text('is inactive')")
        _row(page, "subscriptions", endpoint.url).locator("button", has_text="Enable").click()
        page.wait_for_selector("#msg:has-text('is active')")
        _row(page, "subscriptions", endpoint.url).locator("button", has_text="Delete").click()
        page.wait_for_selector("#msg:has-text('deleted')")
        page.wait_for_selector("#subscriptions td.empty")
        assert client.ok("GET", "/_mock/subscriptions")["subscriptions"] == []


def test_the_short_address_and_a_wrong_filter_still_show_the_page(page: Any) -> None:
    with running("hirehop", "factorial") as (server, _):
        page.goto(f"{server.url}/_mock/")
        assert page.url == server.dashboard_url
        page.goto(f"{server.dashboard_url}?status=nope&subscription=x")
        assert "status 'nope' is not one of" in page.inner_text("#msg")
        form = page.locator("form.new-webhook")  # hirehop: several events per webhook
        assert form.locator("select[name=events]").get_attribute("multiple") is not None
        assert page.locator("form.new-webhook").count() == 1  # factorial's are made by its API
        _live_update(page)
        assert page.inner_text("#stamp").startswith("live · updated ")


def test_the_log_pages_older_and_newer_and_the_newest_page_stays_live(page: Any) -> None:
    with receiver() as endpoint, running("hirehop") as (server, client):
        client.fire_forget(endpoint.url, 120)
        ids = [d["id"] for d in client.settle()][::-1]  # newest first, as the page lists them

        def shown() -> list[int]:
            rows = page.locator("#deliveries tr[data-row] td:first-child").all_inner_texts()
            return [int(text) for text in rows]

        page.goto(server.dashboard_url)
        assert "120 in all, newest first" in page.inner_text("h2:has-text('Deliveries')")
        assert page.inner_text(".pager .shown") == "1 to 50 of 120"
        assert shown() == ids[:50]
        assert page.locator(".pager a", has_text="newer").count() == 0
        page.click(".pager a:has-text('older')")
        page.wait_for_selector(".pager .shown:has-text('51 to 100 of 120')")
        assert shown() == ids[50:100]
        page.click(".pager a:has-text('older')")
        page.wait_for_selector(".pager .shown:has-text('101 to 120 of 120')")
        assert shown() == ids[100:]
        assert page.locator(".pager a", has_text="older").count() == 0
        page.click(".pager a:has-text('newer')")
        page.wait_for_selector(".pager .shown:has-text('51 to 100 of 120')")
        assert shown() == ids[50:100]
        page.click(".pager a:has-text('newer')")  # fewer than a page above: the newest page
        page.wait_for_selector(".pager .shown:has-text('1 to 50 of 120')")
        assert "after=" not in page.url
        assert "before=" not in page.url
        client.ok("POST", "/_mock/events", {"type": "job.status.updated", "data": {"n": 120}})
        page.wait_for_selector(".pager .shown:has-text('1 to 50 of 121')")  # a live update
        assert shown()[1:] == ids[:49]
