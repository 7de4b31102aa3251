"""A Celery worker (with beat) inside the API process, for embedded mode and the demo."""

from __future__ import annotations

import threading

from celery import Celery
from celery.worker import state

from outage_notify.worker import names


class EmbeddedWorker:
    """Consumes all queues in a background thread of this process."""

    def __init__(self, app: Celery, *, concurrency: int = 4, beat: bool = True) -> None:
        self.app = app
        # The thread and solo pools look tasks up on the *current* app; without this the worker
        # accepts messages and silently finds no task to run.
        app.finalize()
        app.set_current()
        app.set_default()
        self._worker = app.WorkController(
            app=app,
            pool="threads",
            concurrency=concurrency,
            queues=list(names.ALL_QUEUES),
            hostname="embedded@outage-notify",
            without_heartbeat=True,
            without_mingle=True,
            without_gossip=True,
            beat=beat,
            loglevel="WARNING",
        )
        self._thread = threading.Thread(
            target=self._worker.start, name="embedded-worker", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        # The same way celery.contrib.testing stops its thread worker.
        state.should_terminate = 0
        self._thread.join(timeout)
        state.should_terminate = None
