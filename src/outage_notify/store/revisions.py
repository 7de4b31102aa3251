"""Revisions of an incident's record: every staff change kept with its old value. Append-only.

`record` only inserts, in the caller's transaction, so a change and its revision commit or
roll back together; nothing here updates or deletes a revision.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from outage_notify.store.tables import IncidentRevisionRow


def record(
    session: Session,
    incident_id: int,
    *,
    at: datetime,
    actor: str,
    changes: dict[str, tuple[Any, Any]],
) -> None:
    """One revision per changed field (`field -> (old, new)`); unchanged fields are skipped."""
    for field, (old, new) in changes.items():
        if old != new:
            session.add(
                IncidentRevisionRow(
                    incident_id=incident_id, at=at, actor=actor, field=field, old=old, new=new
                )
            )
    session.flush()


def of_incident(session: Session, incident_id: int) -> Sequence[IncidentRevisionRow]:
    """The incident's revisions, oldest first."""
    return session.scalars(
        select(IncidentRevisionRow)
        .where(IncidentRevisionRow.incident_id == incident_id)
        .order_by(IncidentRevisionRow.id)
    ).all()
