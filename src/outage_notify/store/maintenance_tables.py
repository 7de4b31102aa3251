"""Scheduled maintenance's tables: the windows, the steps each took, and their timelines.

A step (an announcement: scheduled, a reminder, started, extended, completed) is one row under
a unique (window, key): two beat ticks that race take it once. Alerts silenced by a window go
on its timeline, not on an incident's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from outage_notify.core import field_limits as limits
from outage_notify.store.columns import Base, Id, UTCDateTime, utcnow


class MaintenanceRow(Base):
    """One window of planned work on a service (or some of its components)."""

    __tablename__ = "maintenances"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    service: Mapped[str] = mapped_column(String(limits.SERVICE))
    # Catalogue ids; empty: the whole service.
    components: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The end first announced: the status page says "extended (was 23:00)".
    planned_end: Mapped[datetime] = mapped_column(UTCDateTime)
    # What readers see on the status page and in every announcement (staff text, public).
    public_text: Mapped[str] = mapped_column(Text, default="")
    # Who hears it; None: the audiences routing selects for the service and components.
    audiences: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # Completion waits for a passing mail round trip (like an incident's verification).
    require_probes: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # maintenance.windows.WindowState
    state: Mapped[str] = mapped_column(String(20), default="scheduled", index=True)
    created_by: Mapped[str] = mapped_column(String(limits.ACTOR))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Completed or cancelled then.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Alert groups silenced and still firing: {group_key: the alert's payload}. Those left at
    # the end open a normal incident.
    firing: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The hidden incident its announcements are planned under (updates and deliveries belong
    # to an incident): retracted from birth, so never on the status page, feed or history.
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id"), nullable=True, index=True
    )


class MaintenanceStepRow(Base):
    """One announcement of a window, taken once (or counted as taken without a message)."""

    __tablename__ = "maintenance_steps"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    maintenance_id: Mapped[int] = mapped_column(ForeignKey("maintenances.id"), index=True)
    # "scheduled", "reminder_24", "started", "extended_1", "completed"
    key: Mapped[str] = mapped_column(String(40))
    # maintenance.windows.StepKind
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # False: counted as taken without a message (a reminder overtaken by a later one).
    announced: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (UniqueConstraint("maintenance_id", "key", name="uq_maintenance_steps_key"),)


class MaintenanceTimelineRow(Base):
    """Everything that happened to a window, in order, with who did it."""

    __tablename__ = "maintenance_timeline"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    maintenance_id: Mapped[int] = mapped_column(ForeignKey("maintenances.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(limits.ACTOR))
    # scheduled | step | alert | extended | completed | cancelled | incident
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
