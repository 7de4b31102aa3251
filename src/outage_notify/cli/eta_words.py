"""ETAs as staff type them: `14:30`, `+90m`, `2h`, `1h30m`, or ISO 8601 (pure).

A wall-clock time is the next such time in the organisation's zone (OUTAGE_NOTIFY_TIMEZONE,
read from the service), never the laptop's: staff in another city mean the office's 14:30.
A duration counts from now. ISO without an offset is read in the organisation's zone too.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from outage_notify.core.times_of_day import next_time_of_day

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
    return next_time_of_day(hour, minute, after=now, zone=zone).astimezone(zone)
