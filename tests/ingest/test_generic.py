"""The generic JSON event: strict validation, and keys that tell retries from re-fires."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from outage_notify.core.models import AlertEvent, AlertStatus, Severity
from outage_notify.ingest import GenericEvent, generic_event
from outage_notify.ingest.generic import MAX_DEDUP_KEY_LENGTH
from tests.fixtures.webhooks import webhook_payload

Payload = dict[str, Any]


def load(name: str) -> Payload:
    data: Payload = webhook_payload(name)
    return data


def event_of(data: Payload) -> AlertEvent:
    return generic_event(GenericEvent.model_validate(data))


def test_firing_event_is_normalised() -> None:
    event = event_of(load("generic_firing.json"))

    assert event.source == "generic"
    assert event.group_key == "generic:webmail-probe:webmail-login"
    assert event.dedup_key == (
        "generic:webmail-probe:webmail-login:firing:2025-03-10T13:44:00+00:00"
    )
    assert event.status is AlertStatus.FIRING
    assert event.severity is Severity.MAJOR
    assert event.summary == "Webmail logins are failing"
    assert event.components == ("imap", "webmail")
    assert event.service == "email"
    assert event.started_at == datetime(2025, 3, 10, 13, 44, tzinfo=UTC)
    assert event.url == "https://status-probe.example.com/checks/webmail-login"
    assert event.labels == {"region": "sao-paulo", "probe": "synthetic-login"}


def test_minimal_event_takes_the_documented_defaults() -> None:
    event = event_of(
        {
            "source": "zabbix",
            "dedup_key": "mx1-smtp",
            "status": "firing",
            "severity": "critical",
            "summary": "MX1 refuses connections",
        }
    )

    assert event.dedup_key == "generic:zabbix:mx1-smtp:firing:"
    assert (event.description, event.components, event.started_at) == ("", (), None)
    assert (event.url, event.service, event.labels) == ("", "email", {})


def _no_change(data: Payload) -> None:
    pass


def _same_instant_in_utc(data: Payload) -> None:
    data["started_at"] = "2025-03-10T13:44:00Z"


def _reworded(data: Payload) -> None:
    data["summary"] = "Webmail logins fail (502)"
    data["components"] = ["imap", "webmail"]


@pytest.mark.parametrize(
    "change",
    [_no_change, _same_instant_in_utc, _reworded],
    ids=["retry", "same-instant-in-utc", "reworded-retry"],
)
def test_a_repeat_of_the_same_event_is_a_duplicate(change: Callable[[Payload], None]) -> None:
    original = load("generic_firing.json")
    repeat = copy.deepcopy(original)
    change(repeat)

    assert event_of(repeat).dedup_key == event_of(original).dedup_key


def _resolved(data: Payload) -> None:
    data["status"] = "resolved"


def _refired(data: Payload) -> None:
    data["started_at"] = "2025-03-10T15:02:00-03:00"


def _other_source(data: Payload) -> None:
    data["source"] = "zabbix"


@pytest.mark.parametrize(
    "change", [_resolved, _refired, _other_source], ids=["status-change", "re-fire", "source"]
)
def test_a_changed_event_is_new(change: Callable[[Payload], None]) -> None:
    original = load("generic_firing.json")
    changed = copy.deepcopy(original)
    change(changed)

    assert event_of(changed).dedup_key != event_of(original).dedup_key


def test_resolved_fixture_closes_the_firing_group() -> None:
    firing = event_of(load("generic_firing.json"))
    resolved = event_of(load("generic_resolved.json"))

    assert resolved.status is AlertStatus.RESOLVED
    assert resolved.group_key == firing.group_key
    assert resolved.dedup_key != firing.dedup_key


def test_long_keys_are_hashed_to_fit_the_store() -> None:
    data = load("generic_firing.json")
    data["source"] = "s" * 100
    data["dedup_key"] = "k" * 200
    other = copy.deepcopy(data)
    other["dedup_key"] = "k" * 199 + "x"

    event = event_of(data)

    assert len(event.dedup_key) <= MAX_DEDUP_KEY_LENGTH
    assert event.dedup_key == event_of(copy.deepcopy(data)).dedup_key
    assert event.dedup_key != event_of(other).dedup_key
    assert event.group_key == f"generic:{'s' * 100}:{'k' * 200}"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("severity", "urgent"),
        ("severity", "CRITICAL"),
        ("status", "acknowledged"),
        ("started_at", "2025-03-10T13:44:00"),
        ("source", ""),
        ("source", "   "),
        ("source", "a:b"),
        ("dedup_key", ""),
        ("summary", ""),
        ("labels", {"n": 1}),
        ("unexpected", "field"),
    ],
    ids=[
        "unknown-severity",
        "severity-is-case-sensitive",
        "unknown-status",
        "naive-started-at",
        "empty-source",
        "blank-source",
        "colon-in-source",
        "empty-dedup-key",
        "empty-summary",
        "non-string-label",
        "unknown-field",
    ],
)
def test_invalid_events_are_refused_naming_the_field(field: str, value: object) -> None:
    data = load("generic_firing.json")
    data[field] = value

    with pytest.raises(ValidationError) as caught:
        GenericEvent.model_validate(data)

    assert {error["loc"][0] for error in caught.value.errors()} == {field}


def test_long_text_is_cut_with_an_ellipsis_never_refused() -> None:
    # A monitor cannot fix its payload: refusing would have it retry (or drop) forever.
    data = load("generic_firing.json")
    data.update(
        source="s" * 101,
        dedup_key="k" * 201,
        summary="x" * 501,
        description="d" * 5001,
        service="v" * 150,
        components=["c" * 51, *(f"c{n}" for n in range(25))],
    )

    event = event_of(data)

    assert event.summary == "x" * 299 + "…"
    assert len(event.description) == 5000 and event.description.endswith("…")
    assert event.service == "v" * 99 + "…"
    assert "c" * 49 + "…" in event.components and len(event.components) == 26
    assert len(event.dedup_key) <= MAX_DEDUP_KEY_LENGTH
    assert event.truncated == {
        "summary": 501,
        "description": 5001,
        "service": 150,
        "component name": 51,
    }


@pytest.mark.parametrize("component", [""], ids=["empty"])
def test_each_component_is_checked(component: str) -> None:
    data = load("generic_firing.json")
    data["components"] = ["webmail", component]

    with pytest.raises(ValidationError) as caught:
        GenericEvent.model_validate(data)

    assert [error["loc"] for error in caught.value.errors()] == [("components", 1)]


def test_field_descriptions_reach_the_json_schema() -> None:
    properties = GenericEvent.model_json_schema()["properties"]

    assert all(spec.get("description") for spec in properties.values())
    assert properties["severity"]["$ref"].endswith("/Severity")
    assert GenericEvent.model_json_schema()["additionalProperties"] is False
