"""Staff endpoints: declare, update and resolve incidents; read them and their deliveries."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session

from outage_notify import lifecycle
from outage_notify.api import views
from outage_notify.api.deps import AUTH_RESPONSES, DB, Principal, Staff, client_address
from outage_notify.api.schemas import (
    DeclareIncident,
    DeliveryPage,
    IncidentDetail,
    IncidentId,
    IncidentPage,
    Offset,
    ResolveIncident,
    StaffActionOut,
    StaffUpdate,
)
from outage_notify.errors import TransitionError
from outage_notify.lifecycle import Decision
from outage_notify.models import DeliveryState, IncidentState, Phase
from outage_notify.planning import find_contact
from outage_notify.store import audit as audit_store
from outage_notify.store import deliveries as delivery_store
from outage_notify.store import incidents as incident_store
from outage_notify.store.engine import transaction

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"], responses=AUTH_RESPONSES)
MAX_PAGE = 500


def audit_action(
    session: Session,
    request: Request,
    principal: Principal,
    *,
    action: str,
    incident_id: int | None,
    detail: dict[str, Any],
) -> None:
    """Append the staff action to the audit log, in the transaction that performs it."""
    audit_store.record(
        session,
        at=datetime.now(UTC),
        actor=principal.name,
        role=principal.role.value,
        action=action,
        incident_id=incident_id,
        detail=detail,
        client=client_address(request),
    )


def _act(
    request: Request,
    incident_id: int | None,
    decide: Callable[[IncidentState | None], Decision],
    principal: Principal,
    *,
    action: str,
    detail: dict[str, Any],
) -> StaffActionOut:
    """Run a lifecycle decision under a row lock, commit with its audit entry, then enqueue."""
    actor = principal.name
    now = datetime.now(UTC)
    with transaction(request.app.state.sessions) as session:
        row = None
        if incident_id is not None:
            row = incident_store.get_incident(session, incident_id, for_update=True)
            if row is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"no incident {incident_id}")
        try:
            decision = decide(incident_store.to_state(row) if row is not None else None)
        except TransitionError as error:
            raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
        saved, update = incident_store.save_decision(
            session, decision, row=row, now=now, actor=actor
        )
        assert saved is not None
        out = views.incident(saved)
        update_id = update.id if update is not None else None
        audit_action(
            session,
            request,
            principal,
            action=action,
            incident_id=saved.id,
            detail={**detail, "update_id": update_id},
        )
    queued = True
    if update_id is not None:
        try:
            request.app.state.enqueuer.update(update_id)
        except Exception:
            log.exception("broker unreachable; update %s waits for the sweeper", update_id)
            queued = False
    return StaffActionOut(incident=out, update_id=update_id, queued=queued)


def _invalid(field: str, value: object, reason: str) -> RequestValidationError:
    """A 422 shaped like FastAPI's own, so every 422 of the API has one documented body."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", field), "msg": reason, "input": value}]
    )


def check_lead(request: Request, lead: str | None) -> None:
    if lead and find_contact(request.app.state.directory, lead) is None:
        raise _invalid("lead", lead, f"field 'lead': no contact with id {lead!r} in the contacts")


def _check_audiences(request: Request, audiences: list[str] | None) -> None:
    if audiences is None:
        return
    known = request.app.state.directory.audiences
    unknown = sorted(set(audiences) - set(known))
    if unknown:
        raise _invalid(
            "audiences",
            audiences,
            f"field 'audiences': unknown audience(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}",
        )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=StaffActionOut)
def declare_incident(request: Request, body: DeclareIncident, principal: Staff) -> StaffActionOut:
    """Declare an outage; the `opened` message goes to the audiences routing selects."""
    settings = request.app.state.settings
    check_lead(request, body.lead)
    with transaction(request.app.state.sessions) as session:
        existing = incident_store.open_incident(session, body.service)
        if existing is not None:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"incident {existing.id} is already open for {body.service}; post an update to it",
            )

    def decide(_: IncidentState | None) -> Decision:
        decision = lifecycle.declare(
            title=body.title,
            summary=body.summary,
            severity=body.severity,
            components=body.components,
            eta=body.eta,
            actor=principal.name,
            now=datetime.now(UTC),
            cadence_minutes=settings.update_cadence_minutes,
            service=body.service,
        )
        assert decision.incident is not None
        decision.incident.lead = body.lead or settings.default_lead
        return decision

    return _act(
        request,
        None,
        decide,
        principal,
        action="declare",
        detail=body.model_dump(mode="json", exclude_none=True),
    )


@router.post(
    "/{incident_id}/updates", status_code=status.HTTP_202_ACCEPTED, response_model=StaffActionOut
)
def post_update(
    request: Request, incident_id: IncidentId, body: StaffUpdate, principal: Staff
) -> StaffActionOut:
    """Send progress to stakeholders; a new ETA makes it an `eta_changed` message."""
    _check_audiences(request, body.audiences)
    settings = request.app.state.settings

    def decide(state: IncidentState | None) -> Decision:
        assert state is not None
        return lifecycle.staff_update(
            state,
            message=body.message,
            phase=body.phase,
            eta=body.eta,
            audiences=tuple(body.audiences) if body.audiences is not None else None,
            actor=principal.name,
            now=datetime.now(UTC),
            cadence_minutes=settings.update_cadence_minutes,
            eta_threshold=timedelta(minutes=settings.eta_change_threshold_minutes),
            announce_eta=body.announce_eta,
        )

    return _act(
        request,
        incident_id,
        decide,
        principal,
        action="update",
        detail=body.model_dump(mode="json", exclude_none=True),
    )


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
    message = body.message if body is not None else ""
    override = body.override_reason if body is not None else ""
    passes = request.app.state.settings.verification

    def decide(state: IncidentState | None) -> Decision:
        assert state is not None
        return lifecycle.resolve(
            state,
            message=message,
            actor=principal.name,
            now=datetime.now(UTC),
            passes_required=passes,
            override_reason=override,
        )

    return _act(
        request,
        incident_id,
        decide,
        principal,
        action="resolve",
        detail={"message": message, "override_reason": override},
    )


@router.get("", response_model=IncidentPage)
def list_incidents(
    db: DB,
    principal: Staff,
    phase: Phase | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Offset = 0,
) -> IncidentPage:
    """Incidents, newest first."""
    rows, total = incident_store.list_incidents(db, phase=phase, limit=limit, offset=offset)
    return IncidentPage(
        items=[views.incident(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/{incident_id}", response_model=IncidentDetail)
def get_incident(db: DB, principal: Staff, incident_id: IncidentId) -> IncidentDetail:
    """One incident with its timeline and updates."""
    row = incident_store.get_incident(db, incident_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no incident {incident_id}")
    return views.incident_detail(
        row, incident_store.timeline(db, incident_id), incident_store.updates(db, incident_id)
    )


@router.get("/{incident_id}/deliveries", response_model=DeliveryPage)
def list_deliveries(
    db: DB,
    principal: Staff,
    incident_id: IncidentId,
    state: DeliveryState | None = None,
    audience: str | None = None,
    channel: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
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
    return DeliveryPage(
        items=views.deliveries(rows, attempts),
        total=total,
        limit=limit,
        offset=offset,
        counts=views.counts(delivery_store.counts(db, incident_id=incident_id)),
        unreached=sorted(
            {f"{r.recipient_name} ({r.audience})" for r in failed if r.recipient_kind == "contact"}
        ),
    )
