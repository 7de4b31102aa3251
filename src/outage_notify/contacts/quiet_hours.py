"""A contact's quiet hours (`quiet_hours: "22:00-07:00"`, in the contact's own zone) (pure).

Only voice escalation reads them: a phone call wakes a person, a text does not. A span may
cross midnight (`22:00-07:00`); the start is inside it, the end is not. Equal start and end
would mean "never" or "always", so it is refused rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

SPAN_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
EXAMPLE = "such as 22:00-07:00"


@dataclass(frozen=True)
class QuietHours:
    """A daily span of local time when nobody is to be called."""

    start: time
    end: time

    def contains(self, moment: time) -> bool:
        """Whether the local time `moment` falls inside the span."""
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_quiet_hours(value: object) -> QuietHours:
    """`HH:MM-HH:MM` as quiet hours; ValueError with a sentence naming the problem."""
    if not isinstance(value, str):
        raise ValueError(f"quiet hours are text, {EXAMPLE}")
    match = SPAN_RE.match(value)
    if match is None or not value.isascii():
        raise ValueError(f"{value[:30]!r} is not a span of hours, {EXAMPLE}")
    numbers = [int(part) for part in match.groups()]
    for hour, minute in (numbers[:2], numbers[2:]):
        if hour > 23 or minute > 59:
            raise ValueError(f"{hour:02d}:{minute:02d} is not a time of day, {EXAMPLE}")
    start, end = time(numbers[0], numbers[1]), time(numbers[2], numbers[3])
    if start == end:
        raise ValueError(f"quiet hours {value.strip()!r} start and end at the same time")
    return QuietHours(start=start, end=end)


def is_quiet(text: str, *, now: datetime, zone: str) -> bool:
    """Whether `now` falls in the quiet hours `text` (already checked) in `zone`; "" never."""
    if not text:
        return False
    local = now.astimezone(ZoneInfo(zone)).time().replace(tzinfo=None)
    return parse_quiet_hours(text).contains(local)
