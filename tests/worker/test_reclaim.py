"""The claim reconciler on Redis and both databases, with a real worker process killed.

A helper process claims deliveries the way `dispatch` does (its runtime's name, its heartbeat
thread) and is SIGKILLed; the test process is the live worker and runs the reconciler.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from typing import Any

import pytest
from sqlalchemy import select

from outage_notify.config.settings import Settings
from outage_notify.store import deliveries as delivery_store
from outage_notify.store.engine import transaction
from outage_notify.store.tables import DeliveryRow
from outage_notify.worker.reclaim import reclaim
from outage_notify.worker.runtime import WorkerRuntime
from tests.fixtures.service import REDIS_KEY_PREFIX, clear_redis, wait_for
from tests.fixtures.settings import build_settings
from tests.store.test_store import _plan

BEAT = 0.5  # seconds; three missed beats = 1.5 s


def settings_for(database_url: str, redis_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "broker_url": redis_url,
        "redis_key_prefix": REDIS_KEY_PREFIX,
        "worker_heartbeat_seconds": BEAT,
        "sending_timeout_seconds": 120.0,
    }
    values.update(overrides)
    return build_settings(**values)


def claimer(settings: Settings, ids: list[int], pipe: Connection) -> None:
    """A worker process: claim `ids` as dispatch does, say so, then hang mid-send."""
    runtime = WorkerRuntime(settings)
    with transaction(runtime.sessions) as session:
        claimed, _ = delivery_store.claim(
            session, ids, now=datetime.now(UTC), owner=runtime.claimant()
        )
    pipe.send((runtime.heartbeat().owner, [row.id for row in claimed]))
    time.sleep(3600)


class Worker:
    """A claiming process, SIGKILLable."""

    def __init__(self, settings: Settings, ids: list[int]) -> None:
        context = multiprocessing.get_context("spawn")
        receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=claimer, args=(settings, ids, send), daemon=True)
        self.process.start()
        assert receive.poll(60), "the claiming process did not start"
        self.owner, self.claimed = receive.recv()
        assert self.claimed == ids

    def kill(self) -> float:
        assert self.process.pid is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.join(10)
        return time.monotonic()


@pytest.fixture
def live(database_url: str, redis_url: str) -> Iterator[WorkerRuntime]:
    runtime = WorkerRuntime(settings_for(database_url, redis_url))
    yield runtime
    runtime.close()


def states(runtime: WorkerRuntime, ids: list[int]) -> dict[int, tuple[str, str]]:
    with runtime.sessions() as session:
        rows = session.execute(
            select(DeliveryRow.id, DeliveryRow.state, DeliveryRow.claimed_by).where(
                DeliveryRow.id.in_(ids)
            )
        ).all()
    return {i: (state, owner) for i, state, owner in rows}


def claim_here(runtime: WorkerRuntime, ids: list[int]) -> str:
    owner = runtime.claimant()
    with transaction(runtime.sessions) as session:
        claimed, _ = delivery_store.claim(session, ids, now=datetime.now(UTC), owner=owner)
    assert [r.id for r in claimed] == ids
    return owner


def test_a_killed_workers_claims_are_reconciled_after_three_missed_beats_not_the_timeout(
    live: WorkerRuntime, database_url: str, redis_url: str
) -> None:
    ids = _plan(live.sessions, 6)
    # The live worker here is slow: its claims are already past a 1 s timeout.
    live.settings.sending_timeout_seconds = 1.0
    mine = claim_here(live, ids[3:])
    dead = Worker(settings_for(database_url, redis_url), ids[:3])
    assert dead.owner != mine and states(live, ids[:3])[ids[0]] == ("sending", dead.owner)
    time.sleep(3 * BEAT)
    assert reclaim(live) == [], "claims of a live worker were taken"
    killed_at = dead.kill()
    found = wait_for(lambda: reclaim(live), timeout=10, interval=0.05, what="reconciliation")
    elapsed = time.monotonic() - killed_at
    assert found == ids[:3]
    # Its key lives three beats from its last beat (before the kill), and each round here is
    # quick: the bound is three beats plus slack for a loaded machine, far below the timeout.
    assert elapsed <= 3 * BEAT + 2.0, elapsed
    now = states(live, ids)
    assert [now[i][0] for i in ids] == ["unknown"] * 3 + ["sending"] * 3
    assert reclaim(live) == []  # a second round finds nothing more, and keeps the live ones


def test_with_heartbeats_unreadable_only_the_timeout_reconciles(
    database_url: str, redis_url: str
) -> None:
    settings = settings_for(database_url, redis_url)
    writer = WorkerRuntime(settings)
    ids = _plan(writer.sessions, 4)
    dead = Worker(settings, ids[:2])
    dead.kill()
    time.sleep(4 * BEAT)  # its key has expired
    # A worker that cannot reach Redis (down, or cut off): no information, not "all dead".
    blind = WorkerRuntime(
        settings_for(
            database_url,
            redis_url,
            ratelimit={"redis_url": "redis://127.0.0.1:1/0"},
            sending_timeout_seconds=8.0,
        )
    )
    try:
        assert blind.claimant() == "", "a worker that cannot beat must claim anonymously"
        claim_here(blind, ids[2:])
        assert reclaim(blind) == []
        found = wait_for(lambda: reclaim(blind), timeout=20, interval=0.2, what="the timeout")
        assert found == ids[:2]  # the dead worker's, older
        # Its own claims are anonymous: the timeout, not a heartbeat, decides for them too.
        assert wait_for(lambda: reclaim(blind), timeout=20, interval=0.2, what="timeout") == ids[2:]

        assert [s for s, _ in states(blind, ids).values()] == ["unknown"] * 4
    finally:
        blind.close()
        writer.close()


def test_a_flushed_heartbeat_store_does_not_make_live_workers_look_dead(
    live: WorkerRuntime, database_url: str, redis_url: str
) -> None:
    ids = _plan(live.sessions, 2)
    other = Worker(settings_for(database_url, redis_url), ids)
    try:
        time.sleep(3 * BEAT)
        # As after a Redis restart without persistence: every key is gone, live ones too.
        clear_redis(redis_url)
        deadline = time.monotonic() + 6 * BEAT
        while time.monotonic() < deadline:
            assert reclaim(live) == [], "a live worker's claims were taken after a flush"
            time.sleep(BEAT / 5)
        assert [s for s, _ in states(live, ids).values()] == ["sending", "sending"]
        # And the store is trusted again: the same worker dying is noticed.
        other.kill()
        wait_for(lambda: reclaim(live), timeout=10, interval=0.05, what="reconciliation")
    finally:
        if other.process.is_alive():
            other.kill()
