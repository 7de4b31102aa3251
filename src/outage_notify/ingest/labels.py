"""How monitoring labels become a severity, components and a service.

Every monitoring source (Alertmanager, Grafana, Uptime Kuma tags) speaks in string labels; this
module is the one place that turns them into our typed vocabulary, so every source agrees.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from outage_notify.config.settings import Settings
from outage_notify.core.models import Severity

# A component label may name several parts at once: "inbound,outbound" or "inbound outbound".
_COMPONENT_SEPARATORS = re.compile(r"[,\s]+")
_OUR_NAMES = {severity.value: severity for severity in Severity}


@dataclass(frozen=True)
class LabelMapping:
    """Which labels carry severity, components and service, and how severities are named."""

    severity_label: str
    component_label: str
    severity_map: Mapping[str, Severity]
    default_severity: Severity
    service_label: str = "service"
    default_service: str = "email"
    # severity_map with lower-cased keys, so label values match case-insensitively.
    _lookup: Mapping[str, Severity] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup = {name.strip().lower(): severity for name, severity in self.severity_map.items()}
        object.__setattr__(self, "_lookup", lookup)

    @classmethod
    def from_settings(cls, settings: Settings) -> LabelMapping:
        """The mapping the operator configured."""
        return cls(
            severity_label=settings.severity_label,
            component_label=settings.component_label,
            severity_map=dict(settings.severity_map),
            default_severity=settings.default_severity,
        )

    def severity_for(self, value: str | None) -> Severity:
        """The severity a label value names; an unknown or missing value gives the default."""
        if not value:
            return self.default_severity
        name = value.strip().lower()
        if name in self._lookup:
            return self._lookup[name]
        # Our own names still work when an operator's custom map leaves them out.
        if name in _OUR_NAMES:
            return _OUR_NAMES[name]
        # Never reject: Alertmanager drops a 4xx for good, so a typo must not lose an outage.
        return self.default_severity

    def severity_of(self, labels: Mapping[str, str]) -> Severity:
        """The severity one alert's labels carry."""
        return self.severity_for(labels.get(self.severity_label))

    def highest_severity(self, label_sets: Iterable[Mapping[str, str]]) -> Severity:
        """The most severe of several alerts; the default when there are none."""
        severities = [self.severity_of(labels) for labels in label_sets]
        if not severities:
            return self.default_severity
        return max(severities, key=lambda severity: severity.rank)

    def components_of(self, labels: Mapping[str, str]) -> tuple[str, ...]:
        """The components one alert names, in label order, without repeats."""
        value = labels.get(self.component_label, "")
        parts = (part for part in _COMPONENT_SEPARATORS.split(value) if part)
        return tuple(dict.fromkeys(parts))

    def components_across(self, label_sets: Iterable[Mapping[str, str]]) -> tuple[str, ...]:
        """The union of the components several alerts name, sorted."""
        return tuple(sorted({part for labels in label_sets for part in self.components_of(labels)}))

    def service_of(self, label_sets: Iterable[Mapping[str, str]]) -> str:
        """The first service label found, in the order given; else the default service."""
        for labels in label_sets:
            value = labels.get(self.service_label, "").strip()
            if value:
                return value
        return self.default_service
