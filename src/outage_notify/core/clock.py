"""Where the service reads the time: one `Clock`, built at the edge and passed in.

The worker runtime, the staff actions and the rate limiter take a `Clock` instead of reading
`datetime.now(UTC)` or `time.monotonic()` themselves, so a test hands them a clock it moves by
hand (tests/fixtures/clock.py) and sees reminders fall due or a bucket refill without
sleeping. Pure functions keep taking `now` as an argument; the clock is read by their callers.

`SYSTEM_CLOCK` is the real one: each method is exactly the call it replaces. Time kept by Redis
(the shared rate-limit buckets' `TIME`, key expiry) is the shared clock of every process and is
not this one.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Wall time, monotonic time, and ways to wait for it to pass."""

    def now(self) -> datetime:
        """The current time as an aware UTC datetime."""
        ...

    def monotonic(self) -> float:
        """Seconds that only ever grow: for intervals and deadlines within one process."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return once `seconds` of `monotonic` time have passed (at once for 0 or less)."""
        ...

    def wait(self, seconds: float) -> None:
        """`sleep` for code on a thread of its own, outside any event loop: blocks it."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK: Clock = SystemClock()
