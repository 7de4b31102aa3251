"""The report reads structured rows: alert start times and phase transitions, on SQLite and
PostgreSQL, with real Alertmanager payloads applied by the real event step."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from outage_notify.ingest import alertmanager
from outage_notify.ingest.labels import LabelMapping
from outage_notify.store import incidents as incident_store
from outage_notify.store.engine import transaction
from outage_notify.store.report import incident_report
from outage_notify.store.tables import EventRow, IncidentRow, PhaseTransitionRow
from outage_notify.worker import event_steps
from outage_notify.worker.runtime import WorkerRuntime
from tests.fixtures.settings import build_settings
from tests.fixtures.webhooks import webhook_payload

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runtime(database_url: str) -> Iterator[WorkerRuntime]:
    settings = build_settings(
        database_url=database_url,
        contacts_dir=ROOT / "contacts",
        templates_dir=ROOT / "templates",
        timezone="America/Sao_Paulo",
        resolve_hold_seconds=0,
    )
    worker = WorkerRuntime(settings)
    yield worker
    worker.close()


def alertmanager_says(
    runtime: WorkerRuntime, name: str, *, starts: list[datetime], ends: datetime | None = None
) -> int:
    """Store one Alertmanager notification as the webhook does, apply it; the event id."""
    data: dict[str, Any] = webhook_payload(name)
    for alert, start in zip(data["alerts"], starts, strict=True):
        alert["startsAt"] = start.isoformat()
        if ends is not None:
            alert["endsAt"] = ends.isoformat()
    payload = alertmanager.AlertmanagerPayload.model_validate(data)
    event = alertmanager.to_event(payload, mapping=LabelMapping.from_settings(runtime.settings))
    with transaction(runtime.sessions) as session:
        row, created = incident_store.record_event(
            session,
            source=event.source,
            service=event.service,
            dedup_key=event.dedup_key,
            kind="alert",
            payload=event.model_dump(mode="json"),
            actor="alertmanager",
        )
        assert created
        event_id = row.id
    event_steps.process_event(runtime, event_id)
    return event_id


def test_time_to_detect_is_measured_from_alertmanagers_starts_at_and_a_reopen_is_a_stretch(
    runtime: WorkerRuntime,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    first = [now - timedelta(minutes=7), now - timedelta(minutes=5)]
    opened_by = alertmanager_says(runtime, "alertmanager_firing.json", starts=first)
    alertmanager_says(runtime, "alertmanager_resolved.json", starts=first, ends=now)
    again = [now - timedelta(seconds=30), now - timedelta(seconds=20)]
    alertmanager_says(runtime, "alertmanager_firing.json", starts=again)
    alertmanager_says(runtime, "alertmanager_resolved.json", starts=again, ends=now)

    with runtime.sessions() as session:
        [incident] = session.scalars(select(IncidentRow)).all()
        event = session.get(EventRow, opened_by)
        assert event is not None and event.started_at == first[0]
        moves = [
            (t.from_phase, t.to_phase, t.actor)
            for t in session.scalars(
                select(PhaseTransitionRow).order_by(PhaseTransitionRow.id)
            ).all()
        ]
        report = incident_report(
            session,
            incident.id,
            now=datetime.now(UTC),
            cadence_minutes=runtime.settings.update_cadence_minutes,
            deadlines={},
            timezone=runtime.settings.timezone,
        )
    assert moves == [
        (None, "detected", "alertmanager"),
        ("detected", "resolved", "alertmanager"),
        ("resolved", "investigating", "alertmanager"),
        ("investigating", "resolved", "alertmanager"),
    ]
    assert report is not None
    # Issue 14: "Time to detect: 0s … as no alert carried a start time".
    assert report.timings.detect_basis == "alert_starts_at"
    assert report.timings.outage_started_at == first[0]
    detect = (incident.opened_at - first[0]).total_seconds()
    assert report.timings.time_to_detect_seconds == pytest.approx(detect)
    assert detect >= 7 * 60
    # Issue 14: the reopened stretch counted as resolved.
    assert report.phase_basis == "transitions"
    assert [p.phase for p in report.phases] == ["detected", "resolved", "investigating"]
    assert report.timezone == "America/Sao_Paulo"
