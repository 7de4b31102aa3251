"""The webhooks' event tasks, pushed onto Redis from the event loop, are the messages kombu
writes (worker/redis_publish.py): a worker cannot tell them apart."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections.abc import Iterator
from typing import Any, cast

import pytest
import redis
from celery import Celery
from kombu.exceptions import OperationalError as BrokerError

from outage_notify.worker import names
from outage_notify.worker.celery_app import create_celery
from outage_notify.worker.enqueue import Enqueuer
from outage_notify.worker.redis_publish import PUSH_CHUNK, RedisEventPublisher
from tests.fixtures.service import REDIS_KEY_PREFIX
from tests.fixtures.settings import build_settings

PREFIX = REDIS_KEY_PREFIX + "publish:"
QUEUE = PREFIX + names.QUEUE_EVENTS
IDS = [1, 42, 7, 10**12]


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    with redis.Redis.from_url(redis_url) as connection:
        yield connection


@pytest.fixture
def celery(redis_url: str) -> Iterator[Celery]:
    app = create_celery(build_settings(broker_url=redis_url, redis_key_prefix=PREFIX))
    yield app
    app.close()


def publisher_of(app: Celery) -> RedisEventPublisher:
    publisher = RedisEventPublisher.for_app(app)
    assert publisher is not None
    return publisher


def popped(client: redis.Redis) -> list[dict[str, Any]]:
    """The queued messages in the order a worker takes them (from the list's tail)."""
    out = []
    while (raw := client.rpop(QUEUE)) is not None:
        out.append(json.loads(cast(bytes, raw)))
    return out


def comparable(message: dict[str, Any]) -> dict[str, Any]:
    """`message` with what differs between any two sends (ids, tags) set aside, the body
    decoded."""
    message = json.loads(json.dumps(message))
    task_id = message["headers"]["id"]
    assert message["headers"]["root_id"] == message["properties"]["correlation_id"] == task_id
    for place, key in [
        ("headers", "id"),
        ("headers", "root_id"),
        ("properties", "correlation_id"),
        ("properties", "delivery_tag"),
    ]:
        message[place][key] = "*"
    message["body"] = json.loads(base64.b64decode(message["body"]))
    return message


def test_each_message_is_the_one_kombu_writes_in_the_same_order(
    celery: Celery, client: redis.Redis
) -> None:
    Enqueuer(celery).events(IDS)
    theirs = popped(client)
    asyncio.run(publisher_of(celery).events(IDS))
    ours = popped(client)

    assert [comparable(message) for message in ours] == [comparable(message) for message in theirs]
    assert [message["body"][0] for message in map(comparable, ours)] == [[i] for i in IDS]
    # Under the deployment's key prefix only, on the list the workers of that queue read.
    assert client.keys(PREFIX + "*") == []


def test_every_message_has_ids_of_its_own(celery: Celery, client: redis.Redis) -> None:
    asyncio.run(publisher_of(celery).events([5, 5, 5]))
    messages = popped(client)
    assert len({message["headers"]["id"] for message in messages}) == 3
    assert len({message["properties"]["delivery_tag"] for message in messages}) == 3


def test_a_large_batch_is_pushed_in_parts_in_order(celery: Celery, client: redis.Redis) -> None:
    ids = list(range(1, 2 * PUSH_CHUNK + 501))
    asyncio.run(publisher_of(celery).events(ids))
    assert [comparable(message)["body"][0] for message in popped(client)] == [[i] for i in ids]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_broker_is_the_brokers_error_which_the_api_answers_503() -> None:
    app = create_celery(build_settings(broker_url=f"redis://127.0.0.1:{closed_port()}/0"))
    try:
        with pytest.raises(BrokerError, match="could not queue events on Redis"):
            asyncio.run(publisher_of(app).events([1]))
    finally:
        app.close()


@pytest.mark.parametrize(
    "broker_url",
    [
        "",  # embedded: the in-memory broker
        "amqp://guest:guest@127.0.0.1:5672//",
        "sentinel://127.0.0.1:26379;sentinel://127.0.0.1:26380",
        "redis://127.0.0.1:6379/0;redis://127.0.0.1:6380/0",
        "rediss://127.0.0.1:6379/0?ssl_cert_reqs=CERT_REQUIRED",
    ],
)
def test_other_brokers_keep_celerys_producer(broker_url: str) -> None:
    app = create_celery(build_settings(broker_url=broker_url))
    try:
        assert RedisEventPublisher.for_app(app) is None
    finally:
        app.close()
