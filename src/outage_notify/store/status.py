"""Reads for the public status page: open and past incidents and their updates.

A retracted incident (staff withdrew it as a mistake) is not read at all: not open, not past,
not in the feed.

Nothing here reads the timeline: its notes and findings are internal and the status page never
sees them, so no filter downstream can forget to drop them.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from outage_notify.core.models import Phase
from outage_notify.store.tables import IncidentRow, UpdateRow


def open_incidents(session: Session) -> Sequence[IncidentRow]:
    """Incidents that are not resolved, newest first."""
    return session.scalars(
        select(IncidentRow)
        .where(IncidentRow.phase != Phase.RESOLVED.value, IncidentRow.retracted_at.is_(None))
        .order_by(IncidentRow.opened_at.desc(), IncidentRow.id.desc())
    ).all()


def resolved_incidents(session: Session, *, limit: int) -> Sequence[IncidentRow]:
    """The most recently resolved incidents, newest resolution first."""
    return session.scalars(
        select(IncidentRow)
        .where(
            IncidentRow.phase == Phase.RESOLVED.value,
            IncidentRow.resolved_at.is_not(None),
            IncidentRow.retracted_at.is_(None),
        )
        .order_by(IncidentRow.resolved_at.desc(), IncidentRow.id.desc())
        .limit(limit)
    ).all()


def latest_updates(session: Session, incident_id: int, *, limit: int) -> Sequence[UpdateRow]:
    """An incident's newest updates, newest first (public or not: the caller decides)."""
    return session.scalars(
        select(UpdateRow)
        .where(UpdateRow.incident_id == incident_id)
        .order_by(UpdateRow.id.desc())
        .limit(limit)
    ).all()


def updates_of(
    session: Session, incident_ids: Collection[int], *, limit: int
) -> Sequence[UpdateRow]:
    """The newest updates of these incidents, newest first, at most `limit` of them in all."""
    if not incident_ids:
        return []
    return session.scalars(
        select(UpdateRow)
        .where(UpdateRow.incident_id.in_(incident_ids))
        .order_by(UpdateRow.id.desc())
        .limit(limit)
    ).all()


def recent_updates(session: Session, *, limit: int) -> list[tuple[UpdateRow, IncidentRow]]:
    """The newest updates of all incidents with their incident, newest first."""
    rows = session.execute(
        select(UpdateRow, IncidentRow)
        .join(IncidentRow, IncidentRow.id == UpdateRow.incident_id)
        .where(IncidentRow.retracted_at.is_(None))
        .order_by(UpdateRow.id.desc())
        .limit(limit)
    ).all()
    return [(update, incident) for update, incident in rows]
