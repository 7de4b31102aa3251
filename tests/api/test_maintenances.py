"""Scheduled maintenance's endpoints on PostgreSQL and SQLite: a window is stored with its
carrier incident and timeline, extended, completed or cancelled once; bad input is a 4xx with
a reason, never a 500 (Hypothesis throws bodies at it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.app import api_client
from tests.fixtures.clock import ManualClock
from tests.fixtures.settings import service_settings

STAFF = {"Authorization": "Bearer maintenance-test-staff-token"}
ADMIN = {"Authorization": "Bearer maintenance-test-admin-token"}
NOW = datetime(2026, 3, 12, 17, 0, tzinfo=UTC)
START = NOW + timedelta(days=1)
END = START + timedelta(hours=3)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def api(database_url: str, clock: ManualClock) -> Iterator[TestClient]:
    settings = service_settings(
        database_url=database_url,
        api_tokens="staff:alice:maintenance-test-staff-token,admin:root:maintenance-test-admin-token",
        timezone="America/Sao_Paulo",
    )
    with api_client(settings, clock=clock) as client:
        yield client


def window(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "components": ["inbound"],
        "start": START.isoformat(),
        "end": END.isoformat(),
        "text": "We are moving the mail server to a new machine.",
        "audiences": ["management", "users"],
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def scheduled(api: TestClient, **changes: Any) -> dict[str, Any]:
    made = api.post("/api/v1/maintenances", json=window(**changes), headers=STAFF)
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def test_a_window_is_stored_listed_and_shown_with_its_timeline(api: TestClient) -> None:
    made = scheduled(api, require_probes=True)
    assert made["state"] == "scheduled" and made["created_by"] == "alice"
    assert made["components"] == ["inbound"] and made["require_probes"] is True
    assert made["announcements_incident_id"] is not None
    assert [e["kind"] for e in made["timeline"]] == ["scheduled"]
    listed = api.get("/api/v1/maintenances", headers=STAFF).json()["items"]
    assert [w["id"] for w in listed] == [made["id"]]
    shown = api.get(f"/api/v1/maintenances/{made['id']}", headers=STAFF).json()
    assert shown["text"] == made["text"] and shown["planned_end"] == shown["end"]
    # The carrier is hidden: not an incident on the status page, and email is fine.
    status = api.get("/status.json").json()
    assert status["email_ok"] is True and status["incidents"] == []
    assert [w["state"] for w in status["maintenance"]] == ["upcoming"]
    audit = api.get("/api/v1/audit", headers=ADMIN)
    assert audit.status_code == 200 and "maintenance_schedule" in audit.text
    assert api.get("/api/v1/maintenances", headers={}).status_code == 401


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"end": START.isoformat()}, "'end' must be after 'start'"),
        ({"start": (NOW - timedelta(hours=1)).isoformat()}, "in the past"),
        (
            {
                "start": (NOW + timedelta(days=400)).isoformat(),
                "end": (NOW + timedelta(days=401)).isoformat(),
            },
            "more than a year ahead",
        ),
        ({"end": (START + timedelta(days=8)).isoformat()}, "at most 7 days"),
        ({"components": ["webmial"]}, "unknown component(s) webmial"),
        ({"audiences": ["board"]}, "unknown audience(s) board"),
        ({"audiences": []}, "unknown audience(s)"),
        ({"start": "2026-03-13T17:00:00"}, "timezone"),
        ({"text": ""}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_window_is_refused_with_a_reason(
    api: TestClient, changes: dict[str, Any], reason: str
) -> None:
    refused = api.post("/api/v1/maintenances", json=window(**changes), headers=STAFF)
    assert refused.status_code == 422, refused.text
    assert reason in refused.text, refused.text
    assert api.get("/api/v1/maintenances", headers=STAFF).json()["items"] == []


def test_extend_complete_and_cancel_follow_the_state(api: TestClient, clock: ManualClock) -> None:
    made = scheduled(api)
    base = f"/api/v1/maintenances/{made['id']}"
    later = (END + timedelta(hours=1)).isoformat()
    extended = api.post(f"{base}/extend", json={"end": later, "reason": "disk copy"}, headers=STAFF)
    assert extended.status_code == 200, extended.text
    assert extended.json()["end"] != extended.json()["planned_end"]
    assert "disk copy" in extended.json()["timeline"][-1]["text"]
    earlier = api.post(f"{base}/extend", json={"end": END.isoformat()}, headers=STAFF)
    assert earlier.status_code == 422 and "after the current end" in earlier.text
    # Not started yet: it is cancelled, not completed.
    early = api.post(f"{base}/complete", json={}, headers=STAFF)
    assert early.status_code == 409 and "cancel a scheduled one" in early.text
    cancelled = api.post(f"{base}/cancel", json={"reason": "vendor postponed"}, headers=STAFF)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    again = api.post(f"{base}/cancel", json={}, headers=STAFF)
    assert again.status_code == 409 and "only a window not yet started" in again.text
    closed = api.post(f"{base}/extend", json={"end": later}, headers=STAFF)
    assert closed.status_code == 409 and "only an open window" in closed.text
    assert api.get("/status.json").json()["maintenance"] == []
    assert api.post("/api/v1/maintenances/999999/cancel", json={}, headers=STAFF).status_code == 404
    assert api.get("/api/v1/maintenances/0", headers=STAFF).status_code == 422


BODY_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=30),
    st.lists(st.text(max_size=12), max_size=4),
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    body=st.one_of(
        st.dictionaries(
            st.sampled_from(
                ["service", "components", "start", "end", "text", "audiences", "require_probes"]
            ),
            BODY_VALUES,
        ),
        st.builds(
            lambda start, hours, components: window(
                start=start.isoformat(),
                end=(start + timedelta(hours=hours)).isoformat(),
                components=components,
            ),
            st.datetimes(
                min_value=datetime(2000, 1, 1),
                max_value=datetime(2100, 1, 1),
                timezones=st.just(UTC),
            ),
            st.integers(min_value=-48, max_value=400),
            st.lists(st.sampled_from(["inbound", "outbound", "webmail", "x"]), max_size=3),
        ),
    )
)
def test_any_body_is_accepted_or_refused_with_a_reason(
    api: TestClient, body: dict[str, Any]
) -> None:
    answer = api.post("/api/v1/maintenances", json=body, headers=STAFF)
    assert answer.status_code in (201, 422), answer.text
    if answer.status_code == 201:
        made = answer.json()
        start, end = datetime.fromisoformat(made["start"]), datetime.fromisoformat(made["end"])
        assert NOW - timedelta(minutes=5) <= start < end <= start + timedelta(days=7)
    else:
        assert answer.json()["detail"][0]["msg"]
