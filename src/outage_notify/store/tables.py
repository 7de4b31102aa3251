"""The database tables. The database is the truth; Redis only carries work.

Alembic migrations in `store/migrations/` create exactly these; a test checks they agree. This
module holds the incident flow's tables (events, incidents, timeline, updates, messages,
deliveries and their attempts, ETAs, action items, probes) and re-exports the rest: their base
and column types (`store.columns`), the inbound records (`store.inbound_tables`) and the
notification clock's (`store.clock_tables`), self-subscription's (`store.subscriber_tables`)
and scheduled maintenance's (`store.maintenance_tables`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from outage_notify.core import field_limits as limits
from outage_notify.core.records import StoredRoute, UpdateScope
from outage_notify.store.clock_tables import NotificationNoticeRow as NotificationNoticeRow
from outage_notify.store.clock_tables import NotificationReminderRow as NotificationReminderRow
from outage_notify.store.clock_tables import PersonalDataMarkRow as PersonalDataMarkRow
from outage_notify.store.columns import NAMING as NAMING
from outage_notify.store.columns import Base as Base
from outage_notify.store.columns import Id as Id
from outage_notify.store.columns import UTCDateTime as UTCDateTime
from outage_notify.store.columns import utcnow as utcnow
from outage_notify.store.inbound_tables import AuditRow as AuditRow
from outage_notify.store.inbound_tables import InboundMessageRow as InboundMessageRow
from outage_notify.store.inbound_tables import SeenSignatureRow as SeenSignatureRow
from outage_notify.store.inbound_tables import SmsOptOutRow as SmsOptOutRow
from outage_notify.store.maintenance_tables import MaintenanceRow as MaintenanceRow
from outage_notify.store.maintenance_tables import MaintenanceStepRow as MaintenanceStepRow
from outage_notify.store.maintenance_tables import (
    MaintenanceTimelineRow as MaintenanceTimelineRow,
)
from outage_notify.store.subscriber_tables import SubscriberRow as SubscriberRow
from outage_notify.store.subscriber_tables import SubscriptionCodeRow as SubscriptionCodeRow
from outage_notify.store.voice_tables import VoiceCallRow as VoiceCallRow


class EventRow(Base):
    """An accepted signal: committed before the API answers 2xx."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(limits.SOURCE))
    # Events of one service are applied in id order under a per-service lock.
    service: Mapped[str] = mapped_column(String(limits.SERVICE), default="email")
    dedup_key: Mapped[str] = mapped_column(String(limits.DEDUP_KEY), unique=True)
    kind: Mapped[str] = mapped_column(String(40))  # alert | staff_declare | staff_update | ...
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id"), nullable=True, index=True
    )
    actor: Mapped[str] = mapped_column(String(limits.ACTOR), default="system")
    # pending -> applied, or -> failed (its content cannot be applied; staff may retry it).
    # `processed_at` is set on both outcomes: a failed event is not pending, so neither the
    # sweeper nor a later event of the service waits for it.
    state: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    # The last failure: exception class and message, never the payload or a statement.
    error: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Times applying it ran to an outcome (applied or failed); a transient error does not count.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When the incident lead was told of this failure (at most one notice an hour, all events).
    lead_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the alert says the problem began (Alertmanager startsAt, generic started_at...),
    # set when the event is applied: the report's time to detect is measured from it.
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        Index("ix_events_unprocessed", "processed_at", "received_at"),
        Index("ix_events_state", "state"),
    )


