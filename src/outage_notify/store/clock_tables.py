"""The notification clock's tables: the personal-data mark, the notices made, the reminders sent.

Each is written once: one mark per incident, one notice per obligation, one reminder per (incident,
obligation, threshold) (the unique key makes a reminder exactly-once even when two
beat ticks run at the same time).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from outage_notify.core import field_limits as limits
from outage_notify.store.columns import Base, Id, UTCDateTime, utcnow


class PersonalDataMarkRow(Base):
    """Staff marked that personal data may be affected: the clocks run from `marked_at`."""

    __tablename__ = "personal_data_marks"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    # When staff learned of it (they may mark it later than that); the clocks count from here.
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    marked_by: Mapped[str] = mapped_column(String(limits.ACTOR))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationNoticeRow(Base):
    """A legal notice staff recorded as made: it stops that obligation's reminders."""

    __tablename__ = "notification_notices"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    obligation: Mapped[str] = mapped_column(String(limits.OBLIGATION))
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notified_by: Mapped[str] = mapped_column(String(limits.ACTOR))
    reference: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(limits.ACTOR))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("incident_id", "obligation", name="uq_notification_notices_obligation"),
    )


class NotificationReminderRow(Base):
    """One threshold of one clock reminded: written with the reminder's update, once."""

    __tablename__ = "notification_reminders"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    obligation: Mapped[str] = mapped_column(String(limits.OBLIGATION))
    threshold: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The staff update that carried it (None when there was nobody to remind).
    update_id: Mapped[int | None] = mapped_column(ForeignKey("updates.id"), nullable=True)

    __table_args__ = (
        UniqueConstraint(
            "incident_id", "obligation", "threshold", name="uq_notification_reminders_threshold"
        ),
    )
