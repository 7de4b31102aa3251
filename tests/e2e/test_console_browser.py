"""The console in a real browser: Debian's chromium on a phone-sized screen, against the real
service (uvicorn on loopback, a Celery worker on Redis, the provider fakes).

One flow, as a new member of staff with only a token would run an outage: sign in, preview
a declaration from a template and send it, post an update with an ETA picked in the
organisation's zone, watch the coverage refresh by itself as the fakes deliver, resolve, and
read the report. No request may
leave the app's origin. With OUTAGE_NOTIFY_CONSOLE_SCREENSHOTS=<folder> the test saves the main
pages there (scripts/console-screenshots writes docs/images/).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tests.fixtures.browser import PHONE, TIMEOUT_MS
from tests.fixtures.live_api import LiveApi
from tests.fixtures.service import RunningService
from tests.fixtures.settings import TOKENS

SHOTS = os.environ.get("OUTAGE_NOTIFY_CONSOLE_SCREENSHOTS", "")
UPDATE = "The relay is back; the queue is draining."


@pytest.fixture
def service(live_service: Callable[..., RunningService]) -> RunningService:
    return live_service()


UNLABELLED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea')]
    .filter(field => field.labels.length === 0)
    .map(field => field.name || field.id)"""


def unlabelled(page: Page) -> list[str]:
    """The form fields of the page that no <label> names (screen readers would not either)."""
    found: list[str] = page.evaluate(UNLABELLED)
    return found


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"console-{name}.png"), full_page=full_page)


def test_staff_run_an_outage_from_the_console(
    service: RunningService, live_api: LiveApi, browser: Browser
) -> None:
    origin = live_api.base_url
    context = browser.new_context(
        viewport={"width": PHONE["width"], "height": PHONE["height"]},
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    requested: list[str] = []

    def remember(request: Request) -> None:
        requested.append(request.url)

    page.on("request", remember)

    # Sign in with the staff token and a name.
    page.goto(f"{origin}/console/incidents")
    assert page.url == f"{origin}/console/sign-in"
    page.get_by_label("Staff or admin API token").fill(TOKENS["staff"])
    page.get_by_label("Your name").fill("Dana Duty")
    shot(page, "sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as Dana Duty (staff-bot)")).to_be_visible()

    # Declare from a template, editing its title.
    page.get_by_label("Start from a template").select_option("outbound-mail-down")
    page.get_by_role("button", name="Use template").click()
    expect(page.get_by_text("From the template outbound-mail-down")).to_be_visible()
    title = page.get_by_label("Title (internal)")
    title.fill(title.input_value() + " (relay-2)")
    shot(page, "declare")
    # Preview first: every body per audience, channel and locale, nothing sent yet.
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview: nothing has been sent")).to_be_visible()
    expect(page.locator("section.message").first).to_contain_text("segment")
    assert service.call("GET", "/api/v1/incidents").json()["total"] == 0
    shot(page, "preview", full_page=False)
    page.get_by_role("button", name="Declare and notify").click()
    expect(page.get_by_text("Saved: declared.")).to_be_visible()
    incident_id = int(re.findall(r"/console/incidents/(\d+)", page.url)[0])

    # Post an update with an ETA two hours ahead, picked as local time in the organisation's zone.
    zone = ZoneInfo(service.settings.timezone)
    eta = (datetime.now(UTC) + timedelta(hours=2)).astimezone(zone).replace(second=0, microsecond=0)
    page.get_by_label("Message").first.fill(UPDATE)
    page.get_by_label("Phase").select_option("fixing")
    page.locator("#u-eta").fill(eta.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Send update").click()
    expect(page.get_by_text("Saved: update.")).to_be_visible()
    expect(page.locator("#eta")).to_contain_text(eta.strftime("%Y-%m-%d %H:%M"))
    assert service.call("GET", f"/api/v1/incidents/{incident_id}").json()["eta"] == (
        eta.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )

    # The coverage refreshes in place (no reload) until the fakes have delivered.
    page.evaluate("window.notReloaded = true")
    coverage = page.locator("#coverage")
    expect(coverage.locator("table").first).to_be_visible(timeout=60_000)

    def told() -> int:
        cells = coverage.locator("table").first.locator("tbody tr td:nth-child(3)")
        return sum(int(text) for text in cells.all_inner_texts())

    before = coverage.inner_text()
    # The SMS and Slack fakes deliver: some audience's "told" count leaves 0 with no reload.
    page.wait_for_function(
        """() => [...document.querySelectorAll('#coverage table:first-of-type tbody tr')]
            .some(row => Number(row.cells[2].innerText) > 0)""",
        timeout=60_000,
    )
    # Replaced in place, not reloaded: its "as of" time moves on at each refresh (the fakes may
    # have delivered before the page first loaded, so the counts alone may not change).
    page.wait_for_function(
        "(before) => document.querySelector('#coverage').innerText !== before",
        arg=before,
        timeout=60_000,
    )
    assert told() > 0
    assert page.evaluate("window.notReloaded") is True
    shot(page, "incident")
    assert unlabelled(page) == []
    # Keyboard: the skip link comes first, then the page can be worked without a mouse.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"

    # Resolve, then read the report.
    page.get_by_label("Message").nth(1).fill("Mail flows again.")
    page.get_by_role("button", name="Resolve and notify").click()
    expect(page.locator("#phase")).to_have_text("resolved")
    page.get_by_role("link", name="Post-incident report").click()
    expect(page.locator("article.report h1")).to_contain_text("relay-2")
    expect(page.get_by_role("link", name="Markdown")).to_be_visible()
    shot(page, "report")
    page.goto(f"{origin}/console/incidents")
    shot(page, "incidents")
    assert unlabelled(page) == []

    outside = [url for url in requested if not url.startswith(origin + "/")]
    assert requested and not outside, outside
    context.close()
