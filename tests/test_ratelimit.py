"""Rate limits: no 1-s window above the rate, across tasks and processes, against real Redis."""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from multiprocessing.synchronize import Barrier
from typing import Any, TypeVar

import pytest
import redis

from outage_notify.errors import ConfigError
from outage_notify.ratelimit import (
    DEFAULT_JITTER_SECONDS,
    WAKE_SLACK_SECONDS,
    Bucket,
    Limiter,
    LocalRateLimiter,
    NoLimit,
    RateLimiter,
    limiter_for,
    slack_channel,
    slack_workspace,
    twilio_sender,
)

REDIS_URL = os.environ.get("OUTAGE_NOTIFY_TEST_RATELIMIT_REDIS", "redis://127.0.0.1:6379/14")

T = TypeVar("T")
MakeLimiter = Callable[[], Limiter]


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    prefix = f"outage_notify_test:rl:{uuid.uuid4().hex}:"
    yield prefix
    with redis.Redis.from_url(REDIS_URL) as client:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)


@pytest.fixture(params=["redis", "local"])
def make_limiter(request: pytest.FixtureRequest, prefix: str) -> MakeLimiter:
    """Builds the limiter under test inside the test's event loop."""
    if request.param == "redis":
        return lambda: RateLimiter(REDIS_URL, prefix=prefix)
    return LocalRateLimiter


def run(make_limiter: MakeLimiter, scenario: Callable[[Limiter], Awaitable[T]]) -> T:
    async def main() -> T:
        limiter = make_limiter()
        try:
            return await scenario(limiter)
        finally:
            await limiter.aclose()

    return asyncio.run(main())


