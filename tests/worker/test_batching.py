"""Batched dispatch: boundaries, the urgent lane, a half-failing batch, a rate-limited batch."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from fastapi.testclient import TestClient

from outage_notify.api.app import create_app
from outage_notify.config.settings import Settings
from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.store.engine import create_store_engine, upgrade
from outage_notify.worker import names
from outage_notify.worker.celery_app import close_runtime, create_celery
from outage_notify.worker.enqueue import Enqueuer
from tests.e2e.test_outage_flow import ALERTMANAGER, firing
from tests.fixtures.processes import write_users
from tests.fixtures.service import REDIS_KEY_PREFIX, TOKENS, RunningService, make_settings, wait_for


def queued_batches(url: str, queue: str) -> list[list[int]]:
    """The delivery ids of each dispatch message waiting in a Redis queue, oldest first."""
    client = redis.Redis.from_url(url)
    messages = [json.loads(raw) for raw in reversed(client.lrange(REDIS_KEY_PREFIX + queue, 0, -1))]
    client.close()
    return [json.loads(base64.b64decode(m["body"]))[0][0] for m in messages]


def test_ids_are_cut_into_batches_in_order(
    redis_url: str, providers: FakeProviders, tmp_path: Path
) -> None:
    settings = make_settings(
        database_url=f"sqlite:///{tmp_path / 'x.db'}", broker_url=redis_url, providers=providers
    )
    Enqueuer(create_celery(settings)).deliveries(list(range(1, 451)), batch_size=200)
    batches = queued_batches(redis_url, names.QUEUE_DISPATCH)
    assert [len(b) for b in batches] == [200, 200, 50]
    assert [i for batch in batches for i in batch] == list(range(1, 451))


@pytest.fixture
def events_and_urgent_only(
    redis_url: str, providers: FakeProviders, tmp_path: Path
) -> Iterator[tuple[Settings, TestClient]]:
    """A worker that serves the events and urgent queues, but not the bulk dispatch queue."""
    settings = make_settings(
        database_url=f"sqlite:///{tmp_path / 'lane.db'}", broker_url=redis_url, providers=providers
    )
    upgrade(create_store_engine(settings.database_url))
    celery = create_celery(settings)
    with start_worker(
        celery,
        pool="threads",
        concurrency=2,
        perform_ping_check=False,
        queues=[names.QUEUE_URGENT, names.QUEUE_EVENTS],
        shutdown_timeout=30,
        loglevel="WARNING",
    ):
        yield settings, TestClient(create_app(settings, celery=celery))
    close_runtime(celery)


def test_managers_hear_first_even_when_the_bulk_queue_is_stuck(
    events_and_urgent_only: tuple[Settings, TestClient], providers: FakeProviders, redis_url: str
) -> None:
    settings, api = events_and_urgent_only
    response = api.post(
        ALERTMANAGER, json=firing(), headers={"Authorization": f"Bearer {TOKENS['monitor']}"}
    )
    assert response.status_code == 202
    from outage_notify.contacts.directory import load_directory

    managers = load_directory(settings.contacts_dir).audiences["management"].contacts
    first = {c.address(c.channels[0]) for c in managers}
    wait_for(lambda: first <= {r.to for r in providers.records()}, timeout=30, what="every manager")
    users_waiting = sum(len(b) for b in queued_batches(redis_url, names.QUEUE_DISPATCH))
    assert users_waiting >= 300  # users, partners and broadcasts are still in the bulk queue
    assert {r.to for r in providers.records()} <= first | {"C0MGMTSTATUS"}


def test_a_batch_that_half_fails_sends_the_other_half_and_falls_back_for_the_rest(
    service_factory: Callable[..., RunningService], database_url: str, tmp_path: Path
) -> None:
    people = write_users(tmp_path / "contacts", 10)
    service = service_factory(
        database_url, contacts_dir=tmp_path / "contacts", fallback={"urls": []}
    )
    refused = people[::2]
    for phone, _ in refused:
        service.providers.add_fault("sms", to=phone, twilio_code=21211)
    declared = service.call(
        "POST",
        "/api/v1/incidents",
        json={"title": "Mail down", "severity": "critical", "components": ["inbound"]},
    )
    incident = declared.json()["incident"]["id"]
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="fan-out")
    got = Counter((r.channel, r.to) for r in service.providers.records())
    for phone, slack in people:
        expected = ("slack", slack) if (phone, slack) in refused else ("sms", phone)
        assert got[expected] == 1 and got[("sms", phone)] + got[("slack", slack)] == 1


def test_a_rate_limited_batch_waits_without_holding_back_the_others(
    service_factory: Callable[..., RunningService], database_url: str, tmp_path: Path
) -> None:
    # Half the users prefer SMS, capped at 1 per second; the other half prefer Slack.
    people = write_users(tmp_path / "contacts", 20, sms_first_every=2)
    service = service_factory(
        database_url,
        contacts_dir=tmp_path / "contacts",
        fallback={"urls": []},
        ratelimit={
            "twilio_per_second": 1,
            "slack_channel_per_second": 100,
            "slack_workspace_per_second": 1000,
            "max_wait_seconds": 0.5,
        },
    )
    service.call(
        "POST",
        "/api/v1/incidents",
        json={"title": "Mail down", "severity": "critical", "components": ["inbound"]},
    )
    slack_first = {slack for i, (_, slack) in enumerate(people) if i % 2}
    wait_for(
        lambda: slack_first <= {r.to for r in service.providers.records("slack")},
        timeout=30,
        what="every Slack-first user",
    )
    # The SMS half is still trickling out at its configured pace when Slack is done.
    assert len(service.providers.records("sms")) < 10
    sms_first = {phone for i, (phone, _) in enumerate(people) if i % 2 == 0}
    wait_for(
        lambda: sms_first <= {r.to for r in service.providers.records("sms")},
        timeout=60,
        what="every SMS-first user, eventually",
    )
