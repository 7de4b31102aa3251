"""Staff endpoints: declare, update, resolve, reopen and retract incidents; read them and their
deliveries."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Depends, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError

from outage_notify.actions import staff as staff_actions
from outage_notify.actions.staff_decisions import Declaration, StaffChange
from outage_notify.api import bodies
from outage_notify.api.deps import (
    DB,
    Staff,
    action_context,
    clock_of,
    directory_of,
    domain_errors,
    staff_router,
)
from outage_notify.api.listing_schemas import DeliveryPage
from outage_notify.api.notification_clock import personal_data
from outage_notify.api.read_audit import audit_read
from outage_notify.api.schemas import (
    MAX_PAGE,
    DeclareIncident,
    IncidentDetail,
    IncidentId,
    IncidentPage,
    Offset,
    PageSize,
    ReopenIncident,
    ResolveIncident,
    RetractIncident,
    StaffActionOut,
    StaffUpdate,
)
from outage_notify.api.truncation import truncated
from outage_notify.core.models import DeliveryState, Phase
from outage_notify.messages.planning import find_contact
from outage_notify.report.deliveries import dry_run_reason
from outage_notify.store import deliveries as delivery_store
from outage_notify.store import incidents as incident_store
from outage_notify.store import recipient_cap
from outage_notify.store import revisions as revision_store
from outage_notify.store.coverage import ack_deadlines, incident_coverage

router = staff_router("/api/v1/incidents", "incidents")


def _invalid(field: str, value: object, reason: str) -> RequestValidationError:
    """A 422 shaped like FastAPI's own, so every 422 of the API has one documented body."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", field), "msg": reason, "input": value}]
    )


def check_lead(request: Request, lead: str | None) -> None:
    if lead and find_contact(directory_of(request), lead) is None:
        raise _invalid("lead", lead, f"field 'lead': no contact with id {lead!r} in the contacts")


def check_components(request: Request, components: list[str] | None) -> None:
    """422 listing the known components when staff name one the catalogue does not list: a
    typo ("webmial") would otherwise select no audience, and nobody would be told."""
    if components is None:
        return
    catalogue = directory_of(request).components
    unknown = catalogue.unknown(components)
    if unknown:
        raise _invalid(
            "components",
            components,
            f"field 'components': unknown component(s) {', '.join(unknown)}; "
            f"known: {', '.join(catalogue.ids)}",
        )


def check_audiences(request: Request, audiences: list[str] | None) -> None:
    if audiences is None:
        return
    known = directory_of(request).audiences
    unknown = sorted(set(audiences) - set(known))
    if unknown:
        raise _invalid(
            "audiences",
            audiences,
            f"field 'audiences': unknown audience(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}",
        )


def checked_declaration(request: Request, body: DeclareIncident) -> Declaration:
    """The declaration the body asks for, its lead and components checked (422)."""
    check_lead(request, body.lead)
    check_components(request, body.components)
    return Declaration(
        title=body.title,
        summary=body.summary,
        severity=body.severity,
        components=list(body.components),
        eta=body.eta,
        service=body.service,
        lead=body.lead,
        cause_category=body.cause_category,
        security_mode=body.security,
    )


def checked_change(request: Request, body: StaffUpdate) -> StaffChange:
    """The update the body asks for, its audiences and components checked (422)."""
    check_audiences(request, body.audiences)
    check_components(request, body.components)
    return StaffChange(
        message=body.message,
        phase=body.phase,
        eta=body.eta,
        audiences=body.audiences,
        announce_eta=body.announce_eta,
        public=body.public,
        components=body.components,
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=StaffActionOut)
def declare_incident(request: Request, body: DeclareIncident, principal: Staff) -> StaffActionOut:
    """Declare an outage; the `opened` message goes to the audiences routing selects."""
    declaration = checked_declaration(request, body)
    with domain_errors():
        done = staff_actions.declare(
            action_context(request),
            principal,
            declaration,
            detail=body.model_dump(mode="json", exclude_none=True),
        )
    return bodies.staff_action(done, truncated(request, done))


@router.post(
    "/{incident_id}/updates", status_code=status.HTTP_202_ACCEPTED, response_model=StaffActionOut
)
def post_update(
    request: Request, incident_id: IncidentId, body: StaffUpdate, principal: Staff
) -> StaffActionOut:
    """Send progress to stakeholders; a new ETA makes it an `eta_changed` message."""
    change = checked_change(request, body)
    with domain_errors():
        done = staff_actions.update(
            action_context(request),
            principal,
            incident_id,
            change,
            detail=body.model_dump(mode="json", exclude_none=True),
        )
    return bodies.staff_action(done, truncated(request, done))


