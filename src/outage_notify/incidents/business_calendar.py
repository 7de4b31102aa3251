"""The organisation's business calendar (pure): working weekdays, public holidays, extra dates.

Legal notice deadlines counted in business days (the LGPD's) are counted here; the holidays of
a country and subdivision come from the `holidays` package, which knows moving feasts (Good
Friday, Corpus Christi) year by year.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from outage_notify.config.notification_clock import NotificationClockSettings

MONDAY_TO_FRIDAY = frozenset(range(5))


@lru_cache(maxsize=64)
def public_holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    """The public holidays of one year (national, and the subdivision's when given)."""
    if not country:
        return frozenset()
    found = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return frozenset(found.keys())


@dataclass(frozen=True)
class BusinessCalendar:
    """Which days are business days, and where a day begins and ends (`zone`)."""

    zone: ZoneInfo
    weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    country: str = ""
    subdivision: str = ""
    extra_holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        # With no working weekday no deadline could ever be found.
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise ValueError(f"working weekdays must be a non-empty subset of 0-6: {self.weekdays}")

    def is_business_day(self, day: date) -> bool:
        """A working weekday that is neither a public holiday nor an extra one."""
        return (
            day.weekday() in self.weekdays
            and day not in self.extra_holidays
            and day not in public_holidays(self.country, self.subdivision, day.year)
        )

    def add_business_days(self, day: date, count: int) -> date:
        """The `count`-th business day after `day` (`day` itself never counts, as in the legal
        way of counting: the day of the event is excluded); `day` for 0."""
        if count < 0:
            raise ValueError("count must not be negative")
        found = day
        while count:
            found += timedelta(days=1)
            if self.is_business_day(found):
                count -= 1
        return found

    def end_of_day(self, day: date) -> datetime:
        """The last second of `day` in the calendar's zone."""
        return datetime.combine(day, time(23, 59, 59), tzinfo=self.zone)

    def local_date(self, moment: datetime) -> date:
        """The calendar day `moment` falls on in the calendar's zone."""
        return moment.astimezone(self.zone).date()


def calendar_from(settings: NotificationClockSettings, *, timezone: str) -> BusinessCalendar:
    """The business calendar the settings describe, in the organisation's zone."""
    return BusinessCalendar(
        zone=ZoneInfo(timezone),
        weekdays=settings.weekdays,
        country=settings.holidays_country,
        subdivision=settings.holidays_subdivision,
        extra_holidays=frozenset(settings.extra_holidays),
    )
