"""Provider rate limits shared by every worker: GCRA buckets in Redis, or in-process without it.

Promise: no 1-second window, sliding anywhere, holds more than `rate` acquisitions of a bucket
(⌈rate⌉ for fractional rates), however many processes take from it.

A plain token bucket with capacity = rate cannot promise that: a full bucket gives `rate` at once
and refills another `rate` within the same second. We use GCRA ("virtual scheduling") instead:
a take at time t is allowed when t ≥ TAT - τ and then sets TAT := max(TAT, t) + T. Each take
pushes TAT at least T past its own time, so the take k places later comes at ≥ t + k·T - τ, and
any rate + 1 takes span at least rate·T - τ. Choosing

    T = (1 + jitter + wake_slack) / (rate - burst + 1)      τ = wake_slack + (burst - 1)·T

makes that span 1 s + jitter: every 1-s window holds at most `rate` takes even when the provider
sees the requests up to `jitter` seconds later than we took the tokens. `wake_slack` lets a
waiter that wakes a few ms late take its slot without the schedule slipping (lost throughput).
`burst` takes may go back to back, paid for with a lower sustained rate (rate - burst + 1); the
default burst of 1 keeps the sustained rate at rate / (1 + jitter + wake_slack), ~0.976·rate.

`try_acquire*` never sleeps: 0.0 means a token was taken, otherwise the seconds until one could
be. `try_acquire_many` asks for several tokens at once and applies that same rule token after
token at one instant, stopping at the first that is not due: it grants exactly what as many
back-to-back single takes would, so the promise holds whatever the count. `acquire*` sleeps
while the wait fits in `max_wait`, else hands the wait back so the caller can reschedule the
message instead of holding a worker.

Callers of one bucket set in one process (per event loop) are coalesced (`ratelimit_batcher`):
those arriving while a take is in flight or its sleeper waits queue in order, the next take asks
for all of them, the first `granted` go, and the rest wait behind that single sleeper for the
next due token. So callers that arrive together cost one Redis round trip when the rate has room
for them all (at high rates the tolerance covers the batch) and about one per token when it has
not, instead of one per caller; and the callers given tokens are answered together, so none
waits behind another's reply between its token and its send (the delay `jitter` must absorb).
"""

from __future__ import annotations

import asyncio
import functools
import math
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio as redis

from outage_notify.core.clock import SYSTEM_CLOCK, Clock
from outage_notify.core.errors import ConfigError
from outage_notify.ratelimit.batcher import Batcher
from outage_notify.ratelimit.scripts import ACQUIRE_MANY, PAUSE

# Delay variation between taking a token and the provider receiving the request (event loop,
# HTTP client, network) that the 1-s promise still survives.
DEFAULT_JITTER_SECONDS = 0.02
WAKE_SLACK_SECONDS = 0.005


@dataclass(frozen=True)
class Bucket:
    """One provider limit: at most `rate` per second, `burst` of them back to back."""

    key: str
    rate: float
    burst: float = 1.0

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ConfigError(f"rate limit {self.key!r}: rate must be > 0, got {self.rate}")
        if not 1.0 <= self.burst <= max(self.rate, 1.0):
            raise ConfigError(
                f"rate limit {self.key!r}: burst must be between 1 and the rate, got {self.burst}"
            )

    def spacing(self, jitter: float) -> tuple[float, float]:
        """The GCRA emission interval and tolerance (seconds) that keep every 1-s window ≤ rate."""
        interval = (1.0 + jitter + WAKE_SLACK_SECONDS) / (self.rate - self.burst + 1.0)
        return interval, WAKE_SLACK_SECONDS + (self.burst - 1.0) * interval


def twilio_sender(sender: str, rate: float) -> Bucket:
    """Messages per second through one Twilio number or messaging service."""
    return Bucket(f"twilio:sender:{sender}", rate)


def slack_channel(channel_id: str, rate: float = 1.0) -> Bucket:
    """chat.postMessage into one Slack channel (~1/s)."""
    return Bucket(f"slack:channel:{channel_id}", rate)


def slack_workspace(rate: float) -> Bucket:
    """Slack's budget for the whole workspace, taken together with the channel's."""
    return Bucket("slack:workspace", rate)


class Limiter(ABC):
    """What delivery needs from a rate limiter; the Redis, local and no-op ones all fit."""

    def __init__(self, *, clock: Clock = SYSTEM_CLOCK) -> None:
        # Whose monotonic time the waits of `acquire*` are measured and slept in.
        self.clock = clock
        # Per event loop and bucket set, while it has callers: the queue that serves them.
        self._batchers: dict[tuple[object, tuple[str, ...]], Batcher] = {}

    @abstractmethod
    async def try_acquire_many(self, buckets: Sequence[Bucket], count: int) -> tuple[int, float]:
        """Take up to `count` tokens from every bucket: (granted, wait for the next if short)."""

    @abstractmethod
    async def pause(self, bucket: Bucket, seconds: float) -> None:
        """Give out no token from `bucket` for `seconds` (a provider's Retry-After)."""

    async def aclose(self) -> None:  # noqa: B027 - only the Redis limiter holds connections
        """Release connections."""

    async def try_acquire_all(self, buckets: Sequence[Bucket]) -> float:
        """Take one token from every bucket and return 0.0, or take none and return the wait."""
        granted, wait = await self.try_acquire_many(buckets, 1)
        return 0.0 if granted else wait

    async def try_acquire(self, bucket: Bucket) -> float:
        """Take one token and return 0.0, or return the seconds until one is available."""
        return await self.try_acquire_all((bucket,))

    async def acquire(self, bucket: Bucket, *, max_wait: float) -> float:
        """Take one token, sleeping up to `max_wait`; else return the wait still ahead."""
        return await self.acquire_all((bucket,), max_wait=max_wait)

    async def acquire_all(self, buckets: Sequence[Bucket], *, max_wait: float) -> float:
        """Take a token from every bucket, sleeping up to `max_wait`; else return the wait."""
        name = (asyncio.get_running_loop(), tuple(bucket.key for bucket in buckets))
        batcher = self._batchers.get(name)
        if batcher is None:
            batcher = self._batchers[name] = Batcher(
                functools.partial(self.try_acquire_many, tuple(buckets)),
                slowest_rate=min((bucket.rate for bucket in buckets), default=math.inf),
                # A batcher is only looked up while its driver runs, so it leaves with it.
                on_idle=functools.partial(self._batchers.pop, name),
                clock=self.clock,
            )
        return await batcher.acquire(max_wait)


