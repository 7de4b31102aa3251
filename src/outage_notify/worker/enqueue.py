"""Putting work on the broker by task name, so the API never imports the tasks."""

from __future__ import annotations

from collections.abc import Sequence

from celery import Celery

from outage_notify.worker import names


class Enqueuer:
    """Sends tasks to the queues the workers consume."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def event(self, event_id: int) -> None:
        self.app.send_task(names.PROCESS_EVENT, args=[event_id], queue=names.QUEUE_EVENTS)

    def update(self, update_id: int) -> None:
        self.app.send_task(names.PLAN_UPDATE, args=[update_id], queue=names.QUEUE_EVENTS)

    def deliveries(self, ids: Sequence[int], *, batch_size: int, countdown: float = 0) -> None:
        """Dispatch `ids` in batches, in order (managers were planned first)."""
        for start in range(0, len(ids), batch_size):
            self.app.send_task(
                names.DISPATCH,
                args=[list(ids[start : start + batch_size])],
                queue=names.QUEUE_DISPATCH,
                countdown=countdown or None,
            )

    def ping(self, timeout: float = 3.0) -> None:
        """Raise if the broker cannot be reached."""
        with self.app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