@router.post(
    "/{incident_id}/resolve", status_code=status.HTTP_202_ACCEPTED, response_model=StaffActionOut
)
def resolve_incident(
    request: Request,
    incident_id: IncidentId,
    principal: Staff,
    body: Annotated[ResolveIncident | None, Body()] = None,
) -> StaffActionOut:
    """Resolve the incident; everyone who was told about it hears that it is fixed."""
    with domain_errors():
        done = staff_actions.resolve(
            action_context(request),
            principal,
            incident_id,
            message=body.message if body is not None else "",
            override_reason=body.override_reason if body is not None else "",
            public=body.public if body is not None else None,
        )
    return bodies.staff_action(done)


@router.post(
    "/{incident_id}/reopen", status_code=status.HTTP_202_ACCEPTED, response_model=StaffActionOut
)
def reopen_incident(
    request: Request, incident_id: IncidentId, body: ReopenIncident, principal: Staff
) -> StaffActionOut:
    """Reopen a resolved incident (phase investigating); whoever was told of it hears
    `reopened`. 409 when it is not resolved, or was retracted."""
    with domain_errors():
        done = staff_actions.reopen(
            action_context(request),
            principal,
            incident_id,
            message=body.message,
            public=body.public,
            eta=body.eta,
        )
    return bodies.staff_action(done, truncated(request, done))


@router.post(
    "/{incident_id}/retract", status_code=status.HTTP_202_ACCEPTED, response_model=StaffActionOut
)
def retract_incident(
    request: Request, incident_id: IncidentId, body: RetractIncident, principal: Staff
) -> StaffActionOut:
    """Withdraw a mistaken incident: whoever was told gets "please disregard"; it leaves the
    status page, /status.json, the feed and the public history (the report keeps it)."""
    with domain_errors():
        done = staff_actions.retract(
            action_context(request), principal, incident_id, message=body.message
        )
    return bodies.staff_action(done, truncated(request, done))


@router.get("", response_model=IncidentPage)
def list_incidents(
    db: DB,
    principal: Staff,
    phase: Phase | None = None,
    limit: PageSize = 50,
    offset: Offset = 0,
) -> IncidentPage:
    """Incidents, newest first."""
    rows, total = incident_store.list_incidents(db, phase=phase, limit=limit, offset=offset)
    return IncidentPage(
        items=[bodies.incident(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/{incident_id}", response_model=IncidentDetail, dependencies=[Depends(audit_read)])
def get_incident(
    request: Request, db: DB, principal: Staff, incident_id: IncidentId
) -> IncidentDetail:
    """One incident with its timeline, updates, and coverage per audience."""
    row = incident_store.get_incident(db, incident_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no incident {incident_id}")
    coverage = incident_coverage(
        db,
        incident_id,
        now=clock_of(request).now(),
        deadlines=ack_deadlines(directory_of(request).routing),
    )
    detail = bodies.incident_detail(
        row,
        incident_store.timeline(db, incident_id),
        incident_store.updates(db, incident_id),
        coverage,
        revision_store.of_incident(db, incident_id),
    )
    detail.held = recipient_cap.held_in_incident(db, incident_id)
    detail.personal_data = personal_data(
        db, incident_id, settings=request.app.state.settings, request=request
    )
    return detail


@router.get(
    "/{incident_id}/deliveries", response_model=DeliveryPage, dependencies=[Depends(audit_read)]
)
def list_deliveries(
    db: DB,
    principal: Staff,
    incident_id: IncidentId,
    state: DeliveryState | None = None,
    audience: str | None = None,
    channel: str | None = None,
    limit: PageSize = 100,
    offset: Offset = 0,
) -> DeliveryPage:
    """Deliveries of an incident with their attempts, counts, and who is unreached."""
    if incident_store.get_incident(db, incident_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no incident {incident_id}")
    rows, total = delivery_store.list_deliveries(
        db,
        incident_id=incident_id,
        state=state.value if state else None,
        audience=audience,
        channel=channel,
        limit=limit,
        offset=offset,
    )
    attempts = delivery_store.attempts_of(db, [r.id for r in rows])
    failed, _ = delivery_store.list_deliveries(
        db, incident_id=incident_id, state=DeliveryState.FAILED.value, limit=MAX_PAGE
    )
    dry, _ = delivery_store.list_deliveries(
        db, incident_id=incident_id, state=DeliveryState.DRY_RUN.value, limit=MAX_PAGE
    )
    return DeliveryPage(
        items=bodies.deliveries(rows, attempts),
        total=total,
        limit=limit,
        offset=offset,
        counts=bodies.counts(delivery_store.counts(db, incident_id=incident_id)),
        unreached=sorted(
            {f"{r.recipient_name} ({r.audience})" for r in failed if r.recipient_kind == "contact"}
            # A dry run told nobody; the reason goes with the name, as in the report.
            | {
                f"{r.recipient_name} ({r.audience}; {dry_run_reason(r.channel)})"
                for r in dry
                if r.recipient_kind == "contact"
            }
        ),
        held=recipient_cap.held_in_incident(db, incident_id),
    )
