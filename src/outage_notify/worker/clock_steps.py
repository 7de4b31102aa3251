"""The notification clock's beat step: remind the lead and the `security` audience at 50 %,
80 % and 100 % of each legal deadline until staff record the notice (load, call, save)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from outage_notify.core.models import UpdateDraft, UpdateKind
from outage_notify.incidents.notification_clock import (
    CLOCK_ACTOR,
    Clock,
    due_thresholds,
    reminder_text,
)
from outage_notify.messages.planning import find_contact
from outage_notify.store import incidents as incident_store
from outage_notify.store import notification_clock as clock_store
from outage_notify.store.clock_tables import NotificationReminderRow
from outage_notify.store.engine import transaction
from outage_notify.store.tables import IncidentRow
from outage_notify.worker.runtime import WorkerRuntime

# The audience of the security team, legal and the DPO (contacts/), reminded with the lead.
SECURITY_AUDIENCE = "security"


def remind_clocks(runtime: WorkerRuntime) -> list[int]:
    """Remind of every clock threshold reached and not yet reminded of (each once); return
    the staff updates to plan."""
    settings = runtime.settings
    now = runtime.clock.now()
    calendar = clock_store.calendar(settings)
    update_ids: list[int] = []
    with transaction(runtime.sessions) as session:
        for row in clock_store.marked_incidents(session, for_update=True):
            _, running = clock_store.incident_clocks(session, row.id, settings=settings, now=now)
            done = clock_store.reminded(session, row.id)
            for clock in running:
                due = due_thresholds(clock, now=now, reminded=done.get(clock.obligation, set()))
                if not due:
                    continue
                # A worker that was down past several thresholds sends one reminder, of the
                # latest, and counts the earlier ones as reminded.
                text = reminder_text(clock, incident_id=row.id, percent=due[-1], calendar=calendar)
                if not _claim(session, row.id, clock, due, now=now):
                    continue
                update_id = _send(runtime, session, row, text, now=now)
                if update_id is not None:
                    _link(session, row.id, clock, due, update_id)
                    update_ids.append(update_id)
    return update_ids


def recipients(runtime: WorkerRuntime, row: IncidentRow) -> tuple[str, ...]:
    """The lead (or the default lead) and every contact of the `security` audience, once each."""
    lead = row.lead or runtime.settings.default_lead
    found = [lead] if lead and find_contact(runtime.directory, lead) is not None else []
    security = runtime.directory.audiences.get(SECURITY_AUDIENCE)
    for contact in security.contacts if security is not None else []:
        if contact.id not in found:
            found.append(contact.id)
    return tuple(found)


def _claim(
    session: Session, incident_id: int, clock: Clock, thresholds: list[int], *, now: datetime
) -> bool:
    """Write the thresholds' rows; False when a concurrent tick wrote the latest already."""
    claimed = False
    for threshold in thresholds:
        row = NotificationReminderRow(
            incident_id=incident_id,
            obligation=clock.obligation.value,
            threshold=threshold,
            deadline=clock.deadline,
            reminded_at=now,
        )
        claimed = clock_store.add_reminder(session, row)
    return claimed


def _send(
    runtime: WorkerRuntime, session: Session, row: IncidentRow, text: str, *, now: datetime
) -> int | None:
    told = recipients(runtime, row)
    if not told:
        incident_store.add_timeline(
            session,
            row.id,
            at=now,
            actor=CLOCK_ACTOR,
            kind="reminder",
            text=f"nobody to remind ({text}): set the incident lead, OUTAGE_NOTIFY_DEFAULT_LEAD "
            f"or a `security` audience in the contacts",
        )
        return None
    draft = UpdateDraft(
        kind=UpdateKind.NOTIFICATION_DUE,
        message=text,
        actor=CLOCK_ACTOR,
        recipients=told,
        phase_change=True,
    )
    return incident_store.add_update(session, row, draft, now=now).id


def _link(
    session: Session, incident_id: int, clock: Clock, thresholds: list[int], update_id: int
) -> None:
    for found in session.query(NotificationReminderRow).filter(
        NotificationReminderRow.incident_id == incident_id,
        NotificationReminderRow.obligation == clock.obligation.value,
        NotificationReminderRow.threshold.in_(thresholds),
        NotificationReminderRow.update_id.is_(None),
    ):
        found.update_id = update_id
