"""Previews for staff: what a declaration or an update would send, per audience, channel,
locale and zone, with SMS segments, encoding and cost and who would get it. They send
nothing and store nothing (`actions.preview`)."""

from __future__ import annotations

from fastapi import Request

from outage_notify.actions.preview import preview_declaration, preview_staff_update
from outage_notify.api.deps import Staff, action_context, domain_errors, snapshot_of, staff_router
from outage_notify.api.incidents import checked_change, checked_declaration
from outage_notify.api.preview_schemas import PreviewOut, preview_out
from outage_notify.api.schemas import DeclareIncident, IncidentId, StaffUpdate

router = staff_router("/api/v1/incidents", "incidents")


@router.post("/preview", response_model=PreviewOut)
def preview_declare(request: Request, body: DeclareIncident, principal: Staff) -> PreviewOut:
    """What declaring this incident would send, to whom and at what SMS cost; nothing is sent
    or stored (409 when an incident of the service is open, as the declaration would be)."""
    declaration = checked_declaration(request, body)
    with domain_errors():
        found = preview_declaration(
            action_context(request), snapshot_of(request), declaration, actor=principal.name
        )
    return preview_out(found)


@router.post("/{incident_id}/updates/preview", response_model=PreviewOut)
def preview_update(
    request: Request, incident_id: IncidentId, body: StaffUpdate, principal: Staff
) -> PreviewOut:
    """What this update would send, to whom and at what SMS cost; nothing is sent or stored."""
    change = checked_change(request, body)
    with domain_errors():
        found = preview_staff_update(
            action_context(request),
            snapshot_of(request),
            incident_id,
            change,
            actor=principal.name,
        )
    return preview_out(found)
