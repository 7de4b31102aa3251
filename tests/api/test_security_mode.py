"""Cause category and security mode through the API, on SQLite and PostgreSQL (issue 17):
what staff are answered, what the record keeps, what the public pages show. No worker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from outage_notify.integrations.fake_server import FakeProviders
from tests.api.hardened_app import INCIDENTS, bearer, hardened_api

REFRESH = {"X-Outage-Notify-Refresh": "1"}


@pytest.fixture
def api(providers: FakeProviders, database_url: str, redis_url: str) -> Iterator[TestClient]:
    with hardened_api(providers, database_url, redis_url) as client:
        yield client


def call(api: TestClient, method: str, path: str, role: str = "staff", **body: Any) -> Any:
    return api.request(method, path, json=body if body else None, headers=bearer(role))


def declare(api: TestClient, **fields: Any) -> dict[str, Any]:
    body = {"title": "mx1 relay down", "components": ["inbound"], **fields}
    response = call(api, "POST", INCIDENTS, **body)
    assert response.status_code == 201, response.text
    incident: dict[str, Any] = response.json()["incident"]
    return incident


def reads(api: TestClient, incident: int) -> list[str]:
    page = api.get(
        "/api/v1/audit", params={"incident_id": incident}, headers=bearer("admin")
    ).json()
    return [item["detail"]["path"] for item in page["items"] if item["action"] == "read"]


def test_a_category_is_patchable_on_the_timeline_and_only_known_ones_are_accepted(
    api: TestClient,
) -> None:
    incident = declare(api)
    assert incident["cause_category"] == "unknown" and incident["security_since"] is None
    wrong = call(api, "PATCH", f"{INCIDENTS}/{incident['id']}", cause_category="aliens")
    assert wrong.status_code == 422 and "cause_category" in wrong.text

    done = call(api, "PATCH", f"{INCIDENTS}/{incident['id']}", cause_category="network")
    assert done.status_code == 200 and done.json()["cause_category"] == "network"
    assert done.json()["security_since"] is None
    detail = call(api, "GET", f"{INCIDENTS}/{incident['id']}").json()
    assert "cause category unknown → network" in [t["text"] for t in detail["timeline"]]
    # Outside security mode a read is not audited, and a retraction is allowed.
    assert reads(api, incident["id"]) == []
    retracted = call(api, "POST", f"{INCIDENTS}/{incident['id']}/retract", message="A test.")
    assert retracted.status_code == 202, retracted.text


def test_declared_in_security_mode_public_defaults_to_false_and_the_page_is_neutral(
    api: TestClient,
) -> None:
    incident = declare(api, security=True)
    assert incident["security_since"] is not None and incident["cause_category"] == "unknown"
    path = f"{INCIDENTS}/{incident['id']}"
    call(api, "POST", f"{path}/updates", message="Relay host mx1 was breached.")
    call(api, "POST", f"{path}/updates", message="Use the hotline meanwhile.", public=True)

    updates = call(api, "GET", path, headers=REFRESH).json()["updates"]
    assert [u["public"] for u in updates] == [False, False, True]
    status = api.get("/status.json", params={"lang": "en"})
    current = status.json()["current"]
    assert current["title"] == "Email is unavailable while we investigate"
    assert current["components"] == [] and "mx1" not in status.text
    assert current["latest_update"]["message"] == "Use the hotline meanwhile."
    feed = api.get("/status/feed.atom", params={"lang": "en"})
    assert "mx1" not in feed.text and "Email is unavailable while we investigate" in feed.text


def test_in_security_mode_patches_are_revisions_reads_are_audited_and_retraction_refused(
    api: TestClient,
) -> None:
    incident = declare(api, cause_category="security")
    path = f"{INCIDENTS}/{incident['id']}"
    assert incident["security_since"] is not None
    item = call(api, "POST", f"{path}/action-items", text="Rotate keys", owner="ana")
    item_id = item.json()["id"]
    call(api, "PATCH", f"{path}/action-items/{item_id}", status="done")
    call(api, "PATCH", path, title="Relay compromised", root_cause="Leaked key")
    call(api, "PATCH", path, title="Relay compromised via leaked key")

    detail = call(api, "GET", path).json()
    revisions = [(r["field"], r["old"], r["new"]) for r in detail["revisions"]]
    assert revisions == [
        (f"action_item:{item_id}.status", "open", "done"),
        ("title", "mx1 relay down", "Relay compromised"),
        ("root_cause", "", "Leaked key"),
        ("title", "Relay compromised", "Relay compromised via leaked key"),
    ]
    refused = call(api, "POST", f"{path}/retract", message="Never mind.")
    assert refused.status_code == 409 and "security mode" in refused.json()["detail"]

    before = reads(api, incident["id"])
    api.get(path, headers={**bearer("staff"), **REFRESH})
    assert reads(api, incident["id"]) == before
    api.get(f"{path}/report", params={"format": "md"}, headers=bearer("staff"))
    api.get(f"{path}/action-items", headers=bearer("staff"))
    assert reads(api, incident["id"])[:2] == [f"{path}/action-items", f"{path}/report?format=md"]


def test_notes_for_security_and_containment_steps_are_recorded(api: TestClient) -> None:
    incident = declare(api, security=True)
    path = f"{INCIDENTS}/{incident['id']}"
    note = call(api, "POST", f"{path}/notes", text="Key leaked", for_security=True)
    step = call(api, "POST", f"{path}/notes", text="Relay isolated", kind="containment")
    reset = call(api, "POST", f"{path}/notes", text="All admins reset", kind="credential_reset")
    assert all(r.status_code == 201 for r in (note, step, reset)), note.text

    updates = call(api, "GET", path).json()["updates"]
    assert updates[-1]["message"] == "Key leaked" and updates[-1]["public"] is False
    report = call(api, "GET", f"{path}/report").json()
    kinds = [event["kind"] for event in report["security"]["events"]]
    assert kinds == ["detected", "security_mode", "containment", "credential_reset"]
