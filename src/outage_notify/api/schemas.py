"""Request and response bodies of the HTTP API (they define the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from outage_notify.models import Phase, Severity, without_nul
from outage_notify.report_model import CoverageFigure

Component = Field(min_length=1, max_length=50)
# Row ids and offsets are 64-bit in both databases; a larger number is a 422, not a 500.
MAX_ROW_ID = 2**63 - 1
IncidentId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The incident's id.")]
Offset = Annotated[int, Query(ge=0, le=MAX_ROW_ID, description="Items to skip.")]


class StaffInput(BaseModel):
    """A request body written by people: unknown fields refused, NUL characters dropped."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _drop_nul(cls, data: Any) -> Any:
        # PostgreSQL text cannot hold NUL; storing one would fail the request with a 500.
        return without_nul(data)


class DeclareIncident(StaffInput):
    """Staff declare an outage, e.g. from user reports."""

    title: str = Field(min_length=1, max_length=300, description="What is broken, in a line.")
    summary: str = Field(default="", max_length=5000, description="Impact and what is known.")
    severity: Severity = Severity.MAJOR
    components: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Affected components: inbound, outbound, webmail…",
    )
    eta: AwareDatetime | None = Field(default=None, description="Estimated time to fix (ISO 8601).")
    service: str = Field(default="email", min_length=1, max_length=100)
    lead: str | None = Field(
        default=None, description="Contact id of the incident lead (reminded of slipped promises)."
    )


class StaffUpdate(StaffInput):
    """A progress update to stakeholders."""

    message: str = Field(min_length=1, max_length=2000)
    phase: Phase | None = None
    eta: AwareDatetime | None = Field(default=None, description="New ETA (ISO 8601, with offset).")
    audiences: list[str] | None = Field(
        default=None, max_length=20, description="Only these audiences; default: routing decides."
    )
    announce_eta: bool = Field(
        default=False,
        description="Send eta_changed even if the ETA moved less than the configured threshold.",
    )


class ResolveIncident(StaffInput):
    message: str = Field(default="", max_length=2000)
    override_reason: str = Field(
        default="",
        max_length=2000,
        description="Required to resolve before the mail probes have verified the fix.",
    )


class NoteIn(StaffInput):
    """Internal troubleshooting: never sent to stakeholders, never on the status page."""

    text: str = Field(min_length=1, max_length=10_000)
    kind: Literal["note", "finding"] = "note"


class ActionItemIn(StaffInput):
    text: str = Field(min_length=1, max_length=2000)
    owner: str = Field(default="", max_length=200)


class IncidentPatch(StaffInput):
    lead: str | None = Field(default=None, description="Contact id of the incident lead.")
    root_cause: str | None = Field(default=None, max_length=10_000)


class Created(BaseModel):
    id: int


class Accepted(BaseModel):
    """A webhook was stored (or was a duplicate of one already stored)."""

    status: Literal["accepted", "duplicate", "ignored"]
    event_id: int | None = None


class TimelineEntryOut(BaseModel):
    at: datetime
    actor: str
    kind: str
    text: str


class UpdateOut(BaseModel):
    id: int
    kind: str
    message: str
    phase: str
    eta: datetime | None
    created_at: datetime
    created_by: str
    planned: bool


class IncidentOut(BaseModel):
    id: int
    service: str
    title: str
    summary: str
    severity: Severity
    phase: Phase
    components: list[str]
    eta: datetime | None
    next_update_at: datetime | None
    opened_at: datetime
    resolved_at: datetime | None
    notified_audiences: list[str]
    lead: str
    root_cause: str
    verify_passes: int


class IncidentDetail(IncidentOut):
    timeline: list[TimelineEntryOut]
    updates: list[UpdateOut]
    coverage: list[CoverageFigure] = Field(
        description="Per audience: how many contacts were sent, delivered and acknowledged the "
        "news, and who remains unreached (the post-incident report shows the same figures)."
    )


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    total: int
    limit: int
    offset: int


class TruncationOut(BaseModel):
    """The staff message is shortened to fit this audience's channel: `kept` of `of` chars."""

    audience: str
    channel: str
    locale: str
    # The staff text shortened: "message" (an update) or "summary" (a declaration).
    field: str
    kept: int
    of: int


class StaffActionOut(BaseModel):
    incident: IncidentOut
    update_id: int | None
    # False when the broker was unreachable: the sweeper will pick the update up later.
    queued: bool
    # Where the staff message will not fit whole and goes out shortened (it still goes out).
    truncated: list[TruncationOut] = []


class AttemptOut(BaseModel):
    channel: str
    address: str
    started_at: datetime
    outcome: str
    provider_id: str
    error_code: str
    error_text: str


class DeliveryOut(BaseModel):
    id: int
    update_id: int
    audience: str
    recipient: str
    recipient_name: str
    channel: str
    state: str
    provider_id: str
    error: str
    sent_at: datetime | None
    ack_required: bool = Field(
        False, description="The recipient's audience asks for an acknowledgement (routing)."
    )
    acked_at: datetime | None = Field(None, description="When the recipient acknowledged.")
    acked_via: str = Field("", description="How: sms (a reply), slack (the button) or api.")
    acked_by: str = Field("", description="The phone number or Slack user that acknowledged.")
    unreached_at: datetime | None = Field(
        None, description="Every channel tried without an acknowledgement: call them."
    )
    attempts: list[AttemptOut]


class DeliveryCount(BaseModel):
    audience: str
    channel: str
    state: str
    count: int


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    total: int
    limit: int
    offset: int
    counts: list[DeliveryCount]
    unreached: list[str] = Field(description="Recipients every channel failed for: call them.")


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(default_factory=dict)


class AuditEntryOut(BaseModel):
    """One staff action as the audit log recorded it."""

    id: int
    at: datetime
    actor: str = Field(description="The API token's name.")
    role: str
    action: str = Field(description="declare, update, resolve, note, finding, action_item, edit.")
    incident_id: int | None
    detail: dict[str, Any]
    client: str = Field(description="The client address the request came from.")


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    total: int
    limit: int
    offset: int
