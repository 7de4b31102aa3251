"""Request and response bodies of the HTTP API (they define the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from outage_notify.api.clock_schemas import PersonalDataOut
from outage_notify.core import field_limits as limits
from outage_notify.core.models import (
    CauseCategory,
    Phase,
    Severity,
    has_lone_surrogate,
    without_nul,
)
from outage_notify.core.timestamps import SaneDatetime
from outage_notify.report.model import CoverageFigure

ComponentName = Annotated[str, StringConstraints(min_length=1, max_length=limits.COMPONENT)]
AudienceName = Annotated[str, StringConstraints(min_length=1, max_length=limits.AUDIENCE)]
# Row ids and offsets are 64-bit in both databases; a larger number is a 422, not a 500.
MAX_ROW_ID = 2**63 - 1
IncidentId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="The incident's id.")]
Offset = Annotated[int, Query(ge=0, le=MAX_ROW_ID, description="Items to skip.")]
# How many items one page of a listing may hold; each listing sets its own default.
MAX_PAGE = 500
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE)]


class StaffInput(BaseModel):
    """A request body written by people: unknown fields refused, NUL characters dropped."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _drop_nul(cls, data: Any) -> Any:
        # PostgreSQL text cannot hold NUL; storing one would fail the request with a 500.
        data = without_nul(data)
        if isinstance(data, dict):
            for name, value in data.items():
                _refuse_lone_surrogates(name, value)
        return data


def _refuse_lone_surrogates(name: str, value: Any) -> None:
    """A 422 naming the field: a person can fix it, and UTF-8 (PostgreSQL) cannot hold it."""
    texts = value if isinstance(value, list) else [value]
    if any(isinstance(text, str) and has_lone_surrogate(text) for text in texts):
        raise ValueError(
            f"field {name!r} contains a lone UTF-16 surrogate (\\ud800-\\udfff), which is not"
            " text; send the character itself or its surrogate pair"
        )


class DeclareIncident(StaffInput):
    """Staff declare an outage, e.g. from user reports."""

    title: str = Field(
        min_length=1, max_length=limits.TITLE, description="What is broken, in a line."
    )
    summary: str = Field(
        default="", max_length=limits.DESCRIPTION, description="Impact and what is known."
    )
    severity: Severity = Severity.MAJOR
    components: list[ComponentName] = Field(
        default_factory=list,
        max_length=limits.COMPONENTS,
        description="Affected components: inbound, outbound, webmail…",
    )
    eta: SaneDatetime | None = Field(
        default=None, description="Estimated time to fix (ISO 8601, with offset)."
    )
    service: str = Field(default="email", min_length=1, max_length=limits.SERVICE)
    lead: str | None = Field(
        default=None,
        max_length=limits.LEAD,
        description="Contact id of the incident lead (reminded of slipped promises).",
    )
    cause_category: CauseCategory = Field(
        default=CauseCategory.UNKNOWN,
        description="What kind of cause; `security` puts the incident in security mode.",
    )
    security: bool = Field(
        default=False, description="Declare it in security mode (docs/concepts/security-mode.md)."
    )


class StaffUpdate(StaffInput):
    """A progress update to stakeholders."""

    message: str = Field(min_length=1, max_length=limits.MESSAGE)
    phase: Phase | None = None
    eta: SaneDatetime | None = Field(default=None, description="New ETA (ISO 8601, with offset).")
    audiences: list[AudienceName] | None = Field(
        default=None, max_length=20, description="Only these audiences; default: routing decides."
    )
    announce_eta: bool = Field(
        default=False,
        description="Send eta_changed even if the ETA moved less than the configured threshold.",
    )
    public: bool | None = Field(
        default=None,
        description="Show the message on the public status page and feed; false keeps it to "
        "the messages. An update for chosen `audiences` is never public. Default: true, "
        "except in security mode (false).",
    )
    components: list[ComponentName] | None = Field(
        default=None,
        max_length=limits.COMPONENTS,
        description="The affected components from now on (ids of contacts/components.yaml); "
        "the message says what is now also affected and what works again.",
    )


