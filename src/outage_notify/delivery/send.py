"""Send claimed deliveries through their channels and decide what happens next.

The only caller of channels. `send_jobs` sends a batch concurrently and turns every result
into an `Outcome`; an outcome that is unknown (the request may have reached the provider) is
reconciled with the provider before anything is resent. `next_step` is the pure rule for what
a delivery becomes after an outcome: sent, retried later on the same route, moved to the next
channel, or failed. A provider's 429 costs no attempt; a person is `failed` only when every
channel failed permanently or ran out of time. A channel that is not configured (a console dry
run) makes the delivery `dry_run`: final, and never `sent`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from outage_notify.channels.base import Channel
from outage_notify.channels.console import ConsoleChannel
from outage_notify.config.settings import DeliverySettings
from outage_notify.core.clock import SYSTEM_CLOCK, Clock
from outage_notify.core.errors import (
    ChannelError,
    PermanentError,
    TransientError,
    UnknownOutcomeError,
)
from outage_notify.core.models import DeliveryState, OutboundMessage
from outage_notify.delivery.throttling import RATE_LIMITED_CODES, Throttle

log = logging.getLogger(__name__)
# When the shared rate limiter cannot be reached, sends wait this long and try again.
LIMITER_DOWN_RETRY_SECONDS = 5.0
# A provider's 429 without a Retry-After is waited out at least this long.
RATE_LIMITED_MIN_WAIT_SECONDS = 1.0

# skipped: not attempted on this route by our own rule (none today: the per-recipient cap holds
# a delivery in the database instead, see worker/recipient_cap.py).
# deferred: not attempted yet because the shared rate limit has no token for it now.
# dry_run: handed to a channel that is not configured (a console dry run): logged, nobody told.
Result = Literal["sent", "dry_run", "transient", "permanent", "unknown", "skipped", "deferred"]


@dataclass(frozen=True)
class Job:
    """One claimed delivery, ready to go out on its current route."""

    delivery_id: int
    # The route's channel: a `ChannelName` value, or a registered provider's own channel.
    channel: str
    message: OutboundMessage
    # Set when an earlier attempt's outcome is unknown: ask the provider before sending.
    reconcile_since: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    channel: str
    address: str
    started_at: datetime
    finished_at: datetime
    result: Result
    provider_id: str = ""
    error_code: str = ""
    error_text: str = ""
    retry_after: float = 0.0


@dataclass(frozen=True)
class Step:
    """What a delivery becomes after one outcome."""

    state: DeliveryState
    route_index: int
    attempts_on_route: int
    next_attempt_at: datetime | None = None
    # When the first attempt on this route went out; None once the delivery moves on.
    route_started_at: datetime | None = None
    # Since when the outcome has been unknown; None when it is not.
    unknown_since: datetime | None = None


# Sends of a batch start in groups of at least this share of the concurrency, so the jobs of a
# group ask the rate limiter for their tokens together (one shared take, `ratelimit_batcher`)
# instead of one round trip each as single sends finish.
REFILL_SHARE = 4


async def send_jobs(
    jobs: Iterable[Job],
    channels: Mapping[str, Channel],
    *,
    concurrency: int,
    throttle: Throttle | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> list[Outcome]:
    """Send every job, at most `concurrency` at once, each in its turn under the rate limits.

    Never raises for a single failure. A job whose turn is further away than the throttle's
    wait is handed back `deferred`, so a rate-limited batch never holds a worker. Outcomes come
    back in the order of the jobs, each timed on `clock`.
    """

    async def run(job: Job) -> Outcome:
        try:
            return await attempt(job)
        except Exception as error:
            # A bug or an unexpected library error in one job must not cost the batch its
            # other outcomes; unknown means it is reconciled with the provider, never resent.
            log.exception("delivery %s: unexpected error while sending", job.delivery_id)
            return _outcome(
                job,
                clock,
                clock.now(),
                "unknown",
                error_code="internal_error",
                error_text=f"{type(error).__name__}: {error}",
                retry_after=1.0,
            )

    async def attempt(job: Job) -> Outcome:
        channel = channels[job.channel]
        if throttle is None or isinstance(channel, ConsoleChannel):
            # A dry run reaches no provider, so it spends none of a provider's budget.
            return await send_one(job, channel, clock=clock)
        address = job.message.address
        decided = await look_up(job, channel, clock=clock)
        if decided is not None:
            return decided
        # Looked up (or nothing to look up): what is left is one request, and the token is
        # taken right before it; the delay between the two is what the limiter's 1-s promise
        # must absorb (`jitter`), so the lookup's round trip must not sit in between.
        job = replace(job, reconcile_since=None)
        try:
            wait = await throttle.turn(job.channel, address)
        except Exception as error:  # limits unknown: never send unthrottled
            log.warning("rate limiter unavailable (%s); deferring", type(error).__name__)
            wait = LIMITER_DOWN_RETRY_SECONDS
        if wait > 0:
            return _outcome(job, clock, clock.now(), "deferred", retry_after=wait)
        outcome = await send_one(job, channel, clock=clock)
        if outcome.result == "transient" and outcome.error_code in RATE_LIMITED_CODES:
            try:
                await throttle.provider_said_slow_down(job.channel, address, outcome.retry_after)
            except Exception as error:  # the send's outcome stands; the pause is a courtesy
                log.warning("could not pause the rate limit after a 429: %s", error)
        return outcome

    waiting = list(jobs)
    tasks: list[asyncio.Task[Outcome]] = []
    running: set[asyncio.Task[Outcome]] = set()
    refill = max(1, concurrency // REFILL_SHARE)
    try:
        while len(tasks) < len(waiting) or running:
            free = concurrency - len(running)
            left = len(waiting) - len(tasks)
            if left and (free >= min(refill, left) or not running):
                for job in waiting[len(tasks) : len(tasks) + free]:
                    task = asyncio.create_task(run(job))
                    tasks.append(task)
                    running.add(task)
            _, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
    finally:
        # Cancelled (the worker is shutting down): stop the sends still running, as gather would.
        for task in running:
            task.cancel()
    return [task.result() for task in tasks]


def _outcome(
    job: Job,
    clock: Clock,
    started: datetime,
    result: Result,
    *,
    provider_id: str = "",
    error_code: str = "",
    error_text: str = "",
    retry_after: float = 0.0,
) -> Outcome:
    """The outcome of `job`, begun at `started` and finished now."""
    return Outcome(
        job.delivery_id,
        job.channel,
        job.message.address,
        started,
        clock.now(),
        result,
        provider_id=provider_id,
        error_code=error_code,
        error_text=error_text,
        retry_after=retry_after,
    )


async def look_up(job: Job, channel: Channel, *, clock: Clock = SYSTEM_CLOCK) -> Outcome | None:
    """For a job whose last outcome was unknown: the outcome the provider's records decide,
    or None when the message is not there and may be sent."""
    if job.reconcile_since is None:
        return None
    started = clock.now()
    try:
        found = await channel.find_sent(job.message, job.reconcile_since)
    except ChannelError as error:
        # Still unknown: sending now could be the second copy. Ask again later.
        return _outcome(
            job,
            clock,
            started,
            "unknown",
            error_code=error.code or "lookup_failed",
            error_text=f"reconciliation lookup failed: {error.reason}",
        )
    if found is not None:
        return _outcome(
            job, clock, started, "sent", provider_id=found.provider_id, error_text="reconciled"
        )
    return None


async def send_one(job: Job, channel: Channel, *, clock: Clock = SYSTEM_CLOCK) -> Outcome:
    """Send one job (reconciling first when its last outcome was unknown)."""
    decided = await look_up(job, channel, clock=clock)
    if decided is not None:
        return decided
    started = clock.now()
    try:
        receipt = await channel.send(job.message)
        result: Result = "dry_run" if receipt.dry_run else "sent"
        return _outcome(job, clock, started, result, provider_id=receipt.provider_id)
    except TransientError as error:
        return _outcome(
            job,
            clock,
            started,
            "transient",
            error_code=error.code,
            error_text=error.reason,
            retry_after=error.retry_after,
        )
    except PermanentError as error:
        return _outcome(
            job, clock, started, "permanent", error_code=error.code, error_text=error.reason
        )
    except UnknownOutcomeError as error:
        return await _reconcile(job, channel, clock, started, error)


async def _reconcile(
    job: Job, channel: Channel, clock: Clock, started: datetime, error: UnknownOutcomeError
) -> Outcome:
    # Blindly resending after a dropped response is how people get the same SMS twice.
    try:
        found = await channel.find_sent(job.message, started - timedelta(seconds=5))
    except Exception as lookup_error:
        log.warning("reconciliation of delivery %s failed: %s", job.delivery_id, lookup_error)
        found = None
        result: Result = "unknown"
    else:
        # The provider has no record: the request never took effect, so a resend is safe.
        result = "sent" if found is not None else "transient"
    return _outcome(
        job,
        clock,
        started,
        result,
        provider_id=found.provider_id if found is not None else "",
        error_code=error.code or "unknown_outcome",
        error_text=("reconciled: " if found is not None else "") + error.reason,
        retry_after=1.0,
    )


def backoff_seconds(
    attempt: int, *, retry_after: float, policy: DeliverySettings, rng: random.Random
) -> float:
    """Exponential backoff with full jitter, never below the provider's Retry-After."""
    ceiling = min(policy.retry_max_seconds, policy.retry_base_seconds * (2 ** max(attempt - 1, 0)))
    return min(policy.retry_max_seconds, max(retry_after, rng.uniform(ceiling / 2, ceiling)))


