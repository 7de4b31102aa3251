"""Timestamps from outside, brought to UTC within a range every later computation can handle.

A time near year 1 or 9999 parses, but converting it to UTC (`astimezone`) or adding an hour
to it raises OverflowError: a 500 on the request, or a worker or beat task failing on every
try. Staff and the generic webhook (our own, strict schema) are told with a 422; a vendor's
monitoring timestamp is clamped into the range instead, so the alert is still announced
(Alertmanager drops a 4xx for good).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

# Wide enough for any real event or ETA; far enough from datetime's own limits (years 1 and
# 9999) that converting to any timezone or adding days or years never overflows.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _utc_or_none(value: datetime) -> datetime | None:
    """`value` in UTC (naive taken as UTC), or None when UTC cannot represent it."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return None


def checked_utc(value: datetime) -> datetime:
    """`value` in UTC, or ValueError (a 422 naming the field) outside EARLIEST..LATEST."""
    utc = _utc_or_none(value)
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError(
            f"must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC); got {value}"
        )
    return utc


def clamped_utc(value: datetime) -> datetime:
    """`value` in UTC, moved into EARLIEST..LATEST: for monitoring, which is never refused."""
    utc = _utc_or_none(value)
    if utc is None:
        # Only a time within a day of year 1 or 9999 cannot be converted.
        return EARLIEST if value.year < 5000 else LATEST
    return min(max(utc, EARLIEST), LATEST)


# An aware datetime from people or our own schema: in UTC, within the range, else 422.
SaneDatetime = Annotated[AwareDatetime, AfterValidator(checked_utc)]
