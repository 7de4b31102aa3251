"""Scheduled maintenance's endpoints: staff schedule a window, extend it, complete it early or
cancel it. The routes translate; what each change does (timeline, audit) is in
`actions/maintenance.py`, which the console calls too. The announcements themselves are taken
by the beat step (worker/maintenance_steps.py), once each."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session

from outage_notify.actions import maintenance as actions
from outage_notify.api.deps import Staff, action_context, staff_router
from outage_notify.api.maintenance_schemas import (
    CloseMaintenance,
    ExtendMaintenance,
    MaintenanceDetail,
    MaintenanceEventOut,
    MaintenanceId,
    MaintenanceList,
    MaintenanceOut,
    ScheduleMaintenance,
)
from outage_notify.core.errors import NoSuchMaintenance, WindowInputError, WindowStateError
from outage_notify.maintenance.windows import OPEN_STATES
from outage_notify.store import maintenances as store
from outage_notify.store.engine import transaction
from outage_notify.store.maintenance_tables import MaintenanceRow

router = staff_router("/api/v1/maintenances", "maintenance")


@contextmanager
def _window_errors() -> Iterator[None]:
    """404 no window, 409 a state that does not allow it, 422 shaped like FastAPI's own (the
    one body every 422 of the API documents) naming the field."""
    try:
        yield
    except NoSuchMaintenance as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    except WindowStateError as error:
        raise HTTPException(status.HTTP_409_CONFLICT, str(error)) from error
    except WindowInputError as error:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("body", error.field),
                    "msg": error.reason,
                    "input": str(error.value),
                }
            ]
        ) from error


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MaintenanceDetail)
def schedule(request: Request, body: ScheduleMaintenance, principal: Staff) -> MaintenanceDetail:
    """Schedule a window; the audiences hear `maintenance_scheduled` within a beat tick."""
    with _window_errors():
        row = actions.schedule(
            action_context(request),
            principal,
            service=body.service,
            components=body.components,
            start=body.start,
            end=body.end,
            text=body.text,
            audiences=body.audiences,
            require_probes=body.require_probes,
        )
    return _shown(request, row.id)


@router.get("", response_model=MaintenanceList)
def list_windows(request: Request, principal: Staff, open_only: bool = False) -> MaintenanceList:
    """Every window, newest start first (`open_only`: scheduled, active and verifying)."""
    with transaction(request.app.state.sessions) as session:
        states = [s.value for s in OPEN_STATES] if open_only else None
        return MaintenanceList(
            items=[_out(session, r) for r in store.listed(session, states=states)]
        )


@router.get("/{maintenance_id}", response_model=MaintenanceDetail)
def show(request: Request, maintenance_id: MaintenanceId, principal: Staff) -> MaintenanceDetail:
    """One window with its timeline (silenced alerts included)."""
    return _shown(request, maintenance_id)


@router.post("/{maintenance_id}/extend", response_model=MaintenanceDetail)
def extend(
    request: Request, maintenance_id: MaintenanceId, body: ExtendMaintenance, principal: Staff
) -> MaintenanceDetail:
    """A later end; the audiences hear `maintenance_extended` with it within a beat tick."""
    with _window_errors():
        actions.extend(
            action_context(request), principal, maintenance_id, end=body.end, reason=body.reason
        )
    return _shown(request, maintenance_id)


@router.post("/{maintenance_id}/complete", response_model=MaintenanceDetail)
def complete(
    request: Request, maintenance_id: MaintenanceId, body: CloseMaintenance, principal: Staff
) -> MaintenanceDetail:
    """End an active window now; with `require_probes` it completes once a probe passes."""
    with _window_errors():
        actions.complete(action_context(request), principal, maintenance_id, reason=body.reason)
    return _shown(request, maintenance_id)


@router.post("/{maintenance_id}/cancel", response_model=MaintenanceDetail)
def cancel(
    request: Request, maintenance_id: MaintenanceId, body: CloseMaintenance, principal: Staff
) -> MaintenanceDetail:
    """Call off a scheduled window: no further announcement, off the status page."""
    with _window_errors():
        actions.cancel(action_context(request), principal, maintenance_id, reason=body.reason)
    return _shown(request, maintenance_id)


def _shown(request: Request, maintenance_id: int) -> MaintenanceDetail:
    """The window as stored now, with its timeline; 404 when there is none."""
    with _window_errors(), transaction(request.app.state.sessions) as session:
        return _detail(session, actions.window_or_error(session, maintenance_id))


def _out(session: Session, row: MaintenanceRow) -> MaintenanceOut:
    return MaintenanceOut(
        id=row.id,
        service=row.service,
        components=list(row.components or []),
        start=row.starts_at,
        end=row.ends_at,
        planned_end=row.planned_end,
        text=row.public_text,
        audiences=row.audiences,
        require_probes=row.require_probes,
        state=row.state,
        created_by=row.created_by,
        created_at=row.created_at,
        started_at=row.started_at,
        closed_at=row.closed_at,
        steps=[step.key for step in store.steps(session, row.id)],
        silenced_alerts_firing=sorted(row.firing or {}),
        announcements_incident_id=row.incident_id,
    )


def _detail(session: Session, row: MaintenanceRow) -> MaintenanceDetail:
    session.flush()
    timeline = [
        MaintenanceEventOut(at=e.at, actor=e.actor, kind=e.kind, text=e.text, data=e.data)
        for e in store.timeline(session, row.id)
    ]
    return MaintenanceDetail(**_out(session, row).model_dump(), timeline=timeline)
