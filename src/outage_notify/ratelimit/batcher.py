"""One process's callers of one bucket set, queued and served by shared takes (`ratelimit`).

Callers queue in arrival order. While the queue is not empty a single driver task asks the
limiter for as many tokens as there are callers waiting, in one take; the first `granted` callers
get 0.0 and the rest keep their places. When the take comes back short the driver alone sleeps
until the next token is due, then asks again for everyone still queued; a caller whose remaining
`max_wait` is shorter than that sleep gets an estimate of its wait back instead.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from outage_notify.core.clock import SYSTEM_CLOCK, Clock

# Takes up to `count` tokens: (granted, seconds until the next one is due when granted < count).
Take = Callable[[int], Awaitable[tuple[int, float]]]


@dataclass(eq=False)
class _Caller:
    deadline: float
    answer: asyncio.Future[float]


class Batcher:
    """Serves the callers of one bucket set on one event loop with as few takes as it can."""

    def __init__(
        self,
        take: Take,
        *,
        slowest_rate: float,
        on_idle: Callable[[], object],
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._take = take
        self._clock = clock
        self._slowest_rate = slowest_rate
        self._on_idle = on_idle
        self._queue: deque[_Caller] = deque()
        self._driver: asyncio.Task[None] | None = None
        # While the driver sleeps: the monotonic moment the next token is due, else 0.
        self._next_due = 0.0

    async def acquire(self, max_wait: float) -> float:
        """0.0 once a token is taken for this caller; else the wait, if it exceeds `max_wait`."""
        now = self._clock.monotonic()
        deadline = now + max_wait
        if self._next_due > deadline:
            # No token can be due before the driver wakes, so no round trip can do better.
            return self._estimate(self._next_due - now, ahead=len(self._waiting()))
        caller = _Caller(deadline, asyncio.get_running_loop().create_future())
        self._queue.append(caller)
        if self._driver is None:
            self._driver = asyncio.create_task(self._drive())
        # A cancelled caller cancels its own answer, and the driver skips answered callers.
        return await caller.answer

    def _waiting(self) -> list[_Caller]:
        self._queue = deque(caller for caller in self._queue if not caller.answer.done())
        return list(self._queue)

    def _estimate(self, wait: float, *, ahead: int) -> float:
        # Each caller still ahead needs a token of its own, at least 1/rate after the previous.
        return wait + ahead / self._slowest_rate

    async def _drive(self) -> None:
        try:
            while batch := self._waiting():
                try:
                    granted, wait = await self._take(len(batch))
                except Exception as error:
                    # Limits unknown: these callers decide (delivery defers); later ones try anew.
                    for caller in batch:
                        if not caller.answer.done():
                            caller.answer.set_exception(error)
                    continue
                await self._serve(granted, wait)
        finally:
            # Only reached with callers queued when this task itself was cancelled (the loop is
            # closing): cancel them rather than leave them waiting on a driver that is gone.
            for caller in self._queue:
                caller.answer.cancel()
            self._queue.clear()
            self._driver = None
            self._next_due = 0.0
            self._on_idle()

    async def _serve(self, granted: int, wait: float) -> None:
        # Tokens of callers cancelled during the take go to the next in line (newcomers
        # included); any left over are spent, which only ever makes sends sparser.
        waiting = self._waiting()
        for caller in waiting[:granted]:
            caller.answer.set_result(0.0)
        if wait <= 0.0:
            return
        now = self._clock.monotonic()
        kept = 0
        for ahead, caller in enumerate(waiting[granted:]):
            if caller.deadline - now < wait:
                # Everyone ahead in line needs a token first, kept or handed back alike: equal
                # estimates would send all the handed-back callers back at the same moment.
                caller.answer.set_result(self._estimate(wait, ahead=ahead))
            else:
                kept += 1
        if kept:
            self._next_due = now + wait
            try:
                await self._clock.sleep(wait)
            finally:
                self._next_due = 0.0
