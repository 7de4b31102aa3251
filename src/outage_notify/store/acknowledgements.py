"""Acknowledgements, SMS opt-outs and inbound messages in the database.

An acknowledgement is recorded on the delivery it answers *and* on every other unacknowledged
delivery of the same recipient in the same incident: one "OK" means the person has seen the
news, whichever message they answered. Matching an SMS reply to a delivery goes through the
attempts table (the number we last texted), so a number shared by two contacts credits the one
texted most recently.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from outage_notify.models import ChannelName
from outage_notify.store.tables import (
    AttemptRow,
    DeliveryRow,
    InboundMessageRow,
    SmsOptOutRow,
    TimelineRow,
)

# What an SMS reply, a Slack button and a staff action through the API record as `acked_via`.
VIA_SMS, VIA_SLACK, VIA_API = "sms", "slack", "api"


@dataclass(frozen=True)
class Acknowledged:
    """The delivery an acknowledgement matched, and what it changed."""

    delivery_id: int
    incident_id: int
    recipient_key: str
    recipient_name: str
    audience: str
    # Deliveries newly marked acknowledged (0: the recipient had already acknowledged).
    newly_acked: int


def latest_sms_delivery(session: Session, phone: str) -> DeliveryRow | None:
    """The delivery we most recently texted `phone` for (a sent attempt), if any."""
    return session.scalars(
        select(DeliveryRow)
        .join(AttemptRow, AttemptRow.delivery_id == DeliveryRow.id)
        .where(
            AttemptRow.channel == ChannelName.SMS.value,
            AttemptRow.address == phone,
            AttemptRow.outcome == "sent",
        )
        .order_by(AttemptRow.id.desc())
        .limit(1)
    ).first()


def acknowledge(
    session: Session, row: DeliveryRow, *, via: str, by: str, at: datetime
) -> Acknowledged:
    """Record that the recipient of `row` has seen the incident's news."""
    result = session.execute(
        update(DeliveryRow)
        .where(
            DeliveryRow.incident_id == row.incident_id,
            DeliveryRow.recipient_key == row.recipient_key,
            DeliveryRow.acked_at.is_(None),
            # Only what they can have seen: deliveries up to the one they answered.
            DeliveryRow.update_id <= row.update_id,
        )
        .values(acked_at=at, acked_via=via, acked_by=by[:200])
        .execution_options(synchronize_session=False)
    )
    newly = int(getattr(result, "rowcount", 0) or 0)
    if newly:
        session.add(
            TimelineRow(
                incident_id=row.incident_id,
                at=at,
                actor=row.recipient_name[:100],
                kind="acknowledged",
                text=f"{row.recipient_name} ({row.audience}) acknowledged by {via}",
                data={"delivery_id": row.id, "via": via, "audience": row.audience},
            )
        )
    return Acknowledged(
        delivery_id=row.id,
        incident_id=row.incident_id,
        recipient_key=row.recipient_key,
        recipient_name=row.recipient_name,
        audience=row.audience,
        newly_acked=newly,
    )


def acknowledge_by_phone(session: Session, phone: str, *, at: datetime) -> Acknowledged | None:
    """An SMS reply from `phone`: acknowledge the delivery it answers, if we texted it."""
    row = latest_sms_delivery(session, phone)
    if row is None:
        return None
    return acknowledge(session, row, via=VIA_SMS, by=phone, at=at)


def acknowledge_slack(
    session: Session, delivery_id: int, *, user: str, channel: str, at: datetime
) -> Acknowledged | None:
    """A press of the Acknowledge button on delivery `delivery_id` by Slack `user`.

    Only the person the message was for may acknowledge it: the delivery must have a Slack
    route addressed to that user, or to the conversation the button was pressed in (a DM or a
    private channel given as the contact's address). Anyone else gets None.
    """
    row = session.get(DeliveryRow, delivery_id)
    if row is None or row.recipient_kind != "contact":
        return None
    addresses = {r["address"] for r in row.routes if r["channel"] == ChannelName.SLACK.value}
    if not addresses & {user, channel}:
        return None
    return acknowledge(session, row, via=VIA_SLACK, by=user, at=at)


def opt_out(session: Session, phone: str, *, keyword: str, at: datetime) -> bool:
    """Record a STOP; True when the number was not opted out before."""
    if session.scalars(select(SmsOptOutRow).where(SmsOptOutRow.phone == phone)).first():
        return False
    session.add(SmsOptOutRow(phone=phone, keyword=keyword[:20], at=at))
    return True


def opt_in(session: Session, phone: str) -> bool:
    """Record a START; True when the number had opted out."""
    result = session.execute(delete(SmsOptOutRow).where(SmsOptOutRow.phone == phone))
    return bool(getattr(result, "rowcount", 0))


def opted_out(session: Session, phones: Iterable[str]) -> set[str]:
    """Which of `phones` texted STOP (and not START since)."""
    wanted = set(phones)
    if not wanted:
        return set()
    return set(session.scalars(select(SmsOptOutRow.phone).where(SmsOptOutRow.phone.in_(wanted))))


def record_inbound(
    session: Session,
    *,
    at: datetime,
    channel: str,
    sender: str,
    body: str,
    handled_as: str,
    provider_id: str = "",
    identity: str = "",
    delivery_id: int | None = None,
    incident_id: int | None = None,
    result: str = "",
) -> InboundMessageRow:
    """Keep an inbound message and what it did (the text is stored, never executed)."""
    row = InboundMessageRow(
        at=at,
        channel=channel,
        sender=sender[:200],
        body=body[:2000],
        provider_id=provider_id[:100],
        handled_as=handled_as,
        identity=identity[:200],
        delivery_id=delivery_id,
        incident_id=incident_id,
        result=result[:2000],
    )
    session.add(row)
    return row
