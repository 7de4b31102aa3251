"""Monitoring text longer than the database stores: cut and announced, on both backends.

Before issue 13 each of these was a 202 the worker then failed on PostgreSQL
(StringDataRightTruncation on incidents.title varchar(300)), or a 500 (a `service` label over
100 characters, an Uptime Kuma monitor id of 250 digits), while SQLite, which enforces no
length, stored them. Each runs the real API and a real Celery worker on Redis.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.fixtures.service import RunningService, wait_for
from tests.fixtures.webhooks import webhook_payload

ALERTMANAGER = "/api/v1/webhooks/alertmanager"
UPTIME_KUMA = "/api/v1/webhooks/uptime-kuma"
GENERIC = "/api/v1/webhooks/generic"


def sample(name: str) -> dict[str, Any]:
    data: dict[str, Any] = webhook_payload(name)
    return data


@pytest.fixture
def service(service_factory: Callable[..., RunningService], database_url: str) -> RunningService:
    return service_factory(database_url)


def incident_of(service: RunningService, name: str) -> dict[str, Any]:
    """The incident of service `name` once the worker opened it, with its timeline."""

    def opened() -> list[dict[str, Any]]:
        items = service.call("GET", "/api/v1/incidents").json()["items"]
        return [item for item in items if item["service"] == name]

    (incident,) = wait_for(opened, timeout=60, what=f"an incident for {name[:20]}…")
    detail: dict[str, Any] = service.call("GET", f"/api/v1/incidents/{incident['id']}").json()
    return detail


def cuts(detail: dict[str, Any]) -> list[str]:
    return [entry["text"] for entry in detail["timeline"] if entry["kind"] == "truncated"]


def alertmanager(summary: str, service: str = "email") -> dict[str, Any]:
    payload = sample("alertmanager_firing.json")
    payload["commonAnnotations"]["summary"] = summary
    payload["commonLabels"]["service"] = service
    payload["groupKey"] = f'{{}}/{{service="{service[:20]}"}}'
    return payload


def test_an_alertmanager_summary_of_3000_characters_opens_an_incident_titled_with_its_start(
    service: RunningService,
) -> None:
    summary = "Mail queue stuck on mx1 " + "x" * 2976
    response = service.call("POST", ALERTMANAGER, role="monitor", json=alertmanager(summary))
    assert response.status_code == 202, response.text

    detail = incident_of(service, "email")
    assert detail["title"] == summary[:299] + "…"
    assert cuts(detail) == ["alert summary cut from 3,000 to 300 characters"]


def test_a_service_label_of_150_characters_is_cut_not_a_500(service: RunningService) -> None:
    name = "svc-" + "s" * 146
    response = service.call(
        "POST", ALERTMANAGER, role="monitor", json=alertmanager("Queue stuck", service=name)
    )
    assert response.status_code == 202, response.text

    detail = incident_of(service, name[:99] + "…")
    assert cuts(detail) == ["service name cut from 150 to 100 characters"]


def test_an_uptime_kuma_monitor_id_of_250_digits_is_accepted(service: RunningService) -> None:
    payload = sample("uptime_kuma_down.json")
    payload["monitor"]["id"] = int("9" * 250)
    payload["heartbeat"]["monitorID"] = int("9" * 250)
    response = service.call("POST", UPTIME_KUMA, role="monitor", json=payload)
    assert response.status_code == 202, response.text

    detail = incident_of(service, "email")
    assert detail["title"] == "SMTP outbound relay is down"


def test_a_generic_summary_of_500_characters_is_cut_to_the_title_column(
    service: RunningService,
) -> None:
    event = {**sample("generic_firing.json"), "summary": "Webmail down " + "y" * 487}
    response = service.call("POST", GENERIC, role="monitor", json=event)
    assert response.status_code == 202, response.text

    detail = incident_of(service, "email")
    assert len(detail["title"]) == 300 and detail["title"].endswith("…")
    assert cuts(detail) == ["alert summary cut from 500 to 300 characters"]


def test_after_a_3000_character_alert_the_next_service_still_opens_and_is_told(
    service: RunningService,
) -> None:
    first = alertmanager("Mail queue stuck " + "z" * 2983)
    assert service.call("POST", ALERTMANAGER, role="monitor", json=first).status_code == 202
    second = alertmanager("VPN down", service="vpn")
    assert service.call("POST", ALERTMANAGER, role="monitor", json=second).status_code == 202

    for name in ("email", "vpn"):
        incident = incident_of(service, name)["id"]
        wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="told")  # noqa: B023
        page = service.call("GET", f"/api/v1/incidents/{incident}/deliveries").json()
        people = [row for row in page["items"] if not row["recipient"].startswith("fallback:")]
        assert people
        # Every person was reached (the partners' example.org hook never answers here).
        assert {row["state"] for row in people} <= {"sent", "delivered"}
