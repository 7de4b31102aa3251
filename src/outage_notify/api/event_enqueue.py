"""Enqueueing webhook events from the event loop: one worker-thread hop per batch.

Celery's `send_task` blocks on the broker, so it runs in a worker thread; a hop per webhook
cost more than the publish itself under load. Requests that commit while a batch is being
published wait together and go in the next batch, through one producer. Each request still
awaits its own publish, so a webhook is answered 2xx only once its event is both committed
and queued, and 503 (the broker's error) when the broker is down, as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from anyio import to_thread

from outage_notify.worker.enqueue import Enqueuer


class EventBatches:
    """`Enqueuer.event` for many concurrent requests, batched."""

    def __init__(self, enqueuer: Enqueuer) -> None:
        self.enqueuer = enqueuer
        self._waiting: list[tuple[int, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        # Futures and tasks belong to one loop; the test client runs a loop per request.
        self._loop: asyncio.AbstractEventLoop | None = None

    async def event(self, event_id: int) -> None:
        """Return once `event_id` is on the broker; raise the broker's error if it is not."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._waiting, self._flusher = loop, [], None
        done: asyncio.Future[None] = loop.create_future()
        self._waiting.append((event_id, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush())
        await done

    async def _flush(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                await to_thread.run_sync(self._publish, [event_id for event_id, _ in batch])
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

    def _publish(self, event_ids: Sequence[int]) -> None:
        self.enqueuer.events(event_ids)
