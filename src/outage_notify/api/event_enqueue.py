"""Enqueueing webhook events from the event loop, batched across concurrent requests.

Every webhook's event is committed before it is answered; this module puts the committed
event on the broker, in batches: requests that commit while a batch is being published go in
the next one, one round trip for all.

While the broker is healthy on this loop (its last publish succeeded), a webhook is answered
as soon as its event is committed, and the event is queued a moment later by the batch it
joined. A request that waited for its own publish had cost a fifth of the API's CPU per
webhook (benchmarks/ingest.py: 0.54 against 0.44 ms), with nothing gained for the caller: the
database, not the broker, is what the 2xx promises (docs/concepts). If that later publish
fails, its events are published again every RETRY_SECONDS, and if the process stops first the
sweeper queues them (SWEEP_STALE_SECONDS after they arrived).

Until a publish has succeeded on this loop (at start, after a failure, and on the test
client's loop per request, which a background publish would not outlive), each request waits
for its own publish: 2xx once its event is committed and queued, 503 (the broker's error) if
it cannot be queued. So with the broker down, monitoring sees 503 and retries, as before.

On a Redis broker a batch is one LPUSH from the event loop (worker/redis_publish.py).
Elsewhere Celery's `send_task` blocks on the broker, so it runs in a worker thread, one hop
per batch: a hop per webhook cost more than the publish itself under load.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from anyio import to_thread

from outage_notify.worker.enqueue import Enqueuer
from outage_notify.worker.redis_publish import RedisEventPublisher

log = logging.getLogger(__name__)
# Batches published at once: one slow publish (a thread not scheduled for a while on a busy
# host) then holds up only the requests of its batch, not every request behind it.
FLUSHERS = 4
# Answered events whose publish failed are tried again this often, at most this many (older
# ones are left to the sweeper, which finds every unprocessed event in the database).
RETRY_SECONDS = 1.0
MAX_RETRIED = 100_000


class EventBatches:
    """`Enqueuer.event` for many concurrent requests, batched."""

    def __init__(self, enqueuer: Enqueuer, publisher: RedisEventPublisher | None = None) -> None:
        self.enqueuer = enqueuer
        self.publisher = publisher
        # Each waiting event and, if its request waits for the publish, that request's future.
        self._waiting: list[tuple[int, asyncio.Future[None] | None]] = []
        # Flushers started and not yet returned; each returns only right after finding
        # nothing waiting, so while one runs, whatever waits is taken by it. (Counted here,
        # not by task done-callbacks, which run a loop turn late: a request arriving in that
        # turn would have waited for a flusher that had already left.)
        self._active = 0
        self._tasks: set[asyncio.Task[None]] = set()
        # Futures and tasks belong to one loop; the test client runs a loop per request.
        self._loop: asyncio.AbstractEventLoop | None = None
        self.healthy = False  # the last publish on this loop succeeded
        self._retried: list[int] = []  # answered, not yet queued
        self._retry: asyncio.TimerHandle | None = None

    async def event(self, event_id: int) -> None:
        """Queue `event_id`. Unless the broker is healthy, return only once it is queued, and
        raise the broker's error if it cannot be."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._reset(loop)
        if self.healthy:
            self._waiting.append((event_id, None))
            self._start_flusher(loop)
            return
        done: asyncio.Future[None] = loop.create_future()
        self._waiting.append((event_id, done))
        self._start_flusher(loop)
        await done

    def _reset(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._retried:
            log.warning(
                "%d answered events were not queued (their event loop ended); the sweeper "
                "will queue them",
                len(self._retried),
            )
        self._loop, self._waiting, self._active, self._tasks = loop, [], 0, set()
        self.healthy, self._retried, self._retry = False, [], None

    def _start_flusher(self, loop: asyncio.AbstractEventLoop) -> None:
        # The first of a new batch starts a flusher, if fewer than FLUSHERS run; else a
        # running one takes the batch when its publish returns.
        if self._active == 0 or (len(self._waiting) == 1 and self._active < FLUSHERS):
            self._active += 1
            flusher = loop.create_task(self._flush())
            self._tasks.add(flusher)  # a task only weakly referenced by the loop may vanish
            flusher.add_done_callback(self._tasks.discard)

    async def _flush(self) -> None:
        loop = self._loop
        try:
            # One turn of the loop first: requests whose commits returned in this turn join
            # the batch instead of paying a round trip of their own.
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
                self.healthy = False
                self._later([event_id for event_id, done in batch if done is None], error)
                for _, done in batch:
                    if done is not None and not done.done():
                        done.set_exception(error)
            else:
                self.healthy = True
                for _, done in batch:
                    if done is not None and not done.done():
                        done.set_result(None)

    def _later(self, answered: list[int], error: Exception) -> None:
        """Keep events already answered 2xx for another try in RETRY_SECONDS."""
        if not answered:
            return
        self._retried = (self._retried + answered)[-MAX_RETRIED:]
        log.warning(
            "broker unavailable (%s): %d answered events will be queued again in %.0f s",
            type(error).__name__,
            len(self._retried),
            RETRY_SECONDS,
        )
        if self._retry is None and self._loop is not None:
            self._retry = self._loop.call_later(RETRY_SECONDS, self._again)

    def _again(self) -> None:
        retried, self._retried, self._retry = self._retried, [], None
        if self._loop is None:
            return
        self._waiting[:0] = [(event_id, None) for event_id in retried]
        if self._waiting:
            self._start_flusher(self._loop)

    async def _publish(self, event_ids: Sequence[int]) -> None:
        if self.publisher is not None:
            await self.publisher.events(event_ids)
        else:
            await to_thread.run_sync(self.enqueuer.events, event_ids)

    async def aclose(self) -> None:
        """Let the flushers queue what was answered, then close the publisher's connections
        (the API's shutdown). What cannot be queued now is left to the sweeper."""
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        if self._tasks and self._loop is asyncio.get_running_loop():
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.publisher is not None:
            await self.publisher.aclose()
