"""What staff do to a scheduled maintenance window — schedule, extend, complete early, cancel —
without an HTTP request.

The API (`api/maintenances.py`) and the console call these, so a window changed from a
browser is the same change, with the same timeline and audit entries, as one changed with a
token. Each runs in one transaction with its audit entry and returns the window as saved
(detached: the sessions keep rows usable after the commit). The announcements themselves are
taken by the beat step (`worker/maintenance_steps.py`), once each. Refusals come out as
`NoSuchMaintenance` (404), `WindowStateError` (409) and `WindowInputError` (422, naming the
field); the HTTP layer maps them, the console shows their sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from outage_notify.actions.staff import ActionContext, Principal, audit
from outage_notify.core.errors import NoSuchMaintenance, WindowInputError, WindowStateError
from outage_notify.maintenance.windows import WindowState, extension_problem, schedule_problem
from outage_notify.store import maintenances as store
from outage_notify.store.engine import transaction
from outage_notify.store.maintenance_tables import MaintenanceRow


def check_components(ctx: ActionContext, components: Sequence[str]) -> None:
    """WindowInputError listing the known components when one is not in the catalogue: a
    typo would otherwise silence no alert and select no audience."""
    catalogue = ctx.directory.components
    unknown = catalogue.unknown(list(components))
    if unknown:
        raise WindowInputError(
            "components",
            list(components),
            f"field 'components': unknown component(s) {', '.join(unknown)}; "
            f"known: {', '.join(catalogue.ids)}",
        )


def check_audiences(ctx: ActionContext, audiences: Sequence[str] | None) -> None:
    """WindowInputError when an audience is unknown or the list is empty (None: routing's)."""
    if audiences is None:
        return
    known = ctx.directory.audiences
    unknown = sorted(set(audiences) - set(known))
    if unknown or not audiences:
        raise WindowInputError(
            "audiences",
            list(audiences),
            f"field 'audiences': unknown audience(s) {', '.join(unknown) or '(none given)'}; "
            f"known: {', '.join(sorted(known))}",
        )


@dataclass(frozen=True)
class _Entry:
    """What a change to a window writes: its timeline entry and its audit entry."""

    kind: str
    text: str
    action: str
    detail: Mapping[str, Any]
    data: Mapping[str, Any] | None = None


def schedule(
    ctx: ActionContext,
    principal: Principal,
    *,
    service: str,
    components: Sequence[str],
    start: datetime,
    end: datetime,
    text: str,
    audiences: Sequence[str] | None,
    require_probes: bool,
) -> MaintenanceRow:
    """Store a window with its carrier incident; its audiences hear `maintenance_scheduled`
    within a beat tick."""
    now = ctx.clock.now()
    problem = schedule_problem(starts_at=start, ends_at=end, now=now)
    if problem is not None:
        field, reason = problem
        raise WindowInputError(field, start if field == "start" else end, reason)
    if components:
        check_components(ctx, components)
    check_audiences(ctx, audiences)
    audience_list = list(audiences) if audiences is not None else None
    with transaction(ctx.sessions) as session:
        row = MaintenanceRow(
            service=service,
            components=sorted(set(components)),
            starts_at=start,
            ends_at=end,
            planned_end=end,
            public_text=text,
            audiences=audience_list,
            require_probes=require_probes,
            state=WindowState.SCHEDULED.value,
            created_by=principal.name,
            created_at=now,
            firing={},
        )
        session.add(row)
        session.flush()
        store.add_carrier(session, row, now=now)
        entry = _Entry(
            kind="scheduled",
            text=f"scheduled {start.isoformat()} to {end.isoformat()}",
            action="maintenance_schedule",
            detail={
                "service": service,
                "components": list(components),
                "start": start.isoformat(),
                "end": end.isoformat(),
                "text": text,
                "audiences": audience_list,
                "require_probes": require_probes,
            },
        )
        _record(session, ctx, principal, row, at=now, entry=entry)
        return row


def _refuse_unless(row: MaintenanceRow, states: tuple[WindowState, ...], only: str) -> None:
    """WindowStateError (409) saying what state the window is in and which it must be in."""
    if row.state not in {state.value for state in states}:
        raise WindowStateError(f"maintenance {row.id} is {row.state}; {only}")


def _because(text: str, reason: str) -> str:
    return text + (f": {reason}" if reason else "")


def _change(
    ctx: ActionContext,
    principal: Principal,
    maintenance_id: int,
    step: Callable[[MaintenanceRow, datetime], _Entry],
) -> MaintenanceRow:
    """Lock the window, apply `step` (which refuses or changes the row and says what it did),
    and record that in the same transaction."""
    now = ctx.clock.now()
    with transaction(ctx.sessions) as session:
        row = window_or_error(session, maintenance_id, for_update=True)
        _record(session, ctx, principal, row, at=now, entry=step(row, now))
        return row


def extend(
    ctx: ActionContext, principal: Principal, maintenance_id: int, *, end: datetime, reason: str
) -> MaintenanceRow:
    """Move an open window's end later; the audiences hear `maintenance_extended`."""

    def step(row: MaintenanceRow, now: datetime) -> _Entry:
        problem = extension_problem(store.window_of(row), new_end=end, now=now)
        if problem is not None:
            if "only an open window" in problem:
                raise WindowStateError(problem)
            raise WindowInputError("end", end, problem)
        was = row.ends_at
        row.ends_at = end
        if row.state == WindowState.VERIFYING.value:
            row.state = WindowState.ACTIVE.value
        return _Entry(
            kind="extended",
            text=_because(f"end moved from {was.isoformat()} to {end.isoformat()}", reason),
            data={"was": was.isoformat(), "end": end.isoformat(), "pending": True},
            action="maintenance_extend",
            detail={"end": end.isoformat(), "reason": reason},
        )

    return _change(ctx, principal, maintenance_id, step)


def complete(
    ctx: ActionContext, principal: Principal, maintenance_id: int, *, reason: str
) -> MaintenanceRow:
    """End an active window now; with `require_probes` it completes once a probe passes."""

    def step(row: MaintenanceRow, now: datetime) -> _Entry:
        _refuse_unless(
            row,
            (WindowState.ACTIVE, WindowState.VERIFYING),
            "only an active window is completed (cancel a scheduled one)",
        )
        # The beat step announces the end: it checks the probes and takes the step once.
        row.ends_at = min(row.ends_at, now)
        return _Entry(
            kind="complete_requested",
            text=_because("staff ended the work early", reason),
            action="maintenance_complete",
            detail={"reason": reason},
        )

    return _change(ctx, principal, maintenance_id, step)


def cancel(
    ctx: ActionContext, principal: Principal, maintenance_id: int, *, reason: str
) -> MaintenanceRow:
    """Call off a window not yet started: no further announcement, off the status page."""

    def step(row: MaintenanceRow, now: datetime) -> _Entry:
        _refuse_unless(
            row,
            (WindowState.SCHEDULED,),
            "only a window not yet started is cancelled (complete an active one)",
        )
        row.state = WindowState.CANCELLED.value
        row.closed_at = now
        return _Entry(
            kind="cancelled",
            text=_because("cancelled", reason),
            action="maintenance_cancel",
            detail={"reason": reason},
        )

    return _change(ctx, principal, maintenance_id, step)


def window_or_error(
    session: Session, maintenance_id: int, *, for_update: bool = False
) -> MaintenanceRow:
    """The window, or NoSuchMaintenance."""
    row = store.get(session, maintenance_id, for_update=for_update)
    if row is None:
        raise NoSuchMaintenance(maintenance_id)
    return row


def _record(
    session: Session,
    ctx: ActionContext,
    principal: Principal,
    row: MaintenanceRow,
    *,
    at: datetime,
    entry: _Entry,
) -> None:
    """A staff change to a window: its timeline entry and its audit entry, in `session`."""
    store.add_timeline(
        session,
        row.id,
        at=at,
        actor=principal.name,
        kind=entry.kind,
        text=entry.text,
        data=dict(entry.data) if entry.data is not None else None,
    )
    audit(
        session,
        ctx,
        principal,
        action=entry.action,
        incident_id=None,
        detail={"maintenance_id": row.id, **entry.detail},
    )
    session.flush()
