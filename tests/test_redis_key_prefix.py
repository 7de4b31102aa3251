"""REDIS_KEY_PREFIX: two deployments share one Redis database without seeing each other's keys.

Both "deployments" here live under this test process's own prefix, so parallel test processes
and the fixture's clean-up are unaffected.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from pydantic import ValidationError

from outage_notify.config.settings import Settings
from outage_notify.observability.metrics import redis_queue_depths
from outage_notify.worker import names
from outage_notify.worker.celery_app import create_celery
from outage_notify.worker.heartbeat import EPOCH_KEY, PREFIX, Heartbeat
from tests.fixtures.service import REDIS_KEY_PREFIX
from tests.fixtures.settings import build_settings

BLUE = REDIS_KEY_PREFIX + "blue:"
GREEN = REDIS_KEY_PREFIX + "green:"


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    with redis.Redis.from_url(redis_url) as connection:
        yield connection


def settings(redis_url: str, prefix: str) -> Settings:
    return build_settings(broker_url=redis_url, redis_key_prefix=prefix)


def test_a_task_is_queued_under_its_deployments_prefix_only(
    redis_url: str, client: redis.Redis
) -> None:
    blue = create_celery(settings(redis_url, BLUE))
    try:
        blue.send_task(names.SWEEP, queue=names.QUEUE_EVENTS)
    finally:
        blue.close()

    assert client.llen(BLUE + names.QUEUE_EVENTS) == 1
    assert not client.exists(GREEN + names.QUEUE_EVENTS)
    assert not client.exists(names.QUEUE_EVENTS)
    # /metrics of each deployment counts its own queue.
    assert (redis_queue_depths(redis_url, key_prefix=BLUE) or {})[names.QUEUE_EVENTS] == 1
    assert (redis_queue_depths(redis_url, key_prefix=GREEN) or {})[names.QUEUE_EVENTS] == 0


def test_a_worker_heartbeat_is_kept_under_its_deployments_prefix(
    redis_url: str, client: redis.Redis
) -> None:
    beat = Heartbeat(redis_url, interval=1.0, key_prefix=GREEN)
    try:
        assert beat.beat()
        assert client.exists(GREEN + PREFIX + beat.owner)
        assert client.exists(GREEN + EPOCH_KEY)
        assert not client.exists(BLUE + PREFIX + beat.owner)
        assert not client.exists(PREFIX + beat.owner)
    finally:
        beat.stop()


def test_no_prefix_is_no_transport_option(redis_url: str) -> None:
    app = create_celery(settings(redis_url, ""))
    try:
        assert "global_keyprefix" not in app.conf.broker_transport_options
    finally:
        app.close()


@pytest.mark.parametrize("prefix", ["has space:", "star*", "x" * 65])
def test_a_prefix_redis_would_match_as_a_pattern_or_too_long_is_refused(prefix: str) -> None:
    with pytest.raises(ValidationError, match="redis_key_prefix"):
        settings("redis://127.0.0.1:6379/0", prefix)
