"""Previews for staff: what a declaration or an update would send, per audience, channel,
locale and zone, with SMS segments, encoding and cost and who would get it. They send
nothing and store nothing (`actions.preview`)."""

from __future__ import annotations

from fastapi import Request

from outage_notify.actions.preview import preview_declaration, preview_staff_update
from outage_notify.api.deps import Staff, action_context, domain_errors, snapshot_of, staff_router
from outage_notify.api.incidents import check_audiences, check_components, check_lead
from outage_notify.api.preview_schemas import PreviewOut, preview_out
from outage_notify.api.schemas import DeclareIncident, IncidentId, StaffUpdate

router = staff_router("/api/v1/incidents", "incidents")


@router.post("/preview", response_model=PreviewOut)
def preview_declare(request: Request, body: DeclareIncident, principal: Staff) -> PreviewOut:
    """What declaring this incident would send, to whom and at what SMS cost; nothing is sent
    or stored (409 when an incident of the service is open, as the declaration would be)."""
    check_lead(request, body.lead)
    check_components(request, body.components)
    with domain_errors():
        found = preview_declaration(
            action_context(request),
            snapshot_of(request),
            actor=principal.name,
            title=body.title,
            summary=body.summary,
            severity=body.severity,
            components=body.components,
            eta=body.eta,
            service=body.service,
            lead=body.lead,
            cause_category=body.cause_category,
            security_mode=body.security,
        )
    return preview_out(found)


@router.post("/{incident_id}/updates/preview", response_model=PreviewOut)
def preview_update(
    request: Request, incident_id: IncidentId, body: StaffUpdate, principal: Staff
) -> PreviewOut:
    """What this update would send, to whom and at what SMS cost; nothing is sent or stored."""
    check_audiences(request, body.audiences)
    check_components(request, body.components)
    with domain_errors():
        found = preview_staff_update(
            action_context(request),
            snapshot_of(request),
            actor=principal.name,
            incident_id=incident_id,
            message=body.message,
            phase=body.phase,
            eta=body.eta,
            audiences=body.audiences,
            announce_eta=body.announce_eta,
            public=body.public,
            components=body.components,
        )
    return preview_out(found)
