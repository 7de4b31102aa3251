"""The notification clock's endpoints: the mark and each notice written once, on the timeline
and in the audit log; bad input is 409 or 422 with a reason."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.fixtures.app import api_client
from tests.fixtures.settings import service_settings

STAFF = {"Authorization": "Bearer clock-test-staff-token"}


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    settings = service_settings(
        database_url=database_url,
        api_tokens="staff:alice:clock-test-staff-token",
        timezone="America/Sao_Paulo",
    )
    with api_client(settings) as client:
        yield client


def declared(api: TestClient) -> str:
    response = api.post("/api/v1/incidents", json={"title": "Mail server breach"}, headers=STAFF)
    assert response.status_code == 201, response.text
    return f"/api/v1/incidents/{response.json()['incident']['id']}"


def test_the_mark_starts_the_lgpd_clock_and_a_notice_stops_it(api: TestClient) -> None:
    base = declared(api)
    assert api.get(base, headers=STAFF).json()["personal_data"] is None
    marked = api.post(f"{base}/personal-data", json={}, headers=STAFF)
    assert marked.status_code == 201, marked.text
    assert marked.json()["marked_by"] == "alice"
    (lgpd,) = marked.json()["clocks"]
    assert lgpd["obligation"] == "lgpd" and lgpd["notified"] is None
    again = api.post(f"{base}/personal-data", json={}, headers=STAFF)
    assert again.status_code == 409 and "already marked" in again.text
    made = api.post(
        f"{base}/notifications",
        json={"obligation": "lgpd", "reference": "ANPD-1"},
        headers=STAFF,
    )
    assert made.status_code == 201, made.text
    clocks = {c["obligation"]: c for c in made.json()["clocks"]}
    assert clocks["lgpd"]["notified"]["by"] == "alice" and clocks["lgpd"]["on_time"] is True
    assert clocks["lgpd_complement"]["notified"] is None
    twice = api.post(f"{base}/notifications", json={"obligation": "lgpd"}, headers=STAFF)
    assert twice.status_code == 409 and "already recorded" in twice.text
    detail = api.get(base, headers=STAFF).json()
    assert {e["kind"] for e in detail["timeline"]} >= {"personal_data", "notice"}
    assert len(detail["personal_data"]["clocks"]) == 2


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        ({"obligation": "gdpr"}, 422, "turned off"),
        ({"obligation": "ccpa"}, 422, "obligation"),
        ({"obligation": "lgpd", "reference": "x" * 501}, 422, "reference"),
        ({"obligation": "lgpd", "at": "2026-03-09T13:00:00"}, 422, "at"),
    ],
)
def test_a_bad_notice_is_refused_with_a_reason(
    api: TestClient, body: dict[str, object], status: int, reason: str
) -> None:
    base = declared(api)
    assert api.post(f"{base}/personal-data", json={}, headers=STAFF).status_code == 201
    refused = api.post(f"{base}/notifications", json=body, headers=STAFF)
    assert refused.status_code == status and reason in refused.text, refused.text


def test_a_notice_before_the_mark_or_a_mark_in_the_future_is_refused(api: TestClient) -> None:
    base = declared(api)
    early = api.post(f"{base}/notifications", json={"obligation": "lgpd"}, headers=STAFF)
    assert early.status_code == 409 and "personal-data first" in early.text
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    ahead = api.post(f"{base}/personal-data", json={"at": future}, headers=STAFF)
    assert ahead.status_code == 422 and "future" in ahead.text
    missing = api.post("/api/v1/incidents/999999/personal-data", json={}, headers=STAFF)
    assert missing.status_code == 404
