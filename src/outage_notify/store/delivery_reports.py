"""Delivery reports (provider status callbacks) applied to delivery rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from outage_notify.core.models import ChannelName, DeliveryState
from outage_notify.delivery.provider_reports import (
    DeliveryReport,
    Effect,
    effect_of,
    fallback_after_undelivered,
)
from outage_notify.store.tables import AttemptRow, DeliveryRow


@dataclass(frozen=True)
class Applied:
    """What one report did; `delivery_id` is None when no delivery has that provider id."""

    delivery_id: int | None
    effect: Effect = Effect.NONE
    state: DeliveryState | None = None


def apply_report(
    session: Session, report: DeliveryReport, *, channel: ChannelName, now: datetime
) -> Applied:
    """Record `report` on the delivery whose last send on `channel` it describes."""
    if not report.provider_id:
        return Applied(None)
    # Locked, so two reports for one message (sent, delivered) apply one after the other.
    row = session.scalars(
        select(DeliveryRow)
        .where(DeliveryRow.provider_id == report.provider_id, DeliveryRow.channel == channel.value)
        .order_by(DeliveryRow.id)
        .limit(1)
        .with_for_update()
    ).first()
    if row is None:
        return Applied(None)
    effect = effect_of(DeliveryState(row.state), report.status)
    if effect == Effect.DELIVERED:
        row.state = DeliveryState.DELIVERED.value
        row.error = ""
        row.updated_at = now
    elif effect == Effect.UNDELIVERED:
        session.add(
            AttemptRow(
                delivery_id=row.id,
                channel=row.channel,
                address=row.routes[row.route_index]["address"],
                started_at=now,
                finished_at=now,
                outcome=DeliveryState.UNDELIVERED.value,
                provider_id=report.provider_id,
                error_code=report.error_code,
                error_text=report.error_text,
            )
        )
        fallback = fallback_after_undelivered(
            route_index=row.route_index, route_count=len(row.routes)
        )
        if fallback.state == DeliveryState.PLANNED:
            row.attempts_on_route = 0
            row.route_started_at = None  # the next channel's retry clock starts afresh
        row.state = fallback.state.value
        row.route_index = fallback.route_index
        row.next_attempt_at = None
        row.error = f"{report.error_code} {report.error_text}".strip()
        row.updated_at = now
    return Applied(row.id, effect, DeliveryState(row.state))
