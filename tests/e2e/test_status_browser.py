"""The public status page in a real browser: Debian's chromium, JavaScript off, on a phone.

The API runs on a real uvicorn server on loopback with a real worker on Redis; staff declare
an incident with an ETA through the API, someone writes an internal note, and the test reads
the page as a stakeholder would: the phase in words, the ETA, every way to reach IT, and
never the note.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page

from outage_notify.messages.filters import format_time
from outage_notify.store.engine import transaction
from outage_notify.store.tables import TimelineRow
from tests.fixtures.app import app_state
from tests.fixtures.browser import PHONE, TIMEOUT_MS
from tests.fixtures.live_api import LiveApi
from tests.fixtures.service import RunningService, wait_for

# The shipped routing.yaml's `status_page` alternatives, in English: what anyone may read.
PAGE_ALTERNATIVES = ("IT hotline +55 11 4000-1234",)

TITLE = "Mail server mx1 not accepting <!channel> connections"
# What staff set for the public (the declared title is internal): markup stays text.
PUBLIC_TITLE = "Mail is not arriving <!channel>"
UPDATE = "The storage array failed; we are moving mailboxes to the standby server."
NOTE = "INTERNAL: root cause is the expired cert on mx1.corp.internal, Bob knows"
FINDING = "INTERNAL: relay-02 queue at 48k messages"


@pytest.fixture
def service(live_service: Callable[..., RunningService]) -> RunningService:
    return live_service()


def declare_with_eta_and_note(service: RunningService) -> tuple[int, datetime]:
    """Staff declare, post an update, and someone notes what only staff may read."""
    eta = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    declared = service.call(
        "POST",
        "/api/v1/incidents",
        json={
            "title": TITLE,
            "summary": "Reported by the front desk",
            "severity": "critical",
            "components": ["inbound", "webmail"],
            "eta": eta.isoformat(),
        },
    )
    assert declared.status_code == 201, declared.text
    incident_id = int(declared.json()["incident"]["id"])
    patched = service.call(
        "PATCH", f"/api/v1/incidents/{incident_id}", json={"public_title": PUBLIC_TITLE}
    )
    assert patched.status_code == 200, patched.text
    updated = service.call(
        "POST",
        f"/api/v1/incidents/{incident_id}/updates",
        json={"message": UPDATE, "phase": "fixing"},
    )
    assert updated.status_code == 202, updated.text
    # There is no notes endpoint yet: the note goes in as the timeline keeps it.
    with transaction(app_state(service.api).sessions) as session:
        for kind, text in (("note", NOTE), ("finding", FINDING)):
            session.add(TimelineRow(incident_id=incident_id, actor="bob", kind=kind, text=text))
    wait_for(lambda: service.settled(incident_id, updates=2), timeout=60, what="fan-out")
    return incident_id, eta


def open_status(
    browser: Browser, url: str, *, phone: bool = False
) -> tuple[Page, str, dict[str, str]]:
    """The page as a person sees it with scripts off: its visible text and response headers."""
    if phone:
        context = browser.new_context(
            java_script_enabled=False,
            viewport={"width": PHONE["width"], "height": PHONE["height"]},
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
    else:
        context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    response = page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
    assert response is not None and response.status == 200
    return page, page.inner_text("body"), response.headers


def test_status_page_tells_a_user_what_is_broken_until_when_and_how_to_reach_it(
    service: RunningService, live_api: LiveApi, browser: Browser, tmp_path: Path
) -> None:
    incident_id, eta = declare_with_eta_and_note(service)
    settings = service.settings
    zone = ZoneInfo(settings.timezone)
    eta_text = format_time(eta, zone=zone, now=datetime.now(UTC), locale="en")

    page, text, headers = open_status(browser, f"{live_api.base_url}/status")
    assert "Email is not working properly" in text
    assert "fix in progress" in text
    assert "receiving email, webmail" in text
    assert f"Expected to work again by {eta_text}." in text
    assert UPDATE in text
    # The whole public history, newest first: the update above the opening.
    history = page.locator("#incident .history li").all_inner_texts()
    assert len(history) == 2 and UPDATE in history[0] and "Problem reported" in history[1]
    assert PUBLIC_TITLE in text  # shown as text, not taken for markup
    assert TITLE not in text and "mx1" not in text  # the declared title is internal
    for alternative in PAGE_ALTERNATIVES:
        assert alternative in text
    for internal in (NOTE, FINDING, "critical", "Reported by the front desk", "staff-bot"):
        assert internal not in text
    assert "max-age=" in headers["cache-control"]
    assert "script-src" not in headers["content-security-policy"]  # default-src 'none' covers it
    page.context.close()

    page, text, _ = open_status(browser, f"{live_api.base_url}/status?lang=pt-BR")
    assert "corrigindo" in text and "recebimento de e-mails, webmail" in text
    eta_text = format_time(eta, zone=zone, now=datetime.now(UTC), locale="pt-BR")
    assert f"Previsão de normalização: {eta_text}." in text
    assert NOTE not in text
    page.context.close()

    # The JSON twin says the same, without anything internal.
    data = service.api.get("/status.json").json()
    assert data["email_ok"] is False and data["current"]["id"] == incident_id
    assert data["current"]["latest_update"]["message"] == UPDATE
    assert NOTE not in str(data) and "severity" not in data["current"]


def test_status_page_reads_well_on_a_phone(
    service: RunningService, live_api: LiveApi, browser: Browser, tmp_path: Path
) -> None:
    _, eta = declare_with_eta_and_note(service)
    page, text, _ = open_status(browser, f"{live_api.base_url}/status", phone=True)
    # The answer to "is email working, and until when?" is on the first screen.
    for selector in ("#status h1", "#outlook"):
        box = page.locator(selector).bounding_box()
        assert box is not None and page.locator(selector).is_visible(), selector
        assert box["y"] + box["height"] <= PHONE["height"], selector
    # Nothing is wider than the phone: no sideways scrolling to read an alternative.
    for selector in (
        "#status",
        "#incident",
        ".history li",
        "#reach",
        "#reach li",
        "#past",
        "footer",
    ):
        for element in page.locator(selector).all():
            box = element.bounding_box()
            assert box is not None and box["x"] >= 0, selector
            assert box["x"] + box["width"] <= PHONE["width"] + 0.5, selector
    for alternative in PAGE_ALTERNATIVES:
        assert page.get_by_text(alternative, exact=True).is_visible()
    zone = ZoneInfo(service.settings.timezone)
    eta_text = format_time(eta, zone=zone, now=datetime.now(UTC), locale="en")
    assert eta_text in page.locator("#outlook").inner_text()
    assert NOTE not in text
    shot = tmp_path / "status-phone.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.context.close()
