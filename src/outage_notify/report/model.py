"""The post-incident report (SOP step 6) as typed data: what `report.build_report` returns.

Durations are seconds (floats) so the JSON form needs no duration parser; times are UTC.
Every figure is derived from stored rows; the `*_basis` / `*_source` fields say which rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from outage_notify.report.calls import CallFigure
from outage_notify.report.notifications import NotificationsPart
from outage_notify.report.security import CauseSummary, SecuritySection

DetectBasis = Literal["alert_starts_at", "opened_at"]
PhaseBasis = Literal["transitions", "timeline", "updates", "none"]
EtaSource = Literal["eta_history", "updates", "none"]
EtaOutcome = Literal["early", "on_time", "late", "overrun", "open", "cleared"]


class AudienceReach(BaseModel):
    """Who one audience's deliveries went to."""

    audience: str
    contacts: int = Field(description="Distinct contacts with at least one delivery.")
    broadcasts: int = Field(description="Distinct broadcast targets (Slack channels, URLs).")
    messages: int = Field(description="Delivery rows: one per recipient per update.")


class Summary(BaseModel):
    incident_id: int
    title: str
    summary: str
    service: str
    severity: str
    phase: str
    components: list[str]
    lead: str
    opened_at: datetime
    resolved_at: datetime | None
    retracted_at: datetime | None = Field(
        default=None,
        description="Staff withdrew it as a mistake (then `phase` reads `retracted`); it is off "
        "the public page but kept here.",
    )
    audiences_told: list[str] = Field(description="Audiences with at least one message sent.")
    recipients: list[AudienceReach]
    total_contacts: int
    total_messages: int


class FirstMessage(BaseModel):
    audience: str
    sent_at: datetime | None
    seconds_after_open: float | None


class Timings(BaseModel):
    outage_started_at: datetime = Field(
        description="The earliest alert startsAt, or opened_at when no alert carried one."
    )
    detect_basis: DetectBasis
    time_to_detect_seconds: float = Field(description="opened_at - outage_started_at.")
    time_to_resolve_seconds: float | None = Field(description="resolved_at - opened_at.")
    outage_duration_seconds: float | None = Field(description="resolved_at - outage_started_at.")
    first_message: list[FirstMessage]


class PhaseSpan(BaseModel):
    phase: str
    start: datetime
    end: datetime
    seconds: float
    ongoing: bool = Field(description="Still in this phase when the report was built.")


class PhaseDuration(BaseModel):
    phase: str
    seconds: float
    visits: int


class TimelineItem(BaseModel):
    at: datetime
    actor: str
    kind: str
    text: str
    public: bool = Field(description="Seen by stakeholders (an update), not internal.")


class UpdateItem(BaseModel):
    id: int
    kind: str
    phase: str
    created_at: datetime
    created_by: str
    message: str
    eta: datetime | None
    deliveries: int
    sent: int
    reminder: bool = Field(description="Sent to named contacts (the lead), not stakeholders.")


class UpdateGap(BaseModel):
    from_update: int
    to_update: int | None = Field(description="None: no update since, incident still open.")
    start: datetime
    end: datetime
    seconds: float
    promised_seconds: float
    over_seconds: float
    overdue: bool
    ongoing: bool


class DeliveryFigure(BaseModel):
    """Deliveries of one audience ending on one channel ("-": never attempted)."""

    audience: str
    channel: str
    total: int
    sent: int = Field(description="Handed to the provider: states sent and delivered.")
    delivered: int = Field(description="Confirmed delivered by a provider status report.")
    failed: int
    undelivered: int
    superseded: int
    pending: int = Field(description="planned, sending or unknown when the report was built.")
    fallback_used: int = Field(description="Final channel differs from the first route.")
    dry_run: int = Field(
        0,
        description="Ended on a channel that is not configured: only logged, nobody was told "
        "(never counted as sent).",
    )


class UnreachedContact(BaseModel):
    audience: str
    recipient: str
    name: str
    deliveries: int
    last_error: str


class DeadlineFigure(BaseModel):
    """An audience's "acknowledged within N minutes" promise, counted per contact asked."""

    minutes: float = Field(description="The deadline (routing `deadline_minutes`).")
    met: int = Field(description="Acknowledged within it of the first message that asked them.")
    missed: int = Field(description="Acknowledged later, or not at all and the time is up.")
    pending: int = Field(description="Not acknowledged yet and still within the deadline.")


