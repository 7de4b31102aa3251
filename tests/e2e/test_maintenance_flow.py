"""Scheduled maintenance with a real worker and a clock moved by hand (issue 19, items 3-5):
a window is announced when scheduled, reminded a day before, started; a matching alert during
it opens no incident and sends nothing but goes on the window's timeline; at the end a failing
mail probe extends it visibly, a passing one completes it; the alert still firing then opens a
normal incident. The status page, status.json and the feed show it throughout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from outage_notify.store.engine import create_session_factory, create_store_engine, transaction
from outage_notify.store.tables import ProbeRow
from outage_notify.worker import names
from tests.fixtures.clock import ShiftedClock
from tests.fixtures.service import RunningService, wait_for

# Thursday 12 March 2026, 14:00 in São Paulo; the window is Friday 22:00 to Saturday 01:00.
SCHEDULED = datetime(2026, 3, 12, 17, 0, tzinfo=UTC)
START = datetime(2026, 3, 14, 1, 0, tzinfo=UTC)
END = START + timedelta(hours=3)
TEXT = "We are moving the mail server to a new machine."
# How each locale's maintenance SMS names it (en, pt-BR, es).
MAINTENANCE_WORDS = ("lanned maintenance", "anutencao programada", "antenimiento programado")


def probe(service: RunningService, *, at: datetime, ok: bool) -> None:
    """A mail round trip's result, as the probe task records it."""
    engine = create_store_engine(service.settings.database_url)
    with transaction(create_session_factory(engine)) as session:
        session.add(
            ProbeRow(at=at, ok=ok, stage="ok" if ok else "imap", error="", total_seconds=1.0)
        )
    engine.dispose()


