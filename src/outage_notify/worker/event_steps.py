"""Applying accepted events: each in its own SAVEPOINT, so one bad event blocks nothing else.

Events of a service are applied in id order under the service's lock, in one transaction.
Each runs in a SAVEPOINT: an error that comes from the event's content (a payload the model
refuses, a value the database refuses, an exception in the lifecycle) rolls back that event
alone, marks it `failed` with the error, and the service's later events still apply. A
transient error (the database unreachable, a lock or statement timeout, a deadlock) is not the
event's fault: it rolls the whole transaction back and the event stays pending, to be applied
again by the next task of its service or by the sweeper. A database outage therefore never
turns events into failures.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import exc
from sqlalchemy.orm import Session

from outage_notify.core.models import AlertEvent, Phase, UpdateDraft, UpdateKind
from outage_notify.incidents import lifecycle, resolve_hold
from outage_notify.incidents.lead_notices import FAILED_EVENT_ACTOR, FAILED_EVENT_NOTICE
from outage_notify.incidents.truncation import with_cuts_recorded
from outage_notify.messages.catalogs import Words
from outage_notify.messages.planning import find_contact
from outage_notify.store import events as event_store
from outage_notify.store import incidents as incident_store
from outage_notify.store.engine import transaction
from outage_notify.store.mappers import incident_state
from outage_notify.store.tables import EventRow, IncidentRow
from outage_notify.worker import maintenance_steps, many_alerts
from outage_notify.worker.runtime import WorkerRuntime

log = logging.getLogger(__name__)
ACTOR = FAILED_EVENT_ACTOR
# Enough to tell a column from a constraint; a message never carries the payload.
MAX_ERROR_CHARS = 500
TRANSIENT = (exc.OperationalError, exc.InterfaceError, exc.InternalError, exc.TimeoutError)
# SQLSTATE classes that are about the values sent, whatever DBAPI class the driver maps them
# to: data exception, integrity violation, program limit exceeded (psycopg raises "index row
# size exceeds maximum" as an OperationalError, yet the same row would fail for ever).
CONTENT_SQLSTATE_CLASSES = frozenset({"22", "23", "54"})


def is_transient(error: BaseException) -> bool:
    """Whether `error` is the database's trouble (retry later) rather than the event's."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate[:2] in CONTENT_SQLSTATE_CLASSES:
        return False
    return isinstance(error, TRANSIENT)


def describe(error: BaseException) -> str:
    """`Class: message` of the failure, without the SQL statement or its parameters."""
    if isinstance(error, exc.StatementError) and error.orig is not None:
        # SQLAlchemy's own text repeats the statement and the values bound to it.
        error = error.orig
    if isinstance(error, ValidationError):
        message = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or 'payload'}: {e['msg']}"
            for e in error.errors(include_url=False, include_input=False)
        )
    else:
        message = " ".join(str(error).split())
    text = f"{type(error).__name__}: {message}".rstrip(": ")
    # The message may quote the bad character (a lone surrogate, a NUL) that the database
    # cannot store either: escaped, so recording the failure cannot fail the same way.
    text = text.encode("utf-8", "backslashreplace").decode().replace("\x00", "\\x00")
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def process_event(runtime: WorkerRuntime, event_id: int) -> list[int]:
    """Apply pending events of the event's service, in order; return updates to plan."""
    now = runtime.clock.now()
    update_ids: list[int] = []
    with transaction(runtime.sessions) as session:
        event = session.get(EventRow, event_id)
        if event is None or event.processed_at is not None:
            return []
        incident_store.lock_service(session, event.service)
        for pending in incident_store.pending_events(
            session, service=event.service, up_to=event_id
        ):
            try:
                with session.begin_nested():
                    made = _apply(runtime, session, pending, now=now)
            except Exception as error:
                if is_transient(error):
                    raise  # the whole transaction rolls back; the event stays pending
                notice = _fail(runtime, session, pending, error, now=now)
                if notice is not None:
                    update_ids.append(notice)
                continue
            update_ids.extend(made)
    return update_ids


