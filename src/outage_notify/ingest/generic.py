"""The documented generic JSON event, for any monitor without a dedicated endpoint.

Unlike the vendor payloads this schema is ours, so it is strict: unknown fields, an unknown
status or severity and a naive time are refused with a 422 that names the field. The field
descriptions are published in the OpenAPI document.
"""

from __future__ import annotations

import hashlib
from datetime import UTC
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from outage_notify.models import AlertEvent, AlertStatus, Severity

# The store's unique dedup_key column holds 200 characters.
MAX_DEDUP_KEY_LENGTH = 200

ComponentName = Annotated[str, StringConstraints(min_length=1, max_length=50)]


class GenericEvent(BaseModel):
    """One outage signal from any monitoring system."""

    # Stripping first means a blank summary or source is refused like an empty one.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    source: str = Field(
        min_length=1,
        max_length=100,
        # Keys are built as "generic:{source}:{dedup_key}", so a colon here could collide.
        pattern=r"^[^:]+$",
        description="Name of the sending system, e.g. `zabbix` or `status-script`. No colons.",
    )
    dedup_key: str = Field(
        min_length=1,
        max_length=200,
        description=(
            "Identifies the problem within `source`. Every event about the same problem carries "
            "the same key; resending an identical event is accepted once."
        ),
    )
    status: AlertStatus = Field(description="`firing` while the problem lasts, then `resolved`.")
    severity: Severity = Field(description="`critical`, `major` or `minor`.")
    summary: str = Field(
        min_length=1, max_length=500, description="One line saying what is wrong, for people."
    )
    description: str = Field(default="", max_length=5000, description="More detail, if any.")
    components: list[ComponentName] = Field(
        default_factory=list,
        max_length=20,
        description="Affected parts of the service, e.g. `inbound`, `outbound`, `webmail`.",
    )
    started_at: AwareDatetime | None = Field(
        default=None,
        description=(
            "When the problem began, with a timezone (RFC 3339). A new value for the same "
            "`dedup_key` means the problem came back."
        ),
    )
    url: str = Field(default="", max_length=2000, description="Link to the alert or dashboard.")
    service: str = Field(
        default="email", min_length=1, max_length=100, description="The affected service."
    )
    labels: dict[str, str] = Field(
        default_factory=dict, description="Free-form string labels, kept with the event."
    )


def to_event(event: GenericEvent) -> AlertEvent:
    """Normalise one generic event."""
    started_at = event.started_at.astimezone(UTC) if event.started_at else None
    started = started_at.isoformat() if started_at else ""
    group_key = f"generic:{event.source}:{event.dedup_key}"
    dedup_key = f"{group_key}:{event.status.value}:{started}"
    if len(dedup_key) > MAX_DEDUP_KEY_LENGTH:
        # Long sources and keys still dedupe exactly, through a fixed-length digest.
        dedup_key = "generic:sha256:" + hashlib.sha256(dedup_key.encode()).hexdigest()
    return AlertEvent(
        # Which sender it was stays in the keys; `source` names the ingest path, as elsewhere.
        source="generic",
        dedup_key=dedup_key,
        group_key=group_key,
        status=event.status,
        severity=event.severity,
        summary=event.summary,
        description=event.description,
        components=tuple(sorted(set(event.components))),
        service=event.service,
        started_at=started_at,
        url=event.url,
        labels=dict(event.labels),
    )
