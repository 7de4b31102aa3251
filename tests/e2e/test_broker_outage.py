"""The broker (Redis) unreachable for 15 s in the middle of a 2,000-recipient fan-out (issue 13,
item 7), with 100 WhatsApp-first recipients besides (issue 20).

The machine's Redis is shared and keeps running: the worker and beat reach it through a loopback
proxy (tests/fixtures/tcp_proxy.py) that drops every connection and refuses new ones. Work the
broker lost is found again in the database by the sweeper; every recipient must still be
reached exactly once.
"""

from __future__ import annotations

import time

import pytest

from tests.fixtures.processes import TOTAL, FanOut
from tests.fixtures.service import wait_for
from tests.fixtures.tcp_proxy import TcpProxy, through

OUTAGE_SECONDS = 15.0


@pytest.mark.chaos
def test_broker_unreachable_mid_fanout_reaches_everyone_once(
    fanout: FanOut, redis_proxy: TcpProxy
) -> None:
    providers, env = fanout.providers, fanout.env
    env["OUTAGE_NOTIFY_BROKER_URL"] = through(redis_proxy, fanout.redis_url)
    env["OUTAGE_NOTIFY_DELIVERY_CONCURRENCY"] = "10"
    providers.set_latency(0.05)  # slow enough to cut the broker in the middle
    fanout.start_service()
    started = time.monotonic()
    fanout.declare()
    wait_for(lambda: len(providers.records()) >= 300, timeout=60, what="fan-out under way")
    redis_proxy.cut()
    cut_at = len(providers.records())
    time.sleep(OUTAGE_SECONDS)
    redis_proxy.restore()
    assert cut_at < TOTAL, "the fan-out finished before the outage"
    assert redis_proxy.refused > 0, "nobody tried the broker during the outage"
    providers.set_latency(0.0)
    wait_for(fanout.finished, timeout=300, what="every delivery final after the outage")
    print(f"broker outage: full coverage of {TOTAL} after {time.monotonic() - started:.1f} s")
    fanout.assert_exactly_once()
