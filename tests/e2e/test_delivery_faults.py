"""Delivery guarantees under faults: 2,000 recipients on SMS and Slack and 100 WhatsApp-first
ones among them (a fifth inside their 24-hour window, the rest sent the Content Template), and
each must get exactly one message.

Workers and beat run as real `outage-notify` processes so they can be SIGKILLed; the broker is
the machine's Redis (our own database index), which these tests flush mid fan-out. The verdict
always comes from the fake providers' own records.
"""

from __future__ import annotations

import socket
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from outage_notify.store.tables import DeliveryRow, EventRow
from tests.fixtures.processes import RECIPIENTS, TOTAL, WHATSAPP_USERS, FanOut, per_person
from tests.fixtures.service import TOKENS, clear_redis, wait_for
from tests.fixtures.webhooks import webhook_body

# Minutes each: `scripts/test --chaos` runs them, the default run does not.
pytestmark = pytest.mark.chaos


def test_worker_killed_mid_fanout_and_restarted(fanout: FanOut) -> None:
    providers, processes, env = fanout.providers, fanout.processes, fanout.env
    # A slow provider keeps the fan-out going long enough to crash the worker in the middle.
    providers.set_latency(0.05)
    env["OUTAGE_NOTIFY_DELIVERY_CONCURRENCY"] = "10"
    fanout.start_service()
    fanout.declare()
    wait_for(lambda: len(providers.records()) >= 300, timeout=60, what="fan-out under way")
    processes.kill("worker-1")
    assert len(providers.records()) < TOTAL, "the fan-out finished before the crash"
    providers.set_latency(0.0)
    processes.start("worker-1", "worker", env=env)
    wait_for(fanout.finished, timeout=120, what="all deliveries final after restart")
    fanout.assert_exactly_once()


def test_worker_killed_mid_fanout_is_covered_by_the_survivor_within_its_heartbeat(
    fanout: FanOut,
) -> None:
    """Worker 1 is SIGKILLed mid fan-out and never restarted; worker 2 takes its claims over
    after three missed heartbeats, not after SENDING_TIMEOUT_SECONDS (the default, 120 s)."""
    providers, processes, env = fanout.providers, fanout.processes, fanout.env
    providers.set_latency(0.05)
    env["OUTAGE_NOTIFY_DELIVERY_CONCURRENCY"] = "10"
    env["OUTAGE_NOTIFY_SENDING_TIMEOUT_SECONDS"] = "120"
    env["OUTAGE_NOTIFY_WORKER_HEARTBEAT_SECONDS"] = "5"
    fanout.start_service(workers=2)
    fanout.declare()
    wait_for(lambda: len(providers.records()) >= 300, timeout=60, what="fan-out under way")
    doomed = process_group(processes.running["worker-1"].pid)
    processes.kill("worker-1")
    killed_at = time.monotonic()
    assert len(providers.records()) < TOTAL, "the fan-out finished before the crash"
    held = claims_of(fanout.db, doomed)
    assert held, "the killed worker held no claim"
    wait_for(lambda: not still_sending(fanout.db, held), timeout=90, what="its claims reconciled")
    reconciled_after = time.monotonic() - killed_at
    wait_for(fanout.finished, timeout=120, what="all deliveries final")
    covered_after = time.monotonic() - killed_at
    fanout.assert_exactly_once()
    print(
        f"\nSIGKILL of worker-1 holding {len(held)} claims: reconciled after "
        f"{reconciled_after:.1f} s, every recipient reached after {covered_after:.1f} s"
    )
    # Three missed 5-s beats (its key lives 15 s from its last beat, at most 5 s before the
    # kill) plus one 5-s reclaim round, and slack for a loaded machine.
    assert reconciled_after <= 15 + 5 + 5, reconciled_after


def process_group(leader: int) -> set[int]:
    """The pids in a process group: an `outage-notify worker` and its prefork children."""
    pids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == leader:  # pgrp, after state and ppid
            pids.add(int(stat.parent.name))
    return pids


