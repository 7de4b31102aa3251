"""Alertmanager v4 payloads become one AlertEvent; copies of a notification share a dedup key."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import assume, given, settings
from pydantic import ValidationError

from outage_notify.core.models import AlertEvent, AlertStatus, Severity
from outage_notify.ingest import AlertmanagerPayload, LabelMapping, alertmanager_event
from outage_notify.ingest.alertmanager import fingerprint_of, group_digest
from tests import strategies
from tests.fixtures.settings import build_settings
from tests.fixtures.webhooks import webhook_body, webhook_payload

MAPPING = LabelMapping.from_settings(build_settings())

Payload = dict[str, Any]


def load(name: str) -> Payload:
    data: Payload = webhook_payload(name)
    return data


def event_of(data: Payload) -> AlertEvent:
    return alertmanager_event(AlertmanagerPayload.model_validate(data), mapping=MAPPING)


def test_firing_payload_becomes_one_critical_email_event() -> None:
    event = event_of(load("alertmanager_firing.json"))

    assert event.source == "alertmanager"
    assert event.status is AlertStatus.FIRING
    assert event.severity is Severity.CRITICAL
    assert event.components == ("inbound", "outbound")
    assert event.service == "email"
    assert event.group_key == 'alertmanager:{}/{service="email"}:{service="email"}'
    assert event.dedup_key.startswith("alertmanager:")
    # No common summary: the oldest alert speaks for the group.
    assert event.summary == "Outgoing email is not being delivered"
    assert event.description.startswith("The SMTP probe against smtp-out-1")
    # Nanoseconds are cut to microseconds; the earliest start wins.
    assert event.started_at == datetime(2025, 3, 10, 13, 40, 52, 123456, tzinfo=UTC)
    assert event.url == "http://alertmanager.example.com:9093"
    assert event.labels == {"job": "blackbox-smtp", "service": "email", "severity": "critical"}


def test_resolved_payload_resolves_the_same_group() -> None:
    firing = event_of(load("alertmanager_firing.json"))
    resolved = event_of(load("alertmanager_resolved.json"))

    assert resolved.status is AlertStatus.RESOLVED
    assert resolved.group_key == firing.group_key
    assert resolved.dedup_key != firing.dedup_key
    assert resolved.severity is Severity.CRITICAL
    assert resolved.components == ("inbound", "outbound")


def _reorder_alerts(data: Payload) -> None:
    data["alerts"].reverse()


def _as_ha_peer(data: Payload) -> None:
    # Another peer: same alerts, its own URL, receiver and key order.
    data["externalURL"] = "http://alertmanager-2.example.com:9093"
    data["alerts"].reverse()
    data["alerts"] = [dict(reversed(list(alert.items()))) for alert in data["alerts"]]


def _same_instant_other_offset(data: Payload) -> None:
    data["alerts"][0]["startsAt"] = "2025-03-10T10:40:52.123456789-03:00"


def _add_unknown_fields(data: Payload) -> None:
    data["someFutureField"] = {"x": 1}
    data["alerts"][0]["anotherOne"] = True


def _no_change(data: Payload) -> None:
    pass


@pytest.mark.parametrize(
    "change",
    [_no_change, _reorder_alerts, _as_ha_peer, _same_instant_other_offset, _add_unknown_fields],
    ids=["retry", "alerts-reordered", "ha-peer", "same-instant-other-offset", "extra-fields"],
)
def test_copies_of_one_notification_share_the_dedup_key(
    change: Callable[[Payload], None],
) -> None:
    original = load("alertmanager_firing.json")
    copied = copy.deepcopy(original)
    change(copied)

    assert event_of(copied).dedup_key == event_of(original).dedup_key


def _resolve(data: Payload) -> None:
    data["status"] = "resolved"
    for alert in data["alerts"]:
        alert["status"] = "resolved"
        alert["endsAt"] = "2025-03-10T14:27:37Z"


def _refire(data: Payload) -> None:
    # After resolving, the same alerts fire again: Prometheus gives them a new startsAt.
    for alert in data["alerts"]:
        alert["startsAt"] = "2025-03-10T16:05:00Z"


def _one_alert_resolves(data: Payload) -> None:
    data["alerts"][0]["status"] = "resolved"
    data["alerts"][0]["endsAt"] = "2025-03-10T14:10:00Z"


def _alert_joins(data: Payload) -> None:
    extra = copy.deepcopy(data["alerts"][0])
    extra["labels"]["alertname"] = "WebmailDown"
    extra["fingerprint"] = "0c55e1d2f3a4b697"
    data["alerts"].append(extra)


def _other_group(data: Payload) -> None:
    data["groupKey"] = '{}/{service="vpn"}:{service="vpn"}'


@pytest.mark.parametrize(
    "change",
    [_resolve, _refire, _one_alert_resolves, _alert_joins, _other_group],
    ids=["status-change", "re-fire", "one-alert-resolves", "alert-joins", "other-group"],
)
def test_a_changed_notification_gets_a_new_dedup_key(change: Callable[[Payload], None]) -> None:
    original = load("alertmanager_firing.json")
    changed = copy.deepcopy(original)
    change(changed)

    assert event_of(changed).dedup_key != event_of(original).dedup_key


def test_missing_fingerprints_are_derived_from_labels() -> None:
    # Alertmanager before 0.20 sends no fingerprint; dedup must still hold.
    original = load("alertmanager_firing.json")
    for alert in original["alerts"]:
        del alert["fingerprint"]
    reordered = copy.deepcopy(original)
    reordered["alerts"].reverse()
    relabelled = copy.deepcopy(original)
    relabelled["alerts"][0]["labels"]["instance"] = "smtp-out-2.mail.example.com:25"

    assert event_of(reordered).dedup_key == event_of(original).dedup_key
    assert event_of(relabelled).dedup_key != event_of(original).dedup_key


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["critical", "minor"], Severity.CRITICAL),
        (["warning", "info"], Severity.MAJOR),
        (["info", "low"], Severity.MINOR),
        (["PAGE"], Severity.CRITICAL),
        ([" Warning "], Severity.MAJOR),
        (["sev-unknown"], Severity.MAJOR),
        (["minor", "sev-unknown"], Severity.MAJOR),
        ([None], Severity.MAJOR),
    ],
    ids=[
        "highest-wins",
        "warning-is-major",
        "all-minor",
        "case-insensitive",
        "whitespace",
        "unknown-is-default",
        "unknown-outranks-minor",
        "no-label-is-default",
    ],
)
def test_severity_is_the_highest_mapped_label(values: list[str | None], expected: Severity) -> None:
    data = load("alertmanager_firing.json")
    template = data["alerts"][0]
    data["alerts"] = []
    for index, value in enumerate(values):
        alert = copy.deepcopy(template)
        alert["fingerprint"] = f"{index:016x}"
        alert["labels"].pop("severity")
        if value is not None:
            alert["labels"]["severity"] = value
        data["alerts"].append(alert)

    assert event_of(data).severity is expected


def test_resolved_alerts_in_a_firing_group_do_not_count() -> None:
    data = load("alertmanager_firing.json")
    outbound, inbound = data["alerts"]
    outbound["status"] = "resolved"
    outbound["endsAt"] = "2025-03-10T14:10:00Z"
    inbound["labels"]["severity"] = "warning"

    event = event_of(data)

    assert event.status is AlertStatus.FIRING
    assert event.severity is Severity.MAJOR
    assert event.components == ("inbound",)
    assert event.summary == "Incoming email is not being received"
    # The group began when its first alert did, resolved or not.
    assert event.started_at == datetime(2025, 3, 10, 13, 40, 52, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["outbound", "inbound"], ("inbound", "outbound")),
        (["inbound,outbound", "outbound"], ("inbound", "outbound")),
        (["inbound outbound", "webmail"], ("inbound", "outbound", "webmail")),
        (["inbound, ,outbound", None], ("inbound", "outbound")),
        ([None, None], ()),
    ],
    ids=["union", "comma-separated", "space-separated", "blanks", "none"],
)
def test_components_are_the_union_of_component_labels(
    labels: list[str | None], expected: tuple[str, ...]
) -> None:
    data = load("alertmanager_firing.json")
    for alert, value in zip(data["alerts"], labels, strict=True):
        alert["labels"].pop("component")
        if value is not None:
            alert["labels"]["component"] = value

    assert event_of(data).components == expected


@pytest.mark.parametrize(
    ("common", "first_alert", "expected"),
    [
        ({"summary": "Email is down"}, None, "Email is down"),
        ({}, "Outgoing email is not being delivered", "Outgoing email is not being delivered"),
        ({}, None, "MailOutboundDown"),
    ],
    ids=["common-annotation", "first-alert", "alertname"],
)
def test_summary_falls_back_in_order(
    common: dict[str, str], first_alert: str | None, expected: str
) -> None:
    data = load("alertmanager_firing.json")
    data["alerts"] = data["alerts"][:1]
    data["commonAnnotations"] = common
    data["commonLabels"]["alertname"] = "MailOutboundDown"
    data["alerts"][0]["annotations"].pop("summary")
    if first_alert is not None:
        data["alerts"][0]["annotations"]["summary"] = first_alert

    assert event_of(data).summary == expected


def test_summary_without_any_text_is_alert_and_url_falls_back_to_generator() -> None:
    data = load("alertmanager_firing.json")
    data["commonLabels"].pop("alertname", None)
    data["externalURL"] = ""
    for alert in data["alerts"]:
        alert["annotations"] = {}

    event = event_of(data)

    assert event.summary == "Alert"
    assert event.description == ""
    assert event.url.startswith("http://prometheus.example.com:9090/graph?")


def test_service_defaults_to_email_without_a_service_label() -> None:
    data = load("alertmanager_firing.json")
    data["commonLabels"].pop("service")
    for alert in data["alerts"]:
        alert["labels"].pop("service")

    assert event_of(data).service == "email"


def _version_3(data: Payload) -> None:
    data["version"] = "3"


def _no_version(data: Payload) -> None:
    del data["version"]


def _no_group_key(data: Payload) -> None:
    del data["groupKey"]


def _empty_group_key(data: Payload) -> None:
    data["groupKey"] = ""


def _no_alerts(data: Payload) -> None:
    data["alerts"] = []


def _unknown_status(data: Payload) -> None:
    data["status"] = "pending"


def _alert_without_start(data: Payload) -> None:
    del data["alerts"][0]["startsAt"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_version_3, ("version",)),
        (_no_version, ("version",)),
        (_no_group_key, ("groupKey",)),
        (_empty_group_key, ("groupKey",)),
        (_no_alerts, ("alerts",)),
        (_unknown_status, ("status",)),
        (_alert_without_start, ("alerts", 0, "startsAt")),
    ],
    ids=[
        "version-3",
        "no-version",
        "no-group-key",
        "empty-group-key",
        "no-alerts",
        "unknown-status",
        "alert-without-start",
    ],
)
def test_malformed_payloads_are_refused_naming_the_field(
    change: Callable[[Payload], None], field: tuple[str | int, ...]
) -> None:
    data = load("alertmanager_firing.json")
    change(data)

    with pytest.raises(ValidationError) as caught:
        AlertmanagerPayload.model_validate(data)

    assert [error["loc"] for error in caught.value.errors()] == [field]


def test_payload_parses_from_raw_json_bytes() -> None:
    raw = webhook_body("alertmanager_firing.json")
    payload = AlertmanagerPayload.model_validate_json(raw)
    expected = event_of(load("alertmanager_firing.json"))

    assert payload.alerts[0].endsAt is None
    assert alertmanager_event(payload, mapping=MAPPING) == expected


def first_digest(group: str, payload: AlertmanagerPayload) -> str:
    """`group_digest` as first written: stored dedup keys must match across versions."""
    alerts = sorted(
        (
            fingerprint_of(alert),
            alert.startsAt.isoformat(),
            alert.endsAt.isoformat() if alert.endsAt else "",
        )
        for alert in payload.alerts
    )
    material = json.dumps([group, payload.status.value, alerts], separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()


@settings(max_examples=strategies.examples() * 4, deadline=None)
@given(data=strategies.alertmanager_payloads(), group=strategies.hostile_text())
def test_the_dedup_key_digest_is_the_one_first_defined(data: Payload, group: str) -> None:
    try:
        payload = AlertmanagerPayload.model_validate(data)
    except ValidationError:
        assume(False)
    assert group_digest(group, payload) == first_digest(group, payload)
