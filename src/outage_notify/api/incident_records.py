"""Staff records on an incident that tell nobody: notes and findings, action items, lead,
root cause, and corrections of its title, severity, components and public title. Every write
is on the timeline and in the audit log."""

from __future__ import annotations

from fastapi import Request, status

from outage_notify.actions import notes, records
from outage_notify.api import bodies
from outage_notify.api.deps import Staff, action_context, domain_errors, staff_router
from outage_notify.api.incidents import check_components, check_lead
from outage_notify.api.record_schemas import ActionItemIn, IncidentPatch, NoteIn
from outage_notify.api.schemas import Created, IncidentId, IncidentOut

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
    with domain_errors():
        item_id = records.add_action_item(
            action_context(request), principal, incident_id, text=body.text, owner=body.owner
        )
    return Created(id=item_id)


@router.patch("/{incident_id}", response_model=IncidentOut)
def patch_incident(
    request: Request, incident_id: IncidentId, body: IncidentPatch, principal: Staff
) -> IncidentOut:
    """Set the incident lead, the root cause or the public title (the status page's), or
    correct its title, severity or components. Tells nobody: to tell people of a change of
    components, send an update with `components`."""
    check_lead(request, body.lead)
    check_components(request, body.components)
    with domain_errors():
        row = records.edit_incident(
            action_context(request),
            principal,
            incident_id,
            title=body.title,
            severity=body.severity,
            components=body.components,
            lead=body.lead,
            root_cause=body.root_cause,
            public_title=body.public_title,
            cause_category=body.cause_category,
            detail=body.model_dump(mode="json", exclude_none=True),
        )
    return bodies.incident(row)
