"""The Celery application: broker, delivery guarantees, beat schedule, tasks."""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu.entity import Exchange, Queue

from outage_notify.config.settings import Settings
from outage_notify.worker import names
from outage_notify.worker.runtime import WorkerRuntime

MEMORY_BROKER = "memory://"


def create_celery(settings: Settings, *, runtime: WorkerRuntime | None = None) -> Celery:
    """A Celery app for `settings`; the embedded mode uses the in-memory transport."""
    app = Celery("outage_notify", broker=settings.broker_url or MEMORY_BROKER, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        # Ack after the task returns; a worker killed mid-task gives the message back.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # One message at a time per process: a batch is a lot of work already.
        worker_prefetch_multiplier=1,
        task_default_queue=names.QUEUE_EVENTS,
        # Route by queue name through the default exchange: nothing depends on the binding
        # keys that a Redis restart without persistence loses (test_redis_flushed_mid_fanout).
        task_default_exchange="",
        task_queues=[
            Queue(name, Exchange(""), routing_key=name)  # type: ignore[no-untyped-call]
            for name in names.ALL_QUEUES
        ],
        # Redis hands an unacked message to another worker after this; retry countdowns stay
        # far below it (see Settings) so a delayed task is never run twice.
        broker_transport_options=transport_options(settings),
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        # With the broker down the API must answer 503 quickly, not hang in publish retries.
        task_publish_retry_policy={
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.2,
            "interval_max": 0.5,
        },
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        # The only schedule is an interval (the sweeper): nothing worth a schedule file, and the
        # container's working directory is read-only for the service user. Celery's in-memory
        # scheduler, leaving a heartbeat in Redis that `outage-notify doctor` reads.
        beat_scheduler="outage_notify.worker.beat_heartbeat:HeartbeatScheduler",
        beat_schedule=beat_schedule(settings),
    )
    holder = _RuntimeHolder(settings, runtime)
    app.outage_notify_runtime = holder
    from outage_notify.worker.tasks import register_tasks

    register_tasks(app, holder.get)
    # Registers the `outage-notify reload` remote-control command with Celery's worker panel.
    from outage_notify.worker import reload_control  # noqa: F401

    return app


# How often the resolve hold and held digests are checked: an incident resolves at most this
# long after its hold ends, a digest goes out at most this long after the hour allows it.
FLOOD_CHECK_SECONDS = 10.0


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """The periodic work: sweeper, claim reconciler, reminders, acknowledgement chase, probes."""

    def every(task: str, seconds: float) -> dict[str, Any]:
        # A tick that waited longer than its interval is stale: the next one is coming.
        return {
            "task": task,
            "schedule": seconds,
            "options": {"queue": names.QUEUE_EVENTS, "expires": seconds},
        }

    schedule = {
        "sweep": every(names.SWEEP, settings.sweep_interval_seconds),
        # A dead worker's claims: three missed heartbeats plus at most one of these.
        "reclaim": every(names.RECLAIM, settings.worker_heartbeat_seconds),
        "remind": every(names.REMIND, settings.reminder_interval_seconds),
        # Without `acknowledge` rules in routing, one query: open incidents with deliveries that
        # failed on every channel and are not on the lead's unreached list yet.
        "chase": every(names.CHASE, settings.ack_check_interval_seconds),
        # Flood control: both are one indexed query when there is nothing to do.
        "settle": every(names.SETTLE, FLOOD_CHECK_SECONDS),
        "digest": every(names.DIGEST, FLOOD_CHECK_SECONDS),
    }
    if settings.probe.configured:
        schedule["probe"] = every(names.PROBE, settings.probe.interval_seconds)
    return schedule


def transport_options(settings: Settings) -> dict[str, Any]:
    """Broker transport options: visibility timeout, Sentinel's master name, key prefix."""
    options: dict[str, Any] = {"visibility_timeout": settings.broker_visibility_timeout_seconds}
    if settings.broker_sentinel_master:
        options["master_name"] = settings.broker_sentinel_master
    if settings.redis_key_prefix and not settings.embedded:
        # kombu puts it before the queues, the unacked set and the bindings (Redis only).
        options["global_keyprefix"] = settings.redis_key_prefix
    if settings.embedded:
        # The in-memory transport polls (1 s by default): that was most of the delay between
        # a webhook and the first message in embedded mode.
        options["polling_interval"] = 0.05
    return options


class _RuntimeHolder:
    """Builds the worker runtime on first use, in the process that uses it."""

    def __init__(self, settings: Settings, runtime: WorkerRuntime | None) -> None:
        self.settings = settings
        self.runtime = runtime

    def get(self) -> WorkerRuntime:
        if self.runtime is None:
            self.runtime = WorkerRuntime(self.settings)
        return self.runtime

    def close(self) -> None:
        if self.runtime is not None:
            self.runtime.close()
            self.runtime = None


def close_runtime(app: Any) -> None:
    """Release the runtime's connections and loop (worker shutdown, tests)."""
    app.outage_notify_runtime.close()
