"""The audit log: who did what to which incident, from where. Append-only.

Only `record` writes, and it only inserts, in the caller's transaction, so an action and its
audit row commit or roll back together. There is deliberately no function that updates or
deletes an entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from outage_notify.store.tables import AuditRow


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    role: str,
    action: str,
    incident_id: int | None,
    detail: dict[str, Any],
    client: str,
) -> AuditRow:
    """Append one entry (flushed, so it has its id)."""
    row = AuditRow(
        at=at,
        actor=actor,
        role=role,
        action=action,
        incident_id=incident_id,
        detail=detail,
        client=client[:100],
    )
    session.add(row)
    session.flush()
    return row


def entries(
    session: Session,
    *,
    incident_id: int | None = None,
    actor: str | None = None,
    limit: int,
    offset: int = 0,
) -> tuple[Sequence[AuditRow], int]:
    """Entries newest first, optionally of one incident or one actor, and their total."""
    query = select(AuditRow)
    if incident_id is not None:
        query = query.where(AuditRow.incident_id == incident_id)
    if actor is not None:
        query = query.where(AuditRow.actor == actor)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditRow.id.desc()).limit(limit).offset(offset)).all()
    return rows, total
