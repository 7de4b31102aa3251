"""Events, incidents, updates and timeline: loading and saving around the pure lifecycle."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from outage_notify.lifecycle import Decision
from outage_notify.models import IncidentState, Phase, Severity, UpdateDraft
from outage_notify.store.tables import EventRow, IncidentRow, TimelineRow, UpdateRow


def record_event(
    session: Session,
    *,
    source: str,
    service: str,
    dedup_key: str,
    kind: str,
    payload: dict[str, Any],
    actor: str,
) -> tuple[EventRow, bool]:
    """Insert an event, or return the existing one with the same dedup key (created=False)."""
    row = EventRow(
        source=source, service=service, dedup_key=dedup_key, kind=kind, payload=payload, actor=actor
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = session.scalars(select(EventRow).where(EventRow.dedup_key == dedup_key)).one()
        return existing, False
    return row, True


def lock_service(session: Session, service: str) -> None:
    """Serialise lifecycle work per service (PostgreSQL advisory lock; SQLite already is)."""
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite transactions begin IMMEDIATE: one writer at a time already.
    key = int.from_bytes(hashlib.sha256(service.encode()).digest()[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def pending_events(session: Session, *, service: str, up_to: int) -> Sequence[EventRow]:
    """Unprocessed events of a service up to an id, oldest first."""
    return session.scalars(
        select(EventRow)
        .where(EventRow.service == service, EventRow.processed_at.is_(None), EventRow.id <= up_to)
        .order_by(EventRow.id)
    ).all()


def open_incident(session: Session, service: str) -> IncidentRow | None:
    """The newest incident of a service that is not resolved."""
    return session.scalars(
        select(IncidentRow)
        .where(IncidentRow.service == service, IncidentRow.phase != Phase.RESOLVED)
        .order_by(IncidentRow.id.desc())
        .limit(1)
    ).first()


def get_incident(
    session: Session, incident_id: int, *, for_update: bool = False
) -> IncidentRow | None:
    statement = select(IncidentRow).where(IncidentRow.id == incident_id)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).first()


def to_state(row: IncidentRow) -> IncidentState:
    """The lifecycle's view of a stored incident."""
    return IncidentState(
        id=row.id,
        service=row.service,
        title=row.title,
        summary=row.summary,
        severity=Severity(row.severity),
        phase=Phase(row.phase),
        components=list(row.components),
        opened_at=row.opened_at,
        eta=row.eta,
        next_update_at=row.next_update_at,
        resolved_at=row.resolved_at,
        active_groups=list(row.active_groups),
        notified_audiences={k: [dict(f) for f in v] for k, v in row.notified_audiences.items()},
    )


def _copy_state(row: IncidentRow, state: IncidentState) -> None:
    row.service = state.service
    row.title = state.title
    row.summary = state.summary
    row.severity = state.severity.value
    row.phase = state.phase.value
    row.components = list(state.components)
    row.eta = state.eta
    row.next_update_at = state.next_update_at
    row.resolved_at = state.resolved_at
    row.active_groups = list(state.active_groups)
    row.notified_audiences = {k: list(v) for k, v in state.notified_audiences.items()}


def save_decision(
    session: Session, decision: Decision, *, row: IncidentRow | None, now: datetime, actor: str
) -> tuple[IncidentRow | None, UpdateRow | None]:
    """Persist a lifecycle decision: incident, timeline entries and the update to plan."""
    if decision.incident is None:
        return row, None
    if row is None:
        row = IncidentRow(opened_at=decision.incident.opened_at, created_by=actor)
        session.add(row)
    _copy_state(row, decision.incident)
    session.flush()
    for entry in decision.timeline:
        session.add(
            TimelineRow(
                incident_id=row.id,
                at=now,
                actor=entry.actor,
                kind=entry.kind,
                text=entry.text,
                data=entry.data,
            )
        )
    update = None
    if decision.update is not None:
        update = add_update(session, row, decision.update, now=now)
    return row, update


def add_update(
    session: Session, incident: IncidentRow, draft: UpdateDraft, *, now: datetime
) -> UpdateRow:
    """Store an update to be planned, and put it on the timeline."""
    update = UpdateRow(
        incident_id=incident.id,
        kind=draft.kind.value,
        message=draft.message,
        phase=(draft.phase or Phase(incident.phase)).value,
        severity=incident.severity,
        components=list(incident.components),
        eta=incident.eta,
        next_update_at=incident.next_update_at,
        audiences=list(draft.audiences) if draft.audiences is not None else None,
        created_at=now,
        created_by=draft.actor,
    )
    session.add(update)
    session.flush()
    session.add(
        TimelineRow(
            incident_id=incident.id,
            at=now,
            actor=draft.actor,
            kind="update",
            text=f"{draft.kind}: {draft.message}".rstrip(": "),
            data={"update_id": update.id, "kind": draft.kind.value},
        )
    )
    return update


def list_incidents(
    session: Session, *, phase: Phase | None, limit: int, offset: int
) -> tuple[Sequence[IncidentRow], int]:
    """A page of incidents, newest first, with the total count."""
    statement = select(IncidentRow)
    counting = select(func.count()).select_from(IncidentRow)
    if phase is not None:
        statement = statement.where(IncidentRow.phase == phase.value)
        counting = counting.where(IncidentRow.phase == phase.value)
    rows = session.scalars(
        statement.order_by(IncidentRow.id.desc()).limit(limit).offset(offset)
    ).all()
    return rows, session.scalar(counting) or 0


def timeline(session: Session, incident_id: int) -> Sequence[TimelineRow]:
    return session.scalars(
        select(TimelineRow).where(TimelineRow.incident_id == incident_id).order_by(TimelineRow.id)
    ).all()


def updates(session: Session, incident_id: int) -> Sequence[UpdateRow]:
    return session.scalars(
        select(UpdateRow).where(UpdateRow.incident_id == incident_id).order_by(UpdateRow.id)
    ).all()
