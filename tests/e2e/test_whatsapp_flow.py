"""Issue 20 acceptance, WhatsApp: a real API and Celery worker (SQLite and PostgreSQL) and the
fake Twilio with WhatsApp's 24-hour window rule.

A manager whose first channel is WhatsApp gets the opened message as its Content Template
(the right ContentSid and variables); after they write to us the next update goes free-form
inside the window; their "OK" over WhatsApp acknowledges like an SMS reply.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from pydantic import SecretStr
from twilio.request_validator import RequestValidator

from outage_notify.config.settings import TwilioSettings
from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.integrations.twilio.fake_whatsapp import PATH as FAKE_WHATSAPP_IN
from outage_notify.integrations.twilio.whatsapp_content import load_content
from tests.fixtures.inbound import INBOUND, PUBLIC, TWILIO_AUTH
from tests.fixtures.service import RunningService, wait_for

WHATSAPP_FROM = "+15005550007"
BEA = "+5511990000021"
STATUS = "/api/v1/webhooks/twilio/status"
METRICS_TOKEN = "test-metrics-token-0123"
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

MANAGEMENT = f"""
audience: management
deliver: first
contacts:
  - {{id: ana, name: Ana Souza, phone: "+5511990000001", channels: [sms]}}
  - {{id: bea, name: Bea Costa, phone: "{BEA}", locale: pt-BR, channels: [whatsapp, sms]}}
"""
ROUTING = """
rules:
  - audience: management
acknowledge:
  - audience: management
    kinds: [opened]
"""


@pytest.fixture
def whatsapp_service(
    service_factory: Callable[..., RunningService],
    database_url: str,
    providers: FakeProviders,
    tmp_path: Path,
) -> Iterator[RunningService]:
    folder = tmp_path / "contacts"
    folder.mkdir()
    (folder / "management.yaml").write_text(MANAGEMENT)
    (folder / "routing.yaml").write_text(ROUTING)
    twilio = TwilioSettings(
        account_sid="AC" + "0123456789abcdef" * 2,
        auth_token=SecretStr(TWILIO_AUTH),
        from_number="+15005550006",
        whatsapp_from=WHATSAPP_FROM,
        base_url=providers.twilio_base_url,
        timeout_seconds=5,
    )
    yield service_factory(
        database_url,
        contacts_dir=folder,
        public_base_url=PUBLIC,
        default_lead="ana",
        twilio=twilio,
        metrics_token=METRICS_TOKEN,
    )


def whatsapp_us(service: RunningService, sender: str, body: str) -> httpx2.Response:
    """`sender` writes to us on WhatsApp: the fake Twilio opens their window, and the message
    is posted to the service's webhook signed as Twilio posts it (`From: whatsapp:+...`)."""
    opened = httpx2.post(
        service.providers.base_url + FAKE_WHATSAPP_IN,
        json={"url": service.providers.base_url + "/nowhere", "from": sender, "body": body,
              "auth_token": TWILIO_AUTH},
    )  # fmt: skip
    assert opened.status_code == 200, opened.text
    form = {
        "MessageSid": "SM" + f"{time.time_ns():032x}"[-32:],
        "AccountSid": service.settings.twilio.account_sid,
        "From": f"whatsapp:{sender}",
        "To": f"whatsapp:{WHATSAPP_FROM}",
        "Body": body,
        "NumMedia": "0",
    }
    signature = RequestValidator(TWILIO_AUTH).compute_signature(PUBLIC + INBOUND, form)
    return service.api.post(INBOUND, data=form, headers={"X-Twilio-Signature": signature})


def status_callback(service: RunningService, sid: str, status: str) -> httpx2.Response:
    """Twilio's status callback for one WhatsApp message, signed as Twilio signs it."""
    form = {
        "AccountSid": service.settings.twilio.account_sid,
        "ApiVersion": "2010-04-01",
        "From": f"whatsapp:{WHATSAPP_FROM}",
        "MessageSid": sid,
        "MessageStatus": status,
        "SmsSid": sid,
        "SmsStatus": status,
        "To": f"whatsapp:{BEA}",
    }
    signature = RequestValidator(TWILIO_AUTH).compute_signature(PUBLIC + STATUS, form)
    return service.api.post(STATUS, data=form, headers={"X-Twilio-Signature": signature})


def management(service: RunningService, incident: int) -> dict[str, dict[str, Any]]:
    page = service.call(
        "GET",
        f"/api/v1/incidents/{incident}/deliveries",
        params={"audience": "management", "limit": 500},
    ).json()
    return {f"{item['recipient']}:{item['update_id']}": item for item in page["items"]}


def test_template_outside_the_window_free_form_inside_and_ok_acknowledges(
    whatsapp_service: RunningService,
) -> None:
    service = whatsapp_service
    created = service.call(
        "POST",
        "/api/v1/incidents",
        json={"title": "Inbound mail bouncing", "severity": "major", "lead": "ana"},
    )
    assert created.status_code == 201, created.text
    incident: int = created.json()["incident"]["id"]
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened sent")

    # Opened: outside any window, so the pt-BR "opened" Content Template, with our body.
    [opened] = service.providers.records("whatsapp")
    params = opened.raw["params"]
    assert opened.to == f"whatsapp:{BEA}"
    assert params["From"] == f"whatsapp:{WHATSAPP_FROM}"
    assert params["ContentSid"] == load_content(TEMPLATES).sid("opened", "pt-BR")
    variables = json.loads(params["ContentVariables"])
    assert list(variables) == ["1"]  # the body alone: it begins with the organisation's tag
    assert variables["1"].startswith(f"[{service.settings.organisation_name} ")
    assert "Inbound mail bouncing" in variables["1"] and "\n" not in variables["1"]
    assert [r.to for r in service.providers.records("sms")] == ["+5511990000001"]
    # WhatsApp's read receipt, through the status callback SMS uses.
    report = status_callback(service, opened.provider_id, "read")
    assert report.status_code == 200, report.text
    key = f"contact:bea:{opened_update(service, incident)}"
    assert management(service, incident)[key]["state"] == "delivered"

    # Bea answers "OK" on WhatsApp: acknowledged, and her window is open.
    answer = whatsapp_us(service, BEA, "OK")
    assert answer.status_code == 200, answer.text
    bea = management(service, incident)[f"contact:bea:{opened_update(service, incident)}"]
    assert (bea["acked_via"], bea["acked_by"]) == ("whatsapp", BEA)

    # The next update goes free-form inside the window.
    posted = service.call(
        "POST", f"/api/v1/incidents/{incident}/updates", json={"message": "Cause found"}
    )
    assert posted.status_code == 202, posted.text
    wait_for(lambda: service.settled(incident, updates=2), timeout=60, what="update sent")
    first, second = service.providers.records("whatsapp")
    assert first is opened
    assert "ContentSid" not in second.raw["params"]
    assert "Cause found" in second.body
    # No rejection: nothing was ever sent free-form outside the window.
    assert service.providers.rejections("whatsapp") == []
    # The per-channel metrics have WhatsApp's own series.
    scraped = service.api.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert scraped.status_code == 200, scraped.text
    assert 'outage_notify_delivery_attempts_total{channel="whatsapp",outcome="sent"} 2.0' in (
        scraped.text
    )


def opened_update(service: RunningService, incident: int) -> int:
    detail = service.call("GET", f"/api/v1/incidents/{incident}").json()
    return int(detail["updates"][0]["id"])
