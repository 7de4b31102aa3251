"""Request and response bodies of the HTTP API (they define the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from outage_notify.models import Phase, Severity

Component = Field(min_length=1, max_length=50)


class DeclareIncident(BaseModel):
    """Staff declare an outage, e.g. from user reports."""

    model_config = ConfigDict(extra="forbid")

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


class StaffUpdate(BaseModel):
    """A progress update to stakeholders."""

    model_config = ConfigDict(extra="forbid")

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


class ResolveIncident(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(default="", max_length=2000)
    override_reason: str = Field(
        default="",
        max_length=2000,
        description="Required to resolve before the mail probes have verified the fix.",
    )


class NoteIn(BaseModel):
    """Internal troubleshooting: never sent to stakeholders, never on the status page."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10_000)
    kind: Literal["note", "finding"] = "note"


class ActionItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=2000)
    owner: str = Field(default="", max_length=200)


class IncidentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

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


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    total: int
    limit: int
    offset: int


class StaffActionOut(BaseModel):
    incident: IncidentOut
    update_id: int | None
    # False when the broker was unreachable: the sweeper will pick the update up later.
    queued: bool


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
