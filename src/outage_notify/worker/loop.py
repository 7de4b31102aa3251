"""A private asyncio loop in a thread, so synchronous Celery tasks can send concurrently.

Channels hold pooled aiohttp sessions bound to one loop; keeping that loop alive for the life of
the worker process keeps connections warm across batches instead of reconnecting per task.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """Runs coroutines on one long-lived event loop from any thread."""

    def __init__(self, name: str = "outage-notify-io") -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coroutine` on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def close(self) -> None:
        if self._loop.is_closed():
            return
        # Let what is still pending (aiohttp's connection-close waiters) finish or cancel
        # cleanly, instead of being destroyed with the loop.
        with contextlib.suppress(Exception):
            self.run(_drain(), timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


async def _drain() -> None:
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
