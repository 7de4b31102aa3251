"""Loading everything the post-incident report is computed from, for one incident."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from outage_notify.core.models import Severity
from outage_notify.report.build import build_report
from outage_notify.report.model import Report
from outage_notify.report.timeline import payload_start
from outage_notify.store import incidents as incident_store
from outage_notify.store.coverage import incident_coverage
from outage_notify.store.tables import (
    ActionItemRow,
    AttemptRow,
    DeliveryRow,
    EtaRow,
    EventRow,
    IncidentRow,
    PhaseTransitionRow,
    ProbeRow,
    TimelineRow,
    UpdateRow,
)


@dataclass(frozen=True)
class ReportRows:
    """An incident and every row of it the report reads."""

    incident: IncidentRow
    timeline: Sequence[TimelineRow]
    updates: Sequence[UpdateRow]
    deliveries: Sequence[DeliveryRow]
    attempts: Sequence[AttemptRow]
    eta_history: Sequence[EtaRow]
    action_items: Sequence[ActionItemRow]
    probes: Sequence[ProbeRow]
    transitions: Sequence[PhaseTransitionRow] = ()
    alert_starts: Sequence[datetime] = ()


def alert_starts(session: Session, incident_id: int) -> list[datetime]:
    """When each alert that joined the incident says its problem began.

    Events applied before the `started_at` column existed keep the time in their payload
    (`AlertEvent.started_at`): read there, as a fallback, for those rows only.
    """
    joined = (EventRow.incident_id == incident_id, EventRow.kind == "alert")
    starts = list(
        session.scalars(
            select(EventRow.started_at).where(*joined, EventRow.started_at.is_not(None))
        )
    )
    payloads: Sequence[dict[str, Any]] = session.scalars(
        select(EventRow.payload).where(*joined, EventRow.started_at.is_(None))
    ).all()
    return [when for when in starts if when is not None] + [
        when for payload in payloads if (when := payload_start(payload)) is not None
    ]


def load_report_rows(session: Session, incident_id: int) -> ReportRows | None:
    """The incident's rows, or None if there is no such incident."""
    incident = session.get(IncidentRow, incident_id)
    if incident is None:
        return None
    return ReportRows(
        incident=incident,
        timeline=incident_store.timeline(session, incident_id),
        updates=incident_store.updates(session, incident_id),
        deliveries=incident_store.of_incident(session, DeliveryRow, incident_id),
        attempts=session.scalars(
            select(AttemptRow)
            .join(DeliveryRow, AttemptRow.delivery_id == DeliveryRow.id)
            .where(DeliveryRow.incident_id == incident_id)
            .order_by(AttemptRow.id)
        ).all(),
        eta_history=incident_store.of_incident(session, EtaRow, incident_id),
        action_items=incident_store.of_incident(session, ActionItemRow, incident_id),
        probes=incident_store.of_incident(session, ProbeRow, incident_id),
        transitions=session.scalars(
            select(PhaseTransitionRow)
            .where(PhaseTransitionRow.incident_id == incident_id)
            .order_by(PhaseTransitionRow.at, PhaseTransitionRow.id)
        ).all(),
        alert_starts=alert_starts(session, incident_id),
    )


def incident_report(
    session: Session,
    incident_id: int,
    *,
    now: datetime,
    cadence_minutes: Mapping[Severity, int],
    deadlines: Mapping[str, float],
    timezone: str = "UTC",
    locale: str = "en",
) -> Report | None:
    """Load an incident's rows and build its report; None if there is no such incident.

    `deadlines`: acknowledgement deadlines in minutes per audience (`coverage.ack_deadlines`).
    """
    rows = load_report_rows(session, incident_id)
    if rows is None:
        return None
    return build_report(
        incident=rows.incident,
        timeline=rows.timeline,
        updates=rows.updates,
        deliveries=rows.deliveries,
        attempts=rows.attempts,
        eta_history=rows.eta_history,
        action_items=rows.action_items,
        probes=rows.probes,
        transitions=rows.transitions,
        alert_starts=rows.alert_starts,
        timezone=timezone,
        locale=locale,
        now=now,
        cadence_minutes=cadence_minutes,
        coverage=incident_coverage(session, incident_id, now=now, deadlines=deadlines),
    )
