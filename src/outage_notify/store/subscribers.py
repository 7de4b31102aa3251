"""Reads and writes of self-subscription: codes sent, subscribers confirmed and removed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from outage_notify.contacts.subscribers import Subscriber
from outage_notify.store.subscriber_tables import SubscriberRow, SubscriptionCodeRow


def add_code(
    session: Session,
    *,
    phone: str,
    code_hash: str,
    locale: str,
    components: Sequence[str],
    client: str,
    sent_at: datetime,
    lifetime: timedelta,
) -> SubscriptionCodeRow:
    """Record a code about to be sent (before the SMS: a crash never sends an unrecorded one)."""
    row = SubscriptionCodeRow(
        phone=phone,
        code_hash=code_hash,
        locale=locale,
        components=list(components),
        client=client[:64],
        sent_at=sent_at,
        expires_at=sent_at + lifetime,
        tries=0,
    )
    session.add(row)
    session.flush()
    return row


def last_code_at(session: Session, phone: str) -> datetime | None:
    """When `phone` was last sent a code."""
    return session.scalar(
        select(func.max(SubscriptionCodeRow.sent_at)).where(SubscriptionCodeRow.phone == phone)
    )


def codes_since(session: Session, since: datetime) -> int:
    """How many codes were sent from `since` on (the daily budget)."""
    found = session.scalar(
        select(func.count())
        .select_from(SubscriptionCodeRow)
        .where(SubscriptionCodeRow.sent_at >= since)
    )
    return int(found or 0)


def latest_code(session: Session, phone: str) -> SubscriptionCodeRow | None:
    """The newest code sent to `phone`, locked: only it can confirm."""
    return session.scalars(
        select(SubscriptionCodeRow)
        .where(SubscriptionCodeRow.phone == phone)
        .order_by(SubscriptionCodeRow.sent_at.desc(), SubscriptionCodeRow.id.desc())
        .limit(1)
        .with_for_update()
    ).first()


def subscribe(
    session: Session, *, phone: str, locale: str, components: Sequence[str], at: datetime
) -> SubscriberRow:
    """Add the subscriber, or update its language and components when it already is one."""
    row = session.scalars(select(SubscriberRow).where(SubscriberRow.phone == phone)).first()
    if row is None:
        try:
            # Two confirmations at once: the second waits on the unique phone, then updates.
            with session.begin_nested():
                row = SubscriberRow(
                    phone=phone, locale=locale, components=list(components), subscribed_at=at
                )
                session.add(row)
            return row
        except IntegrityError:
            row = session.scalars(select(SubscriberRow).where(SubscriberRow.phone == phone)).one()
    row.locale = locale
    row.components = list(components)
    session.flush()
    return row


def get(session: Session, subscriber_id: int) -> SubscriberRow | None:
    return session.get(SubscriberRow, subscriber_id)


def by_phone(session: Session, phone: str) -> SubscriberRow | None:
    return session.scalars(select(SubscriberRow).where(SubscriberRow.phone == phone)).first()


def listed(session: Session, *, limit: int | None = None, offset: int = 0) -> list[SubscriberRow]:
    """Subscribers, oldest first."""
    query = select(SubscriberRow).order_by(SubscriberRow.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(SubscriberRow)) or 0)


def remove(session: Session, subscriber_id: int) -> bool:
    """Delete one subscriber; True when there was one."""
    result = session.execute(delete(SubscriberRow).where(SubscriberRow.id == subscriber_id))
    return bool(getattr(result, "rowcount", 0))


def remove_phone(session: Session, phone: str) -> bool:
    """Delete the subscriber with this number (a STOP); True when there was one."""
    result = session.execute(delete(SubscriberRow).where(SubscriberRow.phone == phone))
    return bool(getattr(result, "rowcount", 0))


def following(session: Session, components: Sequence[str]) -> list[Subscriber]:
    """Every subscriber an incident affecting `components` concerns."""
    found = (as_subscriber(row) for row in session.scalars(select(SubscriberRow)))
    return [subscriber for subscriber in found if subscriber.follows(components)]


def as_subscriber(row: SubscriberRow) -> Subscriber:
    return Subscriber(
        id=row.id, phone=row.phone, locale=row.locale, components=tuple(row.components or ())
    )