class RateLimiter(Limiter):
    """Buckets in Redis, shared by every process; one EVALSHA round trip per take of any count.

    The client belongs to the event loop that first uses it: create, use and close the limiter
    on the worker's long-lived I/O loop.
    """

    def __init__(
        self,
        redis_url: str,
        *,
        prefix: str,
        jitter: float = DEFAULT_JITTER_SECONDS,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        # The buckets keep Redis's own TIME, shared by every process; `clock` only times the
        # waits of this process's callers.
        super().__init__(clock=clock)
        self._client = redis.Redis.from_url(redis_url)
        self._prefix = prefix
        self._jitter = jitter
        self._acquire_many = self._client.register_script(ACQUIRE_MANY)
        self._pause = self._client.register_script(PAUSE)

    async def try_acquire_many(self, buckets: Sequence[Bucket], count: int) -> tuple[int, float]:
        if count < 1 or not buckets:
            return max(count, 0), 0.0
        args: list[int] = [count]
        for bucket in buckets:
            interval, tolerance = bucket.spacing(self._jitter)
            # Rounding the interval up and the tolerance down only ever makes takes sparser.
            args += [math.ceil(interval * 1e6), math.floor(tolerance * 1e6)]
        keys = [self._prefix + bucket.key for bucket in buckets]
        granted, wait_us = await self._acquire_many(keys=keys, args=args)
        return int(granted), int(wait_us) / 1e6

    async def pause(self, bucket: Bucket, seconds: float) -> None:
        if seconds > 0:
            await self._pause(keys=[self._prefix + bucket.key], args=[math.ceil(seconds * 1e6)])

    async def aclose(self) -> None:
        await self._client.aclose()


@dataclass
class _LocalState:
    tat: float
    paused: float = 0.0


class LocalRateLimiter(Limiter):
    """The same GCRA for one process (embedded mode, no Redis), on the clock's monotonic time."""

    def __init__(
        self, *, jitter: float = DEFAULT_JITTER_SECONDS, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        super().__init__(clock=clock)
        self.jitter = jitter
        self._states: dict[str, _LocalState] = {}
        # A lock, not just the event loop, because embedded mode may share it across threads.
        self._lock = threading.Lock()

    async def try_acquire_many(self, buckets: Sequence[Bucket], count: int) -> tuple[int, float]:
        now = self.clock.monotonic()
        with self._lock:
            states = []
            # A key listed twice is one take, as in the Redis script.
            for bucket in {bucket.key: bucket for bucket in buckets}.values():
                state = self._states.setdefault(bucket.key, _LocalState(tat=now))
                interval, tolerance = bucket.spacing(self.jitter)
                states.append((state, interval, tolerance))
            granted, wait = 0, 0.0
            # Token after token at one instant, as in the Redis script: the promise of k singles.
            while granted < count:
                wait = max(
                    (max(s.tat - tolerance - now, s.paused - now) for s, _, tolerance in states),
                    default=0.0,
                )
                if wait > 0.0:
                    break
                for state, interval, _ in states:
                    state.tat = max(state.tat, now) + interval
                granted += 1
            if len(self._states) > 1024:
                self._forget_idle(now)
            return granted, wait if granted < count else 0.0

    async def pause(self, bucket: Bucket, seconds: float) -> None:
        now = self.clock.monotonic()
        with self._lock:
            state = self._states.setdefault(bucket.key, _LocalState(tat=now))
            state.paused = max(state.paused, now + seconds)

    def _forget_idle(self, now: float) -> None:
        # A state whose tat and pause have passed behaves exactly like a missing one.
        for key in [k for k, s in self._states.items() if max(s.tat, s.paused) < now]:
            del self._states[key]


class NoLimit(Limiter):
    """Never waits: for dry runs and tests that are not about rate limits."""

    async def try_acquire_many(self, buckets: Sequence[Bucket], count: int) -> tuple[int, float]:
        return max(count, 0), 0.0

    async def pause(self, bucket: Bucket, seconds: float) -> None:
        return None


def limiter_for(
    redis_url: str | None,
    *,
    prefix: str,
    jitter: float = DEFAULT_JITTER_SECONDS,
    clock: Clock = SYSTEM_CLOCK,
) -> Limiter:
    """Shared Redis buckets when there is a Redis, else in-process buckets (embedded mode)."""
    if redis_url:
        return RateLimiter(redis_url, prefix=prefix, jitter=jitter, clock=clock)
    return LocalRateLimiter(jitter=jitter, clock=clock)
