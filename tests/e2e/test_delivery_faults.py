"""Delivery guarantees under faults: 2,000 recipients, and each must get exactly one message.

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
import redis
from sqlalchemy import Engine, func, select

from outage_notify.fakes.server import FakeProviders
from outage_notify.store.tables import AttemptRow, DeliveryRow, EventRow
from tests.fixtures.processes import RECIPIENTS, Processes, api, declare, finished
from tests.fixtures.service import TOKENS, wait_for


def assert_exactly_once(
    providers: FakeProviders, people: list[tuple[str, str]], engine: Engine
) -> None:
    received = Counter(r.to for r in providers.records() if r.channel in ("sms", "slack"))
    wrong = [
        (phone, received[phone] + received[slack])
        for phone, slack in people
        if received[phone] + received[slack] != 1
    ]
    assert wrong == [], (
        f"{len(wrong)} recipients did not get exactly one message: {wrong[:10]}; "
        f"history of the first: {history(engine, wrong[0][0])}"
    )


def history(engine: Engine, address: str) -> list[tuple[object, ...]]:
    """The attempts recorded for one address, to explain a failure."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                AttemptRow.channel,
                AttemptRow.outcome,
                AttemptRow.error_code,
                AttemptRow.error_text,
                AttemptRow.started_at,
            )
            .where(AttemptRow.address == address)
            .order_by(AttemptRow.id)
        ).all()
    return [tuple(row) for row in rows]


def start_service(processes: Processes, env: dict[str, str]) -> None:
    processes.start("worker", "worker", env=env)
    processes.start("beat", "beat", env=env)


def test_worker_killed_mid_fanout_and_restarted(
    tmp_path: Path,
    postgres_url: str,
    redis_url: str,
    providers: FakeProviders,
    fault_db: Engine,
    people: list[tuple[str, str]],
    env: dict[str, str],
    processes: Processes,
) -> None:
    # A slow provider keeps the fan-out going long enough to crash the worker in the middle.
    providers.set_latency(0.05)
    env["OUTAGE_NOTIFY_DELIVERY_CONCURRENCY"] = "10"
    start_service(processes, env)
    declare(api(tmp_path, postgres_url, redis_url, providers))
    wait_for(lambda: len(providers.records()) >= 300, timeout=60, what="fan-out under way")
    processes.kill("worker")
    assert len(providers.records()) < RECIPIENTS, "the fan-out finished before the crash"
    providers.set_latency(0.0)
    processes.start("worker", "worker", env=env)
    wait_for(lambda: finished(fault_db), timeout=120, what="all deliveries final after restart")
    assert_exactly_once(providers, people, fault_db)


def test_redis_flushed_mid_fanout(
    tmp_path: Path,
    postgres_url: str,
    redis_url: str,
    providers: FakeProviders,
    fault_db: Engine,
    people: list[tuple[str, str]],
    env: dict[str, str],
    processes: Processes,
) -> None:
    providers.set_latency(0.05)
    env["OUTAGE_NOTIFY_DELIVERY_CONCURRENCY"] = "10"
    start_service(processes, env)
    declare(api(tmp_path, postgres_url, redis_url, providers))
    wait_for(lambda: len(providers.records()) >= 300, timeout=60, what="fan-out under way")
    # Everything queued in the broker is gone, as after a Redis restart without persistence.
    redis.Redis.from_url(redis_url).flushdb()
    assert len(providers.records()) < RECIPIENTS, "the fan-out finished before the flush"
    providers.set_latency(0.0)
    wait_for(lambda: finished(fault_db), timeout=120, what="sweeper recovered the lost work")
    assert_exactly_once(providers, people, fault_db)


@pytest.mark.parametrize("people", [10], indirect=True)  # one user in ten prefers SMS
def test_providers_answer_429_and_500(
    tmp_path: Path,
    postgres_url: str,
    redis_url: str,
    providers: FakeProviders,
    fault_db: Engine,
    people: list[tuple[str, str]],
    env: dict[str, str],
    processes: Processes,
) -> None:
    for channel in ("sms", "slack"):
        providers.add_fault(channel, http_status=429, retry_after=1, ratio=0.2)
        providers.add_fault(channel, http_status=500, ratio=0.1)
    start_service(processes, env)
    declare(api(tmp_path, postgres_url, redis_url, providers))
    wait_for(lambda: finished(fault_db), timeout=180, what="all deliveries final")
    assert_exactly_once(providers, people, fault_db)
    assert len(providers.rejections()) > RECIPIENTS * 0.1  # the faults really happened
    with fault_db.connect() as connection:
        failed = connection.scalar(
            select(func.count()).select_from(DeliveryRow).where(DeliveryRow.state == "failed")
        )
    assert failed == 0


def test_dropped_responses_are_reconciled_not_resent(
    tmp_path: Path,
    postgres_url: str,
    redis_url: str,
    providers: FakeProviders,
    fault_db: Engine,
    people: list[tuple[str, str]],
    env: dict[str, str],
    processes: Processes,
) -> None:
    # Twilio accepts the message, then the connection closes before the answer arrives.
    providers.add_fault("sms", drop=True, ratio=0.05)
    start_service(processes, env)
    declare(api(tmp_path, postgres_url, redis_url, providers))
    wait_for(lambda: finished(fault_db), timeout=120, what="all deliveries final")
    assert providers.stats().dropped.get("sms", 0) > 0
    assert_exactly_once(providers, people, fault_db)


def test_api_killed_between_commit_and_enqueue(
    tmp_path: Path,
    postgres_url: str,
    redis_url: str,
    providers: FakeProviders,
    fault_db: Engine,
    people: list[tuple[str, str]],
    env: dict[str, str],
    processes: Processes,
) -> None:
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
        payload = (
            Path(__file__).resolve().parents[1] / "data/webhooks/generic_firing.json"
        ).read_bytes()
        head = (
            "POST /api/v1/webhooks/generic HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/json\r\n"
            f"Authorization: Bearer {TOKENS['monitor']}\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        )
        client.sendall(head.encode() + payload)
        wait_for(lambda: committed_events(fault_db) == 1, timeout=30, what="event committed")
        processes.kill("api")
        client.close()
    with fault_db.connect() as connection:
        assert (
            connection.scalar(
                select(func.count()).select_from(EventRow).where(EventRow.processed_at.is_(None))
            )
            == 1
        )
    start_service(processes, env)
    wait_for(lambda: finished(fault_db), timeout=120, what="event processed after restart")
    assert_exactly_once(providers, people, fault_db)


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
