"""The per-recipient cap counts what it let through until it is sent (issue 13, item 4).

CI saw four of five incidents' SMS reach every manager with a cap of three: a batch let
through by the cap and then deferred for a rate-limit token goes back to `planned` with no
attempt yet, and the next batch's count no longer saw it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from outage_notify.core.models import ChannelName, DeliveryState
from outage_notify.delivery.send import Outcome, Step
from outage_notify.store import deliveries as delivery_store
from outage_notify.store import recipient_cap as cap_store
from outage_notify.store.engine import transaction
from tests.fixtures.databases import Sessions
from tests.store.test_store import _plan


def _claim_and_count(sessions: Sessions, ids: list[int], now: datetime) -> None:
    with transaction(sessions) as session:
        rows, _ = delivery_store.claim(session, ids, now=now)
        cap_store.mark_capped_channel(session, rows)


def test_a_delivery_deferred_after_the_cap_let_it_through_still_counts(sessions: Sessions) -> None:
    [deferred, sent] = _plan(sessions, 1) + _plan(sessions, 1)
    now = datetime.now(UTC)
    _claim_and_count(sessions, [deferred, sent], now)
    later = now + timedelta(seconds=2)
    with transaction(sessions) as session:
        delivery_store.record(
            session,
            [
                (
                    Outcome(deferred, ChannelName.SMS, "+5511990000000", now, now, "deferred"),
                    Step(DeliveryState.PLANNED, 0, 0, next_attempt_at=later),
                ),
                (
                    Outcome(sent, ChannelName.SMS, "+5511990000000", now, now, "sent"),
                    Step(DeliveryState.SENT, 0, 1, route_started_at=now),
                ),
            ],
            now=now,
        )
    with transaction(sessions) as session:
        spent = cap_store.spent(
            session, {"contact:u0"}, since=now - timedelta(hours=1), exclude=set()
        )
    # One sent, one admitted and waiting for its token: both are this hour's messages.
    assert spent["contact:u0"] == 2


def test_a_planned_delivery_never_claimed_does_not_count(sessions: Sessions) -> None:
    _plan(sessions, 1)
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        spent = cap_store.spent(
            session, {"contact:u0"}, since=now - timedelta(hours=1), exclude=set()
        )
    assert spent["contact:u0"] == 0