def next_step(
    *,
    outcome: Outcome,
    route_index: int,
    route_count: int,
    attempts_on_route: int,
    route_started_at: datetime | None,
    unknown_since: datetime | None,
    policy: DeliverySettings,
    reconcile_max_seconds: float,
    now: datetime,
    rng: random.Random,
) -> Step:
    """The delivery's next state after `outcome` (pure).

    `route_started_at` is when the first attempt on the current route went out (None: this
    outcome is the first), `unknown_since` when the outcome became unknown (None: it was not).
    A channel's clock runs from its first attempt, not from planning: in a long, rate-limited
    fan-out a late recipient's first try must still get its retries.
    """
    result = outcome.result
    if result == "deferred":
        # Waiting for a rate-limit token is not an attempt; no clock starts.
        wait = timedelta(seconds=max(outcome.retry_after, 0.05))
        return Step(
            DeliveryState.PLANNED,
            route_index,
            attempts_on_route,
            now + wait,
            route_started_at=route_started_at,
            unknown_since=unknown_since,
        )
    if result == "skipped":
        if route_index + 1 < route_count:
            return Step(DeliveryState.PLANNED, route_index + 1, 0)
        # Nothing was wrong with the route; a later update will carry the news.
        return Step(DeliveryState.SUPERSEDED, route_index, attempts_on_route)
    started = route_started_at or outcome.started_at
    in_time = (now - started).total_seconds() < policy.retry_total_seconds
    last_route = route_index + 1 >= route_count

    def move_on(attempts: int) -> Step:
        # The contact's next channel, right away, with its own clock; none left: failed.
        if not last_route:
            return Step(DeliveryState.PLANNED, route_index + 1, 0)
        return Step(DeliveryState.FAILED, route_index, attempts, route_started_at=started)

    def later(attempts: int, delay: float) -> Step:
        at = now + timedelta(seconds=delay)
        return Step(DeliveryState.PLANNED, route_index, attempts, at, route_started_at=started)

    if result in ("sent", "dry_run"):
        return Step(
            DeliveryState.SENT if result == "sent" else DeliveryState.DRY_RUN,
            route_index,
            attempts_on_route + 1,
            route_started_at=started,
        )
    if result == "unknown":
        since = unknown_since or outcome.started_at
        if (now - since).total_seconds() < reconcile_max_seconds:
            return Step(
                DeliveryState.UNKNOWN,
                route_index,
                attempts_on_route + 1,
                route_started_at=started,
                unknown_since=since,
            )
        # The provider could not be asked for that long: another channel cannot double the
        # first, so move on rather than ask for ever (or resend blind on the same one).
        return move_on(attempts_on_route + 1)
    if result == "transient" and outcome.error_code in RATE_LIMITED_CODES:
        # The provider asked us to slow down; nothing failed, so no attempt is spent.
        if in_time:
            pause = max(outcome.retry_after, RATE_LIMITED_MIN_WAIT_SECONDS)
            # Jitter above the Retry-After: a storm's many 429s must not all come back at once.
            return later(attempts_on_route, pause + rng.uniform(0, policy.retry_base_seconds))
        return move_on(attempts_on_route + 1)
    attempts = attempts_on_route + 1
    if (
        result == "transient"
        and in_time
        and (attempts < policy.max_attempts_per_channel or last_route)
    ):
        # The attempts only decide when the next channel is worth trying; on the last channel
        # a person is given up on only when its time is spent.
        delay = backoff_seconds(attempts, retry_after=outcome.retry_after, policy=policy, rng=rng)
        return later(attempts, delay)
    return move_on(attempts)
