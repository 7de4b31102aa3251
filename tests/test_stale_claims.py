"""The rule that decides which `sending` claims lost their worker, with the clock injected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from outage_notify.delivery.stale_claims import Claim, Liveness, judge

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
DEAD_AFTER = timedelta(seconds=15)  # three beats of 5 s
TIMEOUT = timedelta(seconds=120)
WATCHED = timedelta(minutes=10)


def claim(delivery_id: int, owner: str, age: float) -> Claim:
    return Claim(delivery_id=delivery_id, owner=owner, since=NOW - timedelta(seconds=age))


def reconciled(claims: list[Claim], liveness: Liveness) -> list[int]:
    verdict = judge(claims, liveness=liveness, now=NOW, dead_after=DEAD_AFTER, timeout=TIMEOUT)
    return [c.delivery_id for c in verdict.reconcile]


def test_a_dead_workers_claims_are_reconciled_long_before_the_timeout() -> None:
    claims = [claim(1, "host:10:aa", 2), claim(2, "host:11:bb", 2)]
    liveness = Liveness(live=frozenset({"host:11:bb"}), watched_for=WATCHED)
    verdict = judge(claims, liveness=liveness, now=NOW, dead_after=DEAD_AFTER, timeout=TIMEOUT)
    assert [c.delivery_id for c in verdict.dead_owner] == [1]
    assert verdict.timed_out == [] and verdict.overdue_live == []


def test_a_slow_live_worker_keeps_its_claims_past_the_timeout_and_is_reported() -> None:
    claims = [claim(1, "host:10:aa", 600)]
    liveness = Liveness(live=frozenset({"host:10:aa"}), watched_for=WATCHED)
    verdict = judge(claims, liveness=liveness, now=NOW, dead_after=DEAD_AFTER, timeout=TIMEOUT)
    assert verdict.reconcile == []
    assert [c.delivery_id for c in verdict.overdue_live] == [1]


def test_unreadable_heartbeats_mean_no_information_so_only_the_timeout_decides() -> None:
    # Redis down: nobody's key can be read. That must not make every claim look dead.
    claims = [claim(1, "host:10:aa", 5), claim(2, "host:11:bb", 121)]
    assert reconciled(claims, Liveness(live=frozenset(), watched_for=None)) == [2]


def test_a_freshly_restarted_heartbeat_store_is_not_trusted_until_a_whole_ttl_passed() -> None:
    # After a Redis restart or flush every key is gone, the live workers' too, until they beat.
    claims = [claim(1, "host:10:aa", 30)]
    young = Liveness(live=frozenset(), watched_for=DEAD_AFTER - timedelta(milliseconds=1))
    assert reconciled(claims, young) == []
    assert reconciled(claims, Liveness(live=frozenset(), watched_for=DEAD_AFTER)) == [1]


def test_an_anonymous_claim_waits_for_the_timeout_whatever_the_heartbeats_say() -> None:
    # Made before owners were recorded, or by a worker that could not beat at the time.
    claims = [claim(1, "", 60), claim(2, "", 121)]
    assert reconciled(claims, Liveness(live=frozenset(), watched_for=WATCHED)) == [2]


owners = st.sampled_from(["", "a:1:x", "b:2:y", "c:3:z"])
claims_strategy = st.lists(
    st.builds(
        Claim,
        delivery_id=st.integers(1, 10**6),
        owner=owners,
        since=st.integers(0, 600).map(lambda s: NOW - timedelta(seconds=s)),
    ),
    max_size=30,
)
liveness_strategy = st.builds(
    Liveness,
    live=st.frozensets(owners.filter(bool)),
    watched_for=st.none() | st.integers(0, 60).map(lambda s: timedelta(seconds=s)),
)


@given(claims_strategy, liveness_strategy)
def test_the_rule_never_takes_a_live_workers_claim_and_never_guesses(
    claims: list[Claim], liveness: Liveness
) -> None:
    verdict = judge(claims, liveness=liveness, now=NOW, dead_after=DEAD_AFTER, timeout=TIMEOUT)
    trusted = liveness.watched_for is not None and liveness.watched_for >= DEAD_AFTER
    for c in verdict.reconcile:
        assert not (c.owner and c.owner in liveness.live), "a live worker's claim was taken"
    for c in verdict.dead_owner:
        assert trusted and c.owner, "dead without evidence"
    for c in verdict.timed_out:
        assert NOW - c.since > TIMEOUT
    for c in claims:
        dead = bool(c.owner) and c.owner not in liveness.live and trusted
        expired = NOW - c.since > TIMEOUT and not (c.owner and c.owner in liveness.live)
        assert (c in verdict.reconcile) == (dead or expired)
