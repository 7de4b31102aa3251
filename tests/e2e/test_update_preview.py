"""The preview is what is sent (issue 18): a declaration and an update are previewed, then
sent through a real worker to the fake providers, and every SMS body the fake Twilio accepted
is one the preview showed, to as many phones as it said."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from outage_notify.core.clock import SYSTEM_CLOCK
from tests.fixtures.service import RunningService, wait_for

INCIDENTS = "/api/v1/incidents"
DECLARE = {
    "title": "Webmail down",
    "summary": "Webmail does not open; use the mail app on your phone meanwhile.",
    "severity": "minor",
    "components": ["webmail"],
}


def sms_in(preview: dict[str, Any]) -> Counter[str]:
    """Each SMS body of a preview, times the phones it goes to first."""
    return Counter(
        {m["body"]: m["recipients"] for m in preview["messages"] if m["channel"] == "sms"}
    )


def same_minute() -> None:
    """Wait, if needed, until the current minute has 15 seconds left (at most 15 s)."""
    second = SYSTEM_CLOCK.now().second
    if second > 45:
        time.sleep(60 - second + 0.5)


def sent_sms(service: RunningService, skip: int = 0) -> Counter[str]:
    return Counter(record.body for record in service.providers.records("sms")[skip:])


def test_the_previewed_sms_are_the_sms_sent(
    service_factory: Callable[..., RunningService], database_url: str
) -> None:
    service = service_factory(database_url)
    # Bodies say times in minutes ("next update by 15:30", from the moment of sending): the
    # preview and the send must fall in one minute to be compared character for character.
    same_minute()

    previewed = service.call("POST", f"{INCIDENTS}/preview", json=DECLARE)
    assert previewed.status_code == 200, previewed.text
    assert service.providers.records("sms") == []
    declared = service.call("POST", INCIDENTS, json=DECLARE)
    assert declared.status_code == 201, declared.text
    incident = declared.json()["incident"]["id"]
    wait_for(lambda: service.settled(incident, updates=1), timeout=150, what="the opened fan-out")

    assert sent_sms(service) == sms_in(previewed.json())

    same_minute()
    told = len(service.providers.records("sms"))
    eta = (SYSTEM_CLOCK.now() + timedelta(minutes=90)).isoformat()
    update = {"message": "The web server is restarting.", "eta": eta, "phase": "fixing"}
    previewed = service.call("POST", f"{INCIDENTS}/{incident}/updates/preview", json=update)
    assert previewed.status_code == 200, previewed.text
    assert previewed.json()["kind"] == "eta_changed"
    assert len(service.providers.records("sms")) == told
    posted = service.call("POST", f"{INCIDENTS}/{incident}/updates", json=update)
    assert posted.status_code == 202, posted.text
    wait_for(lambda: service.settled(incident, updates=2), timeout=150, what="the update fan-out")

    assert sent_sms(service, skip=told) == sms_in(previewed.json())
