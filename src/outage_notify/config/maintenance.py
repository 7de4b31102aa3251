"""Scheduled maintenance's settings: when the audiences are reminded before a window starts.

`OUTAGE_NOTIFY_MAINTENANCE_REMINDER_HOURS` is a comma-separated list of whole hours before the
start ("24,1": a day before and an hour before). Kept here, below the domain, so `Settings`
refuses a bad value at start-up with the sentence below.
"""

from __future__ import annotations

from outage_notify.core.digits import ascii_digits

# A reminder further ahead than a year is a typo (hours meant as minutes, or a date).
MAX_REMINDER_HOURS = 24 * 366
DEFAULT_REMINDER_HOURS = (24, 1)


def parse_reminder_hours(value: object) -> tuple[int, ...]:
    """The reminder hours of a setting: distinct, largest first; ValueError with a sentence."""
    if isinstance(value, list | tuple):
        parts = [str(part) for part in value]
    elif isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, int) and not isinstance(value, bool):
        parts = [str(value)]
    else:
        raise ValueError("reminder hours: give whole hours separated by commas, such as 24,1")
    hours: set[int] = set()
    for part in parts:
        text = part.strip()
        if not text:
            continue
        if not ascii_digits(text):
            raise ValueError(
                f"reminder hours: {text[:20]!r} is not a whole number of hours (such as 24,1)"
            )
        number = int(text)
        if not 1 <= number <= MAX_REMINDER_HOURS:
            raise ValueError(
                f"reminder hours: {number} is outside 1..{MAX_REMINDER_HOURS} (such as 24,1)"
            )
        hours.add(number)
    return tuple(sorted(hours, reverse=True))