class IncidentRow(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    service: Mapped[str] = mapped_column(String(limits.SERVICE))
    title: Mapped[str] = mapped_column(String(limits.TITLE))
    # What the status page calls it, set by staff; "" means the templates' public words.
    # The title above comes from alert text and is never public.
    public_title: Mapped[str] = mapped_column(String(limits.TITLE), default="", server_default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(20))
    phase: Mapped[str] = mapped_column(String(20), index=True)
    components: Mapped[list[str]] = mapped_column(JSON, default=list)
    active_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    # audience -> tag filters it was told under; resolution goes to everyone who was told.
    notified_audiences: Mapped[dict[str, list[dict[str, str]]]] = mapped_column(JSON, default=dict)
    eta: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(limits.ACTOR), default="system")
    # The contact id of the incident lead: reminded when an ETA or a promised update slips.
    lead: Mapped[str] = mapped_column(String(limits.LEAD), default="", server_default="")
    root_cause: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The deadline (ETA or next update) the lead was last reminded of: one reminder each.
    reminded_for: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Consecutive passing mail round trips while verifying.
    verify_passes: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Every alert group cleared then: resolved after RESOLVE_HOLD_SECONDS unless one fires.
    alerts_clear_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Staff withdrew it as a mistake: off the public page, feed and history; the report keeps it.
    retracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # core.models.CauseCategory; "unknown" until staff say.
    cause_category: Mapped[str] = mapped_column(
        String(20), default="unknown", server_default="unknown"
    )
    # First set to something other than unknown then: the report's time to identify.
    cause_identified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # In security mode since then (docs/concepts/security-mode.md); never left once entered.
    security_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class IncidentRevisionRow(Base):
    """One staff correction of an incident's record, appended, never updated: the old and
    the new value of one field (cause, title, action items...). The incident row holds the
    current value; in security mode these rows are the evidence of every change."""

    __tablename__ = "incident_revisions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(limits.ACTOR))
    # "title", "cause_category", "action_item:3.owner", ...
    field: Mapped[str] = mapped_column(String(60))
    old: Mapped[Any] = mapped_column(JSON, nullable=True)
    new: Mapped[Any] = mapped_column(JSON, nullable=True)


class TimelineRow(Base):
    """Everything that happened to an incident, in order, with who did it."""

    __tablename__ = "timeline"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(limits.ACTOR))
    kind: Mapped[str] = mapped_column(String(40))  # alert | transition | update | note | ...
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class PhaseTransitionRow(Base):
    """One change of an incident's phase, written where decisions are saved; the report's
    phase stretches come from these rows, never from timeline text."""

    __tablename__ = "phase_transitions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    # None when the incident was opened in `to_phase`.
    from_phase: Mapped[str | None] = mapped_column(String(20), nullable=True)
    to_phase: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(limits.ACTOR))


class UpdateRow(Base):
    """One communication to stakeholders."""

    __tablename__ = "updates"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    # core.models.UpdateKind ("maintenance_completed" is 21 characters).
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text, default="")
    phase: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(20))
    components: Mapped[list[str]] = mapped_column(JSON, default=list)
    eta: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The ETA in force before this update: templates say "new estimate (was ...)" only when
    # there was one, and announce the first as an estimate.
    eta_previous: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_update_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    audiences: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(limits.ACTOR), default="system")
    # Set in the same transaction that writes the update's deliveries: planning runs once.
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Contact ids told directly instead of audiences (reminders to the incident lead).
    recipients: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    # Opened, resolved, reopened or a new phase: exempt from per-recipient SMS budgets.
    phase_change: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Its message may be shown on the status page and feed: staff text meant for everyone.
    # False for automatic text (built from alert labels) and when staff said `"public": false`.
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Its message was written by staff, so partners' templates show it too; automatic text
    # (alert labels, probes) stays out of partners' messages.
    staff_text: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Staff changed the affected components with it: {"added": [...], "restored": [...]}.
    scope: Mapped[UpdateScope | None] = mapped_column(JSON, nullable=True)
    # The configuration snapshot (contacts and templates, messages/snapshot.py) it was planned
    # with; None until planned, and for updates planned before snapshots had a hash.
    config_hash: Mapped[str | None] = mapped_column(String(16), nullable=True)


