"""The retry rule under storms (issue 13, items 7 and 8): table-driven over `next_step`.

A 429 waits its Retry-After without spending an attempt; other transient errors back off up to
`retry_total_seconds` per channel before the next channel; an `unknown` whose lookup keeps
failing moves on after `reconcile_max_seconds`; a person is `failed` only when every channel
failed permanently or its time is spent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from outage_notify.config.settings import DeliverySettings
from outage_notify.core.models import ChannelName, DeliveryState
from outage_notify.delivery.send import Outcome, Result, Step, next_step

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
POLICY = DeliverySettings(
    max_attempts_per_channel=3,
    retry_base_seconds=2,
    retry_max_seconds=60,
    retry_total_seconds=600,
)
# OUTAGE_NOTIFY_RECONCILE_MAX_SECONDS's default.
RECONCILE_MAX = 300.0


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


@dataclass(frozen=True)
class Case:
    why: str
    result: Result
    code: str = ""
    retry_after: float = 0.0
    route_index: int = 0
    routes: int = 2
    attempts: int = 0
    # When the first attempt on the current route went out (None: this is the first).
    route_started: float | None = None
    # Since when the outcome has been unknown (None: not unknown before).
    unknown_for: float | None = None
    # Expected:
    state: DeliveryState = DeliveryState.PLANNED
    next_index: int = 0
    next_attempts: int = 0
    wait_at_least: float | None = None  # None: no scheduled retry


CASES = [
    Case(
        "a dry run is final, never sent, and does not move to the next channel",
        "dry_run",
        state=DeliveryState.DRY_RUN,
        next_attempts=1,
    ),
    Case(
        "a 429 on SMS spends no attempt",
        "transient",
        "20429",
        5.0,
        attempts=2,
        route_started=30,
        next_attempts=2,
        wait_at_least=5.0,
    ),
    Case(
        "a bare HTTP 429 spends no attempt",
        "transient",
        "429",
        1.0,
        attempts=0,
        next_attempts=0,
        wait_at_least=1.0,
    ),
    Case(
        "Slack ratelimited spends no attempt",
        "transient",
        "ratelimited",
        3.0,
        attempts=2,
        route_started=10,
        next_attempts=2,
        wait_at_least=3.0,
    ),
    Case(
        "a 429 without Retry-After still waits",
        "transient",
        "20429",
        0.0,
        attempts=1,
        route_started=5,
        next_attempts=1,
        wait_at_least=1.0,
    ),
    Case(
        "many 429s on the last channel: still waiting, not failed",
        "transient",
        "20429",
        1.0,
        route_index=1,
        attempts=2,
        route_started=500,
        next_index=1,
        next_attempts=2,
        wait_at_least=1.0,
    ),
    Case(
        "429s for the whole channel time: next channel",
        "transient",
        "20429",
        1.0,
        attempts=0,
        route_started=600,
        next_index=1,
        next_attempts=0,
    ),
    Case(
        "429s for the whole time on the last channel: failed",
        "transient",
        "ratelimited",
        1.0,
        route_index=1,
        attempts=0,
        route_started=601,
        state=DeliveryState.FAILED,
        next_index=1,
        next_attempts=1,
    ),
    Case(
        "a 500 backs off on the same channel",
        "transient",
        "500",
        0.0,
        attempts=0,
        next_attempts=1,
        wait_at_least=1.0,
    ),
    Case(
        "500s use up the attempts: next channel at once",
        "transient",
        "500",
        attempts=2,
        route_started=20,
        next_index=1,
        next_attempts=0,
    ),
    Case(
        "500s on the last channel: keep backing off while time lasts",
        "transient",
        "500",
        route_index=1,
        attempts=5,
        route_started=100,
        next_index=1,
        next_attempts=6,
        wait_at_least=1.0,
    ),
    Case(
        "500s on the last channel after the total time: failed",
        "transient",
        "500",
        route_index=1,
        attempts=5,
        route_started=600,
        state=DeliveryState.FAILED,
        next_index=1,
        next_attempts=6,
    ),
    Case(
        "a 500 after the channel's time: next channel",
        "transient",
        "500",
        attempts=0,
        route_started=700,
        next_index=1,
        next_attempts=0,
    ),
    Case("permanent: next channel at once", "permanent", "21211", next_index=1),
    Case(
        "permanent on the last channel: failed",
        "permanent",
        "21211",
        route_index=1,
        state=DeliveryState.FAILED,
        next_index=1,
        next_attempts=1,
    ),
    Case(
        "unknown: reconcile, never resend",
        "unknown",
        "timeout",
        attempts=0,
        state=DeliveryState.UNKNOWN,
        next_attempts=1,
    ),
    Case(
        "lookup failing for a while: still unknown",
        "unknown",
        "lookup_failed",
        attempts=3,
        route_started=250,
        unknown_for=250,
        state=DeliveryState.UNKNOWN,
        next_attempts=4,
    ),
    Case(
        "lookup failing past the reconcile limit: next channel",
        "unknown",
        "lookup_failed",
        attempts=3,
        route_started=310,
        unknown_for=300,
        next_index=1,
        next_attempts=0,
    ),
    Case(
        "lookup failing past the limit on the last channel: failed",
        "unknown",
        "lookup_failed",
        route_index=1,
        attempts=3,
        route_started=400,
        unknown_for=301,
        state=DeliveryState.FAILED,
        next_index=1,
        next_attempts=4,
    ),
    Case("sent", "sent", state=DeliveryState.SENT, next_attempts=1),
    Case(
        "deferred for a token: not an attempt",
        "deferred",
        retry_after=0.5,
        attempts=1,
        route_started=3,
        next_attempts=1,
        wait_at_least=0.5,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.why for c in CASES])
def test_next_step_under_storms(case: Case) -> None:
    outcome = Outcome(
        7,
        ChannelName.SMS,
        "+5511990000007",
        NOW,
        NOW,
        case.result,
        error_code=case.code,
        retry_after=case.retry_after,
    )
    step = next_step(
        outcome=outcome,
        route_index=case.route_index,
        route_count=case.routes,
        attempts_on_route=case.attempts,
        route_started_at=None if case.route_started is None else ago(case.route_started),
        unknown_since=None if case.unknown_for is None else ago(case.unknown_for),
        policy=POLICY,
        reconcile_max_seconds=RECONCILE_MAX,
        now=NOW,
        rng=random.Random(5),
    )
    assert (step.state, step.route_index, step.attempts_on_route) == (
        case.state,
        case.next_index,
        case.next_attempts,
    )
    if case.wait_at_least is None:
        assert step.next_attempt_at is None
    else:
        assert step.next_attempt_at is not None
        assert step.next_attempt_at - NOW >= timedelta(seconds=case.wait_at_least)


def test_the_channel_clock_starts_at_the_first_attempt_and_restarts_on_the_next_channel() -> None:
    def step(route_started_at: datetime | None, route_index: int = 0, code: str = "500") -> Step:
        return next_step(
            outcome=Outcome(1, ChannelName.SLACK, "U1", NOW, NOW, "transient", error_code=code),
            route_index=route_index,
            route_count=2,
            attempts_on_route=0,
            route_started_at=route_started_at,
            unknown_since=None,
            policy=POLICY,
            reconcile_max_seconds=RECONCILE_MAX,
            now=NOW,
            rng=random.Random(1),
        )

    first = step(None)
    assert first.route_started_at == NOW  # this attempt started the channel's clock
    assert step(ago(42)).route_started_at == ago(42)  # kept while on the same channel
    moved = step(ago(900))
    assert (moved.route_index, moved.route_started_at) == (1, None)  # the next one starts afresh


def test_unknown_since_is_kept_while_unknown_and_cleared_after() -> None:
    def step(result: Result, unknown_since: datetime | None) -> Step:
        return next_step(
            outcome=Outcome(1, ChannelName.SMS, "+1", NOW, NOW, result, error_code="x"),
            route_index=0,
            route_count=2,
            attempts_on_route=1,
            route_started_at=ago(10),
            unknown_since=unknown_since,
            policy=POLICY,
            reconcile_max_seconds=RECONCILE_MAX,
            now=NOW,
            rng=random.Random(1),
        )

    assert step("unknown", None).unknown_since == NOW
    assert step("unknown", ago(20)).unknown_since == ago(20)
    assert step("sent", ago(20)).unknown_since is None
    assert step("transient", ago(20)).unknown_since is None


@pytest.mark.parametrize("seed", range(50))
def test_a_rate_limited_storm_never_fails_a_person_within_the_channel_time(seed: int) -> None:
    """Item 8's reproduction: 20 % 429, 10 % 500 at random, three attempts per channel.

    Before: three 429s on one channel and 500/429/500 on the other failed a person in under a
    minute. Now nobody ends `failed` before each channel's time is spent.
    """
    rng = random.Random(seed)
    route_index, attempts, started, clock = 0, 0, None, NOW
    result: Result
    for _ in range(200):
        roll = rng.random()
        if roll < 0.2:
            code, result, retry_after = "20429", "transient", 1.0
        elif roll < 0.3:
            code, result, retry_after = "500", "transient", 0.0
        else:
            code, result, retry_after = "", "sent", 0.0
        step = next_step(
            outcome=Outcome(
                1,
                ChannelName.SMS,
                "+1",
                clock,
                clock,
                result,
                error_code=code,
                retry_after=retry_after,
            ),
            route_index=route_index,
            route_count=2,
            attempts_on_route=attempts,
            route_started_at=started,
            unknown_since=None,
            policy=POLICY,
            reconcile_max_seconds=RECONCILE_MAX,
            now=clock,
            rng=rng,
        )
        assert step.state != DeliveryState.FAILED
        if step.state == DeliveryState.SENT:
            break
        route_index, attempts, started = (
            step.route_index,
            step.attempts_on_route,
            step.route_started_at,
        )
        clock = step.next_attempt_at or clock
    else:
        pytest.fail("never sent")
