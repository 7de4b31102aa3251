"""Workers consuming every queue, and beat ticking: asked through the broker and Redis."""

from __future__ import annotations

from typing import Any

# Imported here, not inside the checks: the checks run in threads at once, and celery's lazy
# module (celery/__init__.py) can fail a first import made by two threads together.
import redis

from outage_notify.doctor.check import Context, Result, fail, ok, warn
from outage_notify.worker import names
from outage_notify.worker.beat_heartbeat import beat_age
from outage_notify.worker.celery_app import create_celery
from outage_notify.worker.heartbeat import PREFIX

# How long every worker is listened to once one has answered (`celery inspect`'s default).
REPLY_WINDOW = 1.0
EMBEDDED_FIX = (
    "Check the running `serve` instead: its /readyz, and its log's DRY RUN and sweep lines."
)


def _embedded(what: str) -> Result:
    return warn(
        f"embedded mode: {what} runs inside `serve` and can only be seen from that process, "
        "not from here.",
        EMBEDDED_FIX,
    )


def _heartbeats(context: Context) -> str:
    """How many worker processes keep a heartbeat (" ; N beating"), or "" when unknown."""
    settings = context.settings
    if not settings.heartbeat_redis_url:
        return ""
    try:
        with redis.Redis.from_url(
            settings.heartbeat_redis_url,
            socket_timeout=context.timeout,
            socket_connect_timeout=context.timeout,
        ) as client:
            match = settings.redis_key_prefix + PREFIX + "*"
            beating = sum(1 for _ in client.scan_iter(match=match, count=1000))
    except redis.RedisError:
        return ""
    # A worker starts its heartbeat with its first claim, so 0 is normal on a quiet day.
    return f"; {beating} worker process(es) keep a heartbeat"


def workers(context: Context) -> Result:
    """Every queue has a worker that answers Celery's remote control."""
    settings = context.settings
    if settings.embedded:
        return _embedded("the worker")
    start = (
        "Start `outage-notify worker` (docs/operator/deployment.md) with the same BROKER_URL "
        "and REDIS_KEY_PREFIX as this configuration"
    )
    app = create_celery(settings)
    try:
        # A broadcast cannot know how many workers will answer, so it listens for its whole
        # timeout: first wait for one worker (up to the timeout, returning at its reply), then
        # hear every worker in Celery's own `inspect` window. A healthy deployment is told in
        # about a second instead of the whole timeout.
        alive = app.control.inspect(timeout=context.timeout, limit=1).ping() or {}
        replies: dict[str, list[dict[str, Any]]] = {}
        if alive:
            window = min(REPLY_WINDOW, context.timeout)
            replies = app.control.inspect(timeout=window).active_queues() or {}
    except Exception as error:  # a broker that cannot be reached, in whatever transport's words
        return fail(f"the workers cannot be asked: {type(error).__name__}.", start + ".")
    finally:
        app.close()
    if not replies:
        return fail(f"no worker answered within {context.timeout:g} s.", start + ".")
    consumed = {node: {queue["name"] for queue in queues} for node, queues in replies.items()}
    consumers = {
        queue: sorted(node for node, names_ in consumed.items() if queue in names_)
        for queue in names.ALL_QUEUES
    }
    idle = [queue for queue, nodes in consumers.items() if not nodes]
    if idle:
        return fail(
            f"{len(replies)} worker(s) answered, but none consumes {', '.join(idle)}.",
            f"{start}, without --queues or with --queues {','.join(idle)}.",
        )
    served = ", ".join(f"{queue} {len(nodes)}" for queue, nodes in consumers.items())
    beating = _heartbeats(context)
    return ok(f"{len(replies)} worker(s) answered; workers per queue: {served}{beating}.")


def beat(context: Context) -> Result:
    """Beat's heartbeat in Redis is recent."""
    settings = context.settings
    if settings.embedded:
        return _embedded("beat (the sweeper, reminders and probes)")
    if not settings.heartbeat_redis_url:
        return warn(
            "beat leaves its heartbeat in Redis, and this configuration has none "
            "(a non-Redis broker without RATELIMIT_REDIS_URL).",
            "Set OUTAGE_NOTIFY_RATELIMIT_REDIS_URL, or check that exactly one `outage-notify "
            "beat` runs.",
        )
    try:
        age = beat_age(
            settings.heartbeat_redis_url,
            key_prefix=settings.redis_key_prefix,
            timeout=context.timeout,
        )
    except redis.RedisError as error:
        return fail(
            f"beat's heartbeat cannot be read: {type(error).__name__}.",
            "Fix the broker line first, then run doctor again.",
        )
    if age is None:
        return fail(
            "beat has not ticked lately: no sweeps, reminders, acknowledgement chases or probes "
            "are scheduled.",
            "Start exactly one `outage-notify beat` with the same BROKER_URL and "
            "REDIS_KEY_PREFIX as this configuration.",
        )
    return ok(f"beat ticked {age:.1f} s ago.")
