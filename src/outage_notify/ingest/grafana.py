"""Grafana unified-alerting webhook payloads and how one becomes an `AlertEvent`.

Grafana embeds Alertmanager, so the body is Alertmanager's alert group plus `orgId`, `title`,
`state`, `message` and per-alert links and values, under its own `version: "1"`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from outage_notify.ingest.alertmanager import (
    AlertGroupPayload,
    AlertmanagerAlert,
    group_event,
    relevant_alerts,
)
from outage_notify.ingest.labels import LabelMapping
from outage_notify.models import AlertEvent


class GrafanaAlert(AlertmanagerAlert):
    """One alert as Grafana sends it: Alertmanager's fields plus links back into Grafana."""

    silenceURL: str = ""
    # Empty unless the rule is linked to a dashboard (and a panel).
    dashboardURL: str = ""
    panelURL: str = ""
    imageURL: str = ""
    # `values` (query results by refId) stays an extra field: we never read it.


class GrafanaPayload(AlertGroupPayload):
    """Grafana's webhook contact-point body, version 1."""

    version: Literal["1"]
    # groupKey is only unique within one organisation.
    orgId: int
    # "[FIRING:2] …" style texts rendered from Grafana's templates; `state` is alerting | ok.
    title: str = ""
    state: str = ""
    message: str = ""
    alerts: tuple[GrafanaAlert, ...] = Field(min_length=1)


def _link(payload: GrafanaPayload) -> str:
    # A dashboard is what a person wants to open; the rule editor and Grafana's root are fallbacks.
    alerts = [alert for alert in relevant_alerts(payload) if isinstance(alert, GrafanaAlert)]
    for attribute in ("dashboardURL", "panelURL", "generatorURL"):
        for alert in alerts:
            link: str = getattr(alert, attribute)
            if link:
                return link
    return payload.externalURL


def to_event(payload: GrafanaPayload, *, mapping: LabelMapping) -> AlertEvent:
    """Normalise one Grafana alerting notification."""
    return group_event(
        payload,
        source="grafana",
        group=f"{payload.orgId}:{payload.groupKey}",
        url=_link(payload),
        mapping=mapping,
        title=payload.title,
    )
