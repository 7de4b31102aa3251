"""Self-subscription in a real browser (Debian's chromium, JavaScript off), against a real
uvicorn server and worker on the fake Twilio: subscribe, read the code the fake Twilio got,
confirm, receive the next incident's text, leave by the link; and, apart, leave by STOP."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page
from pydantic import SecretStr

from outage_notify.config.subscribe import SubscribeSettings
from tests.fixtures.browser import TIMEOUT_MS
from tests.fixtures.inbound import INBOUND, text_us
from tests.fixtures.live_api import LiveApi
from tests.fixtures.service import RunningService, wait_for

CODE = re.compile(r"\b(\d{6})\b")
PHONE = "+5511912345678"


@pytest.fixture
def service(live_service: Callable[..., RunningService]) -> RunningService:
    return live_service(
        subscribe=SubscribeSettings(
            enabled=True,
            secret=SecretStr("browser-subscribe-secret-0123456789"),
            countries=["BR"],
            min_fill_seconds=1,
        ),
    )


def texts_to(service: RunningService, phone: str) -> list[str]:
    return [r.body for r in service.providers.records("sms") if r.to == phone]


def subscribe_in_browser(browser: Browser, base_url: str, service: RunningService) -> Page:
    """Fill in the form, read the texted code, confirm; the page that says it worked."""
    page = browser.new_context(java_script_enabled=False).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    # From the status page's own link, as a person finds it.
    page.goto(f"{base_url}/status", wait_until="load")
    page.click("#subscribe a")
    page.wait_for_load_state("load")
    page.fill("#phone", "(11) 91234-5678")  # local, as people write it
    page.select_option("#locale", "en")
    page.check("input[name=components][value=inbound]")
    page.wait_for_timeout(1_200)  # a person takes longer than the minimum fill time
    page.click("#subscribe button[type=submit]")
    assert "We sent a 6-digit code" in page.inner_text("body")
    [text] = texts_to(service, PHONE)
    code = CODE.search(text)
    assert code is not None
    page.fill("#code", code[1])
    page.click("#confirm button[type=submit]")
    assert "You are subscribed" in page.inner_text("body")
    return page


def test_subscribe_hear_the_next_incident_and_leave_by_the_link(
    service: RunningService, live_api: LiveApi, browser: Browser
) -> None:
    page = subscribe_in_browser(browser, live_api.base_url, service)
    link = page.locator("#unsubscribe a").get_attribute("href")
    assert link is not None and link in texts_to(service, PHONE)[-1]

    declared = service.call(
        "POST",
        "/api/v1/incidents",
        json={"title": "MX down", "severity": "major", "components": ["inbound"]},
    )
    assert declared.status_code == 201, declared.text
    incident = int(declared.json()["incident"]["id"])
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="the opening")
    assert "Email to and from our domain may be delayed" in texts_to(service, PHONE)[-1]

    page.goto(link, wait_until="load")
    assert "Stop the outage texts to" in page.inner_text("body")
    page.click("#unsubscribe-form button[type=submit]")
    assert "is unsubscribed" in page.inner_text("body")
    listed = service.call("GET", "/api/v1/admin/subscribers", role="admin").json()
    assert listed["total"] == 0
    page.context.close()


def test_subscribe_then_leave_by_stop(
    service: RunningService, live_api: LiveApi, browser: Browser
) -> None:
    page = subscribe_in_browser(browser, live_api.base_url, service)
    page.context.close()
    assert service.call("GET", "/api/v1/admin/subscribers", role="admin").json()["total"] == 1

    stopped = text_us(service, PHONE, "STOP", url=live_api.base_url + INBOUND)

    assert stopped.status_code == 200
    assert service.call("GET", "/api/v1/admin/subscribers", role="admin").json()["total"] == 0
