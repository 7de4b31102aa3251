"""Reads and writes of maintenance windows: the rows, their steps and timelines, the probes
that decide their end, and the window an alert falls in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from outage_notify.core.models import Phase, Severity
from outage_notify.maintenance.windows import (
    OPEN_STATES,
    SILENCING_STATES,
    Step,
    Window,
    WindowState,
    silences,
)
from outage_notify.store.engine import add_unless_duplicate
from outage_notify.store.maintenance_tables import (
    MaintenanceRow,
    MaintenanceStepRow,
    MaintenanceTimelineRow,
)
from outage_notify.store.tables import IncidentRow, ProbeRow


def window_of(row: MaintenanceRow) -> Window:
    """The pure view of a stored window."""
    return Window(
        id=row.id,
        service=row.service,
        components=tuple(row.components or ()),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        state=WindowState(row.state),
        require_probes=row.require_probes,
        created_at=row.created_at,
    )


def get(
    session: Session, maintenance_id: int, *, for_update: bool = False
) -> MaintenanceRow | None:
    return session.get(MaintenanceRow, maintenance_id, with_for_update=for_update)


def listed(session: Session, *, states: Sequence[str] | None = None) -> Sequence[MaintenanceRow]:
    """Windows by start, newest first; only those in `states` when given."""
    query = select(MaintenanceRow).order_by(MaintenanceRow.starts_at.desc(), MaintenanceRow.id)
    if states is not None:
        query = query.where(MaintenanceRow.state.in_(list(states)))
    return session.scalars(query.limit(500)).all()


def open_windows(session: Session, *, for_update: bool = False) -> Sequence[MaintenanceRow]:
    """Every scheduled, active or verifying window, earliest start first."""
    query = (
        select(MaintenanceRow)
        .where(MaintenanceRow.state.in_([s.value for s in OPEN_STATES]))
        .order_by(MaintenanceRow.starts_at, MaintenanceRow.id)
    )
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).all()


def silencing(
    session: Session, *, service: str, components: Sequence[str]
) -> MaintenanceRow | None:
    """The active window an alert of `service` naming `components` falls in, if any."""
    rows = session.scalars(
        select(MaintenanceRow)
        .where(
            MaintenanceRow.service == service,
            MaintenanceRow.state.in_([s.value for s in SILENCING_STATES]),
        )
        .order_by(MaintenanceRow.id)
    ).all()
    for row in rows:
        if silences(window_of(row), service=service, components=components):
            return row
    return None


def taken(session: Session, maintenance_id: int) -> set[str]:
    """The keys of the steps a window took."""
    return set(
        session.scalars(
            select(MaintenanceStepRow.key).where(
                MaintenanceStepRow.maintenance_id == maintenance_id
            )
        )
    )


def steps(session: Session, maintenance_id: int) -> Sequence[MaintenanceStepRow]:
    return session.scalars(
        select(MaintenanceStepRow)
        .where(MaintenanceStepRow.maintenance_id == maintenance_id)
        .order_by(MaintenanceStepRow.id)
    ).all()


def take(
    session: Session, maintenance_id: int, step: Step, *, now: datetime, announced: bool = True
) -> bool:
    """Write the step's row; False when another tick took it already (the unique key is the
    guarantee of exactly once, the row lock only makes a conflict rare)."""
    row = MaintenanceStepRow(
        maintenance_id=maintenance_id,
        key=step.key,
        kind=step.kind.value,
        at=now,
        announced=announced,
    )
    return add_unless_duplicate(session, row)


def add_timeline(
    session: Session,
    maintenance_id: int,
    *,
    at: datetime,
    actor: str,
    kind: str,
    text: str,
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        MaintenanceTimelineRow(
            maintenance_id=maintenance_id,
            at=at,
            actor=actor,
            kind=kind,
            text=text,
            data=data or {},
        )
    )


def timeline(session: Session, maintenance_id: int) -> Sequence[MaintenanceTimelineRow]:
    return session.scalars(
        select(MaintenanceTimelineRow)
        .where(MaintenanceTimelineRow.maintenance_id == maintenance_id)
        .order_by(MaintenanceTimelineRow.at, MaintenanceTimelineRow.id)
    ).all()


def probe_since(session: Session, since: datetime) -> bool | None:
    """The newest mail round trip's result at or after `since`; None when none ran since."""
    return session.scalars(
        select(ProbeRow.ok).where(ProbeRow.at >= since).order_by(ProbeRow.id.desc()).limit(1)
    ).first()


# The service of every window's carrier incident: no monitoring alert names it, so alerts never
# group into a carrier, and the carrier never shadows a real incident of the window's service.
CARRIER_SERVICE = "maintenance"


def add_carrier(session: Session, row: MaintenanceRow, *, now: datetime) -> IncidentRow:
    """The hidden incident the window's announcements are planned under: retracted and resolved
    from birth (off the status page, feed and history, never reopened by an alert). Its ETA is
    the window's end and its next update the start: what the templates show."""
    carrier = IncidentRow(
        service=CARRIER_SERVICE,
        title=f"Maintenance {row.id} announcements",
        summary="",
        severity=Severity.MAJOR.value,
        phase=Phase.RESOLVED.value,
        components=list(row.components or []),
        active_groups=[],
        notified_audiences={},
        eta=row.ends_at,
        next_update_at=row.starts_at,
        opened_at=now,
        resolved_at=now,
        retracted_at=now,
        created_by=row.created_by,
    )
    session.add(carrier)
    session.flush()
    row.incident_id = carrier.id
    return carrier


def public_windows(session: Session, *, closed: int) -> list[MaintenanceRow]:
    """Every open window and the `closed` most recently completed: the page and the feed."""
    opened = list(open_windows(session))
    done = session.scalars(
        select(MaintenanceRow)
        .where(MaintenanceRow.state == WindowState.COMPLETED.value)
        .order_by(MaintenanceRow.closed_at.desc(), MaintenanceRow.id.desc())
        .limit(closed)
    ).all()
    return [*opened, *done]
