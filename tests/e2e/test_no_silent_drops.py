"""No silent drops (issue 14, item 7 and reproduction 7): news the per-recipient cap holds or
coalescing supersedes is merged, never lost.

Before: after rapid updates, SMS-only users and a partner never got the ETA change — their
deliveries were held or superseded and what finally went out was a digest line ("1 more
incident ... (updated)") without the ETA or the staff text. The 49 users of the issue, at small
scale: three SMS-only users and an SMS-only partner, a cap of 2 an hour, four updates in a row.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from outage_notify.worker import names
from tests.e2e.test_flood_control import age_attempts
from tests.fixtures.service import RunningService, wait_for

USERS = """
audience: users
deliver: first
contacts:
  - {id: u1, name: User One, phone: "+5511990001001", locale: en, channels: [sms]}
  - {id: u2, name: User Two, phone: "+5511990001002", locale: pt-BR, channels: [sms]}
  - {id: u3, name: User Three, phone: "+5511990001003", locale: en, channels: [sms]}
"""
PARTNERS = """
audience: partners
deliver: first
contacts:
  - {id: p1, name: Partner One, phone: "+5511990001101", locale: en, channels: [sms]}
"""
# The lead reads Slack: the lead's own notes are not what the SMS cap is about here.
MANAGEMENT = """
audience: management
deliver: first
contacts:
  - {id: lead, name: Lia Lead, slack: U0LEAD001, locale: en, channels: [slack]}
"""
ROUTING = """
rules:
  - audience: management
  - audience: users
  - audience: partners
"""
PHONES = ["+5511990001001", "+5511990001002", "+5511990001003", "+5511990001101"]
ZONE = ZoneInfo("America/Sao_Paulo")
LATEST_TEXT = "Disks replaced; copying mailboxes back"


def contacts(folder: Path) -> Path:
    for name, text in {
        "users.yaml": USERS,
        "partners.yaml": PARTNERS,
        "management.yaml": MANAGEMENT,
        "routing.yaml": ROUTING,
    }.items():
        (folder / name).write_text(text.lstrip())
    return folder


def sms_to(service: RunningService) -> Counter[str]:
    return Counter(r.to for r in service.providers.records("sms"))


def last_sms(service: RunningService, phone: str) -> str:
    return [r.body for r in service.providers.records("sms") if r.to == phone][-1]


def lead_notes(service: RunningService) -> list[str]:
    """The lead's notices of people whose news is held (the lead reads Slack)."""
    return [
        r.body
        for r in service.providers.records("slack")
        if r.to == "U0LEAD001" and "SMS limit" in r.body
    ]


