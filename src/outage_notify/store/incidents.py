"""Events, incidents, updates and timeline: loading and saving around the pure lifecycle."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from outage_notify.core.models import (
    STAFF_KINDS,
    Phase,
    UpdateDraft,
    UpdateKind,
)
from outage_notify.incidents.lifecycle import Decision, phase_transition
from outage_notify.incidents.update_fields import draft_update, stored_fields
from outage_notify.store.engine import add_unless_duplicate
from outage_notify.store.mappers import copy_incident_state
from outage_notify.store.pages import newest_first
from outage_notify.store.tables import (
    Base,
    EtaRow,
    EventRow,
    IncidentRow,
    PhaseTransitionRow,
    ProbeRow,
    TimelineRow,
    UpdateRow,
)


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
    """Insert an event, or return the existing one with the same dedup key (created=False).

    On PostgreSQL and SQLite one `INSERT … ON CONFLICT (dedup_key) DO NOTHING RETURNING …`
    round trip; only a duplicate costs a second one (the SELECT of the stored row).
    """
    values = {
        "source": source,
        "service": service,
        "dedup_key": dedup_key,
        "kind": kind,
        "payload": payload,
        "actor": actor,
    }
    dialect = session.get_bind().dialect.name
    statement = _INSERT_EVENT.get(dialect)
    if statement is None:
        return _record_event_savepoint(session, values)
    row = session.scalars(statement, values).one_or_none()
    if row is not None:
        return row, True
    return _event_by_key(session, dedup_key), False


# Built once: building and caching a statement per call costs more CPU than running it.
_INSERT_EVENT = {
    name: insert(EventRow)
    .on_conflict_do_nothing(index_elements=[EventRow.dedup_key])
    .returning(EventRow)
    for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


def _record_event_savepoint(session: Session, values: dict[str, Any]) -> tuple[EventRow, bool]:
    """Any other backend: INSERT in a SAVEPOINT, the stored row on a unique violation."""
    row = EventRow(**values)
    if add_unless_duplicate(session, row):
        return row, True
    return _event_by_key(session, values["dedup_key"]), False


def _event_by_key(session: Session, dedup_key: str) -> EventRow:
    return session.scalars(select(EventRow).where(EventRow.dedup_key == dedup_key)).one()


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


def latest_incident(session: Session, service: str) -> IncidentRow | None:
    """The service's open incident, else its most recently resolved one (for the hold-down)."""
    found = open_incident(session, service)
    if found is not None:
        return found
    return session.scalars(
        select(IncidentRow)
        .where(IncidentRow.service == service)
        .order_by(IncidentRow.resolved_at.desc(), IncidentRow.id.desc())
        .limit(1)
    ).first()


def newest_incident(session: Session) -> IncidentRow | None:
    """The most recently opened incident of any service."""
    return session.scalars(select(IncidentRow).order_by(IncidentRow.id.desc()).limit(1)).first()


def cleared_before(session: Session, before: datetime) -> list[int]:
    """Open incidents whose alerts all cleared before `before` (the resolve hold is over)."""
    return list(
        session.scalars(
            select(IncidentRow.id)
            .where(
                IncidentRow.phase != Phase.RESOLVED,
                IncidentRow.alerts_clear_since.is_not(None),
                IncidentRow.alerts_clear_since <= before,
            )
            .order_by(IncidentRow.id)
        )
    )


def count_opened_by(
    session: Session, source: str, *, since: datetime, excluding_prefix: str
) -> int:
    """Incidents a webhook source opened since `since`, those of services with the prefix
    (its own "many alerts" incident) aside."""
    return (
        session.scalar(
            select(func.count())
            .select_from(IncidentRow)
            .where(
                IncidentRow.created_by == source,
                IncidentRow.opened_at >= since,
                IncidentRow.service.not_like(f"{excluding_prefix}%"),
            )
        )
        or 0
    )


def last_update_at(session: Session, incident_id: int) -> datetime | None:
    """When stakeholders last heard about the incident (notes to the lead do not count)."""
    return session.scalar(
        select(func.max(UpdateRow.created_at)).where(
            UpdateRow.incident_id == incident_id,
            UpdateRow.kind.not_in([kind.value for kind in STAFF_KINDS]),
        )
    )


def last_update_kind(session: Session, incident_id: int) -> UpdateKind | None:
    """The kind of the newest stakeholder update (notes to the lead do not count)."""
    kind = session.scalar(
        select(UpdateRow.kind)
        .where(
            UpdateRow.incident_id == incident_id,
            UpdateRow.kind.not_in([kind.value for kind in STAFF_KINDS]),
        )
        .order_by(UpdateRow.id.desc())
        .limit(1)
    )
    return UpdateKind(kind) if kind is not None else None


