"""The database unreachable for 15 s in the middle of a 2,000-recipient fan-out (issue 13, item 7),
with 100 WhatsApp-first recipients besides (issue 20).

Before: a dispatch whose outcome write failed raised; its deliveries stayed `sending` for the
sending timeout (120 s), were reconciled, and a fallback (Apprise) message, which cannot be
looked up, went out twice. Now the worker keeps the outcomes and writes them when the database
is back. The machine's PostgreSQL is shared and keeps running: the worker and beat reach it
through a loopback proxy (tests/fixtures/tcp_proxy.py) that drops and refuses connections.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.store.tables import DeliveryRow
from tests.fixtures.processes import (
    ALL_ROUTING,
    FINAL,
    TOTAL,
    WHATSAPP_USERS,
    FanOut,
    per_person,
)
from tests.fixtures.service import wait_for
from tests.fixtures.tcp_proxy import TcpProxy

OUTAGE_SECONDS = 15.0
WHATSAPP = frozenset(WHATSAPP_USERS)


def channels_of(i: int) -> str:
    """One user in ten prefers the fallback (Apprise json://), three SMS, the rest Slack; the
    WhatsApp users among them (`write_users`) prefer WhatsApp, then SMS."""
    if i in WHATSAPP:
        return "whatsapp|sms"
    if i % 10 == 0:
        return "fallback|slack"
    return "sms|slack" if i % 10 < 4 else "slack|sms"


def write_people(fanout: FanOut) -> None:
    directory = fanout.tmp_path / "contacts"
    lines = ["audience,id,name,phone,slack,fallback,locale,channels,tags"]
    for i, (phone, slack) in enumerate(fanout.people):
        url = fanout.providers.fallback_url(f"user{i}")
        lines.append(f"users,user{i},User {i},{phone},{slack},{url},en,{channels_of(i)},")
    (directory / "users.csv").write_text("\n".join(lines) + "\n")
    (directory / "routing.yaml").write_text(ALL_ROUTING)


def everyone_final(fanout: FanOut) -> bool:
    with fanout.db.connect() as connection:
        total = connection.scalar(select(func.count()).select_from(DeliveryRow))
        waiting = connection.scalar(
            select(func.count()).select_from(DeliveryRow).where(DeliveryRow.state.not_in(FINAL))
        )
    # Every user plus the organisation-wide fallback room.
    return total == TOTAL + 1 and waiting == 0


def received_by_person(providers: FakeProviders, fanout: FanOut) -> list[tuple[int, int]]:
    records = providers.records()
    fallback = Counter(r.to for r in records if r.channel == "fallback")
    counts = per_person(records, fanout.people)
    return [(i, n + fallback[f"user{i}"]) for i, n in enumerate(counts)]


@pytest.mark.chaos
def test_database_unreachable_mid_fanout_sends_nobody_twice(
    fanout: FanOut, postgres_proxy: TcpProxy
) -> None:
    providers, env = fanout.providers, fanout.env
    write_people(fanout)
    env["OUTAGE_NOTIFY_DATABASE_URL"] = postgres_proxy.url_for(fanout.postgres_url)
    env["OUTAGE_NOTIFY_FALLBACK_URLS"] = providers.fallback_url("everyone")
    env["OUTAGE_NOTIFY_FALLBACK_DRY_RUN"] = "false"
    # The production default: what was reconciled (and resent) after it is what this is about.
    env["OUTAGE_NOTIFY_SENDING_TIMEOUT_SECONDS"] = "120"
    env["OUTAGE_NOTIFY_DELIVERY_CONCURRENCY"] = "10"
    providers.set_latency(0.05)  # slow enough to cut the database in the middle
    fanout.start_service()
    started = time.monotonic()
    fanout.declare()
    wait_for(lambda: len(providers.records()) >= 300, timeout=60, what="fan-out under way")
    postgres_proxy.cut()
    cut_at = len(providers.records())
    time.sleep(OUTAGE_SECONDS)
    postgres_proxy.restore()
    assert cut_at < TOTAL, "the fan-out finished before the outage"
    assert postgres_proxy.refused > 0, "nobody tried the database during the outage"
    providers.set_latency(0.0)
    wait_for(lambda: everyone_final(fanout), timeout=300, what="every delivery final")
    took = time.monotonic() - started
    print(f"database outage: full coverage of {TOTAL} + 1 room after {took:.1f} s")
    wrong = [(i, n) for i, n in received_by_person(providers, fanout) if n != 1]
    assert wrong == [], f"{len(wrong)} people did not get exactly one message: {wrong[:10]}"
    fallback = providers.records("fallback")
    assert Counter(r.to for r in fallback)["everyone"] == 1
    # The fallback path really carried people: each who prefers it, and the room.
    assert len(fallback) == sum(channels_of(i).startswith("fallback") for i in range(TOTAL)) + 1
    assert all(r.idempotency_key.startswith("delivery-") for r in fallback)
    fanout.assert_whatsapp_windows(providers.records())
    with fanout.db.connect() as connection:
        failed = connection.scalar(
            select(func.count()).select_from(DeliveryRow).where(DeliveryRow.state == "failed")
        )
    assert failed == 0
