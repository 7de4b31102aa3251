"""An email outage end to end: webhook → incident → real worker on Redis → fakes.

Everything is asserted from what the fake providers received, per recipient.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from outage_notify.contacts.alternatives import alternatives_for
from outage_notify.core.models import Contact
from outage_notify.integrations.fake_server import FakeProviders
from tests.e2e.coverage_rows import expected_coverage, without_deadline
from tests.fixtures.service import RunningService, wait_for
from tests.fixtures.webhooks import webhook_payload

ALERTMANAGER = "/api/v1/webhooks/alertmanager"


def firing() -> dict[str, Any]:
    payload: dict[str, Any] = webhook_payload("alertmanager_firing.json")
    return payload


def first_address(contact: Contact) -> tuple[str, str]:
    channel = contact.channels[0]
    address = contact.address(channel)
    assert address is not None
    return channel.value, address


def selected_contacts(service: RunningService, audiences: tuple[str, ...]) -> list[Contact]:
    return [c for name in audiences for c in service.directory.audiences[name].contacts]


@pytest.fixture
def service(service_factory: Callable[..., RunningService], postgres_url: str) -> RunningService:
    from outage_notify.store.engine import create_store_engine, upgrade
    from tests.fixtures.databases import _empty

    engine = create_store_engine(postgres_url)
    upgrade(engine)
    _empty(engine)
    engine.dispose()
    return service_factory(postgres_url)


def open_incident(service: RunningService) -> int:
    response = service.call("POST", ALERTMANAGER, role="monitor", json=firing())
    assert response.status_code == 202, response.text
    incidents = wait_for(
        lambda: service.call("GET", "/api/v1/incidents").json()["items"], what="incident"
    )
    incident_id = int(incidents[0]["id"])
    wait_for(lambda: service.settled(incident_id, updates=1), timeout=60, what="opened fan-out")
    return incident_id


def test_critical_alert_tells_every_selected_contact_once_on_first_channel(
    service: RunningService,
) -> None:
    providers: FakeProviders = service.providers
    incident_id = open_incident(service)

    records = providers.records()
    contacts = selected_contacts(service, ("management", "users", "partners"))
    received = Counter((r.channel, r.to) for r in records)
    for contact in contacts:
        assert received[first_address(contact)] == 1, contact.id
    by_address = {(r.channel, r.to): r for r in records}
    for name in ("management", "users", "partners"):
        for contact in selected_contacts(service, (name,)):
            body = by_address[first_address(contact)].body
            # Each audience's own routes from routing.yaml, in the reader's language.
            told = alternatives_for(service.settings, service.directory, name, contact.locale)
            assert told, name
            for alternative in told:
                assert alternative in body, (contact.id, body)
    # Each broadcast Slack channel gets exactly one post, and the organisation-wide room one.
    for channel_id in ("C0MGMTSTATUS", "C0ITSTATUS"):
        assert received[("slack", channel_id)] == 1
    assert received[("fallback", "status-room")] == 1
    # Nobody got anything twice, and nothing went anywhere else.
    assert max(received.values()) == 1
    assert len(records) == len(contacts) + 3

    incident = service.call("GET", f"/api/v1/incidents/{incident_id}").json()
    assert incident["severity"] == "critical"
    assert incident["components"] == ["inbound", "outbound"]
    assert incident["notified_audiences"] == ["everyone", "management", "partners", "users"]


def test_locale_decides_the_language_of_each_contacts_message(service: RunningService) -> None:
    open_incident(service)
    records = {(r.channel, r.to): r.body for r in service.providers.records()}
    managers = service.directory.audiences["management"].contacts
    bodies = {c.locale: records[first_address(c)] for c in managers if c.channels[0].value == "sms"}
    assert set(bodies) == {"en", "pt-BR"}
    assert bodies["en"] != bodies["pt-BR"]
    assert "e-mail" in bodies["pt-BR"].lower()


def test_eta_update_and_resolution_reach_each_contact_exactly_once_each(
    service: RunningService,
) -> None:
    incident_id = open_incident(service)
    providers = service.providers
    providers.reset()
    eta = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    response = service.call(
        "POST",
        f"/api/v1/incidents/{incident_id}/updates",
        json={
            "message": "Relay disk replaced; queue draining",
            "phase": "fixing",
            "eta": eta.isoformat(),
        },
    )
    assert response.status_code == 202, response.text
    wait_for(
        lambda: service.settled(incident_id, updates=2), timeout=60, what="eta_changed fan-out"
    )
    eta_records = providers.records()
    contacts = selected_contacts(service, ("management", "users", "partners"))
    assert Counter((r.channel, r.to) for r in eta_records) == Counter(
        [first_address(c) for c in contacts]
        + [("slack", "C0MGMTSTATUS"), ("slack", "C0ITSTATUS"), ("fallback", "status-room")]
    )
    updates = service.call("GET", f"/api/v1/incidents/{incident_id}").json()["updates"]
    assert [u["kind"] for u in updates] == ["opened", "eta_changed"]

    providers.reset()
    response = service.call(
        "POST", f"/api/v1/incidents/{incident_id}/resolve", json={"message": "Mail flows"}
    )
    assert response.status_code == 202, response.text
    wait_for(lambda: service.settled(incident_id, updates=3), timeout=60, what="resolved fan-out")
    resolved = Counter((r.channel, r.to) for r in providers.records())
    assert all(resolved[first_address(c)] == 1 for c in contacts)
    assert max(resolved.values()) == 1
    detail = service.call("GET", f"/api/v1/incidents/{incident_id}").json()
    assert detail["phase"] == "resolved" and detail["resolved_at"] is not None
    assert [u["kind"] for u in detail["updates"]] == ["opened", "eta_changed", "resolved"]


def test_permanent_sms_failure_falls_back_to_the_next_channel(service: RunningService) -> None:
    manager = next(
        c
        for c in service.directory.audiences["management"].contacts
        if c.channels[:2] == ("sms", "slack")
    )
    service.providers.add_fault("sms", to=manager.phone, twilio_code=21211)
    incident_id = open_incident(service)

    got = [r for r in service.providers.records() if r.to in (manager.phone, manager.slack)]
    assert [(r.channel, r.to) for r in got] == [("slack", manager.slack)]
    page = service.call(
        "GET",
        f"/api/v1/incidents/{incident_id}/deliveries",
        params={"audience": "management", "limit": 500},
    ).json()
    delivery = next(d for d in page["items"] if d["recipient"] == f"contact:{manager.id}")
    assert delivery["state"] == "sent" and delivery["channel"] == "slack"
    assert [(a["channel"], a["outcome"], a["error_code"]) for a in delivery["attempts"]] == [
        ("sms", "permanent", "21211"),
        ("slack", "sent", ""),
    ]


def all_deliveries(service: RunningService, incident_id: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = service.call(
            "GET",
            f"/api/v1/incidents/{incident_id}/deliveries",
            params={"limit": 500, "offset": len(items)},
        ).json()
        items += page["items"]
        if len(items) >= page["total"]:
            return items


def test_the_incident_shows_each_audiences_coverage_and_who_to_call(
    service: RunningService,
) -> None:
    user = next(c for c in service.directory.audiences["users"].contacts if c.id == "bruno.soares")
    # Every channel of one user refuses the message: the incident names him to be called.
    service.providers.add_fault("slack", to=user.slack, slack_error="user_not_found")
    service.providers.add_fault("sms", to=user.phone, twilio_code=21211)
    incident_id = open_incident(service)

    detail = service.call("GET", f"/api/v1/incidents/{incident_id}").json()
    coverage = {c["audience"]: c for c in detail["coverage"]}
    assert without_deadline(detail["coverage"]) == expected_coverage(
        all_deliveries(service, incident_id)
    )
    assert list(coverage) == ["everyone", "management", "partners", "users"]
    assert coverage["users"]["unreached"] == ["Bruno Soares"]
    assert coverage["users"]["sent"] == coverage["users"]["recipients"] - 1
    # contacts/routing.yaml asks management to acknowledge the opening within 10 minutes.
    managers = len(service.directory.audiences["management"].contacts)
    assert coverage["management"]["recipients"] == managers
    assert coverage["management"]["ack_required"] == managers
    assert coverage["management"]["acknowledged"] == 0
    assert coverage["management"]["deadline"] == {
        "minutes": 10.0,
        "met": 0,
        "missed": 0,
        "pending": managers,
    }
    assert coverage["users"]["ack_required"] == 0 and coverage["users"]["deadline"] is None
    # Broadcasts apart: each audience's Slack channel, and the organisation-wide fallback room.
    posts = {
        a: (c["recipients"], c["broadcasts"], c["broadcasts_sent"]) for a, c in coverage.items()
    }
    assert posts["management"][1:] == posts["users"][1:] == (1, 1)
    assert posts["everyone"] == (0, 1, 1)


def test_the_same_payload_twice_is_one_incident_and_no_duplicate_message(
    service: RunningService,
) -> None:
    incident_id = open_incident(service)
    before = len(service.providers.records())
    again = service.call("POST", ALERTMANAGER, role="monitor", json=firing())
    assert again.status_code == 202 and again.json()["status"] == "duplicate"
    # Alertmanager's HA peer sends the same group with alerts in another order: still one event.
    reordered = firing()
    reordered["alerts"] = list(reversed(reordered["alerts"]))
    assert (
        service.call("POST", ALERTMANAGER, role="monitor", json=reordered).json()["status"]
        == "duplicate"
    )
    wait_for(lambda: service.settled(incident_id, updates=1), what="settled")
    incidents = service.call("GET", "/api/v1/incidents").json()
    assert incidents["total"] == 1
    assert len(service.providers.records()) == before


@pytest.mark.parametrize(
    ("role", "payload", "status", "reason"),
    [
        ("monitor", {"version": "3"}, 422, "groupKey"),
        ("monitor", {**firing(), "alerts": []}, 422, "alerts"),
        ("monitor", {**firing(), "status": "exploded"}, 422, "status"),
        (None, firing(), 401, "bearer"),
        ("wrong", firing(), 401, "invalid token"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_sends_nothing(
    service: RunningService, role: str | None, payload: dict[str, Any], status: int, reason: str
) -> None:
    headers = {}
    if role == "wrong":
        headers = {"Authorization": "Bearer not-a-token"}
    elif role is not None:
        headers = {"Authorization": "Bearer test-monitor-token"}
    response = service.api.post(ALERTMANAGER, json=copy.deepcopy(payload), headers=headers)
    assert response.status_code == status
    assert reason in response.text
    assert service.call("GET", "/api/v1/incidents").json()["total"] == 0
    assert service.providers.records() == []


def test_monitor_token_cannot_act_as_staff(service: RunningService) -> None:
    response = service.call(
        "POST",
        "/api/v1/incidents",
        role="monitor",
        json={"title": "Mail down", "severity": "critical"},
    )
    assert response.status_code == 403
    assert "staff" in response.json()["detail"]
    assert service.providers.records() == []
