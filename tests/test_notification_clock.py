"""The notification clock's arithmetic (pure): business days in the organisation's calendar,
deadlines, percent elapsed and the reminder thresholds; table tests with Brazilian holidays
and property tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outage_notify.config.notification_clock import NotificationClockSettings
from outage_notify.incidents.business_calendar import BusinessCalendar, calendar_from
from outage_notify.incidents.notification_clock import (
    THRESHOLDS,
    Notice,
    Obligation,
    Term,
    clocks,
    deadline,
    due_thresholds,
    percent_elapsed,
    terms,
    threshold_at,
)

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
BR_SP = BusinessCalendar(zone=SAO_PAULO, country="BR", subdivision="SP")
LGPD = Term(Obligation.LGPD, business_days=3)
moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
weekday_sets = st.frozensets(st.integers(0, 6), min_size=1)


@pytest.mark.parametrize(
    ("start", "days", "expected", "why"),
    [
        (date(2026, 3, 9), 3, date(2026, 3, 12), "Monday + 3: Thursday"),
        (date(2026, 3, 12), 3, date(2026, 3, 17), "over a weekend"),
        (date(2026, 4, 2), 3, date(2026, 4, 8), "Good Friday 2026-04-03"),
        (date(2026, 4, 17), 3, date(2026, 4, 23), "Tiradentes 2026-04-21"),
        (date(2026, 7, 8), 1, date(2026, 7, 10), "9 July, São Paulo's own holiday"),
        (date(2026, 11, 19), 1, date(2026, 11, 23), "Black Awareness Day 2026-11-20"),
        (date(2026, 12, 24), 1, date(2026, 12, 28), "Christmas"),
        (date(2026, 3, 14), 1, date(2026, 3, 16), "a Saturday start: Monday is the first"),
    ],
)
def test_business_days_skip_weekends_and_brazilian_holidays(
    start: date, days: int, expected: date, why: str
) -> None:
    assert BR_SP.add_business_days(start, days) == expected, why


def test_extra_holidays_and_working_days_come_from_the_settings() -> None:
    settings = NotificationClockSettings(
        extra_holidays="2026-02-16,2026-02-17",
        working_days="mon,tue,wed,thu,fri,sat",
    )
    calendar = calendar_from(settings, timezone="America/Sao_Paulo")
    # Carnival Monday and Tuesday are not business days; Saturday is.
    assert calendar.add_business_days(date(2026, 2, 13), 2) == date(2026, 2, 18)
    assert calendar.is_business_day(date(2026, 2, 14))


def test_the_lgpd_deadline_is_the_end_of_the_third_business_day_in_the_organisations_zone() -> None:
    marked = datetime(2026, 4, 2, 15, 0, tzinfo=UTC)  # Thursday, before Good Friday
    due = deadline(LGPD, marked, BR_SP)
    assert due == datetime(2026, 4, 8, 23, 59, 59, tzinfo=SAO_PAULO)


def test_a_small_processing_agent_has_twice_the_business_days() -> None:
    normal = {t.obligation: t for t in terms(NotificationClockSettings())}
    small = {t.obligation: t for t in terms(NotificationClockSettings(small_processing_agent=True))}
    assert normal[Obligation.LGPD].business_days == 3
    assert small[Obligation.LGPD].business_days == 6
    assert Obligation.GDPR not in normal  # off unless turned on
    gdpr = {t.obligation: t for t in terms(NotificationClockSettings(gdpr=True))}
    assert gdpr[Obligation.GDPR].hours == 72


def test_the_complement_clock_starts_when_the_lgpd_notice_is_made() -> None:
    settings = NotificationClockSettings()
    marked = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    before = clocks(marked_at=marked, notices={}, settings=settings, calendar=BR_SP, now=marked)
    assert [c.obligation for c in before] == [Obligation.LGPD]
    made = Notice("lgpd", marked + timedelta(days=1), "dpo", "ANPD-1")
    after = clocks(
        marked_at=marked, notices={"lgpd": made}, settings=settings, calendar=BR_SP, now=marked
    )
    assert [c.obligation for c in after] == [Obligation.LGPD, Obligation.LGPD_COMPLEMENT]
    assert after[0].on_time is True and after[1].started_at == made.at
    # 20 business days from Tuesday 10 March 2026 (Good Friday on the way).
    assert after[1].deadline == datetime(2026, 4, 8, 23, 59, 59, tzinfo=SAO_PAULO)


def test_thresholds_are_due_once_and_never_after_the_notice() -> None:
    marked = datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    (clock,) = clocks(
        marked_at=marked,
        notices={},
        settings=NotificationClockSettings(),
        calendar=BR_SP,
        now=marked,
    )
    past_80 = threshold_at(clock.started_at, clock.deadline, 80) + timedelta(seconds=1)
    assert due_thresholds(clock, now=past_80, reminded=set()) == [50, 80]
    assert due_thresholds(clock, now=past_80, reminded={50}) == [80]
    assert due_thresholds(clock, now=past_80, reminded={50, 80}) == []
    notified = clocks(
        marked_at=marked,
        notices={"lgpd": Notice("lgpd", past_80, "dpo", "")},
        settings=NotificationClockSettings(lgpd_complement=False),
        calendar=BR_SP,
        now=past_80,
    )[0]
    assert due_thresholds(notified, now=clock.deadline + timedelta(days=9), reminded=set()) == []


@given(start=moments, days=st.integers(1, 40), weekdays=weekday_sets)
def test_a_business_day_deadline_is_after_the_start_and_on_a_business_day(
    start: datetime, days: int, weekdays: frozenset[int]
) -> None:
    calendar = BusinessCalendar(zone=SAO_PAULO, weekdays=weekdays, country="BR")
    due = deadline(Term(Obligation.LGPD, business_days=days), start, calendar)
    assert due > start
    assert calendar.is_business_day(calendar.local_date(due))


@given(start=moments, hours=st.integers(1, 720))
def test_an_hours_deadline_is_calendar_time(start: datetime, hours: int) -> None:
    due = deadline(Term(Obligation.GDPR, hours=hours), start, BR_SP)
    assert due - start == timedelta(hours=hours)


@given(
    day=st.dates(date(2020, 1, 1), date(2035, 12, 31)), a=st.integers(0, 30), b=st.integers(0, 30)
)
def test_adding_business_days_is_monotonic_and_adds_up(day: date, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert BR_SP.add_business_days(day, low) <= BR_SP.add_business_days(day, high)
    once = BR_SP.add_business_days(day, a + b)
    assert once == BR_SP.add_business_days(BR_SP.add_business_days(day, a), b)


@given(start=moments, later=st.timedeltas(timedelta(0), timedelta(days=60)))
def test_thresholds_come_in_order_between_the_start_and_the_deadline(
    start: datetime, later: timedelta
) -> None:
    due = deadline(LGPD, start, BR_SP)
    times = [threshold_at(start, due, p) for p in THRESHOLDS]
    assert start < times[0] < times[1] < times[2] == due
    now = start + later
    percent = percent_elapsed(start, due, now)
    assert percent >= 0
    assert (percent >= 100) == (now >= due)


def test_the_settings_refuse_an_unknown_weekday_or_country() -> None:
    with pytest.raises(ValueError, match="unknown weekday"):
        NotificationClockSettings(working_days="mon,funday")
    with pytest.raises(ValueError, match="HOLIDAYS_COUNTRY"):
        NotificationClockSettings(holidays_country="XX")
