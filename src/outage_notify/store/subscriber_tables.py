"""The tables of self-subscription: confirmed subscribers and the codes sent to confirm them.

Part of `store.tables` (which re-exports them), so the metadata and migrations see them there.
What is stored about a person: the number, the language and components chosen, when they
subscribed; for a code, the number, a hash of the code, the asking address and its times.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from outage_notify.store.columns import Base, Id, UTCDateTime, utcnow


class SubscriberRow(Base):
    """A confirmed subscriber of the `subscribers` audience; deleted when they unsubscribe."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    locale: Mapped[str] = mapped_column(String(20))
    # Component ids; empty: every component.
    components: Mapped[list[str]] = mapped_column(JSON, default=list)
    subscribed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SubscriptionCodeRow(Base):
    """One confirmation code sent by SMS: its hash, what it would subscribe, and its tries."""

    __tablename__ = "subscription_codes"
    __table_args__ = (Index("ix_subscription_codes_phone_sent_at", "phone", "sent_at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(20))
    components: Mapped[list[str]] = mapped_column(JSON, default=list)
    client: Mapped[str] = mapped_column(String(64), default="")
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    # Set once the code confirmed a subscription; a used code never confirms again.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
