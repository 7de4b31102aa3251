"""Delivery reports only move a delivery forward, whatever order they arrive in."""

from __future__ import annotations

import pytest

from outage_notify.core.models import DeliveryState
from outage_notify.delivery.provider_reports import Effect, effect_of, fallback_after_undelivered

S = DeliveryState

# (delivery state when the report arrives, provider status) -> effect
TABLE: list[tuple[DeliveryState, str, Effect]] = [
    # The normal order on a delivery recorded as sent.
    (S.SENT, "sent", Effect.NONE),
    (S.SENT, "delivered", Effect.DELIVERED),
    (S.SENT, "undelivered", Effect.UNDELIVERED),
    (S.SENT, "failed", Effect.UNDELIVERED),
    (S.SENT, "read", Effect.DELIVERED),
    # In transit, or nothing we act on: keep `sent`.
    (S.SENT, "queued", Effect.NONE),
    (S.SENT, "accepted", Effect.NONE),
    (S.SENT, "sending", Effect.NONE),
    (S.SENT, "scheduled", Effect.NONE),
    (S.SENT, "canceled", Effect.NONE),
    (S.SENT, "no-such-status", Effect.NONE),
    # Out of order: `delivered` came first, then a late `sent` (or a duplicate) arrives.
    (S.DELIVERED, "sent", Effect.NONE),
    (S.DELIVERED, "queued", Effect.NONE),
    (S.DELIVERED, "delivered", Effect.NONE),
    (S.DELIVERED, "undelivered", Effect.NONE),
    (S.DELIVERED, "failed", Effect.NONE),
    # Already moved to the next channel (waiting, or being sent there): stale reports.
    (S.PLANNED, "undelivered", Effect.NONE),
    (S.PLANNED, "delivered", Effect.NONE),
    (S.PLANNED, "sent", Effect.NONE),
    (S.SENDING, "undelivered", Effect.NONE),
    (S.SENDING, "delivered", Effect.NONE),
    # Finished one way or another: nothing changes any more.
    (S.FAILED, "delivered", Effect.NONE),
    (S.FAILED, "undelivered", Effect.NONE),
    (S.UNDELIVERED, "delivered", Effect.NONE),
    (S.SUPERSEDED, "delivered", Effect.NONE),
    (S.UNKNOWN, "delivered", Effect.NONE),
]


@pytest.mark.parametrize(("state", "status", "effect"), TABLE)
def test_a_report_never_moves_a_delivery_backwards(
    state: DeliveryState, status: str, effect: Effect
) -> None:
    assert effect_of(state, status) == effect


@pytest.mark.parametrize(
    ("route_index", "route_count", "state", "next_index"),
    [
        (0, 3, S.PLANNED, 1),
        (1, 3, S.PLANNED, 2),
        (2, 3, S.FAILED, 2),
        (0, 1, S.FAILED, 0),
    ],
)
def test_undelivered_goes_to_the_next_channel_or_fails(
    route_index: int, route_count: int, state: DeliveryState, next_index: int
) -> None:
    fallback = fallback_after_undelivered(route_index=route_index, route_count=route_count)
    assert (fallback.state, fallback.route_index) == (state, next_index)
