"""Uptime Kuma notifications: down fires, up resolves, anything else is ignored."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from outage_notify.core.models import AlertEvent, AlertStatus, Severity
from outage_notify.ingest import LabelMapping, UptimeKumaPayload, uptime_kuma_event
from tests.fixtures.settings import build_settings
from tests.fixtures.webhooks import webhook_payload

MAPPING = LabelMapping.from_settings(build_settings())

Payload = dict[str, Any]


def load(name: str) -> Payload:
    data: Payload = webhook_payload(name)
    return data


def event_of(data: Payload) -> AlertEvent | None:
    return uptime_kuma_event(UptimeKumaPayload.model_validate(data), mapping=MAPPING)


def firing_event() -> AlertEvent:
    event = event_of(load("uptime_kuma_down.json"))
    assert event is not None
    return event


def test_down_heartbeat_fires() -> None:
    event = firing_event()

    assert event.source == "uptime_kuma"
    assert event.status is AlertStatus.FIRING
    assert event.group_key == "uptime_kuma:7"
    assert event.dedup_key == "uptime_kuma:7:firing:2025-03-10T13:42:07.311000+00:00"
    assert event.summary == "SMTP outbound relay is down"
    assert event.description == "connect ECONNREFUSED 203.0.113.25:25"
    # Monitor tags act as labels.
    assert event.severity is Severity.CRITICAL
    assert event.components == ("outbound",)
    assert event.service == "email"
    # The heartbeat time is UTC without an offset.
    assert event.started_at == datetime(2025, 3, 10, 13, 42, 7, 311000, tzinfo=UTC)
    # A port monitor's url is the placeholder "https://", which leads nowhere.
    assert event.url == ""
    assert event.labels == {"component": "outbound", "severity": "critical", "service": "email"}


def test_up_heartbeat_resolves_the_same_group() -> None:
    event = event_of(load("uptime_kuma_up.json"))

    assert event is not None
    assert event.status is AlertStatus.RESOLVED
    assert event.group_key == firing_event().group_key
    assert event.dedup_key == "uptime_kuma:7:resolved:2025-03-10T14:28:37.902000+00:00"
    assert event.summary == "SMTP outbound relay is up"
    # Uptime Kuma says "N/A" when the check had nothing to say.
    assert event.description == ""
    assert event.started_at is None


@pytest.mark.parametrize(
    ("status", "time", "same"),
    [
        (0, "2025-03-10 13:42:07.311", True),
        (0, "2025-03-10 15:03:11.020", False),
        (1, "2025-03-10 13:42:07.311", False),
    ],
    ids=["retry", "down-again", "status-change"],
)
def test_dedup_key(status: int, time: str, same: bool) -> None:
    data = load("uptime_kuma_down.json")
    data["heartbeat"].update(status=status, time=time)

    event = event_of(data)

    assert event is not None
    assert (event.dedup_key == firing_event().dedup_key) is same


@pytest.mark.parametrize("status", [2, 3, 9], ids=["pending", "maintenance", "unknown"])
def test_other_heartbeats_are_ignored(status: int) -> None:
    data = load("uptime_kuma_down.json")
    data["heartbeat"]["status"] = status

    assert event_of(data) is None


def test_test_notification_is_ignored() -> None:
    assert event_of(load("uptime_kuma_test.json")) is None


def test_untagged_http_monitor_uses_defaults_and_its_url() -> None:
    data = load("uptime_kuma_down.json")
    data["monitor"].update(
        type="http", url="https://webmail.example.com/login", name="Webmail", tags=[]
    )

    event = event_of(data)

    assert event is not None
    assert event.severity is MAPPING.default_severity
    assert event.components == ()
    assert event.service == "email"
    assert event.url == "https://webmail.example.com/login"


def test_a_tag_given_twice_names_both_components() -> None:
    data = load("uptime_kuma_down.json")
    tag = copy.deepcopy(data["monitor"]["tags"][0])
    tag.update(id=14, value="inbound")
    data["monitor"]["tags"].append(tag)

    event = event_of(data)

    assert event is not None
    assert event.components == ("inbound", "outbound")


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("heartbeat", "status"), "down", ("heartbeat", "status")),
        (("heartbeat", "time"), "yesterday", ("heartbeat", "time")),
        (("monitor", "id"), None, ("monitor", "id")),
    ],
    ids=["status-not-a-number", "time-not-a-time", "no-monitor-id"],
)
def test_malformed_payloads_are_refused_naming_the_field(
    path: tuple[str, str], value: object, field: tuple[str, ...]
) -> None:
    data = load("uptime_kuma_down.json")
    data[path[0]][path[1]] = value

    with pytest.raises(ValidationError) as caught:
        UptimeKumaPayload.model_validate(data)

    assert [error["loc"] for error in caught.value.errors()] == [field]
