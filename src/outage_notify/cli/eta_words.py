"""ETAs and times as staff type them in a terminal: `14:30`, `+90m`, `2h`, `1h30m`, `1d`, or
ISO 8601 (pure).

The words are read by `commands.parsing.read_time`, the reader Slack and SMS commands use, so
`--eta +2d` means what `/outage eta +2d` means. A wall-clock time is the next such time in the
organisation's zone (OUTAGE_NOTIFY_TIMEZONE, read from the service), never the laptop's: staff
in another city mean the office's 14:30. A duration counts from now. ISO without an offset is
read in the organisation's zone too. The one difference: a terminal argument is one time, so
spaces inside a duration or a clock time (`1h 30m`) are dropped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from outage_notify.commands.parsing import (
    MAX_AHEAD,
    NOT_A_TIME,
    CommandError,
    is_clock_or_duration,
    read_time,
)

__all__ = ["MAX_AHEAD", "EtaWordsError", "parse_eta"]


class EtaWordsError(ValueError):
    """An ETA that cannot be read; the message is one sentence for the person who typed it."""


def parse_eta(
    text: str,
    *,
    now: datetime,
    zone: ZoneInfo,
    future: bool = True,
    max_ahead: timedelta | None = MAX_AHEAD,
) -> datetime:
    """The moment `text` means, aware, in `zone`; raises EtaWordsError with a sentence.

    `now` must be aware (the service's clock or the machine's, in any zone). An ETA (the
    defaults) must be ahead and at most MAX_AHEAD away, as the service requires; a maintenance
    window's times pass `future=False, max_ahead=None` and are left to the service's rules.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    words = text.strip()
    if not words:
        raise EtaWordsError("the ETA is empty; write e.g. 14:30, +90m, 2h or an ISO time")
    # `+1h 30m` or `14 : 30` once its spaces go; anything else (an ISO time keeps the space
    # that stands for its `T`) is read as typed.
    if is_clock_or_duration(compact := "".join(words.split())):
        words = compact
    try:
        moment, _ = read_time(words, now=now, zone=zone, future=future, max_ahead=max_ahead)
        return moment.astimezone(zone)
    except CommandError as error:
        # A terminal may be in another city than the office: say whose 14:30 it would be.
        where = (
            f" Clock times are the organisation's ({zone.key})."
            if error.message == NOT_A_TIME
            else ""
        )
        raise EtaWordsError(f"{error}{where}") from None
    except OverflowError:
        raise EtaWordsError(f"the ETA {words!r} is out of range") from None
