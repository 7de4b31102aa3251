"""Subscribers in the incident flow, with a real worker on the fake Twilio: a subscriber hears
the next incident that concerns their components (worded as partners are), in their own
audience in the deliveries, the report and the admin API; a STOP unsubscribes them, and so
does an admin."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from pydantic import SecretStr

from outage_notify.config.subscribe import SubscribeSettings
from outage_notify.integrations.fake_server import FakeProviders
from tests.api.inbound_service import serve
from tests.fixtures.app import api_app
from tests.fixtures.inbound import text_us
from tests.fixtures.service import RunningService, wait_for

STAMP = re.compile(r'name="stamp" value="([^"]+)"')
CODE = re.compile(r"\b(\d{6})\b")
PHONE = "+5511912345678"
ELSEWHERE = "+5521987654321"  # follows webmail only


def subscribe(service: RunningService, phone: str, *components: str) -> None:
    """Subscribe as a person would, each from an address of their own."""
    client = TestClient(api_app(service.api), client=(f"192.0.2.{phone[-2:]}", 50000))
    page = client.get("/status/subscribe")
    stamp = STAMP.search(page.text)
    assert stamp is not None
    asked = client.post(
        "/status/subscribe",
        data={"stamp": stamp[1], "phone": phone, "locale": "en", "components": list(components)},
    )
    assert asked.status_code == 200, asked.text
    [text] = [r.body for r in service.providers.records("sms") if r.to == phone]
    code = CODE.search(text)
    assert code is not None
    confirmed = client.post("/status/subscribe/confirm", data={"phone": phone, "code": code[1]})
    assert confirmed.status_code == 200, confirmed.text


def declare(service: RunningService, *components: str) -> int:
    declared = service.call(
        "POST",
        "/api/v1/incidents",
        json={"title": "Inbound mail stuck", "severity": "major", "components": list(components)},
    )
    assert declared.status_code == 201, declared.text
    incident = int(declared.json()["incident"]["id"])
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="the opening sent")
    return incident


def texts_to(service: RunningService, phone: str) -> list[str]:
    return [r.body for r in service.providers.records("sms") if r.to == phone]


def test_subscribers_hear_their_incidents_and_leave_by_stop(
    service_factory: Callable[..., RunningService], providers: FakeProviders, postgres_url: str
) -> None:
    service = serve(
        service_factory,
        providers,
        postgres_url,
        subscribe=SubscribeSettings(
            enabled=True,
            secret=SecretStr("e2e-subscribe-secret-0123456789"),
            min_fill_seconds=0,
            countries=["BR"],
        ),
    )
    subscribe(service, PHONE)
    subscribe(service, ELSEWHERE, "webmail")

    incident = declare(service, "inbound")

    [opening] = texts_to(service, PHONE)[2:]  # after the code and the confirmation
    # Worded as partners are (routing.yaml worded_like), with the public hotline only.
    assert "Email to and from our domain may be delayed" in opening
    assert "IT hotline +55 11 4000-1234" in opening and "Partner desk" not in opening
    assert len(texts_to(service, ELSEWHERE)) == 2  # webmail is not affected: not told
    page = service.call(
        "GET", f"/api/v1/incidents/{incident}/deliveries", params={"audience": "subscribers"}
    ).json()
    assert [item["recipient_name"] for item in page["items"]] == ["subscriber 1"]
    report = service.call("GET", f"/api/v1/incidents/{incident}/report").json()
    assert "subscribers" in str(report)

    listed = service.call("GET", "/api/v1/admin/subscribers", role="admin").json()
    assert listed["total"] == 2
    assert {s["phone"] for s in listed["subscribers"]} == {PHONE, ELSEWHERE}
    assert service.call("GET", "/api/v1/admin/subscribers").status_code == 403  # staff

    # STOP unsubscribes; an admin removes the other.
    assert text_us(service, PHONE, "STOP").status_code == 200
    other = next(s["id"] for s in listed["subscribers"] if s["phone"] == ELSEWHERE)
    removed = service.call("DELETE", f"/api/v1/admin/subscribers/{other}", role="admin")
    assert removed.status_code == 204
    assert service.call("GET", "/api/v1/admin/subscribers", role="admin").json()["total"] == 0

    # Webmail is affected now too: neither hears of it any more.
    updated = service.call(
        "POST",
        f"/api/v1/incidents/{incident}/updates",
        json={"message": "Webmail is affected too.", "components": ["inbound", "webmail"]},
    )
    assert updated.status_code == 202, updated.text
    wait_for(lambda: service.settled(incident, updates=2), timeout=60, what="the update sent")
    assert len(texts_to(service, PHONE)) == 3 and len(texts_to(service, ELSEWHERE)) == 2
