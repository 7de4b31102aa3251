"""Deliveries in `sending`: who claimed them, and handing a lost claim to reconciliation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from outage_notify.core.models import DeliveryState
from outage_notify.delivery.stale_claims import Claim
from outage_notify.store.tables import DeliveryRow


def sending(session: Session, *, limit: int) -> list[Claim]:
    """Every claim in flight, oldest first; `ix_deliveries_state` (state, updated_at) serves it.

    Bounded by workers x batch size in normal operation, so it is cheap enough to run at every
    heartbeat; only the three columns the rule needs are read.
    """
    rows = session.execute(
        select(DeliveryRow.id, DeliveryRow.claimed_by, DeliveryRow.updated_at)
        .where(DeliveryRow.state == DeliveryState.SENDING.value)
        .order_by(DeliveryRow.updated_at, DeliveryRow.id)
        .limit(limit)
    ).all()
    return [Claim(delivery_id=i, owner=owner or "", since=at) for i, owner, at in rows]


def mark_unknown(session: Session, claims: Sequence[Claim], *, now: datetime) -> list[int]:
    """Claims whose worker is gone: their outcome is unknown until reconciled.

    Only if the claim is still the one judged (same owner, not touched since): the worker may
    have recorded its outcome meanwhile, and another may have claimed the row again since.
    Returns the ids that moved.
    """
    by_owner: dict[str, list[Claim]] = {}
    for claim in claims:
        by_owner.setdefault(claim.owner, []).append(claim)
    moved: list[int] = []
    # One statement per owner (a crash leaves one or a few): RETURNING gives what moved.
    for owner, group in by_owner.items():
        moved += session.scalars(
            update(DeliveryRow)
            .where(
                DeliveryRow.id.in_([c.delivery_id for c in group]),
                DeliveryRow.state == DeliveryState.SENDING.value,
                DeliveryRow.claimed_by == owner,
                DeliveryRow.updated_at <= max(c.since for c in group),
            )
            .values(state=DeliveryState.UNKNOWN.value, updated_at=now)
            .returning(DeliveryRow.id)
            .execution_options(synchronize_session=False)
        ).all()
    return sorted(moved)
