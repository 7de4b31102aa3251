"""Beat's heartbeat: evidence in Redis that the scheduler ticks, for `outage-notify doctor`.

Beat has no port and answers no ping, yet the sweeper, the claim reconciler, the reminders and
the probes all wait on it. Each tick of `outage-notify beat` writes `outage_notify:beat` (under
REDIS_KEY_PREFIX, in the heartbeats' Redis) with Redis's own time, to expire after three of its
waits: a present key means beat ticked lately. Without that Redis (embedded mode, a RabbitMQ
broker without RATELIMIT_REDIS_URL) nothing is written and nothing can be read.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from celery.beat import Scheduler

BEAT_KEY = "outage_notify:beat"
# The key outlives this many of beat's waits between ticks, and at least MIN_TTL_SECONDS.
TTL_TICKS = 3
MIN_TTL_SECONDS = 15.0
TIMEOUT_SECONDS = 2.0

log = logging.getLogger(__name__)


class HeartbeatScheduler(Scheduler):  # type: ignore[misc]
    """Celery's in-memory scheduler, leaving its heartbeat in Redis at each tick."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = self.app.outage_notify_runtime.settings
        self._key = settings.redis_key_prefix + BEAT_KEY
        url = settings.heartbeat_redis_url
        self._client = (
            redis.Redis.from_url(
                url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
            )
            if url
            else None
        )

    def tick(self, *args: Any, **kwargs: Any) -> float:
        wait = float(super().tick(*args, **kwargs))
        self._mark(wait)
        return wait

    def _mark(self, wait: float) -> None:
        if self._client is None:
            return
        ttl_ms = int(max(TTL_TICKS * wait, MIN_TTL_SECONDS) * 1000)
        try:
            seconds, micros = self._client.time()
            self._client.set(self._key, seconds * 1000 + micros // 1000, px=ttl_ms)
        except redis.RedisError as error:
            # A missed mark only makes doctor doubt beat; the schedule itself goes on.
            log.warning("beat heartbeat not written: %s", error)

    def close(self) -> None:
        super().close()
        if self._client is not None:
            self._client.close()


def beat_age(redis_url: str, *, key_prefix: str, timeout: float) -> float | None:
    """Seconds since beat's last tick, by Redis's clock; None when no recent tick is recorded.

    Raises redis.RedisError when Redis cannot be asked.
    """
    with redis.Redis.from_url(
        redis_url, socket_timeout=timeout, socket_connect_timeout=timeout
    ) as client:
        pipe = client.pipeline(transaction=True)
        pipe.time()
        pipe.get(key_prefix + BEAT_KEY)
        (seconds, micros), value = pipe.execute()
    if value is None:
        return None
    age_ms: int = max(seconds * 1000 + micros // 1000 - int(value), 0)
    return age_ms / 1000
