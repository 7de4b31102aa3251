"""The tables of what came in from outside the incident flow: staff actions (the audit log),
webhook signatures already seen, SMS opt-outs and inbound messages.

Part of `store.tables` (which re-exports them), so the metadata and migrations see them there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from outage_notify.core import field_limits as limits
from outage_notify.store.columns import Base, Id, UTCDateTime, utcnow


class AuditRow(Base):
    """One staff action, written in the transaction that did it. Append-only.

    Nothing in the code updates or deletes these rows (`store/audit.py` only inserts and
    reads); operators can enforce it with `REVOKE UPDATE, DELETE ON audit_log` for the role the
    service connects as. There is no foreign key to incidents: the record outlives any purge.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(limits.ACTOR))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    incident_id: Mapped[int | None] = mapped_column(Id, nullable=True, index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    client: Mapped[str] = mapped_column(String(limits.CLIENT), default="")


class SeenSignatureRow(Base):
    """A webhook signature already accepted: the same one again is a replay.

    Kept only as long as its timestamp could still pass the freshness window.
    """

    __tablename__ = "seen_signatures"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    signature: Mapped[str] = mapped_column(String(128))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    __table_args__ = (
        UniqueConstraint("source", "signature", name="uq_seen_signatures_source_signature"),
    )


class SmsOptOutRow(Base):
    """A number that texted STOP: no SMS goes to it until it texts START.

    Twilio already blocks sends to it (error 21610); keeping our own record lets deliveries
    skip straight to the contact's next channel instead of spending an attempt.
    """

    __tablename__ = "sms_opt_outs"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    phone: Mapped[str] = mapped_column(String(40), unique=True)
    keyword: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboundMessageRow(Base):
    """A message someone sent us (an SMS reply, a Slack button or slash command), and what
    it did. Kept for the incident's record; the text is untrusted input."""

    __tablename__ = "inbound_messages"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    channel: Mapped[str] = mapped_column(String(20))  # sms | slack
    # The phone number or Slack user id it came from.
    sender: Mapped[str] = mapped_column(String(limits.SENDER))
    body: Mapped[str] = mapped_column(Text, default="")
    # The provider's id of the message (Twilio's MessageSid); "" when it has none (Slack).
    provider_id: Mapped[str] = mapped_column(String(limits.PROVIDER_ID), default="")
    # ack | opt_out | opt_in | help | command | reply | ignored | refused; `received` while
    # it is being acted on.
    handled_as: Mapped[str] = mapped_column(String(20))
    # Who the sender is to us: a contact id or a staff name, if known.
    identity: Mapped[str] = mapped_column(String(200), default="")
    delivery_id: Mapped[int | None] = mapped_column(Id, nullable=True)
    incident_id: Mapped[int | None] = mapped_column(Id, nullable=True, index=True)
    result: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        # A retried or replayed webhook brings the same message id again: it is kept, and
        # acted on, once. Partial, so messages without an id are never compared.
        Index(
            "uq_inbound_messages_channel_provider_id",
            "channel",
            "provider_id",
            unique=True,
            postgresql_where=sql_text("provider_id <> ''"),
            sqlite_where=sql_text("provider_id <> ''"),
        ),
    )
