"""Scheduled maintenance's endpoints: staff schedule a window, extend it, complete it early or
cancel it. Every change is on the window's timeline and in the audit log; the announcements
themselves are taken by the beat step (worker/maintenance_steps.py), once each."""

from __future__ import annotations

from fastapi import HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session

from outage_notify.actions import staff as staff_actions
from outage_notify.actions.staff import Principal
from outage_notify.api.deps import Staff, action_context, clock_of, directory_of, staff_router
from outage_notify.api.incidents import check_components
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
from outage_notify.maintenance.windows import (
    OPEN_STATES,
    WindowState,
    extension_problem,
    schedule_problem,
)
from outage_notify.store import maintenances as store
from outage_notify.store.engine import transaction
from outage_notify.store.maintenance_tables import MaintenanceRow

router = staff_router("/api/v1/maintenances", "maintenance")


def _invalid(field: str, value: object, reason: str) -> RequestValidationError:
    """A 422 shaped like FastAPI's own, so every 422 of the API has one documented body."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("body", field), "msg": reason, "input": str(value)}]
    )


def _check_audiences(request: Request, audiences: list[str] | None) -> None:
    if audiences is None:
        return
    known = directory_of(request).audiences
    unknown = sorted(set(audiences) - set(known))
    if unknown or not audiences:
        raise _invalid(
            "audiences",
            audiences,
            f"field 'audiences': unknown audience(s) {', '.join(unknown) or '(none given)'}; "
            f"known: {', '.join(sorted(known))}",
        )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MaintenanceDetail)
def schedule(request: Request, body: ScheduleMaintenance, principal: Staff) -> MaintenanceDetail:
    """Schedule a window; the audiences hear `maintenance_scheduled` within a beat tick."""
    now = clock_of(request).now()
    problem = schedule_problem(starts_at=body.start, ends_at=body.end, now=now)
    if problem is not None:
        field, reason = problem
        raise _invalid(field, getattr(body, field), reason)
    check_components(request, body.components or None)
    _check_audiences(request, body.audiences)
    with transaction(request.app.state.sessions) as session:
        row = MaintenanceRow(
            service=body.service,
            components=sorted(set(body.components)),
            starts_at=body.start,
            ends_at=body.end,
            planned_end=body.end,
            public_text=body.text,
            audiences=body.audiences,
            require_probes=body.require_probes,
            state=WindowState.SCHEDULED.value,
            created_by=principal.name,
            created_at=now,
            firing={},
        )
        session.add(row)
        session.flush()
        store.add_carrier(session, row, now=now)
        store.add_timeline(
            session,
            row.id,
            at=now,
            actor=principal.name,
            kind="scheduled",
            text=f"scheduled {body.start.isoformat()} to {body.end.isoformat()}",
        )
        _audit(
            request,
            session,
            principal,
            "maintenance_schedule",
            row.id,
            body.model_dump(mode="json"),
        )
        return _detail(session, row)


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
    with transaction(request.app.state.sessions) as session:
        return _detail(session, _window_or_404(session, maintenance_id))


@router.post("/{maintenance_id}/extend", response_model=MaintenanceDetail)
def extend(
    request: Request, maintenance_id: MaintenanceId, body: ExtendMaintenance, principal: Staff
) -> MaintenanceDetail:
    """A later end; the audiences hear `maintenance_extended` with it within a beat tick."""
    now = clock_of(request).now()
    with transaction(request.app.state.sessions) as session:
        row = _window_or_404(session, maintenance_id, for_update=True)
        problem = extension_problem(store.window_of(row), new_end=body.end, now=now)
        if problem is not None:
            code = 409 if "only an open window" in problem else 422
            if code == 409:
                raise HTTPException(status.HTTP_409_CONFLICT, problem)
            raise _invalid("end", body.end, problem)
        was = row.ends_at
        row.ends_at = body.end
        if row.state == WindowState.VERIFYING.value:
            row.state = WindowState.ACTIVE.value
        store.add_timeline(
            session,
            row.id,
            at=now,
            actor=principal.name,
            kind="extended",
            text=f"end moved from {was.isoformat()} to {body.end.isoformat()}"
            + (f": {body.reason}" if body.reason else ""),
            data={"was": was.isoformat(), "end": body.end.isoformat(), "pending": True},
        )
        _audit(
            request, session, principal, "maintenance_extend", row.id, body.model_dump(mode="json")
        )
        return _detail(session, row)


@router.post("/{maintenance_id}/complete", response_model=MaintenanceDetail)
def complete(
    request: Request, maintenance_id: MaintenanceId, body: CloseMaintenance, principal: Staff
) -> MaintenanceDetail:
    """End an active window now; with `require_probes` it completes once a probe passes."""
    now = clock_of(request).now()
    with transaction(request.app.state.sessions) as session:
        row = _window_or_404(session, maintenance_id, for_update=True)
        if row.state not in (WindowState.ACTIVE.value, WindowState.VERIFYING.value):
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"maintenance {row.id} is {row.state}; only an active window is completed "
                "(cancel a scheduled one)",
            )
        # The beat step announces the end: it checks the probes and takes the step once.
        row.ends_at = min(row.ends_at, now)
        store.add_timeline(
            session,
            row.id,
            at=now,
            actor=principal.name,
            kind="complete_requested",
            text="staff ended the work early" + (f": {body.reason}" if body.reason else ""),
        )
        _audit(
            request,
            session,
            principal,
            "maintenance_complete",
            row.id,
            body.model_dump(mode="json"),
        )
        return _detail(session, row)


@router.post("/{maintenance_id}/cancel", response_model=MaintenanceDetail)
def cancel(
    request: Request, maintenance_id: MaintenanceId, body: CloseMaintenance, principal: Staff
) -> MaintenanceDetail:
    """Call off a scheduled window: no further announcement, off the status page."""
    now = clock_of(request).now()
    with transaction(request.app.state.sessions) as session:
        row = _window_or_404(session, maintenance_id, for_update=True)
        if row.state != WindowState.SCHEDULED.value:
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                f"maintenance {row.id} is {row.state}; only a window not yet started is "
                "cancelled (complete an active one)",
            )
        row.state = WindowState.CANCELLED.value
        row.closed_at = now
        store.add_timeline(
            session,
            row.id,
            at=now,
            actor=principal.name,
            kind="cancelled",
            text="cancelled" + (f": {body.reason}" if body.reason else ""),
        )
        _audit(
            request, session, principal, "maintenance_cancel", row.id, body.model_dump(mode="json")
        )
        return _detail(session, row)


def _window_or_404(
    session: Session, maintenance_id: int, *, for_update: bool = False
) -> MaintenanceRow:
    row = store.get(session, maintenance_id, for_update=for_update)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no maintenance {maintenance_id}")
    return row


def _audit(
    request: Request,
    session: Session,
    principal: Principal,
    action: str,
    maintenance_id: int,
    detail: dict[str, object],
) -> None:
    staff_actions.audit(
        session,
        action_context(request),
        principal,
        action=action,
        incident_id=None,
        detail={"maintenance_id": maintenance_id, **detail},
    )


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
