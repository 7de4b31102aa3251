"""The SOP lifecycle end to end: reminders, hold-down reopening, internal notes."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from outage_notify.worker import names
from tests.fixtures.clock import ShiftedClock
from tests.fixtures.service import RunningService, wait_for
from tests.fixtures.webhooks import webhook_payload


def alertmanager(status: str, starts_at: str) -> dict[str, Any]:
    payload: dict[str, Any] = webhook_payload("alertmanager_firing.json")
    payload["status"] = status
    for alert in payload["alerts"]:
        alert["status"] = status
        alert["startsAt"] = starts_at
        if status == "resolved":
            alert["endsAt"] = datetime.now(UTC).isoformat()
    return payload


def post_alert(service: RunningService, status: str, starts_at: str) -> None:
    response = service.call(
        "POST",
        "/api/v1/webhooks/alertmanager",
        role="monitor",
        json=alertmanager(status, starts_at),
    )
    assert response.status_code == 202, response.text


def incidents(service: RunningService) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = service.call("GET", "/api/v1/incidents").json()["items"]
    return items


def test_a_passed_eta_reminds_the_lead_exactly_once(
    service_factory: Callable[..., RunningService], database_url: str
) -> None:
    # The ETA passes on the service's clock; the worker's pace stays real.
    clock = ShiftedClock(datetime.now(UTC))
    service = service_factory(database_url, clock=clock)
    lead = next(
        c for c in service.directory.audiences["management"].contacts if c.channels[0] == "sms"
    )
    eta = clock.now() + timedelta(seconds=2)
    declared = service.call(
        "POST",
        "/api/v1/incidents",
        json={
            "title": "Outbound mail stuck",
            "severity": "major",
            "components": ["outbound"],
            "eta": eta.isoformat(),
            "lead": lead.id,
        },
    )
    assert declared.status_code == 201, declared.text
    incident = declared.json()["incident"]["id"]
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened")
    service.providers.reset()
    clock.move_to(eta + timedelta(seconds=1))
    service.ticks(names.REMIND)  # three at once, waited for: only one may remind
    wait_for(lambda: service.settled(incident, updates=2), timeout=60, what="the reminder sent")
    reminders = service.providers.records()
    assert [(r.channel, r.to) for r in reminders] == [("sms", lead.phone)]
    # In the lead's language (issue 14, repro 4: it was English in every locale).
    assert f"#{incident}" in reminders[0].body
    assert "hora prevista" in reminders[0].body and "has passed" not in reminders[0].body
    detail = service.call("GET", f"/api/v1/incidents/{incident}").json()
    assert [u["kind"] for u in detail["updates"]] == ["opened", "reminder"]


def test_refire_within_the_hold_down_reopens_the_same_incident(
    service_factory: Callable[..., RunningService], database_url: str
) -> None:
    # The resolve hold off: these are about what follows a real resolution.
    service = service_factory(database_url, hold_down_minutes=30, resolve_hold_seconds=0)
    post_alert(service, "firing", "2026-11-27T08:00:00Z")
    first = wait_for(lambda: incidents(service), what="incident")[0]["id"]
    wait_for(lambda: service.settled(first, updates=1), timeout=60, what="opened")
    post_alert(service, "resolved", "2026-11-27T08:00:00Z")
    wait_for(lambda: service.settled(first, updates=2), timeout=60, what="resolved")
    service.providers.reset()
    post_alert(service, "firing", "2026-11-27T08:20:00Z")
    wait_for(lambda: service.settled(first, updates=3), timeout=60, what="reopened")
    assert [i["id"] for i in incidents(service)] == [first]
    detail = service.call("GET", f"/api/v1/incidents/{first}").json()
    assert detail["phase"] == "investigating"
    assert [u["kind"] for u in detail["updates"]] == ["opened", "resolved", "reopened"]
    assert len(service.providers.records()) > 0  # everyone who was told hears it is back


def test_refire_after_the_hold_down_opens_a_new_incident(
    service_factory: Callable[..., RunningService], database_url: str
) -> None:
    # The resolve hold off: these are about what follows a real resolution.
    service = service_factory(database_url, hold_down_minutes=0, resolve_hold_seconds=0)
    post_alert(service, "firing", "2026-11-27T08:00:00Z")
    first = wait_for(lambda: incidents(service), what="incident")[0]["id"]
    post_alert(service, "resolved", "2026-11-27T08:00:00Z")
    wait_for(lambda: service.settled(first, updates=2), timeout=60, what="resolved")
    post_alert(service, "firing", "2026-11-27T08:20:00Z")
    wait_for(lambda: len(incidents(service)) == 2, timeout=30, what="a second incident")
    newest = incidents(service)[0]
    assert newest["id"] != first and newest["phase"] == "detected"


def test_internal_notes_are_on_the_timeline_and_sent_to_nobody(
    service_factory: Callable[..., RunningService], database_url: str
) -> None:
    service = service_factory(database_url)
    post_alert(service, "firing", "2026-11-27T08:00:00Z")
    incident = wait_for(lambda: incidents(service), what="incident")[0]["id"]
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened")
    service.providers.reset()
    for kind, text in (
        ("note", "Relay disk at 100%: /var/spool full"),
        ("finding", "Root cause candidate: log rotation disabled"),
    ):
        response = service.call(
            "POST", f"/api/v1/incidents/{incident}/notes", json={"text": text, "kind": kind}
        )
        assert response.status_code == 201, response.text
    patched = service.call(
        "PATCH", f"/api/v1/incidents/{incident}", json={"root_cause": "Disk full"}
    )
    assert patched.json()["root_cause"] == "Disk full"
    time.sleep(1.0)
    assert service.providers.records() == []
    timeline = service.call("GET", f"/api/v1/incidents/{incident}").json()["timeline"]
    assert {"note", "finding", "edit"} <= {entry["kind"] for entry in timeline}
    bad = service.call(
        "POST", f"/api/v1/incidents/{incident}/notes", json={"text": "x", "kind": "tweet"}
    )
    assert bad.status_code == 422 and "kind" in bad.text
