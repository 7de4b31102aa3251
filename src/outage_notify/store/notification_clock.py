"""Reads and writes of the notification clock: the personal-data mark, notices, reminders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from outage_notify.config.settings import Settings
from outage_notify.incidents.business_calendar import BusinessCalendar, calendar_from
from outage_notify.incidents.notification_clock import LABELS, Clock, Notice, clocks
from outage_notify.report.notifications import NoticeItem, NotificationsPart
from outage_notify.store.clock_tables import (
    NotificationNoticeRow,
    NotificationReminderRow,
    PersonalDataMarkRow,
)
from outage_notify.store.engine import add_unless_duplicate
from outage_notify.store.tables import IncidentRow


def mark(session: Session, incident_id: int) -> PersonalDataMarkRow | None:
    """The incident's personal-data mark, if staff made one."""
    return session.scalars(
        select(PersonalDataMarkRow).where(PersonalDataMarkRow.incident_id == incident_id)
    ).first()


def notices(session: Session, incident_id: int) -> dict[str, Notice]:
    """The notices recorded on the incident, by obligation."""
    rows = session.scalars(
        select(NotificationNoticeRow).where(NotificationNoticeRow.incident_id == incident_id)
    ).all()
    return {
        row.obligation: Notice(row.obligation, row.notified_at, row.notified_by, row.reference)
        for row in rows
    }


def reminded(session: Session, incident_id: int) -> dict[str, set[int]]:
    """The thresholds already reminded of, by obligation."""
    found: dict[str, set[int]] = {}
    rows = session.scalars(
        select(NotificationReminderRow).where(NotificationReminderRow.incident_id == incident_id)
    ).all()
    for row in rows:
        found.setdefault(row.obligation, set()).add(row.threshold)
    return found


def marked_incidents(session: Session, *, for_update: bool = False) -> Sequence[IncidentRow]:
    """Incidents marked "personal data may be affected" and not retracted: a legal clock keeps
    running after the outage is resolved. Locked for the transaction when asked."""
    statement = (
        select(IncidentRow)
        .join(PersonalDataMarkRow, PersonalDataMarkRow.incident_id == IncidentRow.id)
        .where(IncidentRow.retracted_at.is_(None))
        .order_by(IncidentRow.id)
    )
    if for_update:
        statement = statement.with_for_update(of=IncidentRow)
    return session.scalars(statement).all()


def calendar(settings: Settings) -> BusinessCalendar:
    """The organisation's business calendar the clocks count in."""
    return calendar_from(settings.breach, timezone=settings.timezone)


def incident_clocks(
    session: Session, incident_id: int, *, settings: Settings, now: datetime
) -> tuple[PersonalDataMarkRow | None, list[Clock]]:
    """The mark and each clock of the incident as of `now` (none before the mark)."""
    found = mark(session, incident_id)
    if found is None:
        return None, []
    return found, clocks(
        marked_at=found.marked_at,
        notices=notices(session, incident_id),
        settings=settings.breach,
        calendar=calendar(settings),
        now=now,
    )


def add_reminder(session: Session, row: NotificationReminderRow) -> bool:
    """Write one threshold's reminder row; False when another tick already wrote it (the unique
    key is the guarantee, the incident lock only makes a conflict rare)."""
    return add_unless_duplicate(session, row)


def notifications_part(
    *, marked_at: datetime, marked_by: str, clocks: Sequence[Clock]
) -> NotificationsPart:
    """The report's notifications part (its security section)."""
    return NotificationsPart(
        marked_at=marked_at,
        marked_by=marked_by,
        notices=[
            NoticeItem(
                obligation=clock.obligation.value,
                label=LABELS[clock.obligation],
                started_at=clock.started_at,
                deadline=clock.deadline,
                notified_at=clock.notice.at if clock.notice else None,
                notified_by=clock.notice.by if clock.notice else "",
                reference=clock.notice.reference if clock.notice else "",
                on_time=clock.on_time,
            )
            for clock in clocks
        ],
    )