class MessageRow(Base):
    """A body rendered once per (update, audience, channel, locale, readers' time zone)."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("updates.id"))
    audience: Mapped[str] = mapped_column(String(limits.AUDIENCE))
    channel: Mapped[str] = mapped_column(String(20))
    locale: Mapped[str] = mapped_column(String(20))
    # The IANA zone its times are written in; "" for the organisation's (OUTAGE_NOTIFY_TIMEZONE).
    timezone: Mapped[str] = mapped_column(String(limits.TIMEZONE), default="", server_default="")
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    encoding: Mapped[str] = mapped_column(String(10), default="")
    segments: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        UniqueConstraint(
            "update_id", "audience", "channel", "locale", "timezone", name="uq_messages_key"
        ),
    )


class DeliveryRow(Base):
    """One update to one recipient; the unique key makes 'one message per update' hold."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("updates.id"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    audience: Mapped[str] = mapped_column(String(limits.AUDIENCE))
    recipient_key: Mapped[str] = mapped_column(String(300))
    recipient_name: Mapped[str] = mapped_column(String(200))
    recipient_kind: Mapped[str] = mapped_column(String(20), default="contact")
    locale: Mapped[str] = mapped_column(String(20))
    # The zone the recipient reads times in ("" the organisation's): picks its message.
    timezone: Mapped[str] = mapped_column(String(limits.TIMEZONE), default="", server_default="")
    # [{"channel": "sms", "address": "+55..."}, ...] in preference order.
    routes: Mapped[list[StoredRoute]] = mapped_column(JSON)
    route_index: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(20), default="planned")
    attempts_on_route: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the first attempt on the current route went out: the route's retry clock.
    route_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Since when the outcome has been unknown (reconciliation gives up after a while).
    unknown_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The worker process that claimed it (worker/heartbeat.py); "" when it could not beat.
    claimed_by: Mapped[str] = mapped_column(String(100), default="", server_default="")
    channel: Mapped[str] = mapped_column(String(20), default="")
    # Indexed: provider delivery reports (Twilio status callbacks) find the delivery by it.
    provider_id: Mapped[str] = mapped_column(String(limits.PROVIDER_ID), default="", index=True)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Two-way: the audience asks its members to acknowledge (routing `acknowledge` rules).
    ack_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Who acknowledged, when and how (sms: a reply, slack: the button); set on every
    # unacknowledged delivery of the recipient in the incident, since one "OK" means they have
    # seen the news.
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acked_via: Mapped[str] = mapped_column(String(20), default="", server_default="")
    acked_by: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # When the recipient was last re-notified on its next channel for want of an acknowledgement.
    renotified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Every channel tried without an acknowledgement: "call by phone"; the lead was told.
    unreached_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Sent instead of the update's message when set: a digest of news held by the recipient
    # cap, alone (a released digest) or after a resolution that carries it.
    digest_body: Mapped[str] = mapped_column(Text, default="", server_default="")

    __table_args__ = (
        UniqueConstraint("update_id", "recipient_key", name="uq_deliveries_recipient"),
        Index("ix_deliveries_state", "state", "updated_at"),
        # Coalescing looks up a recipient's other deliveries in the incident.
        Index("ix_deliveries_incident_recipient", "incident_id", "recipient_key"),
        # The recipient cap counts a person's recent sends over all incidents: by person, then
        # by last change, so a batch reads the hour's deliveries, not the person's history.
        Index("ix_deliveries_recipient_recent", "recipient_key", "updated_at"),
    )


class AttemptRow(Base):
    """One try of one delivery on one channel."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # sent | dry_run | transient | permanent | unknown
    outcome: Mapped[str] = mapped_column(String(20))
    provider_id: Mapped[str] = mapped_column(String(100), default="")
    error_code: Mapped[str] = mapped_column(String(100), default="")
    error_text: Mapped[str] = mapped_column(Text, default="")

    # An inbound SMS reply finds the delivery it answers by the number it was sent to.
    __table_args__ = (Index("ix_delivery_attempts_channel_address", "channel", "address"),)


class EtaRow(Base):
    """Every ETA an incident was given: when, by whom, and for when."""

    __tablename__ = "eta_history"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    eta: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    set_by: Mapped[str] = mapped_column(String(limits.ACTOR))
    announced: Mapped[bool] = mapped_column(Boolean, default=False)


class ActionItemRow(Base):
    """A follow-up from the post-incident analysis."""

    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(limits.OWNER), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(limits.ACTOR))
    # open | done (PATCH /api/v1/incidents/{id}/action-items/{item}).
    status: Mapped[str] = mapped_column(String(10), default="open", server_default="open")


class ProbeRow(Base):
    """One mail round trip (SMTP send, IMAP receive)."""

    __tablename__ = "probe_results"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    stage: Mapped[str] = mapped_column(String(40))
    error: Mapped[str] = mapped_column(Text, default="")
    smtp_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    imap_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    total_seconds: Mapped[float] = mapped_column(Float)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True)
