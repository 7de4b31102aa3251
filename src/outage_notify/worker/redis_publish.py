"""Queueing event tasks on a Redis broker from the event loop: no thread, no kombu producer.

The webhook routes queue one `process_event` task per accepted event. Through Celery's
`send_task` (kombu's producer, in a worker thread because it blocks) that cost about 0.4 ms
of API CPU per webhook: as much as everything else the route does (benchmarks/ingest.py, the
benchmarks README). Here the message is built by Celery itself (`amqp.create_task_message`:
task protocol 2, the documented wire format) and written the way kombu's Redis transport keeps
it: a JSON envelope pushed onto the list named after the queue, the body base64-encoded
(kombu/transport/virtual/base.py `_inplace_augment_message`, kombu/transport/redis.py `_put`).
A batch is one LPUSH of all its messages over redis.asyncio. tests/worker/test_redis_publish.py
holds every message equal to the one kombu writes for the same task.

Only for a plain `redis://` broker. TLS (`rediss://`, whose certificate options kombu and
redis-py spell differently), Sentinel, RabbitMQ and the embedded in-memory broker keep Celery's
producer (`RedisEventPublisher.for_app` answers None).
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

from celery import Celery
from celery.utils.nodenames import anon_nodename
from kombu.exceptions import OperationalError as BrokerError
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from outage_notify.worker import names


# Celery's publish retry policy (worker/celery_app.py): two more tries, at most 0.5 s apart,
# so that with the broker down a webhook is answered 503 within seconds, not held. Only when
# the connection failed: after a timeout Redis may have run the LPUSH, and a retry would queue
# the batch twice (kombu turns batch publishing off for the same reason).
def _retry() -> Retry:
    return Retry(ExponentialBackoff(cap=0.5, base=0.2), 2, supported_errors=(RedisConnectionError,))


# A connection idle this long is pinged before use (kombu's default), not found dead by a
# publish that then waits for its timeout.
_HEALTH_CHECK_SECONDS = 25
# Messages per LPUSH: a batch retried after an outage is pushed in parts, not as one command
# of many megabytes.
PUSH_CHUNK = 1000


class RedisEventPublisher:
    """`Enqueuer.events` for a Redis broker, awaited on the event loop."""

    def __init__(self, app: Celery, url: str, *, key_prefix: str = "") -> None:
        self.app = app
        self.url = url
        self.key = key_prefix + names.QUEUE_EVENTS
        self.timeout = float(app.conf.broker_connection_timeout or 3)
        # What Celery would look up or compute for every message: the same for all of ours.
        self.origin = anon_nodename()
        # A client's connections belong to the loop that opened them; the test client runs a
        # loop per request, a server one loop for its life.
        self._client: tuple[asyncio.AbstractEventLoop, Redis] | None = None

    @classmethod
    def for_app(cls, app: Celery) -> RedisEventPublisher | None:
        """A publisher for `app`'s broker, or None where kombu's producer must stay."""
        url = str(app.conf.broker_url or "")
        options: dict[str, Any] = dict(app.conf.broker_transport_options or {})
        if urlsplit(url).scheme != "redis" or ";" in url:
            return None  # memory, amqp, sentinel, TLS, or a failover list of brokers
        if app.conf.broker_use_ssl or options.get("sep") or options.get("priority_steps"):
            return None  # TLS options and queue layouts kombu would apply, we would not
        return cls(app, url, key_prefix=str(options.get("global_keyprefix") or ""))

    def message(self, event_id: int) -> str:
        """The envelope kombu's Redis transport stores for `process_event(event_id)`."""
        task_id = str(uuid4())
        headers, properties, body, _sent = self.app.amqp.create_task_message(
            task_id,
            names.PROCESS_EVENT,
            [event_id],
            {},
            reply_to=self.app.thread_oid,
            ignore_result=None,  # as send_task passes it when not given
            origin=self.origin,
            argsrepr=f"[{event_id}]",  # saferepr's answer for a list of one int
            kwargsrepr="{}",
        )
        # The standard library's JSON: kombu's adds only encoders for types a task id's list
        # of ints never holds.
        return json.dumps(
            {
                "body": base64.b64encode(json.dumps(body).encode()).decode(),
                "content-encoding": "utf-8",
                "content-type": "application/json",
                "headers": headers,
                "properties": {
                    **properties,
                    "delivery_mode": 2,  # persistent, the exchange's default
                    "delivery_info": {"exchange": "", "routing_key": names.QUEUE_EVENTS},
                    "priority": 0,  # no priority suffix on the list's name
                    "body_encoding": "base64",
                    "delivery_tag": str(uuid4()),
                },
            }
        )

    def _redis(self) -> Redis:
        loop = asyncio.get_running_loop()
        if self._client is None or self._client[0] is not loop:
            client = Redis.from_url(
                self.url,
                socket_connect_timeout=self.timeout,
                socket_timeout=self.timeout,
                retry=_retry(),
                health_check_interval=_HEALTH_CHECK_SECONDS,
            )
            self._client = (loop, client)
        return self._client[1]

    async def events(self, event_ids: Sequence[int]) -> None:
        """Queue `process_event` for each, in order, in one round trip; BrokerError if Redis
        cannot be reached (the API answers 503)."""
        if not event_ids:
            return
        try:
            client = self._redis()
            for start in range(0, len(event_ids), PUSH_CHUNK):
                messages = [self.message(i) for i in event_ids[start : start + PUSH_CHUNK]]
                # LPUSH a b c leaves c at the head; workers pop from the tail: a runs first.
                await client.lpush(self.key, *messages)
        except (RedisError, OSError, ValueError) as error:
            # ValueError: a URL redis-py cannot use, found on the first publish.
            raise BrokerError(f"could not queue events on Redis: {error}") from error

    async def aclose(self) -> None:
        """Close this loop's connections (the API's shutdown)."""
        held, self._client = self._client, None
        if held is not None and held[0] is asyncio.get_running_loop():
            await held[1].aclose()
