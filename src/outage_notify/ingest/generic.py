"""The documented generic JSON event, for any monitor without a dedicated endpoint.

Unlike the vendor payloads this schema is ours, so it is strict: unknown fields, an unknown
status or severity and a naive or out-of-range time are refused with a 422 that names the
field. Length is the exception: a monitor cannot fix its payload and would retry forever, so
text longer than we store is cut with `…` (and the cut recorded on the incident's timeline),
and long keys are replaced by a digest. The field descriptions are published in the OpenAPI
document.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from outage_notify.core import field_limits as limits
from outage_notify.core.models import AlertEvent, AlertStatus, Severity
from outage_notify.core.timestamps import SaneDatetime

# The store's unique dedup_key column; longer keys become a digest (`field_limits.fit_key`).
MAX_DEDUP_KEY_LENGTH = limits.DEDUP_KEY
# Empty names are refused (strict schema); long ones are cut.
ComponentName = Annotated[str, StringConstraints(min_length=1)]


class GenericEvent(BaseModel):
    """One outage signal from any monitoring system."""

    # Stripping first means a blank summary or source is refused like an empty one.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    source: str = Field(
        min_length=1,
        # Keys are built as "generic:{source}:{dedup_key}", so a colon here could collide.
        pattern=r"^[^:]+$",
        description="Name of the sending system, e.g. `zabbix` or `status-script`. No colons.",
    )
    dedup_key: str = Field(
        min_length=1,
        description=(
            "Identifies the problem within `source`. Every event about the same problem carries "
            "the same key; resending an identical event is accepted once. Any length: long "
            "keys are compared through a digest."
        ),
    )
    status: AlertStatus = Field(description="`firing` while the problem lasts, then `resolved`.")
    severity: Severity = Field(description="`critical`, `major` or `minor`.")
    summary: str = Field(
        min_length=1,
        description=(
            "One line saying what is wrong, for people; the incident's title. Longer than "
            f"{limits.TITLE} characters, it is cut with `…` (recorded on the timeline)."
        ),
    )
    description: str = Field(
        default="",
        description=f"More detail, if any; cut with `…` after {limits.DESCRIPTION} characters.",
    )
    components: list[ComponentName] = Field(
        default_factory=list,
        description=(
            "Affected parts of the service, e.g. `inbound`, `outbound`, `webmail`; names "
            f"longer than {limits.COMPONENT} characters are cut."
        ),
    )
    started_at: SaneDatetime | None = Field(
        default=None,
        description=(
            "When the problem began, with a timezone (RFC 3339), between 1970 and 9000. A new "
            "value for the same `dedup_key` means the problem came back."
        ),
    )
    url: str = Field(
        default="",
        description=f"Link to the alert or dashboard; cut after {limits.URL} characters.",
    )
    service: str = Field(
        default="email",
        min_length=1,
        description=f"The affected service; cut after {limits.SERVICE} characters.",
    )
    labels: dict[str, str] = Field(
        default_factory=dict, description="Free-form string labels, kept with the event."
    )


def to_event(event: GenericEvent) -> AlertEvent:
    """Normalise one generic event (`AlertEvent` cuts long text and digests long keys)."""
    started = event.started_at.isoformat() if event.started_at else ""
    group_key = f"generic:{event.source}:{event.dedup_key}"
    return AlertEvent(
        # Which sender it was stays in the keys; `source` names the ingest path, as elsewhere.
        source="generic",
        dedup_key=f"{group_key}:{event.status.value}:{started}",
        group_key=group_key,
        status=event.status,
        severity=event.severity,
        summary=event.summary,
        description=event.description,
        components=tuple(sorted(set(event.components))),
        service=event.service,
        started_at=event.started_at,
        url=event.url,
        labels=dict(event.labels),
    )
