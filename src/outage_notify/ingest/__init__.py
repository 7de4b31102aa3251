"""Ingest: parse each monitoring source's payload into one `AlertEvent`. Pure, no I/O.

Each source module holds the pydantic model of its wire format and a `to_event` function;
`LabelMapping` is how labels become severity, components and service for all of them.
"""

from outage_notify.ingest.alertmanager import AlertmanagerAlert, AlertmanagerPayload
from outage_notify.ingest.alertmanager import to_event as alertmanager_event
from outage_notify.ingest.generic import GenericEvent
from outage_notify.ingest.generic import to_event as generic_event
from outage_notify.ingest.grafana import GrafanaAlert, GrafanaPayload
from outage_notify.ingest.grafana import to_event as grafana_event
from outage_notify.ingest.labels import LabelMapping
from outage_notify.ingest.uptime_kuma import (
    HeartbeatStatus,
    UptimeKumaHeartbeat,
    UptimeKumaMonitor,
    UptimeKumaPayload,
)
from outage_notify.ingest.uptime_kuma import to_event as uptime_kuma_event

__all__ = [
    "AlertmanagerAlert",
    "AlertmanagerPayload",
    "GenericEvent",
    "GrafanaAlert",
    "GrafanaPayload",
    "HeartbeatStatus",
    "LabelMapping",
    "UptimeKumaHeartbeat",
    "UptimeKumaMonitor",
    "UptimeKumaPayload",
    "alertmanager_event",
    "generic_event",
    "grafana_event",
    "uptime_kuma_event",
]
