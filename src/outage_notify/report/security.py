"""The report's cause and security parts (pure): the cause category and the time to identify
it, and for an incident in security mode the timeline of detection, containment and
credential resets (docs/concepts/security-mode.md).

Staff record containment and credential resets as notes of kind `containment` and
`credential_reset` (POST /api/v1/incidents/{id}/notes); the notification clock's records
(what was notified to whom, and when) are a part of their own beside these.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from outage_notify.core.records import IncidentRecord, TimelineRecord

# Timeline kinds that belong in the security timeline, as the report names them.
SECURITY_KINDS = {
    "security": "security_mode",
    "containment": "containment",
    "credential_reset": "credential_reset",
}


class CauseSummary(BaseModel):
    category: str = Field(
        default="unknown",
        description="hardware, software, network, security, provider or unknown.",
    )
    identified_at: datetime | None = Field(
        default=None, description="When the category was first set to something but unknown."
    )
    time_to_identify_seconds: float | None = Field(
        default=None, description="identified_at - opened_at (detection)."
    )


class SecurityEvent(BaseModel):
    at: datetime
    kind: str = Field(description="detected, security_mode, containment or credential_reset.")
    actor: str
    text: str


class SecuritySection(BaseModel):
    """Only for an incident in security mode."""

    since: datetime = Field(description="When the incident entered security mode.")
    events: list[SecurityEvent] = Field(
        description="Detection, security mode, containment and credential resets, in order."
    )


def cause_summary(incident: IncidentRecord) -> CauseSummary:
    identified = incident.cause_identified_at
    seconds = (identified - incident.opened_at).total_seconds() if identified else None
    return CauseSummary(
        category=incident.cause_category or "unknown",
        identified_at=identified,
        time_to_identify_seconds=max(0.0, seconds) if seconds is not None else None,
    )


def security_section(
    incident: IncidentRecord, timeline: Sequence[TimelineRecord]
) -> SecuritySection | None:
    """The security timeline, or None outside security mode."""
    if incident.security_since is None:
        return None
    steps = [
        SecurityEvent(at=t.at, kind=SECURITY_KINDS[t.kind], actor=t.actor, text=t.text)
        for t in timeline
        if t.kind in SECURITY_KINDS
    ]
    # Detection comes first: a declaration's own entries may carry a time a moment before
    # the opening it records.
    detected = SecurityEvent(
        at=incident.opened_at, kind="detected", actor=incident.created_by, text=""
    )
    events = [detected, *sorted(steps, key=lambda event: event.at)]
    return SecuritySection(since=incident.security_since, events=events)
