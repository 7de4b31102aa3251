"""Putting work on the broker by task name, so the API never imports the tasks."""

from __future__ import annotations

from collections.abc import Sequence

from celery import Celery

from outage_notify.worker import names

# A report for an unrecorded send is tried again after 5, 10, 15... seconds, at most this often.
REPORT_RETRY_SECONDS = 5.0
REPORT_RETRY_ATTEMPTS = 6


class Enqueuer:
    """Sends tasks to the queues the workers consume."""

    def __init__(self, app: Celery) -> None:
        self.app = app

    def event(self, event_id: int) -> None:
        self.app.send_task(names.PROCESS_EVENT, args=[event_id], queue=names.QUEUE_EVENTS)

    def events(self, event_ids: Sequence[int]) -> None:
        """`event` for each, through one producer in one pipelined round trip (a batch).

        All or none is the caller's view: an error raises, and a retry enqueues again.
        """
        with self.app.producer_or_acquire() as producer, producer.batch():
            for event_id in event_ids:
                self.app.send_task(
                    names.PROCESS_EVENT,
                    args=[event_id],
                    queue=names.QUEUE_EVENTS,
                    producer=producer,
                    # No queue declaration per message (a fifth of the publish's CPU): on the
                    # default exchange the routing key is the list the workers read.
                    declare=[],
                )

    def update(self, update_id: int) -> None:
        self.app.send_task(names.PLAN_UPDATE, args=[update_id], queue=names.QUEUE_EVENTS)

    def deliveries(
        self,
        ids: Sequence[int],
        *,
        batch_size: int,
        countdown: float = 0,
        queue: str = names.QUEUE_DISPATCH,
    ) -> None:
        """Dispatch `ids` in batches, in order (managers were planned first)."""
        for start in range(0, len(ids), batch_size):
            self.app.send_task(
                names.DISPATCH,
                args=[list(ids[start : start + batch_size])],
                queue=queue,
                countdown=countdown or None,
            )

    def report(self, sid: str, status: str, code: str, text: str, *, attempt: int) -> None:
        """Apply a provider report again after a short wait (its send was not recorded yet)."""
        self.app.send_task(
            names.APPLY_REPORT,
            args=[sid, status, code, text, attempt],
            queue=names.QUEUE_EVENTS,
            countdown=REPORT_RETRY_SECONDS * attempt,
        )

    def ping(self, timeout: float = 3.0) -> None:
        """Raise if the broker cannot be reached."""
        with self.app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