def open_incidents(session: Session, *, for_update: bool = False) -> Sequence[IncidentRow]:
    """Incidents not resolved; locked for the transaction when asked (reminders race)."""
    statement = (
        select(IncidentRow).where(IncidentRow.phase != Phase.RESOLVED).order_by(IncidentRow.id)
    )
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).all()


def get_incident(
    session: Session, incident_id: int, *, for_update: bool = False
) -> IncidentRow | None:
    statement = select(IncidentRow).where(IncidentRow.id == incident_id)
    if for_update:
        statement = statement.with_for_update()
    return session.scalars(statement).first()


def save_decision(
    session: Session, decision: Decision, *, row: IncidentRow | None, now: datetime, actor: str
) -> tuple[IncidentRow | None, UpdateRow | None]:
    """Persist a lifecycle decision: incident, timeline entries and the update to plan."""
    if decision.incident is None:
        return row, None
    phase_before: Phase | None = None
    if row is None or decision.incident.id is None:
        # The lifecycle opened a new incident (even when it was shown an old, resolved one).
        row = IncidentRow(opened_at=decision.incident.opened_at, created_by=actor)
        session.add(row)
    else:
        phase_before = Phase(row.phase)
    eta_before = row.eta
    copy_incident_state(row, decision.incident)
    session.flush()
    moved = phase_transition(phase_before, decision, actor=actor)
    if moved is not None:
        session.add(
            PhaseTransitionRow(
                incident_id=row.id,
                from_phase=moved.from_phase.value if moved.from_phase else None,
                to_phase=moved.to_phase.value,
                at=now,
                actor=moved.actor,
            )
        )
    # A resolution closes the ETA (lifecycle.mark_resolved); that is no ETA given, so the
    # report's ETA history does not list it.
    if row.eta != eta_before and row.phase != Phase.RESOLVED.value:
        # A reopen announces its ETA too ("no new estimate yet", or staff's new one).
        announced = decision.update is not None and decision.update.kind in (
            UpdateKind.OPENED,
            UpdateKind.ETA_CHANGED,
            UpdateKind.REOPENED,
        )
        session.add(
            EtaRow(incident_id=row.id, eta=row.eta, set_at=now, set_by=actor, announced=announced)
        )
    for entry in decision.timeline:
        add_timeline(
            session,
            row.id,
            at=now,
            actor=entry.actor,
            kind=entry.kind,
            text=entry.text,
            data=entry.data,
        )
    update = None
    if decision.update is not None:
        update = add_update(session, row, decision.update, now=now)
    return row, update


def add_update(
    session: Session, incident: IncidentRow, draft: UpdateDraft, *, now: datetime
) -> UpdateRow:
    """Store an update to be planned, and put it on the timeline."""
    update = UpdateRow(**stored_fields(draft_update(incident, draft, now=now)))
    session.add(update)
    session.flush()
    add_timeline(
        session,
        incident.id,
        at=now,
        actor=draft.actor,
        kind="update",
        text=f"{draft.kind}: {draft.message}".rstrip(": "),
        data={"update_id": update.id, "kind": draft.kind.value},
    )
    return update


def list_incidents(
    session: Session, *, phase: Phase | None, limit: int, offset: int
) -> tuple[Sequence[IncidentRow], int]:
    """A page of incidents, newest first, with the total count."""
    where = [] if phase is None else [IncidentRow.phase == phase.value]
    return newest_first(session, IncidentRow, IncidentRow.id, *where, limit=limit, offset=offset)


def add_timeline(
    session: Session,
    incident_id: int,
    *,
    at: datetime,
    actor: str,
    kind: str,
    text: str,
    data: dict[str, Any] | None = None,
) -> TimelineRow:
    """Put one entry on the incident's timeline (added to the session, not flushed).

    Without `data` the column's default (an empty object) applies, as it always has.
    """
    row = TimelineRow(incident_id=incident_id, at=at, actor=actor, kind=kind, text=text)
    if data is not None:
        row.data = data
    session.add(row)
    return row


_Row = TypeVar("_Row", bound=Base)


def of_incident(session: Session, table: type[_Row], incident_id: int) -> Sequence[_Row]:
    """Every row of `table` (one with an `incident_id`) that belongs to the incident, oldest
    (lowest id) first."""
    columns = table.__table__.c
    return session.scalars(
        select(table).where(columns.incident_id == incident_id).order_by(columns.id)
    ).all()


def timeline(session: Session, incident_id: int) -> Sequence[TimelineRow]:
    return of_incident(session, TimelineRow, incident_id)


def updates(session: Session, incident_id: int) -> Sequence[UpdateRow]:
    return of_incident(session, UpdateRow, incident_id)


def consecutive_probe_failures(session: Session, *, window: int = 50) -> int:
    """How many of the newest mail round trips failed in a row."""
    newest = session.scalars(select(ProbeRow.ok).order_by(ProbeRow.id.desc()).limit(window)).all()
    count = 0
    for ok in newest:
        if ok:
            break
        count += 1
    return count
