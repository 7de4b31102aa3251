"""Once the broker has answered, webhooks are answered on commit and queued right after; a
later broker failure turns into 503s, and the events already answered are queued once the
broker is back (api/event_enqueue.py).

The machine's Redis is shared and keeps running: the API reaches it through a loopback proxy
(tests/fixtures/tcp_proxy.py) that drops every connection and refuses new ones while cut. The
requests run on one event loop inside the app's lifespan, as under a server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from outage_notify.api.event_enqueue import RETRY_SECONDS, STALL_SECONDS, EventBatches
from outage_notify.integrations.fake_server import FakeProviders
from tests.fixtures.app import api_app, api_client
from tests.fixtures.service import TOKENS
from tests.fixtures.settings import make_settings
from tests.fixtures.tcp_proxy import TcpProxy
from tests.fixtures.webhooks import alert_group, queued_event_ids

WEBHOOK = "/api/v1/webhooks/alertmanager"
MONITOR = {"Authorization": f"Bearer {TOKENS['monitor']}"}


@pytest.fixture
def redis_proxy(redis_url: str) -> Iterator[TcpProxy]:
    parts = urlsplit(redis_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    yield proxy
    proxy.close()


async def until(condition: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


def test_a_broker_lost_after_an_answer_is_503_and_the_answered_event_is_queued_once_back(
    database_url: str, redis_url: str, providers: FakeProviders, redis_proxy: TcpProxy
) -> None:
    parts = urlsplit(redis_url)
    through = urlunsplit(parts._replace(netloc=f"127.0.0.1:{redis_proxy.port}"))
    settings = make_settings(database_url=database_url, broker_url=through, providers=providers)

    async def scenario(app: Any) -> dict[str, httpx.Response]:
        batches: EventBatches = app.state.event_batches
        transport = httpx.ASGITransport(app=app)
        answers: dict[str, httpx.Response] = {}
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://api") as client,
        ):

            async def post(name: str, index: int) -> httpx.Response:
                answers[name] = await client.post(WEBHOOK, json=alert_group(index), headers=MONITOR)
                return answers[name]

            # The first waits for its publish: nothing is known of the broker yet.
            assert (await post("first", 1)).status_code == 202
            assert batches.healthy
            redis_proxy.cut()
            # Answered on commit; its publish fails afterwards.
            assert (await post("answered", 2)).status_code == 202
            await until(lambda: not batches.healthy, "the failed publish")
            # Now each request waits for its own publish again, and is refused with it.
            refused = await post("refused", 3)
            assert refused.status_code == 503 and "broker" in refused.json()["detail"]
            redis_proxy.restore()
            answered_id = answers["answered"].json()["event_id"]
            await until(
                lambda: answered_id in queued_event_ids(redis_url),
                "the answered event queued by the retry",
                seconds=RETRY_SECONDS * 10,
            )
            assert (await post("after", 4)).status_code == 202
        return answers

    with api_client(settings) as client:
        answers = asyncio.run(scenario(api_app(client)))

    queued = queued_event_ids(redis_url)
    for name in ("first", "answered", "after"):
        assert queued.count(answers[name].json()["event_id"]) == 1, name
    assert redis_proxy.refused > 0, "nobody tried the broker while it was cut"


def test_a_broker_that_stops_answering_costs_a_moment_of_answers_not_its_timeouts(
    database_url: str, redis_url: str, providers: FakeProviders, redis_proxy: TcpProxy
) -> None:
    parts = urlsplit(redis_url)
    through = urlunsplit(parts._replace(netloc=f"127.0.0.1:{redis_proxy.port}"))
    settings = make_settings(database_url=database_url, broker_url=through, providers=providers)

    async def scenario(app: Any) -> dict[str, httpx.Response]:
        batches: EventBatches = app.state.event_batches
        transport = httpx.ASGITransport(app=app)
        answers: dict[str, httpx.Response] = {}
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://api") as client,
        ):

            async def post(name: str, index: int) -> httpx.Response:
                answers[name] = await client.post(WEBHOOK, json=alert_group(index), headers=MONITOR)
                return answers[name]

            assert (await post("first", 1)).status_code == 202
            assert batches.healthy
            redis_proxy.hold()  # connections stay up, nothing comes back
            assert (await post("answered", 2)).status_code == 202
            # Well before the client's socket timeout (3 s) the broker counts as failing.
            await until(lambda: not batches.healthy, "the stall noticed", STALL_SECONDS * 4)
            refused = await post("refused", 3)
            assert refused.status_code == 503 and "broker" in refused.json()["detail"]
            redis_proxy.release()
            answered_id = answers["answered"].json()["event_id"]
            await until(
                lambda: answered_id in queued_event_ids(redis_url),
                "the answered event queued once the broker answers",
                RETRY_SECONDS * 20,
            )
            assert (await post("after", 4)).status_code == 202
        return answers

    with api_client(settings) as client:
        answers = asyncio.run(scenario(api_app(client)))

    queued = queued_event_ids(redis_url)
    for name in ("first", "answered", "after"):
        assert queued.count(answers[name].json()["event_id"]) == 1, name