def test_rapid_updates_over_the_cap_reach_everyone_with_the_newest_eta_and_text(
    service_factory: Callable[..., RunningService], database_url: str, tmp_path: Path
) -> None:
    service = service_factory(
        database_url, recipient_max_per_hour=2, contacts_dir=contacts(tmp_path)
    )
    declared = service.call(
        "POST",
        "/api/v1/incidents",
        json={"title": "Mail down", "components": ["inbound"], "lead": "lead"},
    )
    assert declared.status_code == 201, declared.text
    incident = declared.json()["incident"]["id"]
    path = f"/api/v1/incidents/{incident}/updates"
    now = datetime.now(UTC)
    first_eta = now + timedelta(hours=2)
    second_eta = now + timedelta(hours=3, minutes=17)

    def post(body: dict[str, object]) -> None:
        answer = service.call("POST", path, json=body)
        assert answer.status_code == 202, answer.text

    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened")
    post({"message": "Cause found: a failed disk array", "eta": first_eta.isoformat()})
    wait_for(lambda: service.settled(incident, updates=2), timeout=60, what="first ETA")
    assert all(sms_to(service)[phone] == 2 for phone in PHONES), sms_to(service)
    # The cap (2 an hour) is spent: everything from here on is held or superseded.
    post({"message": "Webmail is also down", "eta": second_eta.isoformat()})
    post({"message": LATEST_TEXT})
    wait_for(lambda: service.settled(incident, updates=4), timeout=60, what="rapid updates")
    assert all(sms_to(service)[phone] == 2 for phone in PHONES), sms_to(service)

    # Who is behind, and why, is on the incident while they wait.
    page = service.call(
        "GET", f"/api/v1/incidents/{incident}/deliveries", params={"limit": 500}
    ).json()
    assert set(page["held"]) == {
        "User One (users)",
        "User Two (users)",
        "User Three (users)",
        "Partner One (partners)",
    }
    reasons = {d["error"] for d in page["items"] if d["state"] == "held"}
    assert reasons and all(reason.startswith("held: 2 messages") for reason in reasons)
    # ... and the lead is told once, with the reason, by the periodic check.
    for _ in range(2):
        service.celery.send_task(names.CHASE, queue=names.QUEUE_EVENTS)
        wait_for(lambda: bool(lead_notes(service)), timeout=60, what="the lead's notice")
    time.sleep(1)
    notes = lead_notes(service)
    assert len(notes) == 1, notes
    for name in ("User One", "User Two", "User Three", "Partner One"):
        assert name in notes[0], notes

    # The hour moves on: one message each, carrying the newest state, not a bare digest line.
    age_attempts(database_url, hours=1)
    service.celery.send_task(names.DIGEST, queue=names.QUEUE_EVENTS)
    wait_for(
        lambda: all(sms_to(service)[phone] == 3 for phone in PHONES), timeout=60, what="released"
    )
    time.sleep(1)  # nothing more follows
    assert all(sms_to(service)[phone] == 3 for phone in PHONES), sms_to(service)
    newest_eta = f"{second_eta.astimezone(ZONE):%H:%M}"
    old_eta = f"{first_eta.astimezone(ZONE):%H:%M}"
    for phone in PHONES:
        body = last_sms(service, phone)
        assert LATEST_TEXT in body, body
        assert newest_eta in body and old_eta not in body, body
    page = service.call(
        "GET", f"/api/v1/incidents/{incident}/deliveries", params={"limit": 500}
    ).json()
    assert page["held"] == []
    # Nothing silently dropped: every superseded delivery names what carried it.
    for item in page["items"]:
        if item["state"] == "superseded":
            assert item["error"], item


def test_a_resolution_is_never_held_and_closes_the_eta(
    service_factory: Callable[..., RunningService], database_url: str, tmp_path: Path
) -> None:
    service = service_factory(
        database_url, recipient_max_per_hour=1, contacts_dir=contacts(tmp_path)
    )
    eta = datetime.now(UTC) + timedelta(hours=2)
    declared = service.call(
        "POST",
        "/api/v1/incidents",
        json={"title": "Mail down", "components": ["inbound"], "eta": eta.isoformat()},
    )
    assert declared.status_code == 201, declared.text
    incident = declared.json()["incident"]["id"]
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened")
    answer = service.call(
        "POST", f"/api/v1/incidents/{incident}/updates", json={"message": "Still copying"}
    )
    assert answer.status_code == 202, answer.text
    wait_for(lambda: service.settled(incident, updates=2), timeout=60, what="held update")
    answer = service.call(
        "POST", f"/api/v1/incidents/{incident}/resolve", json={"message": "All mail is back"}
    )
    assert answer.status_code == 202, answer.text
    wait_for(lambda: service.settled(incident, updates=3), timeout=60, what="resolved")
    assert all(sms_to(service)[phone] == 2 for phone in PHONES), sms_to(service)
    shown = f"{eta.astimezone(ZONE):%H:%M}"
    for phone in PHONES:
        body = last_sms(service, phone)
        assert "All mail is back" in body and shown not in body, body
    detail = service.call("GET", f"/api/v1/incidents/{incident}").json()
    assert detail["eta"] is None
