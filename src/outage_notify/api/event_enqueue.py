"""Enqueueing webhook events from the event loop, batched across concurrent requests.

Every webhook's event is committed before it is answered; this module puts the committed
event on the broker, in batches: requests that commit while a batch is being published go in
the next one, one round trip for all.

While the broker is healthy on this loop (its last publish succeeded), a webhook is answered
as soon as its event is committed, and the event is queued a moment later by the batch it
joined. A request that waited for its own publish had cost a fifth of the API's CPU per
webhook (benchmarks/ingest.py: 0.54 against 0.44 ms), with nothing gained for the caller: the
database, not the broker, is what the 2xx promises (docs/concepts). If that later publish
fails, its events are published again after RETRY_SECONDS, then less and less often, and if
the process stops first the sweeper queues them (SWEEP_STALE_SECONDS after they arrived). A
publish still unanswered after STALL_SECONDS (a broker that accepts connections but does not
answer) counts as failing already, so that such a broker costs a few hundred milliseconds of
2xx answers, not its timeouts' worth.

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
# A publish not answered within this is taken as the broker failing: the requests after it
# wait for their own publish (and get 503 if it fails) instead of being answered first.
STALL_SECONDS = 0.5
# Answered events whose publish failed are tried again after RETRY_SECONDS, the wait doubling
# up to MAX_RETRY_SECONDS; at most MAX_RETRIED are kept (older ones are left to the sweeper,
# which finds every unprocessed event in the database).
RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0
MAX_RETRIED = 10_000


class EventBatches:
    """`Enqueuer.event` for many concurrent requests, batched."""

    def __init__(self, enqueuer: Enqueuer, publisher: RedisEventPublisher | None = None) -> None:
        self.enqueuer = enqueuer
        self.publisher = publisher
        # Each waiting event and, if its request waits for the publish, that request's future.
        self._waiting: list[tuple[int, asyncio.Future[None] | None]] = []
        # Flushers started and not yet returned; each returns only right after finding
        # nothing waiting, so while one runs, whatever waits is taken by it. A flusher leaves
        # this set as its last step (a done-callback runs a loop turn late: a request arriving
        # in that turn would wait for a flusher that had already left); the callback only
        # covers a task cancelled before it ever ran.
        self._flushers: set[asyncio.Task[None]] = set()
        # Futures and tasks belong to one loop; the test client runs a loop per request.
        self._loop: asyncio.AbstractEventLoop | None = None
        self.healthy = False  # the last publish on this loop succeeded, and none is stalled
        self._retried: list[int] = []  # answered, not yet queued
        self._retry: asyncio.TimerHandle | None = None
        self._retry_seconds = RETRY_SECONDS
        self._closing = False

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
        left = len(self._retried) + sum(1 for _, done in self._waiting if done is None)
        if left:
            log.warning("%d answered events left to the sweeper: their event loop ended", left)
        if self._retry is not None:
            self._retry.cancel()
        self._loop, self._waiting, self._flushers = loop, [], set()
        self.healthy, self._retried, self._retry = False, [], None
        self._retry_seconds, self._closing = RETRY_SECONDS, False

    def _start_flusher(self, loop: asyncio.AbstractEventLoop) -> None:
        # The first of a new batch starts a flusher, if fewer than FLUSHERS run; else a
        # running one takes the batch when its publish returns.
        running = len(self._flushers)
        if running == 0 or (len(self._waiting) == 1 and running < FLUSHERS):
            flusher = loop.create_task(self._flush())
            self._flushers.add(flusher)  # also keeps the task referenced while it runs
            flusher.add_done_callback(self._flushers.discard)

    async def _flush(self) -> None:
        try:
            # One turn of the loop first: requests whose commits returned in this turn join
            # the batch instead of paying a round trip of their own.
            await asyncio.sleep(0)
            await self._drain()
        finally:
            task = asyncio.current_task()
            if task is not None:
                self._flushers.discard(task)

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            loop = asyncio.get_running_loop()
            stall = loop.call_later(STALL_SECONDS, self._stalled)
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
            except BaseException:
                # Cancelled (the loop is ending): nobody waits for an answer any more.
                answered = sum(1 for _, done in batch if done is None)
                if answered:
                    log.warning("%d answered events left to the sweeper: cancelled", answered)
                for _, done in batch:
                    if done is not None and not done.done():
                        done.cancel()
                raise
            else:
                self.healthy = True
                self._retry_seconds = RETRY_SECONDS
                for _, done in batch:
                    if done is not None and not done.done():
                        done.set_result(None)
            finally:
                stall.cancel()

    def _stalled(self) -> None:
        if self.healthy:
            log.warning("broker slow: a publish is unanswered after %.1f s", STALL_SECONDS)
        self.healthy = False

    def _later(self, answered: list[int], error: Exception) -> None:
        """Keep events already answered 2xx for another try, later and later."""
        if not answered:
            return
        if self._closing or self._loop is None:
            log.warning(
                "broker unavailable (%s) at shutdown: %d answered events left to the sweeper",
                type(error).__name__,
                len(answered),
            )
            return
        kept = self._retried + answered
        if len(kept) > MAX_RETRIED:
            log.warning(
                "%d answered events left to the sweeper: more than %d wait for the broker",
                len(kept) - MAX_RETRIED,
                MAX_RETRIED,
            )
        self._retried = kept[-MAX_RETRIED:]
        log.warning(
            "broker unavailable (%s): %d answered events will be queued again in %.0f s",
            type(error).__name__,
            len(self._retried),
            self._retry_seconds,
        )
        if self._retry is None:
            self._retry = self._loop.call_later(self._retry_seconds, self._again)
            self._retry_seconds = min(self._retry_seconds * 2, MAX_RETRY_SECONDS)

    def _again(self) -> None:
        retried, self._retried, self._retry = self._retried, [], None
        if self._loop is None or self._closing:
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
        self._closing = True
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        if self._retried:
            log.warning("%d answered events left to the sweeper at shutdown", len(self._retried))
            self._retried = []
        if self._loop is asyncio.get_running_loop():
            while self._flushers:
                await asyncio.gather(*self._flushers, return_exceptions=True)
        if self.publisher is not None:
            await self.publisher.aclose()
