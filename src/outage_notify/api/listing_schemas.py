"""The API's listings of what happened: an incident's deliveries with their attempts
(`GET /api/v1/incidents/{id}/deliveries`), the accepted events (`/api/v1/events`) and the staff
audit log (`/api/v1/audit`). Part of the OpenAPI document, as schemas.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from outage_notify.core.models import DeliveryState


class AttemptOut(BaseModel):
    channel: str
    address: str
    started_at: datetime
    outcome: str = Field(
        description="sent, dry_run (the channel is not configured: only logged, nobody told), "
        "transient, permanent or unknown."
    )
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
    state: DeliveryState = Field(
        description="`dry_run`: the channel is not configured, the message was only logged and "
        "nobody was told (final; never counted as sent)."
    )
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
    state: DeliveryState
    count: int


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    total: int
    limit: int
    offset: int
    counts: list[DeliveryCount]
    unreached: list[str] = Field(
        description="Recipients every channel failed for, or whose news went only to a dry run "
        "(said after their name): call them."
    )
    held: list[str] = Field(
        default_factory=list,
        description="Recipients held by the per-recipient cap, waiting for their digest.",
    )


class AuditEntryOut(BaseModel):
    """One staff action as the audit log recorded it."""

    id: int
    at: datetime
    actor: str = Field(description="The API token's name.")
    role: str
    action: str = Field(
        description="declare, update, resolve, reopen, retract, note, finding, action_item, edit."
    )
    incident_id: int | None
    detail: dict[str, Any]
    client: str = Field(description="The client address the request came from.")


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    total: int
    limit: int
    offset: int


class EventOut(BaseModel):
    """An accepted event (a webhook's alert) and what became of it."""

    id: int
    source: str
    service: str
    kind: str
    state: str = Field(description="pending, applied, or failed (see `error`; retry it).")
    error: str = Field(description="Why it failed: the error's class and message.")
    attempts: int = Field(description="Times applying it ran to an outcome.")
    received_at: datetime
    processed_at: datetime | None
    incident_id: int | None
    actor: str = Field(description="The token or source that sent it.")


class EventPage(BaseModel):
    items: list[EventOut]
    total: int
    limit: int
    offset: int


class EventRetried(BaseModel):
    event: EventOut
    # False when the broker was unreachable: the sweeper will pick the event up later.
    queued: bool
