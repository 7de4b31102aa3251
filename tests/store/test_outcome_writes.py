"""A batch's outcomes survive a database outage (issue 13, item 7).

Before: a dispatch whose outcome write failed raised, its deliveries stayed `sending`, and
after the sending timeout they were reconciled, which resends a fallback (Apprise) message.
The database is made unreachable through a loopback proxy; the shared server keeps running.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import OperationalError

from outage_notify.core.models import ChannelName, DeliveryState
from outage_notify.delivery.send import Outcome, Step
from outage_notify.store import deliveries as delivery_store
from outage_notify.store.engine import create_session_factory, create_store_engine, transaction
from outage_notify.store.tables import DeliveryRow
from outage_notify.worker.outcome_writes import write_outcomes
from tests.fixtures.clock import MONOTONIC_START, ManualClock
from tests.fixtures.databases import Sessions
from tests.fixtures.tcp_proxy import TcpProxy
from tests.store.test_store import _plan


def _sent(delivery_id: int, at: datetime) -> tuple[Outcome, Step]:
    outcome = Outcome(
        delivery_id, ChannelName.SMS, "+5511990000000", at, at, "sent", provider_id="SM1"
    )
    return outcome, Step(DeliveryState.SENT, 0, 1, route_started_at=at)


@pytest.fixture
def proxied(postgres_url: str, postgres_proxy: TcpProxy) -> Iterator[Sessions]:
    """Sessions on the test's PostgreSQL through the cuttable proxy."""
    direct = create_store_engine(postgres_url)
    from outage_notify.store.engine import upgrade
    from tests.fixtures.databases import _empty

    upgrade(direct)
    _empty(direct)
    direct.dispose()
    engine = create_store_engine(postgres_proxy.url_for(postgres_url))
    yield create_session_factory(engine)
    engine.dispose()


@pytest.mark.postgres
def test_outcomes_are_written_once_the_database_is_back(
    proxied: Sessions, postgres_proxy: TcpProxy
) -> None:
    [delivery_id] = _plan(proxied, 1)
    claimed = datetime.now(UTC)
    with transaction(proxied) as session:
        delivery_store.claim(session, [delivery_id], now=claimed)
    postgres_proxy.cut()
    threading.Timer(3.0, postgres_proxy.restore).start()
    started = time.monotonic()
    tries = write_outcomes(proxied, [_sent(delivery_id, claimed)], retry_seconds=30)
    assert tries > 1 and time.monotonic() - started >= 2.5
    assert postgres_proxy.refused > 0  # the database really was unreachable
    with proxied() as session:
        row = session.get(DeliveryRow, delivery_id)
        assert row is not None and (row.state, row.provider_id) == ("sent", "SM1")


@pytest.mark.postgres
def test_the_write_gives_up_after_its_retry_time(
    proxied: Sessions, postgres_proxy: TcpProxy
) -> None:
    [delivery_id] = _plan(proxied, 1)
    claimed = datetime.now(UTC)
    with transaction(proxied) as session:
        delivery_store.claim(session, [delivery_id], now=claimed)
    postgres_proxy.cut()
    # The backoff between tries passes on a manual clock: the give-up is what is tested.
    clock = ManualClock()
    started = time.monotonic()
    with pytest.raises(OperationalError):
        write_outcomes(proxied, [_sent(delivery_id, claimed)], retry_seconds=2, clock=clock)
    assert time.monotonic() - started < 10
    # Backed off 0.5 s, then 1 s; a third wait (2 s) would have passed the retry time.
    assert clock.monotonic() - MONOTONIC_START == pytest.approx(0.5 + 1.0)
    postgres_proxy.restore()
