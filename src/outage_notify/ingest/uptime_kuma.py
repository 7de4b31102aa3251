"""Uptime Kuma webhook payloads and how one becomes an `AlertEvent`, or nothing.

Uptime Kuma posts `{heartbeat, monitor, msg}` when a monitor changes state (and again every
`resendInterval` while it stays down). Its "Test" button sends `heartbeat` and `monitor` as
null. Monitor tags play the part of labels: a `severity` or `component` tag works as it does in
Alertmanager.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from outage_notify.core.models import AlertEvent, AlertStatus
from outage_notify.core.timestamps import clamped_utc
from outage_notify.ingest.labels import LabelMapping


class HeartbeatStatus(IntEnum):
    DOWN = 0
    UP = 1
    PENDING = 2
    MAINTENANCE = 3


# Pending (retrying before declaring down) and maintenance are not news for stakeholders.
_STATUS = {HeartbeatStatus.DOWN: AlertStatus.FIRING, HeartbeatStatus.UP: AlertStatus.RESOLVED}


class UptimeKumaHeartbeat(BaseModel):
    """The check result that triggered the notification."""

    model_config = ConfigDict(extra="allow", frozen=True)

    monitorID: int | None = None
    # A plain int: a status a newer Uptime Kuma adds is ignored, not refused.
    status: int
    # Stored and sent as UTC without an offset ("2024-09-24 23:51:35.527").
    time: datetime
    msg: str | None = ""

    @field_validator("time")
    @classmethod
    def _naive_means_utc(cls, value: datetime) -> datetime:
        # Clamped near year 1 or 9999 rather than refused: a monitor cannot fix its clock.
        return clamped_utc(value)


class UptimeKumaTag(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    name: str
    value: str | None = ""


class UptimeKumaMonitor(BaseModel):
    """The monitor's configuration, as far as we read it."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: int
    name: str
    # Every monitor type has a url; it is the placeholder "https://" unless it is an HTTP check.
    url: str | None = ""
    type: str = ""
    tags: tuple[UptimeKumaTag, ...] = ()


class UptimeKumaPayload(BaseModel):
    """Uptime Kuma's webhook notification body (JSON content type)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    heartbeat: UptimeKumaHeartbeat | None = None
    monitor: UptimeKumaMonitor | None = None
    msg: str = Field(default="", description="Uptime Kuma's ready-made one-line text.")


def tag_labels(monitor: UptimeKumaMonitor) -> dict[str, str]:
    """Monitor tags as labels; a tag given twice keeps both values, comma-separated."""
    labels: dict[str, list[str]] = {}
    for tag in monitor.tags:
        values = labels.setdefault(tag.name, [])
        if tag.value and tag.value not in values:
            values.append(tag.value)
    return {name: ",".join(values) for name, values in labels.items()}


def _detail(message: str | None) -> str:
    # Uptime Kuma fills an empty check message with "N/A" before notifying.
    text = (message or "").strip()
    return "" if text == "N/A" else text


def _http_url(url: str | None) -> str:
    if not url:
        return ""
    parts = urlsplit(url)
    return url if parts.scheme in ("http", "https") and parts.netloc else ""


def to_event(payload: UptimeKumaPayload, *, mapping: LabelMapping) -> AlertEvent | None:
    """Normalise one Uptime Kuma notification; None when it is not about an outage."""
    heartbeat, monitor = payload.heartbeat, payload.monitor
    if heartbeat is None or monitor is None:
        return None
    try:
        status = _STATUS.get(HeartbeatStatus(heartbeat.status))
    except ValueError:
        status = None
    if status is None:
        return None
    labels = tag_labels(monitor)
    firing = status is AlertStatus.FIRING
    return AlertEvent(
        source="uptime_kuma",
        # A resend while still down has a new time: it is a new event in the same group.
        dedup_key=f"uptime_kuma:{monitor.id}:{status.value}:{heartbeat.time.isoformat()}",
        group_key=f"uptime_kuma:{monitor.id}",
        status=status,
        severity=mapping.severity_of(labels),
        summary=f"{monitor.name} is down" if firing else f"{monitor.name} is up",
        description=_detail(heartbeat.msg),
        components=mapping.components_across([labels]),
        service=mapping.service_of([labels]),
        # An "up" heartbeat says when the monitor recovered, not when the outage began.
        started_at=heartbeat.time if firing else None,
        url=_http_url(monitor.url),
        labels=labels,
    )
