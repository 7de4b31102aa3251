"""Once the broker has answered, webhooks are answered on commit and queued right after; a
later broker failure turns into 503s, and the events already answered are queued once the
broker is back (api/event_enqueue.py).

The machine's Redis is shared and keeps running: the API reaches it through a loopback proxy
(tests/fixtures/tcp_proxy.py) that either drops every connection and refuses new ones (cut) or
keeps them open and passes nothing on (hold). The requests run on one event loop inside the
app's lifespan, as under a server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from outage_notify.api.event_enqueue import RETRY_SECONDS, STALL_SECONDS, EventBatches
from outage_notify.integrations.fake_server import FakeProviders
from tests.fixtures.app import api_app, api_client
from tests.fixtures.service import TOKENS
from tests.fixtures.settings import make_settings
from tests.fixtures.tcp_proxy import TcpProxy, through
from tests.fixtures.webhooks import alert_group, queued_event_ids

WEBHOOK = "/api/v1/webhooks/alertmanager"
MONITOR = {"Authorization": f"Bearer {TOKENS['monitor']}"}


async def until(condition: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


class Webhooks:
    """Posts numbered alert groups to one API and keeps every answer by name."""

    def __init__(self, client: httpx.AsyncClient, batches: EventBatches) -> None:
        self.client, self.batches = client, batches
        self.answers: dict[str, httpx.Response] = {}

    async def post(self, name: str) -> httpx.Response:
        body = alert_group(len(self.answers) + 1)
        self.answers[name] = await self.client.post(WEBHOOK, json=body, headers=MONITOR)
        return self.answers[name]

    def event_id(self, name: str) -> int:
        event_id: int = self.answers[name].json()["event_id"]
        return event_id


def through_a_failing_broker(
    database_url: str,
    redis_url: str,
    providers: FakeProviders,
    proxy: TcpProxy,
    outage: Callable[[Webhooks], Awaitable[None]],
) -> dict[str, int]:
    """Post "first" (healthy broker), run `outage`, restore the proxy, wait for "answered" to be
    queued, post "after"; every request's event id by name."""
    settings = make_settings(
        database_url=database_url, broker_url=through(proxy, redis_url), providers=providers
    )

    async def scenario(app: Any) -> dict[str, int]:
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://api") as client,
        ):
            hooks = Webhooks(client, app.state.event_batches)
            # The first waits for its publish: nothing is known of the broker yet.
            assert (await hooks.post("first")).status_code == 202
            assert hooks.batches.healthy
            await outage(hooks)
            proxy.restore()
            proxy.release()
            await until(
                lambda: hooks.event_id("answered") in queued_event_ids(redis_url),
                "the answered event queued once the broker answers",
                RETRY_SECONDS * 20,
            )
            assert (await hooks.post("after")).status_code == 202
            return {
                name: hooks.event_id(name)
                for name, answer in hooks.answers.items()
                if answer.status_code == 202
            }

    with api_client(settings) as client:
        ids = asyncio.run(scenario(api_app(client)))
    queued = queued_event_ids(redis_url)
    for name in ("first", "answered", "after"):
        assert queued.count(ids[name]) == 1, name
    return ids


async def refused_once_seen_failing(hooks: Webhooks, seconds: float) -> None:
    # Answered on commit; its publish fails afterwards.
    assert (await hooks.post("answered")).status_code == 202
    await until(lambda: not hooks.batches.healthy, "the broker seen failing", seconds)
    # Now each request waits for its own publish again, and is refused with it.
    refused = await hooks.post("refused")
    assert refused.status_code == 503 and "broker" in refused.json()["detail"]


def test_a_broker_lost_after_an_answer_is_503_and_the_answered_event_is_queued_once_back(
    database_url: str, redis_url: str, providers: FakeProviders, redis_proxy: TcpProxy
) -> None:
    async def outage(hooks: Webhooks) -> None:
        redis_proxy.cut()  # a refused connection is seen at once
        await refused_once_seen_failing(hooks, 10.0)

    through_a_failing_broker(database_url, redis_url, providers, redis_proxy, outage)
    assert redis_proxy.refused > 0, "nobody tried the broker while it was cut"


def test_a_broker_that_stops_answering_costs_a_moment_of_answers_not_its_timeouts(
    database_url: str, redis_url: str, providers: FakeProviders, redis_proxy: TcpProxy
) -> None:
    async def outage(hooks: Webhooks) -> None:
        redis_proxy.hold()  # connections stay up, nothing comes back
        # Well before the client's socket timeout (3 s) the broker counts as failing.
        await refused_once_seen_failing(hooks, STALL_SECONDS * 4)

    through_a_failing_broker(database_url, redis_url, providers, redis_proxy, outage)