class CoverageFigure(BaseModel):
    """How far one audience's news got; each contact counts once, whatever the updates."""

    audience: str
    recipients: int = Field(description="Distinct contacts with at least one delivery.")
    sent: int = Field(description="Contacts with a message handed to a provider at least once.")
    delivered: int = Field(description="Contacts with a message a provider confirmed delivered.")
    acknowledged: int = Field(description="Contacts who acknowledged (SMS reply, Slack button).")
    ack_required: int = Field(description="Contacts asked to acknowledge (routing rules).")
    unreached: list[str] = Field(
        description="Names of contacts no channel reached (every delivery failed, or went only "
        "to a dry run) or who never acknowledged after every channel, and have not acknowledged "
        "since: call them."
    )
    dry_run: int = Field(
        0,
        description="Contacts whose news went only to a dry run (a channel that is not "
        "configured) and never out: counted in `unreached`, not in `sent`.",
    )
    deadline: DeadlineFigure | None = Field(
        description="Only when the audience's acknowledgement rule sets deadline_minutes."
    )
    broadcasts: int = Field(description="Broadcast targets (Slack channels, fallback URLs).")
    broadcasts_sent: int = Field(description="Broadcast targets posted to at least once.")
    calls: CallFigure = Field(
        default_factory=CallFigure,
        description="Voice escalation's phone calls to the audience's contacts (zeros when "
        "nobody was phoned).",
    )


class AttemptFigure(BaseModel):
    channel: str
    outcome: str
    count: int


class CurvePoint(BaseModel):
    at: datetime
    count: int = Field(description="Cumulative messages sent on this channel by `at`.")


class SendCurve(BaseModel):
    channel: str
    points: list[CurvePoint]


class EtaAccuracy(BaseModel):
    set_at: datetime
    set_by: str
    eta: datetime | None
    announced: bool
    outcome: EtaOutcome
    error_seconds: float | None = Field(
        description="resolved_at - eta: positive = late, negative = early (overrun: now - eta)."
    )


class ActionItem(BaseModel):
    text: str
    owner: str
    status: Literal["open", "done"] = "open"
    created_at: datetime
    created_by: str


class ProbeFailure(BaseModel):
    at: datetime
    stage: str
    error: str


class ProbeSummary(BaseModel):
    total: int
    passed: int
    failed: int
    last_at: datetime | None
    last_ok: bool | None
    failures: list[ProbeFailure]


class Report(BaseModel):
    """Everything the post-incident analysis needs, computed from the incident's rows."""

    generated_at: datetime
    timezone: str = Field(
        default="UTC",
        description="The organisation's zone (OUTAGE_NOTIFY_TIMEZONE): Markdown and HTML show "
        "times in it with UTC beside; JSON times are UTC.",
    )
    locale: str = Field(
        default="en", description="The organisation's language (OUTAGE_NOTIFY_DEFAULT_LOCALE)."
    )
    summary: Summary
    timings: Timings
    phase_basis: PhaseBasis
    phases: list[PhaseSpan]
    phase_durations: list[PhaseDuration]
    timeline: list[TimelineItem]
    updates: list[UpdateItem]
    cadence_minutes: dict[str, int]
    update_gaps: list[UpdateGap]
    deliveries: list[DeliveryFigure]
    delivery_totals: DeliveryFigure
    unreached: list[UnreachedContact]
    coverage: list[CoverageFigure] = Field(
        description="Per audience: contacts reached, acknowledged and unreached."
    )
    attempts: list[AttemptFigure]
    send_curves: list[SendCurve]
    eta_source: EtaSource
    etas: list[EtaAccuracy]
    findings: list[TimelineItem]
    notes_count: int
    root_cause: str
    action_items: list[ActionItem]
    probes: ProbeSummary
    cause: CauseSummary = Field(
        default_factory=CauseSummary, description="The cause category and time to identify it."
    )
    security: SecuritySection | None = Field(
        default=None,
        description="Only in security mode: detection, containment and credential resets.",
    )
    notifications: NotificationsPart | None = Field(
        default=None,
        description="The legal notices owed since staff marked that personal data may be "
        "affected (the security section): deadlines, when made, by whom, on time or not.",
    )
