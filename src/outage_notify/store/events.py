"""Accepted events by state: failing one, listing the failed, retrying one, counting them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from outage_notify.core.models import EventState
from outage_notify.store.metrics import _count_by
from outage_notify.store.pages import newest_first
from outage_notify.store.tables import EventRow

# Failed events are rare, and the lead needs one nudge to look, not one per event.
NOTICE_INTERVAL = timedelta(hours=1)
# The advisory lock that serialises "was the lead told in the last hour?" across services.
_NOTICE_LOCK = int.from_bytes(hashlib.sha256(b"event-failure-notice").digest()[:8], "big") >> 1


def mark_applied(
    event: EventRow,
    *,
    incident_id: int | None,
    now: datetime,
    started_at: datetime | None = None,
) -> None:
    """Applied; `started_at` is when the alert says the problem began, if it says."""
    event.started_at = started_at
    event.state = EventState.APPLIED.value
    event.processed_at = now
    event.incident_id = incident_id
    event.error = ""
    event.attempts += 1


def mark_failed(event: EventRow, *, error: str, now: datetime) -> None:
    """Not pending any more (the sweeper and later events of its service go on without it)."""
    event.state = EventState.FAILED.value
    event.processed_at = now
    event.error = error
    event.attempts += 1


def lead_told_lately(session: Session, *, now: datetime) -> bool:
    """Whether the lead was told of a failed event in the last hour; locks the question.

    The lock (PostgreSQL advisory, to the end of the transaction; SQLite has one writer) makes
    two workers failing events of two services at once send one notice, not two.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _NOTICE_LOCK})
    newest = session.scalar(select(func.max(EventRow.lead_told_at)))
    return newest is not None and newest > now - NOTICE_INTERVAL


def list_events(
    session: Session, *, state: EventState | None, limit: int, offset: int
) -> tuple[Sequence[EventRow], int]:
    """A page of events, newest first, with the total count."""
    where = [] if state is None else [EventRow.state == state.value]
    return newest_first(session, EventRow, EventRow.id, *where, limit=limit, offset=offset)


def locked(session: Session, event_id: int) -> EventRow | None:
    return session.get(EventRow, event_id, with_for_update=True)


def make_pending(event: EventRow) -> None:
    """A failed event back in line: the next `process_event` (or the sweeper) applies it."""
    event.state = EventState.PENDING.value
    event.processed_at = None


def count_by_state(session: Session) -> dict[str, int]:
    """State -> events, every state present (0 when none)."""
    return _count_by(session, EventRow.state, EventState)
