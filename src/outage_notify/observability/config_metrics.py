"""Prometheus metrics of the contacts and templates snapshot this process works with.

Unlike `observability.metrics` (aggregates of rows every worker writes), these are the
scraped process's own: the API's, which in embedded mode is also its worker's. A worker of the
distributed mode reports its reloads in its log and in its answer to `outage-notify reload`.

    outage_notify_config_info{hash}                      1, labelled with the snapshot in force
    outage_notify_config_loaded_timestamp_seconds        when that snapshot was loaded
    outage_notify_config_reloads_total                   reloads that replaced the snapshot
    outage_notify_config_reload_failures_total           reloads refused (the old one stayed)
    outage_notify_config_reload_failing                  1 while the last reload was refused
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from outage_notify.messages.live_config import LiveConfig


class ConfigCollector(Collector):
    """The snapshot's hash, age and reload counts, read at scrape time."""

    def __init__(self, config: LiveConfig) -> None:
        self.config = config

    def collect(self) -> Iterator[Metric]:
        status = self.config.status()
        info = GaugeMetricFamily(
            "outage_notify_config_info",
            "The contacts and templates snapshot in force (short sha256 of the folders).",
            labels=["hash"],
        )
        info.add_metric([status.hash], 1)
        yield info
        yield GaugeMetricFamily(
            "outage_notify_config_loaded_timestamp_seconds",
            "When the snapshot in force was loaded (Unix time).",
            value=status.loaded_at.timestamp(),
        )
        yield CounterMetricFamily(
            "outage_notify_config_reloads",
            "Reloads that replaced the snapshot since the process started.",
            value=status.reloads,
        )
        yield CounterMetricFamily(
            "outage_notify_config_reload_failures",
            "Reloads refused since the process started; the old snapshot stayed in force.",
            value=status.failures,
        )
        yield GaugeMetricFamily(
            "outage_notify_config_reload_failing",
            "1 while the last reload was refused (an older snapshot is in force), else 0.",
            value=1 if status.error is not None else 0,
        )
