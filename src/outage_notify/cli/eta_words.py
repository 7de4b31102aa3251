"""ETAs as staff type them: `14:30`, `+90m`, `2h`, `1h30m`, or ISO 8601 (pure).

A wall-clock time is the next such time in the organisation's zone (OUTAGE_NOTIFY_TIMEZONE,
read from the service), never the laptop's: staff in another city mean the office's 14:30.
A duration counts from now. ISO without an offset is read in the organisation's zone too.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A week: the API refuses ETAs much further out; a typo like `+9000h` says so here.
MAX_AHEAD = timedelta(days=7)
_CLOCK = re.compile(r"^(?P<hour>\d{1,2})(?::|h)(?P<minute>\d{2})$")
_DURATION = re.compile(
    r"^\+?(?:(?P<days>\d{1,3})d)?(?:(?P<hours>\d{1,4})h)?(?:(?P<minutes>\d{1,5})m(?:in)?)?$"
)


class EtaWordsError(ValueError):
    """An ETA that cannot be read; the message is one sentence for the person who typed it."""


def parse_eta(text: str, *, now: datetime, zone: ZoneInfo) -> datetime:
    """The moment `text` means, aware, in `zone`; raises EtaWordsError with a sentence.

    `now` must be aware (the service's clock or the machine's, in any zone).
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    words = text.strip().lower().replace(" ", "")
    if not words:
        raise EtaWordsError("the ETA is empty; write e.g. 14:30, +90m, 2h or an ISO time")
    clock = _CLOCK.match(words)
    if clock:
        return _next_clock_time(int(clock["hour"]), int(clock["minute"]), now=now, zone=zone)
    duration = _DURATION.match(words)
    if duration and any(duration.groupdict().values()):
        ahead = timedelta(
            days=int(duration["days"] or 0),
            hours=int(duration["hours"] or 0),
            minutes=int(duration["minutes"] or 0),
        )
        if ahead <= timedelta(0):
            raise EtaWordsError(f"the ETA {text.strip()!r} is now, not ahead; give a duration")
        if ahead > MAX_AHEAD:
            raise EtaWordsError(f"the ETA {text.strip()!r} is more than 7 days ahead")
        # In UTC: `+` on a zone's time adds wall-clock time (Python keeps the tzinfo), so an
        # end counted from a local start across a DST change was an hour off.
        return (now.astimezone(UTC) + ahead).astimezone(zone)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise EtaWordsError(
            f"cannot read the ETA {text.strip()!r}; write e.g. 14:30 (in {zone.key}), +90m, "
            "2h, 1h30m or 2026-12-05T14:30-03:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        return moment.astimezone(zone)
    except OverflowError:
        raise EtaWordsError(f"the ETA {text.strip()!r} is out of range") from None


def _next_clock_time(hour: int, minute: int, *, now: datetime, zone: ZoneInfo) -> datetime:
    if hour > 23 or minute > 59:
        raise EtaWordsError(f"{hour}:{minute:02d} is not a time of day")
    # Compared in UTC: two times of one zone compare by their wall clock, so in the hour a DST
    # change repeats the first 01:45 counted as later than the second 01:30.
    after = now.astimezone(UTC)
    day = now.astimezone(zone).date()
    for _ in range(3):
        for moment in _occurrences(day, hour, minute, zone):
            if moment > after:
                return moment.astimezone(zone)
        day += timedelta(days=1)
    raise AssertionError("a time of day recurs within two days")  # pragma: no cover


def _occurrences(day: date, hour: int, minute: int, zone: ZoneInfo) -> list[datetime]:
    """The moments (UTC, in order) `zone`'s clock reads hour:minute on `day`: two in the hour a
    DST change repeats, and for a time it skips the zone's real moment (02:30 on a
    spring-forward night is 03:30)."""
    found: list[datetime] = []
    for fold in (0, 1):
        moment = datetime.combine(day, time(hour, minute, fold=fold), tzinfo=zone).astimezone(UTC)
        shown = moment.astimezone(zone)
        if fold == 1 and (shown.hour, shown.minute) != (hour, minute):
            continue  # skipped by the change: the first reading already gave its real moment
        if moment not in found:
            found.append(moment)
    return sorted(found)
