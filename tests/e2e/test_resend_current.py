"""Every re-send says what holds now (issue 14, item 2): the acknowledgement chase asking
again on the next channel renders the message from the incident's current state.

Before: the chase re-sent the body planned for the first message ("no estimate yet") although
staff had meanwhile given an ETA; re-sends repeated the old text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from outage_notify.worker import names
from tests.fixtures.service import RunningService, wait_for

MANAGEMENT = """
audience: management
deliver: first
contacts:
  - {id: m1, name: Maria Manager, phone: "+5511990002001", slack: U0MARIA01, locale: en,
     channels: [sms, slack]}
"""
USERS = """
audience: users
deliver: first
contacts:
  - {id: u1, name: User One, phone: "+5511990002101", locale: en, channels: [sms]}
"""
# Asked to acknowledge the opening; silent for 3 seconds means the next channel.
ROUTING = """
rules:
  - audience: management
  - audience: users
acknowledge:
  - audience: management
    kinds: [opened]
    renotify_after_minutes: 0.05
"""


def contacts(folder: Path) -> Path:
    for name, text in {
        "management.yaml": MANAGEMENT,
        "users.yaml": USERS,
        "routing.yaml": ROUTING,
    }.items():
        (folder / name).write_text(text.lstrip())
    return folder


def test_the_chase_asks_again_with_the_eta_given_since(
    service_factory: Callable[..., RunningService], database_url: str, tmp_path: Path
) -> None:
    service = service_factory(database_url, contacts_dir=contacts(tmp_path))
    declared = service.call(
        "POST", "/api/v1/incidents", json={"title": "Mail down", "components": ["inbound"]}
    )
    assert declared.status_code == 201, declared.text
    incident = declared.json()["incident"]["id"]
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened")
    first = [r.body for r in service.providers.records("sms") if r.to == "+5511990002001"]
    assert len(first) == 1 and "No ETA yet" in first[0], first

    # Staff give an ETA in an update for users only: the manager's newest message is still
    # the opening, and the chase asks again on Slack.
    eta = datetime.now(UTC) + timedelta(hours=2, minutes=13)
    answer = service.call(
        "POST",
        f"/api/v1/incidents/{incident}/updates",
        json={"message": "Cause found", "eta": eta.isoformat(), "audiences": ["users"]},
    )
    assert answer.status_code == 202, answer.text
    wait_for(lambda: service.settled(incident, updates=2), timeout=60, what="users told")

    def chased() -> bool:
        service.celery.send_task(names.CHASE, queue=names.QUEUE_EVENTS)
        return any(r.to == "U0MARIA01" for r in service.providers.records("slack"))

    wait_for(chased, timeout=60, what="re-notified on Slack")
    wait_for(lambda: service.settled(incident, updates=2), timeout=60, what="re-send settled")
    again = [r.body for r in service.providers.records("slack") if r.to == "U0MARIA01"]
    shown = f"{eta.astimezone(ZoneInfo('America/Sao_Paulo')):%H:%M}"
    assert len(again) == 1 and shown in again[0], again
    assert "none yet" not in again[0], again
