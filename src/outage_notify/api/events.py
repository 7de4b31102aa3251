"""Accepted events for staff: list them by state, and retry a failed one after a fix."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status

from outage_notify.actions.staff import audit
from outage_notify.api.deps import AUTH_RESPONSES, DB, Staff, action_context
from outage_notify.api.listing_schemas import EventOut, EventPage, EventRetried
from outage_notify.api.schemas import MAX_ROW_ID, Offset, PageSize
from outage_notify.core.models import EventState
from outage_notify.store import events as event_store
from outage_notify.store.engine import transaction

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/events", tags=["events"], responses=AUTH_RESPONSES)
EventId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The event's id.")]


@router.get("", response_model=EventPage)
def list_events(
    db: DB,
    principal: Staff,
    state: EventState | None = None,
    limit: PageSize = 50,
    offset: Offset = 0,
) -> EventPage:
    """Accepted events, newest first; `state=failed` lists those waiting for a fix and a retry."""
    rows, total = event_store.list_events(db, state=state, limit=limit, offset=offset)
    return EventPage(
        items=[EventOut.model_validate(r, from_attributes=True) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/{event_id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=EventRetried,
)
def retry_event(request: Request, principal: Staff, event_id: EventId) -> EventRetried:
    """Apply a failed event again (after the cause is fixed): it becomes pending, in line
    behind nothing (its service's later events were applied without it)."""
    ctx = action_context(request)
    with transaction(ctx.sessions) as session:
        event = event_store.locked(session, event_id)
        if event is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no event {event_id}")
        if event.state != EventState.FAILED:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"event {event_id} is {event.state}; only a failed event can be retried",
            )
        audit(
            session,
            ctx,
            principal,
            action="retry_event",
            incident_id=event.incident_id,
            detail={"event_id": event.id, "error": event.error, "attempts": event.attempts},
        )
        event_store.make_pending(event)
        session.flush()
        out = EventOut.model_validate(event, from_attributes=True)
    queued = True
    try:
        ctx.enqueuer.event(event_id)
    except Exception:
        log.exception("broker unreachable; event %s waits for the sweeper", event_id)
        queued = False
    return EventRetried(event=out, queued=queued)
