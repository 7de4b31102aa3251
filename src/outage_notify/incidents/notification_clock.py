"""The notification clock (pure): which legal notices are owed, by when, and when to remind.

Once staff mark that personal data may be affected, each obligation the settings turn on
runs a clock to its deadline; the incident lead and the `security` audience are reminded at
50 %, 80 % and 100 % of it until staff record that the notice was made. The LGPD's complement
clock starts only when the LGPD notice itself is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from outage_notify.config.notification_clock import NotificationClockSettings
from outage_notify.incidents.business_calendar import BusinessCalendar
from outage_notify.messages.catalogs import N_, Words

THRESHOLDS = (50, 80, 100)
CLOCK_ACTOR = "notification-clock"
# Stored in English with its values filled in; each reader gets it in their own language
# (`update_messages.reader_message`). The deadline is written the same way in every language.
CLOCK_REMINDER = N_(
    "Personal data may be affected: the %(obligation)s notice is due by %(deadline)s "
    "(%(percent)s of the time gone). Once it is made, record it: POST "
    "/api/v1/incidents/%(id)s/notifications"
)
CLOCK_MESSAGES = (CLOCK_REMINDER,)


class Obligation(StrEnum):
    LGPD = "lgpd"
    LGPD_COMPLEMENT = "lgpd_complement"
    GDPR = "gdpr"


# How a reminder and the report name each obligation (proper names: the same in every language).
LABELS = {
    Obligation.LGPD: "LGPD",
    Obligation.LGPD_COMPLEMENT: "LGPD complement",
    Obligation.GDPR: "GDPR",
}


@dataclass(frozen=True)
class Term:
    """One obligation's time limit: business days or calendar hours, from the mark or from the
    notice of another obligation (`after`)."""

    obligation: Obligation
    business_days: int = 0
    hours: int = 0
    after: Obligation | None = None


def terms(settings: NotificationClockSettings) -> tuple[Term, ...]:
    """The obligations the settings turn on, with their limits."""
    found: list[Term] = []
    if settings.lgpd:
        days = settings.lgpd_business_days * (2 if settings.small_processing_agent else 1)
        found.append(Term(Obligation.LGPD, business_days=days))
        if settings.lgpd_complement:
            found.append(
                Term(
                    Obligation.LGPD_COMPLEMENT,
                    business_days=settings.lgpd_complement_business_days,
                    after=Obligation.LGPD,
                )
            )
    if settings.gdpr:
        found.append(Term(Obligation.GDPR, hours=settings.gdpr_hours))
    return tuple(found)


def deadline(term: Term, start: datetime, calendar: BusinessCalendar) -> datetime:
    """When the notice is due: the end of the last business day, or `hours` after `start`."""
    if term.business_days:
        last = calendar.add_business_days(calendar.local_date(start), term.business_days)
        return calendar.end_of_day(last).astimezone(UTC)
    return start + timedelta(hours=term.hours)


@dataclass(frozen=True)
class Notice:
    """A notice staff recorded as made."""

    obligation: str
    at: datetime
    by: str
    reference: str


@dataclass(frozen=True)
class Clock:
    """One obligation's clock on one incident, as of `now`."""

    obligation: Obligation
    started_at: datetime
    deadline: datetime
    percent_elapsed: int
    notice: Notice | None

    @property
    def on_time(self) -> bool | None:
        """Whether the notice was made by the deadline; None while it is not made."""
        return None if self.notice is None else self.notice.at <= self.deadline


def percent_elapsed(start: datetime, due: datetime, now: datetime) -> int:
    """How much of the time from `start` to `due` has gone by, in whole percent (0 before the
    start; past 100 once overdue)."""
    total = (due - start).total_seconds()
    gone = (now - start).total_seconds()
    if total <= 0:
        return 100
    return max(0, int(gone * 100 // total))


def threshold_at(start: datetime, due: datetime, percent: int) -> datetime:
    """The moment `percent` of the time from `start` to `due` has gone by."""
    return start + (due - start) * percent / 100


def clocks(
    *,
    marked_at: datetime,
    notices: dict[str, Notice],
    settings: NotificationClockSettings,
    calendar: BusinessCalendar,
    now: datetime,
) -> list[Clock]:
    """Every running or finished clock of an incident marked at `marked_at`."""
    found: list[Clock] = []
    for term in terms(settings):
        start = marked_at
        if term.after is not None:
            before = notices.get(term.after)
            if before is None:
                continue  # starts when the notice it complements is made
            start = before.at
        due = deadline(term, start, calendar)
        notice = notices.get(term.obligation)
        measured_at = notice.at if notice is not None else now
        found.append(
            Clock(term.obligation, start, due, percent_elapsed(start, due, measured_at), notice)
        )
    return found


def due_thresholds(clock: Clock, *, now: datetime, reminded: set[int]) -> list[int]:
    """The thresholds reached and not yet reminded of; none once the notice is recorded."""
    if clock.notice is not None:
        return []
    return [
        percent
        for percent in THRESHOLDS
        if percent not in reminded
        and threshold_at(clock.started_at, clock.deadline, percent) <= now
    ]


def reminder_text(
    clock: Clock, *, incident_id: int, percent: int, calendar: BusinessCalendar
) -> str:
    """The reminder of one threshold, in English (re-worded per reader when rendered)."""
    local = clock.deadline.astimezone(calendar.zone)
    return Words()(
        CLOCK_REMINDER,
        obligation=LABELS[clock.obligation],
        deadline=local.strftime("%Y-%m-%d %H:%M ") + (local.tzname() or ""),
        percent=f"{percent}%",
        id=incident_id,
    )
