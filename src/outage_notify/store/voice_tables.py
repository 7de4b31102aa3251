"""Voice escalation's table: one row per phone call, written before the call is placed.

The unique (incident, recipient, attempt) is the exactly-once guarantee: a worker claims the
slot (`claimed`) and commits before it asks Twilio to call, so two checks racing, or a worker
that crashed after Twilio took the call, never place a second call for the same slot. A claim
that never got a call sid counts as a call that reached nobody.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from outage_notify.store.columns import Base, Id, UTCDateTime


class VoiceCallRow(Base):
    """One call (attempt) to one person about one incident."""

    __tablename__ = "voice_calls"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    # The person's newest delivery: a keypress acknowledges it, as an SMS "OK" would.
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"))
    recipient_key: Mapped[str] = mapped_column(String(300))
    attempt: Mapped[int] = mapped_column(Integer)
    phone: Mapped[str] = mapped_column(String(32))
    # incidents.voice_escalation.CallState
    state: Mapped[str] = mapped_column(String(20))
    call_sid: Mapped[str] = mapped_column(String(64), default="", index=True)
    # Twilio's AMD verdict (`human`, `machine_start`, ...); "" without one.
    answered_by: Mapped[str] = mapped_column(String(30), default="")
    error: Mapped[str] = mapped_column(String(300), default="")
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("incident_id", "recipient_key", "attempt", name="uq_voice_calls_slot"),
    )