def claims_of(engine: Engine, pids: set[int]) -> list[int]:
    """Deliveries in `sending` claimed by one of these processes (`host:pid:random`)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(DeliveryRow.id, DeliveryRow.claimed_by).where(DeliveryRow.state == "sending")
        ).all()
    return [i for i, owner in rows if owner and int(owner.rsplit(":", 2)[1]) in pids]


def still_sending(engine: Engine, ids: list[int]) -> int:
    with engine.connect() as connection:
        return int(
            connection.scalar(
                select(func.count())
                .select_from(DeliveryRow)
                .where(DeliveryRow.id.in_(ids), DeliveryRow.state == "sending")
            )
            or 0
        )


def test_redis_flushed_mid_fanout(fanout: FanOut) -> None:
    providers, env = fanout.providers, fanout.env
    providers.set_latency(0.05)
    env["OUTAGE_NOTIFY_DELIVERY_CONCURRENCY"] = "10"
    fanout.start_service()
    fanout.declare()
    wait_for(lambda: len(providers.records()) >= 300, timeout=60, what="fan-out under way")
    # Everything queued in the broker is gone, as after a Redis restart without persistence.
    clear_redis(fanout.redis_url)
    assert len(providers.records()) < TOTAL, "the fan-out finished before the flush"
    providers.set_latency(0.0)
    wait_for(fanout.finished, timeout=120, what="sweeper recovered the lost work")
    fanout.assert_exactly_once()


@pytest.mark.chaos
@pytest.mark.parametrize("people", [10], indirect=True)  # one user in ten prefers SMS
def test_a_storm_of_429_500_and_dropped_responses_gives_up_on_nobody(fanout: FanOut) -> None:
    """Issue 13 item 8: 20 % 429, 10 % 500 and 5 % dropped responses on SMS, Slack and
    WhatsApp (issue 20).

    With the default three attempts per channel, a 429 used to spend one: a person whose
    attempts came up 429, 429, 429 on Slack and 500/429/500 on SMS ended `failed` within a
    minute. Now a 429 waits its Retry-After for free, and nobody is failed, lost or told twice.
    """
    providers, env = fanout.providers, fanout.env
    env["OUTAGE_NOTIFY_DELIVERY_MAX_ATTEMPTS_PER_CHANNEL"] = "3"  # the default, not the suite's
    for channel in ("sms", "slack", "whatsapp"):
        # Faults are tried in order, so each ratio is of what the one before left over:
        # 20 % of all requests, 10 % (0.1 / 0.8), 5 % (0.05 / 0.7).
        providers.add_fault(channel, http_status=429, retry_after=1, ratio=0.2)
        providers.add_fault(channel, http_status=500, ratio=0.125)
        providers.add_fault(channel, drop=True, ratio=0.05 / 0.7)
    fanout.start_service()
    started = time.monotonic()
    fanout.declare()
    wait_for(fanout.finished, timeout=600, what="all deliveries final")
    print(f"storm: full coverage of {TOTAL} after {time.monotonic() - started:.1f} s")
    fanout.assert_exactly_once()
    assert len(providers.rejections()) > RECIPIENTS * 0.2  # the faults really happened
    assert sum(providers.stats().dropped.values()) > RECIPIENTS * 0.02
    assert len(providers.rejections("whatsapp")) > 0
    with fanout.db.connect() as connection:
        failed = connection.scalar(
            select(func.count()).select_from(DeliveryRow).where(DeliveryRow.state == "failed")
        )
    assert failed == 0


def test_dropped_responses_are_reconciled_not_resent(fanout: FanOut) -> None:
    providers = fanout.providers
    # Twilio accepts the message, then the connection closes before the answer arrives; for
    # WhatsApp a tenth of 100, so that some surely are.
    providers.add_fault("sms", drop=True, ratio=0.05)
    providers.add_fault("whatsapp", drop=True, ratio=0.1)
    fanout.start_service()
    fanout.declare()
    wait_for(fanout.finished, timeout=120, what="all deliveries final")
    assert providers.stats().dropped.get("sms", 0) > 0
    assert providers.stats().dropped.get("whatsapp", 0) > 0
    fanout.assert_exactly_once()


def test_api_killed_between_commit_and_enqueue(fanout: FanOut) -> None:
    processes, env = fanout.processes, fanout.env
    # A broker that accepts connections and never answers: the API commits the event, then
    # hangs in the enqueue, and dies there.
    with socket.socket() as black_hole:
        black_hole.bind(("127.0.0.1", 0))
        black_hole.listen(64)
        port = free_port()
        api_env = {
            **env,
            "OUTAGE_NOTIFY_BROKER_URL": f"redis://127.0.0.1:{black_hole.getsockname()[1]}/0",
        }
        processes.start("api", "serve", "--port", str(port), env=api_env)
        wait_for(lambda: http_ok(port), timeout=60, what="API up")
        client = socket.create_connection(("127.0.0.1", port))
        payload = webhook_body("generic_firing.json")
        head = (
            "POST /api/v1/webhooks/generic HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/json\r\n"
            f"Authorization: Bearer {TOKENS['monitor']}\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        )
        client.sendall(head.encode() + payload)
        wait_for(lambda: committed_events(fanout.db) == 1, timeout=30, what="event committed")
        processes.kill("api")
        client.close()
    with fanout.db.connect() as connection:
        assert (
            connection.scalar(
                select(func.count()).select_from(EventRow).where(EventRow.processed_at.is_(None))
            )
            == 1
        )
    fanout.start_service()
    wait_for(fanout.finished, timeout=120, what="event processed after restart")
    fanout.assert_exactly_once()


def committed_events(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(EventRow)) or 0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_ok(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return connection.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        time.sleep(0.1)
        return False


@pytest.mark.chaos
def test_unknown_outcomes_whose_lookup_keeps_failing_move_to_the_next_channel(
    fanout: FanOut,
) -> None:
    """Issue 13 item 7: Twilio drops 5 % of answers (a tenth on WhatsApp) and its message
    list answers 500.

    Before, such a delivery stayed `unknown` and was looked up for ever: the person heard
    nothing. Now after RECONCILE_MAX_SECONDS of failed lookups it goes to the next channel
    (Slack; SMS after WhatsApp). The dropped message did arrive, so those people get the news
    twice, on two channels, never twice on one. A WhatsApp user whose SMS after the dropped
    WhatsApp message is dropped too has no channel left: that delivery ends `failed`, though
    both arrived.
    """
    providers, env = fanout.providers, fanout.env
    env["OUTAGE_NOTIFY_RECONCILE_MAX_SECONDS"] = "5"
    providers.add_fault("sms", drop=True, ratio=0.05)
    providers.add_fault("whatsapp", drop=True, ratio=0.1)
    # WhatsApp's lookups list the same Messages API: this fault fails them too.
    providers.add_fault("sms", http_status=500, method="messages.list")
    fanout.start_service()
    started = time.monotonic()
    fanout.declare()
    wait_for(fanout.finished, timeout=180, what="all deliveries final")
    print(f"lookups failing: full coverage of {TOTAL} after {time.monotonic() - started:.1f} s")
    dropped = providers.stats().dropped.get("sms", 0) + providers.stats().dropped.get("whatsapp", 0)
    assert providers.stats().dropped.get("whatsapp", 0) > 0
    received = Counter(r.to for r in providers.records())
    assert all(count == 1 for count in received.values()), "a message twice on one channel"
    counts = per_person(providers.records(), fanout.people)
    assert min(counts) == 1  # nobody lost
    with fanout.db.connect() as connection:
        moved = connection.scalar(
            select(func.count())
            .select_from(DeliveryRow)
            .where(DeliveryRow.state == "sent", DeliveryRow.route_index == 1)
        )
        # Dropped twice: on WhatsApp, then on SMS, their last channel.
        twice = connection.execute(
            select(DeliveryRow.recipient_key, DeliveryRow.route_index).where(
                DeliveryRow.state == "failed"
            )
        ).all()
    whatsapp_users = {f"contact:user{i}" for i in WHATSAPP_USERS}
    assert all(key in whatsapp_users and index == 1 for key, index in twice), twice
    # Exactly the people whose first message was dropped got another.
    assert counts.count(2) == dropped - len(twice)
    assert moved == counts.count(2) - len(twice)
