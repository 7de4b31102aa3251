"""Staff records on an incident that tell nobody: notes and findings, action items, lead,
root cause, and corrections of its title, severity, components and public title. Every write
is on the timeline and in the audit log."""

from __future__ import annotations

from dataclasses import replace

from fastapi import Request, status
from sqlalchemy.orm import Session

from outage_notify.actions import notes
from outage_notify.actions import staff as staff_actions
from outage_notify.api import bodies
from outage_notify.api.deps import (
    Staff,
    action_context,
    clock_of,
    domain_errors,
    staff_router,
)
from outage_notify.api.incidents import check_components, check_lead
from outage_notify.api.record_schemas import ActionItemIn, IncidentPatch, NoteIn
from outage_notify.api.schemas import Created, IncidentId, IncidentOut
from outage_notify.incidents import corrections, security
from outage_notify.store import incidents as incident_store
from outage_notify.store import revisions as revision_store
from outage_notify.store.engine import transaction
from outage_notify.store.mappers import incident_state
from outage_notify.store.tables import ActionItemRow, IncidentRow

router = staff_router("/api/v1/incidents", "incidents")


@router.post("/{incident_id}/notes", status_code=status.HTTP_201_CREATED, response_model=Created)
def add_note(request: Request, incident_id: IncidentId, body: NoteIn, principal: Staff) -> Created:
    """An internal note or troubleshooting finding: on the timeline, never sent to anyone
    but, with `for_security`, the security audience."""
    with domain_errors():
        timeline_id = notes.add_note(
            action_context(request),
            principal,
            incident_id,
            text=body.text,
            kind=body.kind,
            for_security=body.for_security,
        )
    return Created(id=timeline_id)


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
            created_at=clock_of(request).now(),
            created_by=principal.name,
        )
        session.add(row)
        session.flush()
        staff_actions.audit(
            session,
            action_context(request),
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
    """Set the incident lead, the root cause or the public title (the status page's), or
    correct its title, severity or components. Tells nobody: to tell people of a change of
    components, send an update with `components`."""
    check_lead(request, body.lead)
    check_components(request, body.components)
    now = clock_of(request).now()
    with transaction(request.app.state.sessions) as session:
        row = _incident_or_404(session, incident_id, for_update=True)
        before = _record(row)
        decision = corrections.edit(
            incident_state(row),
            title=body.title,
            severity=body.severity,
            components=body.components,
            actor=principal.name,
        )
        if body.cause_category is not None:
            assert decision.incident is not None
            categorised = security.categorise(
                decision.incident, body.cause_category, actor=principal.name, now=now
            )
            decision = replace(categorised, timeline=(*decision.timeline, *categorised.timeline))
        incident_store.save_decision(session, decision, row=row, now=now, actor=principal.name)
        changes: list[str] = []
        if body.lead is not None:
            row.lead = body.lead
            changes.append(f"lead set to {body.lead or 'nobody'}")
        if body.root_cause is not None:
            row.root_cause = body.root_cause
            changes.append("root cause recorded")
        if body.public_title is not None:
            row.public_title = body.public_title.strip()
            changes.append(f"public title set to {row.public_title or 'the default'}")
        if changes:
            incident_store.add_timeline(
                session,
                incident_id,
                at=now,
                actor=principal.name,
                kind="edit",
                text="; ".join(changes),
            )
        after = _record(row)
        # Every change keeps its old value as a revision: in security mode the evidence.
        revision_store.record(
            session,
            incident_id,
            at=now,
            actor=principal.name,
            changes={name: (before[name], after[name]) for name in before},
        )
        if changes or decision.timeline:
            staff_actions.audit(
                session,
                action_context(request),
                principal,
                action="edit",
                incident_id=incident_id,
                detail=body.model_dump(mode="json", exclude_none=True),
            )
        return bodies.incident(row)


def _record(row: IncidentRow) -> dict[str, object]:
    """The staff-editable fields of the record, as JSON values (for revisions)."""
    return {
        "title": row.title,
        "severity": row.severity,
        "components": list(row.components),
        "lead": row.lead,
        "root_cause": row.root_cause,
        "public_title": row.public_title,
        "cause_category": row.cause_category,
    }


def _incident_or_404(
    session: Session, incident_id: int, *, for_update: bool = False
) -> IncidentRow:
    with domain_errors():
        return staff_actions.incident_or_error(session, incident_id, for_update=for_update)
