"""Enqueueing webhook events from the event loop, batched across concurrent requests.

Requests that commit while a batch is being published wait together and go in the next batch,
in one round trip. Each request still awaits its own publish, so a webhook is answered 2xx only
once its event is both committed and queued, and 503 (the broker's error) when the broker is
down.

On a Redis broker the batch is one LPUSH from the event loop (worker/redis_publish.py).
Elsewhere Celery's `send_task` blocks on the broker, so it runs in a worker thread, one hop
per batch: a hop per webhook cost more than the publish itself under load.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from anyio import to_thread

from outage_notify.worker.enqueue import Enqueuer
from outage_notify.worker.redis_publish import RedisEventPublisher

# Batches published at once: one slow publish (a thread not scheduled for a while on a busy
# host) then holds up only the requests of its batch, not every request behind it.
FLUSHERS = 4


class EventBatches:
    """`Enqueuer.event` for many concurrent requests, batched."""

    def __init__(self, enqueuer: Enqueuer, publisher: RedisEventPublisher | None = None) -> None:
        self.enqueuer = enqueuer
        self.publisher = publisher
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []
        # Flushers started and not yet returned; each returns only right after finding
        # nothing waiting, so while one runs, whatever waits is taken by it. (Counted here,
        # not by task done-callbacks, which run a loop turn late: a request arriving in that
        # turn would have waited for a flusher that had already left.)
        self._active = 0
        self._tasks: set[asyncio.Task[None]] = set()
        # Futures and tasks belong to one loop; the test client runs a loop per request.
        self._loop: asyncio.AbstractEventLoop | None = None

    async def event(self, event_id: int) -> None:
        """Return once `event_id` is on the broker; raise the broker's error if it is not."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._waiting, self._active, self._tasks = loop, [], 0, set()
        done: asyncio.Future[None] = loop.create_future()
        self._waiting.append((event_id, done))
        # The first of a new batch starts a flusher, if fewer than FLUSHERS run; else a
        # running one takes the batch when its publish returns.
        if self._active == 0 or (len(self._waiting) == 1 and self._active < FLUSHERS):
            self._active += 1
            flusher = loop.create_task(self._flush())
            self._tasks.add(flusher)  # a task only weakly referenced by the loop may vanish
            flusher.add_done_callback(self._tasks.discard)
        await done

    async def _flush(self) -> None:
        loop = self._loop
        try:
            # One turn of the loop first: requests whose commits returned in this turn join
            # the batch instead of paying a thread hop of their own.
            await asyncio.sleep(0)
            await self._drain()
        finally:
            if self._loop is loop:  # not a flusher of a loop since replaced
                self._active -= 1

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await self._publish([event_id for event_id, _ in batch])
            except Exception as error:
                # Some may be queued already: a retry queues them again, which is harmless
                # (processing is idempotent), as for a duplicate webhook.
                for _, done in batch:
                    if not done.done():
                        done.set_exception(error)
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)

    async def _publish(self, event_ids: Sequence[int]) -> None:
        if self.publisher is not None:
            await self.publisher.events(event_ids)
        else:
            await to_thread.run_sync(self.enqueuer.events, event_ids)

    async def aclose(self) -> None:
        """Close the publisher's connections (the API's shutdown)."""
        if self.publisher is not None:
            await self.publisher.aclose()
