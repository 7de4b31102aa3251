"""Staff records on an incident that tell nobody: notes and findings, action items, lead,
root cause. Every write is on the timeline and in the audit log."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy.orm import Session

from outage_notify.api import views
from outage_notify.api.deps import AUTH_RESPONSES, Staff
from outage_notify.api.incidents import audit_action, check_lead
from outage_notify.api.schemas import (
    ActionItemIn,
    Created,
    IncidentId,
    IncidentOut,
    IncidentPatch,
    NoteIn,
)
from outage_notify.store import incidents as incident_store
from outage_notify.store.engine import transaction
from outage_notify.store.tables import ActionItemRow, IncidentRow, TimelineRow

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"], responses=AUTH_RESPONSES)


@router.post("/{incident_id}/notes", status_code=status.HTTP_201_CREATED, response_model=Created)
def add_note(request: Request, incident_id: IncidentId, body: NoteIn, principal: Staff) -> Created:
    """An internal note or troubleshooting finding: on the timeline, never sent to anyone."""
    with transaction(request.app.state.sessions) as session:
        _incident_or_404(session, incident_id)
        row = TimelineRow(
            incident_id=incident_id,
            at=datetime.now(UTC),
            actor=principal.name,
            kind=body.kind,
            text=body.text,
        )
        session.add(row)
        session.flush()
        audit_action(
            session,
            request,
            principal,
            action=body.kind,
            incident_id=incident_id,
            detail={"timeline_id": row.id, "text": body.text},
        )
        return Created(id=row.id)


@router.post(
    "/{incident_id}/action-items", status_code=status.HTTP_201_CREATED, response_model=Created
)
def add_action_item(
    request: Request, incident_id: IncidentId, body: ActionItemIn, principal: Staff
) -> Created:
    """A follow-up for the post-incident report."""
    with transaction(request.app.state.sessions) as session:
        _incident_or_404(session, incident_id)
        row = ActionItemRow(
            incident_id=incident_id,
            text=body.text,
            owner=body.owner,
            created_at=datetime.now(UTC),
            created_by=principal.name,
        )
        session.add(row)
        session.flush()
        audit_action(
            session,
            request,
            principal,
            action="action_item",
            incident_id=incident_id,
            detail={"action_item_id": row.id, "text": body.text, "owner": body.owner},
        )
        return Created(id=row.id)


@router.patch("/{incident_id}", response_model=IncidentOut)
def patch_incident(
    request: Request, incident_id: IncidentId, body: IncidentPatch, principal: Staff
) -> IncidentOut:
    """Set the incident lead or the root cause."""
    check_lead(request, body.lead)
    with transaction(request.app.state.sessions) as session:
        row = _incident_or_404(session, incident_id, for_update=True)
        changes = []
        if body.lead is not None:
            row.lead = body.lead
            changes.append(f"lead set to {body.lead or 'nobody'}")
        if body.root_cause is not None:
            row.root_cause = body.root_cause
            changes.append("root cause recorded")
        if changes:
            session.add(
                TimelineRow(
                    incident_id=incident_id,
                    at=datetime.now(UTC),
                    actor=principal.name,
                    kind="edit",
                    text="; ".join(changes),
                )
            )
            audit_action(
                session,
                request,
                principal,
                action="edit",
                incident_id=incident_id,
                detail=body.model_dump(mode="json", exclude_none=True),
            )
        return views.incident(row)


def _incident_or_404(
    session: Session, incident_id: int, *, for_update: bool = False
) -> IncidentRow:
    row = incident_store.get_incident(session, incident_id, for_update=for_update)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no incident {incident_id}")
    return row