def _apply(
    runtime: WorkerRuntime, session: Session, pending: EventRow, *, now: datetime
) -> list[int]:
    """Apply one event; return the ids of the updates it made (to plan)."""
    settings = runtime.settings
    alert = AlertEvent.model_validate(pending.payload)
    # During scheduled maintenance of its service and components: on the window's timeline.
    if maintenance_steps.silence(session, pending, alert, now=now):
        return []
    row = incident_store.latest_incident(session, pending.service)
    # Flood control: past its hourly cap of new incidents, a source's new alerts join its one
    # "many alerts" incident (worker/many_alerts.py).
    routed = many_alerts.divert(session, runtime, pending.source, alert, row, now=now)
    alert, row = routed.alert, routed.row
    state = incident_state(row) if row is not None else None
    decision = lifecycle.apply_alert(
        state,
        alert,
        now=now,
        cadence_minutes=settings.update_cadence_minutes,
        hold_down=timedelta(minutes=settings.hold_down_minutes),
        verify=bool(settings.verification),
        catalogue=runtime.directory.components,
    )
    decision = resolve_hold.hold(
        state,
        alert,
        decision,
        now=now,
        resolve_hold=timedelta(seconds=settings.resolve_hold_seconds),
    )
    decision = many_alerts.quiet(runtime, routed, pending.source, decision)
    if decision.incident is not None and decision.incident.id is None:
        decision.incident.lead = settings.default_lead
    decision = with_cuts_recorded(decision, alert)
    saved, update = incident_store.save_decision(
        session, decision, row=row, now=now, actor=pending.source
    )
    note = many_alerts.tell_lead(session, runtime, routed, pending.source, saved, update, now=now)
    event_store.mark_applied(
        pending, incident_id=saved.id if saved else None, now=now, started_at=alert.started_at
    )
    session.flush()  # inside the SAVEPOINT: a refused value fails this event only
    log.info(
        "event %s (%s) applied: incident %s %s%s",
        pending.id,
        pending.source,
        pending.incident_id,
        saved.phase if saved is not None else "none",
        f", update {update.id} {update.kind}" if update is not None else "",
        extra={"event_id": pending.id, "incident_id": pending.incident_id},
    )
    return [made.id for made in (note, update) if made is not None]


def _fail(
    runtime: WorkerRuntime,
    session: Session,
    pending: EventRow,
    error: Exception,
    *,
    now: datetime,
) -> int | None:
    """Mark the event failed and tell the lead (once an hour); the notice's update id."""
    text = describe(error)
    event_store.mark_failed(pending, error=text, now=now)
    log.error(
        "event %s (%s, service %s) failed and will not be retried until staff retry it "
        "(POST /api/v1/events/%s/retry): %s",
        pending.id,
        pending.source,
        pending.service,
        pending.id,
        text,
        extra={"event_id": pending.id},
    )
    if event_store.lead_told_lately(session, now=now):
        return None
    incident = _incident_for_notice(session, pending.service)
    lead = runtime.settings.default_lead
    if incident is not None and incident.phase != Phase.RESOLVED and incident.lead:
        lead = incident.lead
    contact = find_contact(runtime.directory, lead) if lead else None
    if contact is None or incident is None:
        log.error(
            "nobody told that event %s failed: %s",
            pending.id,
            "no incident lead or OUTAGE_NOTIFY_DEFAULT_LEAD"
            if incident is not None
            else "no incident yet to send the notice under",
            extra={"event_id": pending.id},
        )
        return None
    pending.lead_told_at = now
    draft = UpdateDraft(
        kind=UpdateKind.EVENT_FAILED,
        message=notice_text(
            pending, text, Words.of(runtime.settings.templates_dir, contact.locale)
        ),
        actor=ACTOR,
        recipients=(lead,),
        # Like a reminder: never held back by a per-recipient SMS budget.
        phase_change=True,
    )
    return incident_store.add_update(session, incident, draft, now=now).id


def notice_text(event: EventRow, error: str, words: Words) -> str:
    """The lead's notice of a failed event, in the lead's language (the error as it was)."""
    return words(
        FAILED_EVENT_NOTICE,
        source=event.source,
        error=error,
        id=event.id,
        service=event.service,
    )


def _incident_for_notice(session: Session, service: str) -> IncidentRow | None:
    """The incident a notice is filed under: the service's latest, else the newest of all.

    A notice to the lead is an update, and an update belongs to an incident; the notice's text
    names the event and the service, so which incident carries it only matters for the record.
    """
    found = incident_store.latest_incident(session, service)
    return found if found is not None else incident_store.newest_incident(session)
