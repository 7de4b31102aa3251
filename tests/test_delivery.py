"""What a delivery becomes after each kind of outcome (pure rules)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from outage_notify.config.settings import DeliverySettings
from outage_notify.core.models import ChannelName, DeliveryState
from outage_notify.delivery.send import Outcome, Result, backoff_seconds, next_step
from outage_notify.integrations.registry import PROVIDERS
from tests.fixtures.settings import build_settings

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
POLICY = DeliverySettings(max_attempts_per_channel=3, retry_base_seconds=2, retry_max_seconds=60)


def outcome(result: Result, retry_after: float = 0.0) -> Outcome:
    return Outcome(1, ChannelName.SMS, "+5511990000001", NOW, NOW, result, retry_after=retry_after)


@pytest.mark.parametrize(
    ("result", "route_index", "routes", "attempts", "state", "next_index", "delayed"),
    [
        ("sent", 0, 2, 0, DeliveryState.SENT, 0, False),
        ("permanent", 0, 2, 0, DeliveryState.PLANNED, 1, False),  # next channel at once
        ("permanent", 1, 2, 0, DeliveryState.FAILED, 1, False),  # no channel left
        ("transient", 0, 2, 0, DeliveryState.PLANNED, 0, True),  # retry the same route later
        ("transient", 0, 2, 2, DeliveryState.PLANNED, 1, False),  # retries spent → next channel
        # The last channel keeps trying while its time lasts: attempts only decide when to
        # try the next channel, never when to give up on a person.
        ("transient", 0, 1, 2, DeliveryState.PLANNED, 0, True),
        ("unknown", 0, 2, 0, DeliveryState.UNKNOWN, 0, False),  # reconcile, never resend blindly
        ("skipped", 0, 2, 0, DeliveryState.PLANNED, 1, False),  # SMS budget spent: next channel
        ("skipped", 0, 1, 0, DeliveryState.SUPERSEDED, 0, False),  # no other channel: wait
    ],
)
def test_next_step(
    result: Result,
    route_index: int,
    routes: int,
    attempts: int,
    state: DeliveryState,
    next_index: int,
    delayed: bool,
) -> None:
    step = next_step(
        outcome=outcome(result),
        route_index=route_index,
        route_count=routes,
        attempts_on_route=attempts,
        route_started_at=None,
        unknown_since=None,
        policy=POLICY,
        reconcile_max_seconds=300,
        now=NOW,
        rng=random.Random(1),
    )
    assert step.state == state
    assert step.route_index == next_index
    assert (step.next_attempt_at is not None) == delayed
    if delayed:
        assert step.next_attempt_at is not None and step.next_attempt_at > NOW


def test_backoff_honours_retry_after_and_stays_under_the_cap() -> None:
    rng = random.Random(7)
    assert backoff_seconds(1, retry_after=30, policy=POLICY, rng=rng) >= 30
    delays = [backoff_seconds(n, retry_after=0, policy=POLICY, rng=rng) for n in range(1, 12)]
    assert all(0 < d <= POLICY.retry_max_seconds for d in delays)
    # Exponential: the tenth attempt waits longer than the first, whatever the jitter.
    assert delays[9] > delays[0]
    assert (
        backoff_seconds(1, retry_after=10_000, policy=POLICY, rng=rng) == POLICY.retry_max_seconds
    )


def test_transient_retry_time_is_after_the_providers_retry_after() -> None:
    step = next_step(
        outcome=outcome("transient", retry_after=5),
        route_index=0,
        route_count=1,
        attempts_on_route=0,
        route_started_at=None,
        unknown_since=None,
        policy=POLICY,
        reconcile_max_seconds=300,
        now=NOW,
        rng=random.Random(3),
    )
    assert step.next_attempt_at is not None
    assert step.next_attempt_at - NOW >= timedelta(seconds=5)


def test_dry_run_sends_spend_no_provider_budget() -> None:
    import asyncio

    from outage_notify.channels.console import ConsoleChannel
    from outage_notify.core.models import OutboundMessage
    from outage_notify.delivery.send import Job, send_jobs
    from outage_notify.delivery.throttling import Throttle
    from outage_notify.ratelimit.limiter import LocalRateLimiter

    settings = build_settings(ratelimit={"twilio_per_second": 0.01})
    throttle = Throttle(LocalRateLimiter(), settings, PROVIDERS)
    jobs = [
        Job(i, ChannelName.SMS, OutboundMessage(f"+551199000000{i}", "Email is down"))
        for i in range(5)
    ]
    outcomes = asyncio.run(
        send_jobs(
            jobs,
            {ChannelName.SMS: ConsoleChannel(ChannelName.SMS)},
            concurrency=5,
            throttle=throttle,
        )
    )
    # Recorded as dry runs, never as sent: nothing reached a provider.
    assert [o.result for o in outcomes] == ["dry_run"] * 5


def test_an_unexpected_error_in_one_send_costs_only_that_job_an_unknown_outcome() -> None:
    import asyncio

    from outage_notify.channels.base import Receipt
    from outage_notify.channels.console import ConsoleChannel
    from outage_notify.core.models import OutboundMessage
    from outage_notify.delivery.send import Job, send_jobs

    class BrokenForOne(ConsoleChannel):
        """A channel with a bug that only one address triggers (not a ChannelError)."""

        async def send(self, message: OutboundMessage) -> Receipt:
            if message.address.endswith("3"):
                raise RuntimeError("a bug, not a provider answer")
            return await super().send(message)

    jobs = [
        Job(i, ChannelName.SMS, OutboundMessage(f"+551199000000{i}", "Email is down"))
        for i in range(6)
    ]
    outcomes = asyncio.run(
        send_jobs(jobs, {ChannelName.SMS: BrokenForOne(ChannelName.SMS)}, concurrency=2)
    )
    assert [o.delivery_id for o in outcomes] == list(range(6))
    assert [o.result for o in outcomes] == ["dry_run"] * 3 + ["unknown"] + ["dry_run"] * 2
    assert outcomes[3].error_code == "internal_error"
    # Unknown is reconciled with the provider before anything is sent again, never resent blindly.
    assert (
        next_step(
            outcome=outcomes[3],
            route_index=0,
            route_count=2,
            attempts_on_route=0,
            route_started_at=None,
            unknown_since=None,
            policy=POLICY,
            reconcile_max_seconds=300,
            now=NOW,
            rng=random.Random(1),
        ).state
        == DeliveryState.UNKNOWN
    )