class ReopenIncident(StaffInput):
    """A resolved incident is back: phase investigating, `reopened` to everyone told."""

    message: str = Field(
        min_length=1, max_length=limits.MESSAGE, description="What is wrong again."
    )
    eta: SaneDatetime | None = Field(
        default=None,
        description="A new ETA (ISO 8601, with offset). Without it the old ETA stays closed: "
        "the message says there is no new estimate yet and when the next update comes.",
    )
    public: bool | None = Field(
        default=None,
        description="Show the message on the public status page and feed. Default: true, "
        "except in security mode (false).",
    )


class RetractIncident(StaffInput):
    """A mistaken incident: those told get "please disregard"; it leaves the public page."""

    message: str = Field(
        min_length=1,
        max_length=limits.MESSAGE,
        description="Why it was a mistake; sent with the correction.",
    )


class ResolveIncident(StaffInput):
    message: str = Field(default="", max_length=limits.MESSAGE)
    override_reason: str = Field(
        default="",
        max_length=limits.MESSAGE,
        description="Required to resolve before the mail probes have verified the fix.",
    )
    public: bool | None = Field(
        default=None,
        description="Show the message on the public status page and feed. Default: true, "
        "except in security mode (false).",
    )


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
    public: bool = Field(description="Its message may be shown on the public status page.")
    config_hash: str | None = Field(
        default=None,
        description="The contacts and templates snapshot it was planned with (short sha256);"
        " null until planned.",
    )


class IncidentOut(BaseModel):
    id: int
    service: str
    title: str = Field(description="From the alert or staff; internal, never on the status page.")
    public_title: str = Field(description='Staff\'s title for the status page; "" if unset.')
    summary: str
    severity: Severity
    phase: Phase
    components: list[str]
    eta: datetime | None
    next_update_at: datetime | None
    opened_at: datetime
    resolved_at: datetime | None
    retracted_at: datetime | None = Field(
        default=None, description="Staff withdrew it as a mistake: off the public page."
    )
    notified_audiences: list[str]
    lead: str
    root_cause: str
    verify_passes: int
    cause_category: CauseCategory = CauseCategory.UNKNOWN
    security_since: datetime | None = Field(
        default=None, description="In security mode since then (docs/concepts/security-mode.md)."
    )


class RevisionOut(BaseModel):
    """One staff change of the record, kept with its old value (never updated)."""

    at: datetime
    actor: str
    field: str
    old: Any
    new: Any


class IncidentDetail(IncidentOut):
    timeline: list[TimelineEntryOut]
    revisions: list[RevisionOut] = Field(
        default_factory=list,
        description="Every staff change of the record (PATCH, action items), oldest first.",
    )
    updates: list[UpdateOut]
    coverage: list[CoverageFigure] = Field(
        description="Per audience: how many contacts were sent, delivered and acknowledged the "
        "news, and who remains unreached (the post-incident report shows the same figures)."
    )
    held: list[str] = Field(
        default_factory=list,
        description="Recipients whose news of this incident is held by the per-recipient cap "
        "(RECIPIENT_MAX_PER_HOUR): it goes out in one digest when their hour allows.",
    )
    personal_data: PersonalDataOut | None = Field(
        default=None,
        description="When staff marked that personal data may be affected, and each legal "
        "notification clock since (deadline, percent elapsed, the notice made).",
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


class ConfigOut(BaseModel):
    """The contacts and templates snapshot this process works with, and its last reload."""

    hash: str = Field(description="Short sha256 of the contacts and templates folders in force.")
    loaded_at: datetime
    reloads: int = Field(description="Reloads that replaced the snapshot since the start.")
    failures: int = Field(description="Reloads refused since the start.")
    error: str | None = Field(
        description="Why the last reload was refused (the old snapshot stays in force);"
        " null once a later one passed."
    )
    failed_at: datetime | None


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(default_factory=dict)


class Readiness(Health):
    """/readyz: the checks, and the configuration snapshot this process works with."""

    config: ConfigOut


class ReloadOut(BaseModel):
    """One reload of this API process (and, embedded, its worker)."""

    hash: str = Field(description="The snapshot in force afterwards.")
    changed: bool = Field(description="The new snapshot differs from the one before.")
    error: str | None = Field(
        default=None, description="Why the folders were refused; the old snapshot stays."
    )
