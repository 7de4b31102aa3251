"""A Celery worker and a tiny scheduler inside the API process, for embedded mode and the demo."""

from __future__ import annotations

import logging
import threading
import time

from celery import Celery
from celery.worker import state

from outage_notify.worker import names

log = logging.getLogger(__name__)


class EmbeddedWorker:
    """Consumes all queues in a background thread, and runs the beat schedule in another.

    Celery's own embedded beat (`-B`) runs in a child process, whose in-memory queue no worker
    reads: its sweeps, reminders and acknowledgement checks would vanish. A thread here
    publishes into this process's queue instead.
    """

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
            loglevel="WARNING",
        )
        self._thread = threading.Thread(
            target=self._worker.start, name="embedded-worker", daemon=True
        )
        self._stop = threading.Event()
        self._beat = (
            threading.Thread(target=self._schedule, name="embedded-beat", daemon=True)
            if beat
            else None
        )

    def start(self) -> None:
        self._thread.start()
        if self._beat is not None:
            self._beat.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout)
        # The same way celery.contrib.testing stops its thread worker.
        state.should_terminate = 0
        self._thread.join(timeout)
        state.should_terminate = None

    def _schedule(self) -> None:
        """Publish each beat entry every `schedule` seconds until stopped."""
        entries = self.app.conf.beat_schedule
        due = {name: time.monotonic() + float(entry["schedule"]) for name, entry in entries.items()}
        while not self._stop.is_set():
            now = time.monotonic()
            for name, entry in entries.items():
                if now >= due[name]:
                    due[name] = now + float(entry["schedule"])
                    try:
                        self.app.send_task(entry["task"], **entry.get("options", {}))
                    except Exception:  # a failed tick must not end the schedule
                        log.exception("embedded beat could not send %s", name)
            self._stop.wait(min(due.values()) - time.monotonic() if due else 1.0)
