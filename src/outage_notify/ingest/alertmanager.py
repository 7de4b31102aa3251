"""Alertmanager webhook payloads (v4) and how one becomes an `AlertEvent`.

Grafana's unified alerting posts the same alert-group shape, so the group logic here is shared
with `ingest.grafana`.

Alertmanager delivers the same notification many times: retries after a 5xx, `repeat_interval`
re-sends, and one copy from every HA peer. The dedup key is therefore derived from what makes a
notification *different* (group, status, which alerts, when each started and ended), never from
when or by whom it was sent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from outage_notify.core.models import AlertEvent, AlertStatus
from outage_notify.core.timestamps import clamped_utc
from outage_notify.ingest.labels import LabelMapping


def _as_utc(value: datetime) -> datetime:
    # Go always writes an offset; should a sender not, UTC is the only sensible reading. A
    # time near year 1 or 9999 is clamped, not refused: Alertmanager drops a 4xx for good.
    return clamped_utc(value)


class AlertmanagerAlert(BaseModel):
    """One alert of a group, as Alertmanager sends it."""

    model_config = ConfigDict(extra="allow", frozen=True)

    status: AlertStatus
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: datetime
    # None while firing: Alertmanager hides a future end time as Go's zero time (year 1).
    endsAt: datetime | None = None
    generatorURL: str = ""
    # Absent before Alertmanager 0.20; `fingerprint_of` derives one from the labels then.
    fingerprint: str = ""

    @field_validator("startsAt")
    @classmethod
    def _starts_in_utc(cls, value: datetime) -> datetime:
        return _as_utc(value)

    @field_validator("endsAt")
    @classmethod
    def _zero_time_is_unset(cls, value: datetime | None) -> datetime | None:
        if value is None or value.year <= 1:
            # Go's zero time, whatever offset it was written with.
            return None
        return _as_utc(value)


class AlertGroupPayload(BaseModel):
    """The alert-group fields Alertmanager and Grafana share."""

    model_config = ConfigDict(extra="allow", frozen=True)

    groupKey: str = Field(min_length=1)
    status: AlertStatus
    receiver: str = ""
    # Alerts beyond the receiver's max_alerts are left out and only counted here.
    truncatedAlerts: int = 0
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    alerts: tuple[AlertmanagerAlert, ...] = Field(min_length=1)


class AlertmanagerPayload(AlertGroupPayload):
    """Alertmanager's `webhook_config` body, version 4."""

    version: Literal["4"]


def fingerprint_of(alert: AlertmanagerAlert) -> str:
    """The alert's fingerprint, or a stable stand-in derived from its sorted labels."""
    if alert.fingerprint:
        return alert.fingerprint
    labels = json.dumps(sorted(alert.labels.items()), separators=(",", ":"))
    return hashlib.sha256(labels.encode()).hexdigest()[:16]


# json.dumps(..., separators=(",", ":")) without building an encoder per call: the same text.
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def group_digest(group: str, payload: AlertGroupPayload) -> str:
    """A hash equal for every copy of one notification and different for any change in it."""
    alerts = sorted(
        (
            fingerprint_of(alert),
            alert.startsAt.isoformat(),
            alert.endsAt.isoformat() if alert.endsAt else "",
        )
        for alert in payload.alerts
    )
    material = _COMPACT.encode([group, payload.status.value, alerts])
    return hashlib.sha256(material.encode()).hexdigest()


def relevant_alerts(payload: AlertGroupPayload) -> list[AlertmanagerAlert]:
    """The alerts that describe the group now, oldest first.

    While a group fires it may still list alerts that already resolved; they must not raise the
    severity or name components that are fine again.
    """
    alerts = list(payload.alerts)
    if payload.status is AlertStatus.FIRING:
        alerts = [alert for alert in alerts if alert.status is AlertStatus.FIRING] or alerts
    return sorted(alerts, key=lambda alert: (alert.startsAt, fingerprint_of(alert)))


def group_event(
    payload: AlertGroupPayload,
    *,
    source: str,
    group: str,
    url: str,
    mapping: LabelMapping,
    title: str = "",
) -> AlertEvent:
    """The event for one alert-group notification; `group` names the group within `source`."""
    alerts = relevant_alerts(payload)
    label_sets = [alert.labels for alert in alerts]
    return AlertEvent(
        source=source,
        dedup_key=f"{source}:{group_digest(group, payload)}",
        group_key=f"{source}:{group}",
        status=payload.status,
        severity=mapping.highest_severity(label_sets),
        summary=_first_text(
            payload.commonAnnotations.get("summary"),
            *(alert.annotations.get("summary") for alert in alerts),
            payload.commonLabels.get("alertname"),
            title,
            "Alert",
        ),
        description=_first_text(
            payload.commonAnnotations.get("description"),
            *(alert.annotations.get("description") for alert in alerts),
        ),
        components=mapping.components_across(label_sets),
        service=mapping.service_of([payload.commonLabels, *label_sets]),
        started_at=min(alert.startsAt for alert in payload.alerts),
        url=url,
        labels=dict(payload.commonLabels),
    )


def _first_text(*candidates: str | None) -> str:
    for candidate in candidates:
        if candidate and candidate.strip():
            return candidate.strip()
    return ""


def _first_url(alerts: Sequence[AlertmanagerAlert]) -> str:
    return next((alert.generatorURL for alert in alerts if alert.generatorURL), "")


def to_event(payload: AlertmanagerPayload, *, mapping: LabelMapping) -> AlertEvent:
    """Normalise one Alertmanager notification."""
    return group_event(
        payload,
        source="alertmanager",
        group=payload.groupKey,
        url=payload.externalURL or _first_url(relevant_alerts(payload)),
        mapping=mapping,
    )
