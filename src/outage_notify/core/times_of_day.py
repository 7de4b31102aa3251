"""The next moment a zone's clock reads a time of day, across DST changes (pure).

Staff type `14:30` in the CLI (`--eta`, maintenance `--start`) and in Slack and SMS commands
(`eta 14:30`); both mean the next 14:30 on the organisation's clock. In the hour clocks go
back that time comes twice, and on a spring-forward night it may not come at all. Worked out
in UTC, in one place: two copies of it once disagreed about the repeated hour.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def next_time_of_day(hour: int, minute: int, *, after: datetime, zone: ZoneInfo) -> datetime:
    """The first moment (UTC) later than `after` (aware) at which `zone`'s clock reads
    hour:minute: today's, either of the two in a repeated hour, else the next day's. A time a
    DST change skips is the zone's real moment then (02:30 on a spring-forward night is 03:30).
    Built from the date, not by adding 24 hours, so the clock time holds across a change."""
    start = after.astimezone(UTC)
    day = start.astimezone(zone).date()
    for _ in range(3):
        for moment in _occurrences(day, hour, minute, zone):
            if moment > start:
                return moment
        day += timedelta(days=1)
    raise AssertionError("a time of day recurs within two days")  # pragma: no cover


def _occurrences(day: date, hour: int, minute: int, zone: ZoneInfo) -> list[datetime]:
    """The moments (UTC, in order) at which `zone`'s clock reads hour:minute on `day`: one, two
    in the hour a DST change repeats, and for a time it skips the zone's real moment."""
    found: list[datetime] = []
    for fold in (0, 1):
        moment = datetime.combine(day, time(hour, minute, fold=fold), tzinfo=zone).astimezone(UTC)
        shown = moment.astimezone(zone)
        if fold == 1 and (shown.hour, shown.minute) != (hour, minute):
            continue  # skipped by the change: the first reading gave its real moment already
        if moment not in found:
            found.append(moment)
    return sorted(found)
