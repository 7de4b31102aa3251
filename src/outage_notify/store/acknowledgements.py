"""Acknowledgements, SMS opt-outs and inbound messages in the database.

An acknowledgement is recorded on the delivery it answers *and* on every other unacknowledged
delivery of the same recipient in the same incident: one "OK" means the person has seen the
news, whichever message they answered. Matching an SMS reply to a delivery goes through the
attempts table (the numbers we texted): the newest delivery to that number still waiting for an
acknowledgement wins, so a notice to the incident lead or the news of an older incident texted
since does not swallow the answer. A number shared by two contacts credits the one whose message
is chosen that way (in practice the one texted most recently), whoever actually replied.

Twilio hands a text over before its API call returns to our worker, so a quick reader's "OK" can
reach us before the worker has written that the text was sent: it is kept as from a number we
never texted, and matched again when that send is recorded (`acknowledge_early_replies`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from outage_notify.core.models import ChannelName
from outage_notify.messages.planning import STAFF
from outage_notify.store.batch_sql import any_of
from outage_notify.store.engine import add_unless_duplicate
from outage_notify.store.incidents import add_timeline
from outage_notify.store.tables import (
    AttemptRow,
    DeliveryRow,
    InboundMessageRow,
    SmsOptOutRow,
)

# What an SMS reply and a Slack button record as `acked_via`.
VIA_SMS, VIA_SLACK = "sms", "slack"
# `handled_as` of an inbound message kept before it is acted on (see `claim_inbound`).
RECEIVED = "received"
# `handled_as` of a reply from a number no recorded send went to (yet).
IGNORED = "ignored"


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
    """The delivery an SMS reply from `phone` answers, among those we texted it (a sent attempt).

    The newest one still waiting for an acknowledgement (asked, not acknowledged, not given up
    on); else the newest stakeholder message; else the newest at all, e.g. the lead's own
    reminder (its key is `staff:...`), which asks nothing.
    """
    staff = DeliveryRow.recipient_key.startswith(f"{STAFF}:")
    waiting = and_(
        DeliveryRow.ack_required.is_(True),
        DeliveryRow.acked_at.is_(None),
        DeliveryRow.unreached_at.is_(None),
        ~staff,
    )
    return session.scalars(
        select(DeliveryRow)
        .join(AttemptRow, AttemptRow.delivery_id == DeliveryRow.id)
        .where(
            # A reply from the number answers our newest text to it, SMS or WhatsApp.
            AttemptRow.channel.in_((ChannelName.SMS.value, ChannelName.WHATSAPP.value)),
            AttemptRow.address == phone,
            AttemptRow.outcome == "sent",
        )
        .order_by(case((waiting, 0), (staff, 2), else_=1), AttemptRow.id.desc())
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
        add_timeline(
            session,
            row.incident_id,
            at=at,
            actor=row.recipient_name[:100],
            kind="acknowledged",
            text=f"{row.recipient_name} ({row.audience}) acknowledged by {via}",
            data={"delivery_id": row.id, "via": via, "audience": row.audience},
        )
    return Acknowledged(
        delivery_id=row.id,
        incident_id=row.incident_id,
        recipient_key=row.recipient_key,
        recipient_name=row.recipient_name,
        audience=row.audience,
        newly_acked=newly,
    )


def acknowledge_by_phone(
    session: Session, phone: str, *, at: datetime, via: str = VIA_SMS
) -> Acknowledged | None:
    """An SMS (or WhatsApp) reply from `phone`: acknowledge the delivery it answers, if we
    texted it."""
    row = latest_sms_delivery(session, phone)
    if row is None:
        return None
    return acknowledge(session, row, via=via, by=phone, at=at)


def acknowledge_early_replies(
    session: Session, sent: Sequence[tuple[str, datetime]]
) -> list[Acknowledged]:
    """Act on replies that came before their text's send was recorded; `sent` holds the phone
    and start time of each SMS just recorded as sent, in the same transaction.

    A reply kept as `ignored` from one of those phones, received after that send started,
    answered it: it acknowledges now, as it would have had it come a moment later. (The
    confirmation text the webhook answers with is not sent for it: that answer is long gone.)
    """
    started: dict[str, datetime] = {}
    for phone, at in sent:
        started[phone] = min(at, started.get(phone, at))
    if not started:
        return []
    rows = session.scalars(
        select(InboundMessageRow)
        .where(
            InboundMessageRow.channel.in_((ChannelName.SMS.value, ChannelName.WHATSAPP.value)),
            InboundMessageRow.handled_as == IGNORED,
            InboundMessageRow.at >= min(started.values()),
            any_of(session, InboundMessageRow.sender, sorted(started)),
        )
        .order_by(InboundMessageRow.id)
    ).all()
    matched: list[Acknowledged] = []
    for row in rows:
        if row.at < started[row.sender]:
            continue
        acked = acknowledge_by_phone(session, row.sender, at=row.at)
        if acked is None:
            continue
        settle_inbound(
            session,
            row.id,
            handled_as="ack" if acked.newly_acked else "reply",
            identity=acked.recipient_key,
            delivery_id=acked.delivery_id,
            incident_id=acked.incident_id,
            result="acknowledged once its text was recorded as sent"
            if acked.newly_acked
            else "already acknowledged",
        )
        matched.append(acked)
    return matched


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
    # Two STOPs at once: the second waits on the unique phone, then finds it taken.
    return add_unless_duplicate(session, SmsOptOutRow(phone=phone, keyword=keyword[:20], at=at))


def opt_in(session: Session, phone: str) -> bool:
    """Record a START; True when the number had opted out."""
    result = session.execute(delete(SmsOptOutRow).where(SmsOptOutRow.phone == phone))
    return bool(getattr(result, "rowcount", 0))


def opted_out(session: Session, phones: Iterable[str]) -> set[str]:
    """Which of `phones` texted STOP (and not START since)."""
    wanted = set(phones)
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(SmsOptOutRow.phone).where(any_of(session, SmsOptOutRow.phone, wanted))
        )
    )


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


def claim_inbound(
    session: Session, *, at: datetime, channel: str, sender: str, body: str, provider_id: str
) -> InboundMessageRow | None:
    """Keep an inbound message before acting on it; None when its provider id was kept before.

    A provider retries a webhook it got no answer to, and a signed request can be replayed:
    the same message id again is the same message, to be acted on once. The partial unique
    index on (channel, provider_id) settles two copies arriving at once: the second waits for
    the first to commit, then fails to insert and counts as the duplicate. The row says
    `received` until `settle_inbound` records what the message did.
    """
    provider_id = provider_id[:100]
    if provider_id:
        seen = select(InboundMessageRow.id).where(
            InboundMessageRow.channel == channel, InboundMessageRow.provider_id == provider_id
        )
        if session.scalars(seen).first() is not None:
            return None
    try:
        with session.begin_nested():
            row = record_inbound(
                session,
                at=at,
                channel=channel,
                sender=sender,
                body=body,
                handled_as=RECEIVED,
                provider_id=provider_id,
            )
    except IntegrityError:
        return None
    return row


def settle_inbound(
    session: Session,
    inbound_id: int,
    *,
    handled_as: str,
    identity: str = "",
    delivery_id: int | None = None,
    incident_id: int | None = None,
    result: str = "",
) -> None:
    """Record what a claimed inbound message did."""
    session.execute(
        update(InboundMessageRow)
        .where(InboundMessageRow.id == inbound_id)
        .values(
            handled_as=handled_as,
            identity=identity[:200],
            delivery_id=delivery_id,
            incident_id=incident_id,
            result=result[:2000],
        )
        .execution_options(synchronize_session=False)
    )
