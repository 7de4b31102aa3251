"""Twilio delivery reports end to end: real worker on Redis, the API on a real socket, and the
fake Twilio posting signed status callbacks to it.

A text Twilio accepted is not a text that arrived: a contact whose SMS comes back
`undelivered` must get the message on their next channel, once; everyone else's SMS ends
`delivered`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from outage_notify.core.models import ChannelName, Contact
from outage_notify.integrations.fake_server import FakeProviders
from tests.e2e.test_outage_flow import ALERTMANAGER, firing
from tests.fixtures.live_api import LiveApi
from tests.fixtures.service import RunningService, wait_for

CALLBACK_PATH = "/api/v1/webhooks/twilio/status"


@pytest.fixture
def providers() -> Iterator[FakeProviders]:
    """Fake providers of our own: these ones will sign and post status callbacks."""
    with FakeProviders() as fake:
        yield fake


@pytest.fixture
def service(live_service: Callable[..., RunningService]) -> RunningService:
    running = live_service()
    # Twilio signs with the account's auth token: the one the service checks against.
    running.providers.twilio_auth_token = running.settings.twilio.auth_token.get_secret_value()
    return running


def deliveries(service: RunningService, incident_id: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = service.call(
            "GET",
            f"/api/v1/incidents/{incident_id}/deliveries",
            params={"limit": 500, "offset": len(items)},
        ).json()
        items += page["items"]
        if not page["items"] or len(items) >= page["total"]:
            return items


def reported(service: RunningService, incident_id: int) -> bool:
    """Every text has its final report applied and nothing is left to send."""
    if service.providers.status_callbacks_pending():
        return False
    if not service.settled(incident_id, updates=1):
        return False
    return not any(
        d["channel"] == "sms" and d["state"] == "sent" for d in deliveries(service, incident_id)
    )


def test_undelivered_sms_reaches_the_contact_on_slack_once_and_the_rest_are_delivered(
    service: RunningService, live_api: LiveApi
) -> None:
    providers = service.providers
    manager: Contact = next(
        c
        for c in service.directory.audiences["management"].contacts
        if c.channels[:2] == (ChannelName.SMS, ChannelName.SLACK)
    )
    assert manager.phone and manager.slack
    providers.add_fault("sms", to=manager.phone, delivery_status="undelivered", error_code=30003)
    # Twilio reports seconds later; hold the reports until the worker has recorded its sends,
    # so none arrives for a message id the database does not know yet.
    providers.pause_status_callbacks()

    response = service.call("POST", ALERTMANAGER, role="monitor", json=firing())
    assert response.status_code == 202, response.text
    incidents = wait_for(
        lambda: service.call("GET", "/api/v1/incidents").json()["items"], what="incident"
    )
    incident_id = int(incidents[0]["id"])
    wait_for(lambda: service.settled(incident_id, updates=1), timeout=60, what="fan-out")
    texts = providers.records("sms")
    assert texts and all(
        r.raw["params"]["StatusCallback"] == live_api.base_url + CALLBACK_PATH for r in texts
    )
    assert all(r.raw["params"]["ValidityPeriod"] == "900" for r in texts)

    before = {d["id"]: (d["channel"], d["state"]) for d in deliveries(service, incident_id)}
    providers.resume_status_callbacks()
    wait_for(lambda: reported(service, incident_id), timeout=60, what="delivery reports")

    # Every callback was signed well enough for our endpoint to accept it.
    callbacks = providers.status_callbacks()
    assert len(callbacks) == 2 * len(texts)
    assert {c.status for c in callbacks} == {200}
    # The manager: one text (not delivered), then exactly one Slack message, nothing more.
    got = Counter(
        (r.channel, r.to) for r in providers.records() if r.to in (manager.phone, manager.slack)
    )
    assert got == Counter({("sms", manager.phone): 1, ("slack", manager.slack): 1})

    items = deliveries(service, incident_id)
    mine = next(d for d in items if d["recipient"] == f"contact:{manager.id}")
    assert (mine["state"], mine["channel"]) == ("sent", "slack")
    assert [(a["channel"], a["outcome"], a["error_code"]) for a in mine["attempts"]] == [
        ("sms", "sent", ""),
        ("sms", "undelivered", "30003"),
        ("slack", "sent", ""),
    ]
    sms_id = mine["attempts"][0]["provider_id"]
    assert mine["attempts"][1]["provider_id"] == sms_id and sms_id.startswith("SM")
    # Everyone else reached by text has it delivered; other channels get no reports.
    others = [d for d in items if d["id"] != mine["id"]]
    texted = [d for d in others if d["channel"] == "sms"]
    assert len(texted) == len(texts) - 1
    assert all(before[d["id"]] == ("sms", "sent") for d in texted)
    assert {d["state"] for d in texted} == {"delivered"}
    assert all(before[d["id"]] == (d["channel"], d["state"]) for d in others if d not in texted)


def test_reports_that_beat_the_worker_recording_the_send_are_applied_later(
    service: RunningService,
) -> None:
    providers = service.providers
    # Reports come at once while the batch is still sending: the worker records the provider
    # ids only when the batch's last send returns, so every report finds an unknown id first.
    providers.set_status_callback_delay(0.0)
    providers.set_latency(0.3)
    response = service.call("POST", ALERTMANAGER, role="monitor", json=firing())
    assert response.status_code == 202, response.text
    incidents = wait_for(
        lambda: service.call("GET", "/api/v1/incidents").json()["items"], what="incident"
    )
    incident_id = int(incidents[0]["id"])
    wait_for(lambda: service.settled(incident_id, updates=1), timeout=60, what="fan-out")
    wait_for(lambda: reported(service, incident_id), timeout=60, what="late reports applied")
    early = [c for c in providers.status_callbacks() if "unknown_message" in c.body]
    assert early, "no report arrived before its send was recorded: the test proved nothing"
    texted = [d for d in deliveries(service, incident_id) if d["channel"] == "sms"]
    assert texted and {d["state"] for d in texted} == {"delivered"}
