"""Action items: staff set an owner and a status (open/done), audited; bad values are 422."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.fixtures.app import api_client
from tests.fixtures.settings import service_settings

ROOT = Path(__file__).resolve().parents[2]
STAFF = {"Authorization": "Bearer items-test-staff-token"}
ADMIN = {"Authorization": "Bearer items-test-admin-token"}


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    settings = service_settings(
        database_url=database_url,
        api_tokens="staff:alice:items-test-staff-token,admin:root:items-test-admin-token",
        timezone="America/Sao_Paulo",
    )
    with api_client(settings) as client:
        yield client


def item_of(api: TestClient, service: str = "email") -> tuple[int, int]:
    declared = api.post(
        "/api/v1/incidents", json={"title": "Mail down", "service": service}, headers=STAFF
    )
    assert declared.status_code == 201, declared.text
    incident = int(declared.json()["incident"]["id"])
    added = api.post(
        f"/api/v1/incidents/{incident}/action-items",
        json={"text": "Alert on relay disk usage"},
        headers=STAFF,
    )
    assert added.status_code == 201, added.text
    return incident, int(added.json()["id"])


def test_staff_give_an_item_an_owner_and_close_it_and_the_report_shows_it(
    api: TestClient,
) -> None:
    incident, item = item_of(api)
    path = f"/api/v1/incidents/{incident}/action-items/{item}"
    [listed] = api.get(f"/api/v1/incidents/{incident}/action-items", headers=STAFF).json()
    assert (listed["owner"], listed["status"]) == ("", "open")

    owned = api.patch(path, json={"owner": "bob"}, headers=STAFF)
    assert owned.status_code == 200, owned.text
    assert (owned.json()["owner"], owned.json()["status"]) == ("bob", "open")
    done = api.patch(path, json={"status": "done"}, headers=STAFF)
    assert (done.json()["owner"], done.json()["status"]) == ("bob", "done")

    report = api.get(f"/api/v1/incidents/{incident}/report", headers=STAFF).json()
    assert [(a["owner"], a["status"]) for a in report["action_items"]] == [("bob", "done")]
    assert report["timezone"] == "America/Sao_Paulo"
    markdown = api.get(
        f"/api/v1/incidents/{incident}/report", params={"format": "md"}, headers=STAFF
    ).text
    assert "| 1 | Alert on relay disk usage | bob | done |" in markdown
    assert " GMT-03:00 (" in markdown and " UTC)" in markdown  # local time, UTC beside
    audit = api.get("/api/v1/audit", headers=ADMIN).json()["items"]
    edits = [e for e in audit if e["action"] == "action_item_edit"]
    assert [e["detail"] for e in edits][-2:] in (
        [{"action_item_id": item, "owner": "bob"}, {"action_item_id": item, "status": "done"}],
        [{"action_item_id": item, "status": "done"}, {"action_item_id": item, "owner": "bob"}],
    )
    assert all(e["actor"] == "alice" for e in edits)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"status": "closed"}, "open"),
        ({"status": None}, "owner or status"),
        ({}, "owner or status"),
        ({"owner": "x" * 201}, "200"),
        ({"text": "rewritten"}, "text"),
    ],
)
def test_bad_values_are_a_422_with_the_reason(
    api: TestClient, body: dict[str, object], reason: str
) -> None:
    incident, item = item_of(api)
    answer = api.patch(
        f"/api/v1/incidents/{incident}/action-items/{item}", json=body, headers=STAFF
    )
    assert answer.status_code == 422, answer.text
    assert reason in answer.text


def test_an_item_of_another_incident_is_a_404(api: TestClient) -> None:
    _, item = item_of(api)
    other, _ = item_of(api, "webmail")
    answer = api.patch(
        f"/api/v1/incidents/{other}/action-items/{item}", json={"status": "done"}, headers=STAFF
    )
    assert answer.status_code == 404 and f"no action item {item}" in answer.text