def max_in_window(stamps: list[float], window: float = 1.0) -> int:
    """The most timestamps in any half-open window [t, t + window)."""
    ordered = sorted(stamps)
    most, start = 0, 0
    for end, stamp in enumerate(ordered):
        while stamp - ordered[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


async def hammer(limiter: Limiter, bucket: Bucket, *, tasks: int, seconds: float) -> list[float]:
    """Several tasks take from `bucket` as fast as it allows; returns when each got a token."""
    stamps: list[float] = []
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        while time.monotonic() < deadline:
            wait = await limiter.acquire(bucket, max_wait=0.2)
            if wait == 0.0:
                stamps.append(time.time())
            else:  # what a worker does by rescheduling the message
                await asyncio.sleep(min(wait, max(deadline - time.monotonic(), 0.0)))

    await asyncio.gather(*(worker() for _ in range(tasks)))
    return stamps


@pytest.mark.parametrize(
    ("rate", "burst"), [(1.0, 1.0), (10.0, 1.0), (50.0, 1.0), (10.0, 5.0), (0.5, 1.0)]
)
def test_burst_is_taken_at_once_then_the_wait_is_one_interval(
    make_limiter: MakeLimiter, rate: float, burst: float
) -> None:
    bucket = Bucket("b", rate, burst)
    interval, _ = bucket.spacing(DEFAULT_JITTER_SECONDS)

    async def scenario(limiter: Limiter) -> list[float]:
        return [await limiter.try_acquire(bucket) for _ in range(int(burst) + 3)]

    waits = run(make_limiter, scenario)
    assert waits[: int(burst)] == [0.0] * int(burst)
    assert all(wait > 0.0 for wait in waits[int(burst) :])
    expected = interval - WAKE_SLACK_SECONDS
    assert expected - 0.05 < waits[int(burst)] <= expected + 1e-6


# Hammered all at once, so the table costs one run of `HAMMER_SECONDS` per limiter.
WINDOW_TABLE = [
    Bucket("twenty", 20),
    Bucket("ten", 10),
    Bucket("ten-burst-5", 10, burst=5),
    Bucket("three", 3),
    Bucket("half", 0.5),
]
HAMMER_SECONDS = 1.6


def test_no_one_second_window_exceeds_the_rate(make_limiter: MakeLimiter) -> None:
    async def scenario(limiter: Limiter) -> list[list[float]]:
        runs = (hammer(limiter, b, tasks=3, seconds=HAMMER_SECONDS) for b in WINDOW_TABLE)
        return list(await asyncio.gather(*runs))

    for bucket, stamps in zip(WINDOW_TABLE, run(make_limiter, scenario), strict=True):
        assert max_in_window(stamps) <= math.ceil(bucket.rate), bucket
        interval, _ = bucket.spacing(DEFAULT_JITTER_SECONDS)
        assert len(stamps) >= int(bucket.burst) + int((HAMMER_SECONDS - 0.1) / interval), bucket


def test_pause_blocks_the_bucket_never_shortens_and_then_resumes(
    make_limiter: MakeLimiter,
) -> None:
    long, short = Bucket("long", 10), Bucket("short", 10)

    async def scenario(limiter: Limiter) -> None:
        await limiter.pause(long, 3.0)
        assert 2.9 < await limiter.try_acquire(long) <= 3.0
        await limiter.pause(long, 1.0)
        assert 2.9 < await limiter.try_acquire(long) <= 3.0
        started = time.monotonic()
        assert 2.8 < await limiter.acquire(long, max_wait=0.5) <= 3.0
        assert time.monotonic() - started < 0.2, "a wait beyond max_wait must not be slept"

        await limiter.pause(short, 0.3)
        started = time.monotonic()
        assert await limiter.acquire(short, max_wait=1.0) == 0.0
        assert time.monotonic() - started >= 0.29

    run(make_limiter, scenario)


def test_several_buckets_are_taken_all_or_none(make_limiter: MakeLimiter) -> None:
    channel, workspace = slack_channel("C1"), slack_workspace(1.0)
    other, paused = slack_channel("C2"), slack_channel("C3")

    async def scenario(limiter: Limiter) -> None:
        assert await limiter.try_acquire(channel) == 0.0
        assert await limiter.try_acquire_all([channel, workspace]) > 0.9
        assert await limiter.try_acquire(workspace) == 0.0, "the workspace token was kept"

        await limiter.pause(paused, 2.0)
        assert await limiter.try_acquire_all([other, paused]) > 1.9
        assert await limiter.try_acquire_all([other, twilio_sender("+1555", 5)]) == 0.0
        assert await limiter.try_acquire(other) > 0.9, "both tokens were taken together"

    run(make_limiter, scenario)


def test_waiters_take_turns_and_one_out_of_time_counts_the_queue_ahead(
    make_limiter: MakeLimiter,
) -> None:
    bucket = Bucket("queued", 10.0)

    async def scenario(limiter: Limiter) -> tuple[list[float], float]:
        patient = [limiter.acquire(bucket, max_wait=1.0) for _ in range(4)]
        hurried = limiter.acquire(bucket, max_wait=0.05)
        started = time.monotonic()
        waits = await asyncio.gather(*patient, hurried)
        return list(waits), time.monotonic() - started

    waits, elapsed = run(make_limiter, scenario)
    assert waits[:4] == [0.0] * 4
    assert 0.3 < elapsed < 0.6, "the patient ones were served one interval apart"
    # Out of time with (at least) three patient waiters still ahead: one interval for each.
    assert waits[4] >= 3 / bucket.rate


def test_redis_keys_expire_once_idle(prefix: str) -> None:
    async def scenario(limiter: Limiter) -> None:
        await limiter.try_acquire(Bucket("idle", 1.0))
        await limiter.pause(Bucket("paused", 1.0), 5.0)

    run(lambda: RateLimiter(REDIS_URL, prefix=prefix), scenario)
    with redis.Redis.from_url(REDIS_URL) as client:
        assert 1_000 < client.pttl(f"{prefix}idle") <= 2_100
        assert 5_000 < client.pttl(f"{prefix}paused") <= 6_100


def _hammer_in_process(prefix: str, barrier: Barrier, results: Any, tasks: int) -> None:
    async def main() -> list[float]:
        limiter = RateLimiter(REDIS_URL, prefix=prefix)
        try:
            await limiter.try_acquire(Bucket("warm-up", 1_000.0))
            await asyncio.to_thread(barrier.wait, 30)
            return await hammer(limiter, twilio_sender("+15550001", 20), tasks=tasks, seconds=3.0)
        finally:
            await limiter.aclose()

    results.put(asyncio.run(main()))


def test_two_processes_together_stay_within_the_rate(prefix: str) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(3)
    results = context.Queue()
    processes = [
        context.Process(target=_hammer_in_process, args=(prefix, barrier, results, 25))
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    try:
        barrier.wait(30)
        per_process = [results.get(timeout=30) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=10)
    results.close()
    results.join_thread()

    assert all(per_process), "each process got tokens"
    stamps = sorted(stamp for stamps in per_process for stamp in stamps)
    assert max_in_window(stamps) <= 20
    achieved = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    assert achieved >= 0.9 * 20


@pytest.mark.parametrize(
    ("rate", "burst"), [(0.0, 1.0), (-1.0, 1.0), (10.0, 0.5), (10.0, 11.0), (0.5, 2.0)]
)
def test_impossible_limits_are_refused(rate: float, burst: float) -> None:
    with pytest.raises(ConfigError, match="rate limit 'x'"):
        Bucket("x", rate, burst)


def test_the_factory_picks_redis_when_there_is_one_and_no_limit_never_waits(prefix: str) -> None:
    async def scenario() -> None:
        shared = limiter_for(REDIS_URL, prefix=prefix)
        assert isinstance(shared, RateLimiter)
        await shared.aclose()
        assert isinstance(limiter_for(None, prefix=prefix), LocalRateLimiter)
        unlimited = NoLimit()
        await unlimited.pause(Bucket("x", 1.0), 10.0)
        assert [await unlimited.try_acquire(Bucket("x", 1.0)) for _ in range(5)] == [0.0] * 5

    asyncio.run(scenario())
