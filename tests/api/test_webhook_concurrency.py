"""Webhooks arriving together: each event committed once and queued for the workers.

The API records a webhook's event from the event loop (PostgreSQL) or a worker thread
(SQLite) and queues concurrent requests' events in one batch (api/event_enqueue.py). Here the
requests really are concurrent: one event loop, one ASGI app, many posts in flight.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import func, select

from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.store.tables import EventRow
from tests.fixtures.app import api_app, api_client, app_state
from tests.fixtures.service import TOKENS
from tests.fixtures.settings import make_settings
from tests.fixtures.webhooks import alert_group, queued_event_ids

MONITOR = {"Authorization": f"Bearer {TOKENS['monitor']}"}
DISTINCT = 12


def test_concurrent_webhooks_are_each_stored_once_and_queued(
    database_url: str, redis_url: str, providers: FakeProviders
) -> None:
    settings = make_settings(database_url=database_url, broker_url=redis_url, providers=providers)
    bodies = [alert_group(i) for i in range(DISTINCT)]
    # Every third one sent twice, both copies in flight at once (an HA pair of Alertmanagers).
    bodies += bodies[::3]

    async def post_all(app: Any) -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        # Inside the app's lifespan, as a server runs it: its shutdown queues every event
        # that was answered before its publish (api/event_enqueue.py).
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://api") as client,
        ):
            return await asyncio.gather(
                *(
                    client.post("/api/v1/webhooks/alertmanager", json=body, headers=MONITOR)
                    for body in bodies
                )
            )

    with api_client(settings) as client:
        responses = asyncio.run(post_all(api_app(client)))
        with app_state(client).sessions() as session:
            stored = session.scalar(select(func.count()).select_from(EventRow))

    assert [r.status_code for r in responses] == [202] * len(bodies)
    answers = [r.json() for r in responses]
    by_group: dict[str, set[int]] = {}
    for body, answer in zip(bodies, answers, strict=True):
        by_group.setdefault(body["groupKey"], set()).add(answer["event_id"])
    # One event per distinct notification, whichever copy won; the other copy names it.
    assert all(len(ids) == 1 for ids in by_group.values())
    assert stored == DISTINCT
    statuses = sorted(answer["status"] for answer in answers)
    assert statuses.count("accepted") == DISTINCT
    assert statuses.count("duplicate") == len(bodies) - DISTINCT
    # Every answer's event is on the queue (a duplicate of an unprocessed event is queued
    # again, as before: the first enqueue might have been the one that failed).
    queued = queued_event_ids(redis_url)
    assert sorted(queued) == sorted(answer["event_id"] for answer in answers)
