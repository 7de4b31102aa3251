"""A transient database error while applying an event is retried, never a `failed` event.

PostgreSQL with a real worker: the database is told to give up on any lock after 200 ms
(`lock_timeout`, for new connections), and another connection holds the incident's row lock,
so the worker's write inside the event's SAVEPOINT fails with `LockNotAvailable`
(an OperationalError), as it would during a database hiccup.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import psycopg
import pytest

from outage_notify.store.engine import create_store_engine, upgrade
from outage_notify.worker import names
from tests.e2e.test_event_failures import event, generic, incident_of, post_generic
from tests.fixtures.databases import _empty
from tests.fixtures.service import RunningService, wait_for


@pytest.fixture
def short_lock_timeout(postgres_url: str) -> Iterator[str]:
    engine = create_store_engine(postgres_url)
    upgrade(engine)
    _empty(engine)
    engine.dispose()
    name = postgres_url.rpartition("/")[2]
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(f"ALTER DATABASE \"{name}\" SET lock_timeout = '200ms'")
    try:
        yield postgres_url
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" RESET lock_timeout')


def test_a_lock_timeout_leaves_the_event_pending_and_it_applies_later(
    service_factory: Callable[..., RunningService], short_lock_timeout: str
) -> None:
    service = service_factory(short_lock_timeout, resolve_hold_seconds=0)
    opened = post_generic(service, generic("generic_firing.json"))
    incident = incident_of(service, opened)
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened fan-out")

    with psycopg.connect(short_lock_timeout) as holder:
        holder.execute("SET lock_timeout = 0")
        holder.execute("SELECT id FROM incidents WHERE id = %s FOR UPDATE", (incident,))
        resolved = post_generic(service, generic("generic_resolved.json"))
        time.sleep(2.0)  # the worker tried, waited 200 ms for the row, and gave up
        stuck = event(service, resolved)
        assert (stuck["state"], stuck["error"], stuck["attempts"]) == ("pending", "", 0)
        holder.rollback()

    # What the sweeper does for a pending event: enqueue it again.
    service.celery.send_task(names.PROCESS_EVENT, args=[resolved], queue=names.QUEUE_EVENTS)
    wait_for(lambda: event(service, resolved)["state"] == "applied", what="applied on retry")
    assert event(service, resolved)["incident_id"] == incident
    detail = service.call("GET", f"/api/v1/incidents/{incident}").json()
    assert detail["phase"] == "resolved"
    assert service.call("GET", "/api/v1/events", params={"state": "failed"}).json()["total"] == 0
