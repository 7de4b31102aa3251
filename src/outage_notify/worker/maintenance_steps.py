"""Scheduled maintenance's worker steps (load, call `maintenance.windows`, save).

`advance` rides the reminder tick: it takes each window's due announcements (scheduled,
reminder, started, extended, completed) once each, as updates of the window's carrier incident,
so they are planned and delivered like any incident's (one delivery per recipient, retries,
fallback). At the end it waits for a passing mail probe when the window asks for one, and
extends the window visibly when the probe fails. Alerts still firing at the end become events
again, which now open a normal incident.

`silence` is called for each alert before the lifecycle: an alert of an active window's service
and components, with no incident open for the service, goes on the window's timeline instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from outage_notify.core.models import AlertEvent, AlertStatus, UpdateDraft, UpdateKind
from outage_notify.maintenance.windows import (
    ACTOR,
    PROBE_EXTENSION,
    EndAction,
    Step,
    StepKind,
    WindowState,
    at_end,
    due_steps,
)
from outage_notify.store import events as event_store
from outage_notify.store import incidents as incident_store
from outage_notify.store import maintenances as store
from outage_notify.store.engine import transaction
from outage_notify.store.maintenance_tables import MaintenanceRow
from outage_notify.store.tables import EventRow, IncidentRow
from outage_notify.worker.runtime import WorkerRuntime

log = logging.getLogger(__name__)
# The source of the events made from alerts still firing at a window's end.
SOURCE = "maintenance"
ENDED_BUT = "The maintenance ended but the problem remains: "


@dataclass
class Advanced:
    """What a tick wrote: updates to plan, events to apply."""

    updates: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)


def advance(runtime: WorkerRuntime) -> Advanced:
    """Take every window's due steps, once each; hand back the updates and events written."""
    now = runtime.clock.now()
    hours = runtime.settings.maintenance_reminder_hours
    done = Advanced()
    with transaction(runtime.sessions) as session:
        for row in store.open_windows(session, for_update=True):
            carrier = session.get(IncidentRow, row.incident_id, with_for_update=True)
            if carrier is None:
                continue  # scheduled by a version without carriers; nothing to plan under
            due, silent = due_steps(
                store.window_of(row),
                now=now,
                reminder_hours=hours,
                taken=store.taken(session, row.id),
            )
            for step in silent:
                store.take(session, row.id, step, now=now, announced=False)
            for step in due:
                if step.kind is StepKind.STARTED:
                    row.state = WindowState.ACTIVE.value
                    row.started_at = now
                update = announce(session, row, carrier, step, now=now)
                if update is not None:
                    done.updates.append(update)
            _end(session, row, now=now, done=done)
            if row.state != WindowState.COMPLETED.value:
                update = _extension(session, row, carrier, now=now)
                if update is not None:
                    done.updates.append(update)
            if row.state == WindowState.COMPLETED.value:
                update = announce(
                    session, row, carrier, Step("completed", StepKind.COMPLETED), now=now
                )
                if update is not None:
                    done.updates.append(update)
                done.events.extend(_still_firing(session, row, now=now))
    return done


def announce(
    session: Session,
    row: MaintenanceRow,
    carrier: IncidentRow,
    step: Step,
    *,
    now: datetime,
    was: datetime | None = None,
) -> int | None:
    """Take `step` and write its update on the carrier; None when it was taken already.
    `was` is the end announced before, for an extension."""
    if not store.take(session, row.id, step, now=now):
        return None
    carrier.eta = row.ends_at
    carrier.next_update_at = row.starts_at
    carrier.components = list(row.components or [])
    update = incident_store.add_update(
        session,
        carrier,
        UpdateDraft(
            kind=UpdateKind(step.kind.value),
            message=row.public_text,
            eta_previous=was,
            audiences=tuple(row.audiences) if row.audiences is not None else None,
            actor=ACTOR,
            # Few and announced ahead: never held back by a per-recipient SMS budget.
            phase_change=True,
            staff_text=True,
        ),
        now=now,
    )
    store.add_timeline(
        session,
        row.id,
        at=now,
        actor=ACTOR,
        kind="step",
        text=f"{step.kind.value} announced",
        data={"step": step.key, "update_id": update.id},
    )
    log.info("maintenance %s: %s (update %s)", row.id, step.key, update.id)
    return update.id