def test_a_window_announces_reminds_starts_silences_and_completes_after_a_probe(
    service_factory: Callable[..., RunningService], database_url: str
) -> None:
    clock = ShiftedClock(SCHEDULED)
    service = service_factory(database_url, clock=clock, timezone="America/Sao_Paulo")
    people = service.directory.audiences["management"].contacts
    managers = {c.phone for c in people if c.phone and "sms" in c.channels}
    english = {c.phone for c in people if c.phone and "sms" in c.channels and c.locale == "en"}
    assert english and managers - english  # both languages are told
    made = service.call(
        "POST",
        "/api/v1/maintenances",
        json={
            "components": ["inbound", "outbound"],
            "start": START.isoformat(),
            "end": END.isoformat(),
            "text": TEXT,
            "audiences": ["management"],
            "require_probes": True,
        },
    )
    assert made.status_code == 201, made.text
    window = made.json()
    base = f"/api/v1/maintenances/{window['id']}"
    carrier = window["announcements_incident_id"]
    updates = 0

    def tick(moment: datetime, *, announced: int) -> list[str]:
        """Move the clock, run three beat ticks at once; the English SMS bodies they sent (all
        managers with SMS are told, once each)."""
        nonlocal updates
        service.providers.reset()
        clock.move_to(moment)
        # Concurrent ticks, waited for: each step is taken once all the same, and none can
        # still add an update after the count is read.
        service.ticks(names.REMIND)
        updates += announced
        wait_for(lambda: service.settled(carrier, updates=updates), timeout=60, what="announced")
        assert len(service.call("GET", f"/api/v1/incidents/{carrier}").json()["updates"]) == (
            updates
        )
        # Maintenance messages only: the incident opened at the end sends its own.
        sent = [
            r
            for r in service.providers.records("sms")
            if r.to in managers and any(w in r.body for w in MAINTENANCE_WORDS)
        ]
        assert sorted(r.to for r in sent) == (sorted(managers) if announced else []), (
            moment,
            [(r.to, r.body[:60]) for r in sent],
        )
        return [r.body for r in sent if r.to in english]

    def status() -> dict[str, Any]:
        body: dict[str, Any] = service.api.get("/status.json").json()
        return body

    scheduled = tick(SCHEDULED, announced=1)
    assert scheduled and all(
        "Planned maintenance of receiving email, sending" in b for b in scheduled
    )
    # The English reader lives in London: times in his zone, named, with the date.
    assert "Mar 14, 01:00 GMT to Mar 14, 04:00 GMT" in scheduled[0] and TEXT in scheduled[0]
    (upcoming,) = status()["maintenance"]
    assert upcoming["state"] == "upcoming" and upcoming["text"] == TEXT
    assert status()["email_ok"] is True  # planned work is not an outage
    page = service.api.get("/status").text
    assert "Planned maintenance" in page and TEXT in page
    feed = service.api.get("/status/feed.atom").text
    assert f"maintenance-{window['id']}-upcoming" in feed and TEXT in feed

    assert tick(START - timedelta(hours=30), announced=0) == []
    (reminded, *_) = tick(START - timedelta(hours=24) + timedelta(seconds=1), announced=1)
    assert reminded.startswith("[") and "Reminder: planned maintenance" in reminded
    (started, *_) = tick(START + timedelta(seconds=1), announced=1)
    assert "has started; expected to end by Mar 14, 04:00 GMT" in started
    assert status()["maintenance"][0]["state"] == "in_progress"

    # An alert about receiving email during the window: no incident, nobody told.
    service.providers.reset()
    alert = service.call(
        "POST",
        "/api/v1/webhooks/generic",
        role="monitor",
        json={
            "source": "zabbix",
            "dedup_key": "imap-slow",
            "status": "firing",
            "severity": "major",
            "summary": "IMAP queue growing on mx1",
            "components": ["inbound"],
        },
    )
    assert alert.status_code == 202, alert.text

    def silenced() -> bool:
        timeline = service.call("GET", base).json()["timeline"]
        return any(entry["kind"] == "alert" for entry in timeline)

    wait_for(silenced, timeout=30, what="the alert on the window's timeline")
    incidents = service.call("GET", "/api/v1/incidents").json()["items"]
    assert [i for i in incidents if i["service"] == "email"] == []
    assert service.providers.records() == []
    assert service.call("GET", base).json()["silenced_alerts_firing"]

    # The end: no probe yet, so it waits; a failing probe extends it visibly.
    assert tick(END + timedelta(seconds=1), announced=0) == []
    assert service.call("GET", base).json()["state"] == "verifying"
    probe(service, at=END + timedelta(seconds=30), ok=False)
    (extended, *_) = tick(END + timedelta(minutes=1), announced=1)
    assert "now expected to end by Mar 14, 04:31 GMT (we expected Mar 14, 04:00 GMT)" in extended
    detail = service.call("GET", base).json()
    assert detail["state"] == "active" and detail["planned_end"] != detail["end"]
    new_end = datetime.fromisoformat(detail["end"])

    # A passing round trip after the new end completes it; the alert still fires, so the
    # incidents take it over.
    probe(service, at=new_end + timedelta(seconds=5), ok=True)
    (completed, *_) = tick(new_end + timedelta(seconds=10), announced=1)
    assert "Planned maintenance of receiving email, sending email is complete" in completed
    detail = service.call("GET", base).json()
    assert detail["state"] == "completed" and detail["silenced_alerts_firing"] == []
    assert {e["kind"] for e in detail["timeline"]} >= {"alert", "extended", "completed", "incident"}

    def opened() -> list[dict[str, Any]]:
        items = service.call("GET", "/api/v1/incidents").json()["items"]
        return [i for i in items if i["service"] == "email"]

    (incident,) = wait_for(opened, timeout=30, what="an incident for the alert still firing")
    assert incident["title"].startswith("The maintenance ended but the problem remains")
    assert status()["maintenance"] == [] and status()["email_ok"] is False
    feed = service.api.get("/status/feed.atom").text
    assert f"maintenance-{window['id']}-completed" in feed