def _extension(
    session: Session, row: MaintenanceRow, carrier: IncidentRow, *, now: datetime
) -> int | None:
    """Announce a later end than the last one announced (the carrier's ETA), once per end.
    Before the window was announced at all, its first message carries the end: nothing to do."""
    announced = carrier.eta
    if announced is None or row.ends_at <= announced:
        if announced is not None and row.ends_at < announced:
            carrier.eta = row.ends_at  # ended early: the completion says so
        return None
    if "scheduled" not in store.taken(session, row.id):
        return None
    step = Step(f"extended_{int(row.ends_at.timestamp())}", StepKind.EXTENDED)
    return announce(session, row, carrier, step, now=now, was=announced)


def _end(session: Session, row: MaintenanceRow, *, now: datetime, done: Advanced) -> None:
    """Complete the window at its end, after a passing probe when it asks for one; a failing
    probe extends it visibly instead (announced by `_extension` in the same tick)."""
    window = store.window_of(row)
    probe = store.probe_since(session, row.ends_at) if row.require_probes else None
    action = at_end(window, now=now, probe_since_end=probe)
    if action is EndAction.COMPLETE:
        row.state = WindowState.COMPLETED.value
        row.closed_at = now
        store.add_timeline(
            session,
            row.id,
            at=now,
            actor=ACTOR,
            kind="completed",
            text="completed" + (" (a mail round trip passed)" if row.require_probes else ""),
        )
    elif action is EndAction.EXTEND:
        was = row.ends_at
        row.ends_at = now + PROBE_EXTENSION
        row.state = WindowState.ACTIVE.value
        store.add_timeline(
            session,
            row.id,
            at=now,
            actor=ACTOR,
            kind="extended",
            text=f"the mail probe fails at the end ({was.isoformat()}): extended to "
            f"{row.ends_at.isoformat()} instead of completed",
            data={"was": was.isoformat(), "end": row.ends_at.isoformat(), "probe": False},
        )
    elif now >= row.ends_at and row.state == WindowState.ACTIVE.value:
        row.state = WindowState.VERIFYING.value
        store.add_timeline(
            session,
            row.id,
            at=now,
            actor=ACTOR,
            kind="verifying",
            text="the work is over; completion waits for a passing mail round trip",
        )


def _still_firing(session: Session, row: MaintenanceRow, *, now: datetime) -> list[int]:
    """Events for the alerts silenced and still firing at the end: each opens (or joins) a
    normal incident, its summary saying the maintenance ended but the problem remains."""
    made = []
    for group, payload in sorted((row.firing or {}).items()):
        data: dict[str, Any] = dict(payload)
        data["summary"] = (ENDED_BUT + str(data.get("summary", "")))[:300]
        data["dedup_key"] = f"maintenance:{row.id}:{group}"[:200]
        data["source"] = SOURCE
        event = EventRow(
            source=SOURCE,
            service=row.service,
            dedup_key=data["dedup_key"],
            kind="alert",
            payload=data,
            received_at=now,
            actor=SOURCE,
        )
        session.add(event)
        session.flush()
        made.append(event.id)
        store.add_timeline(
            session,
            row.id,
            at=now,
            actor=ACTOR,
            kind="incident",
            text=f"alert {group} still firing at the end: handed to the incidents",
            data={"event_id": event.id, "group_key": group},
        )
    row.firing = {}
    return made


def silence(session: Session, pending: EventRow, alert: AlertEvent, *, now: datetime) -> bool:
    """Record the alert on an active window it falls in instead of an incident; False when
    no window covers it or the service has an incident open (that incident gets it)."""
    if pending.source == SOURCE or incident_store.open_incident(session, pending.service):
        return False
    row = store.silencing(session, service=pending.service, components=alert.components)
    if row is None:
        return False
    firing = dict(row.firing or {})
    if alert.status is AlertStatus.FIRING:
        firing[alert.group_key] = alert.model_dump(mode="json")
    else:
        firing.pop(alert.group_key, None)
    row.firing = firing
    store.add_timeline(
        session,
        row.id,
        at=now,
        actor=pending.source,
        kind="alert",
        text=f"{alert.status.value}: {alert.summary} (silenced by the maintenance)",
        data={"event_id": pending.id, "group_key": alert.group_key},
    )
    event_store.mark_applied(pending, incident_id=None, now=now, started_at=alert.started_at)
    log.info(
        "event %s (%s) silenced by maintenance %s",
        pending.id,
        pending.source,
        row.id,
        extra={"event_id": pending.id},
    )
    return True
