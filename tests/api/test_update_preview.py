"""The preview endpoints (issue 18), on SQLite and PostgreSQL: what a declaration or an update
would send, and proof that asking writes nothing (no incident, update, timeline or audit row)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.store.inbound_tables import AuditRow
from outage_notify.store.tables import DeliveryRow, IncidentRow, TimelineRow, UpdateRow
from tests.api.hardened_app import INCIDENTS, bearer, hardened_api, rows

STORED = (IncidentRow, UpdateRow, TimelineRow, DeliveryRow, AuditRow)
DECLARE = {
    "title": "Outbound mail stuck",
    "summary": "Mail you send waits in the queue; do not send it again.",
    "severity": "major",
    "components": ["outbound"],
}


@pytest.fixture
def api(providers: FakeProviders, database_url: str, redis_url: str) -> Iterator[TestClient]:
    with hardened_api(providers, database_url, redis_url) as client:
        yield client


def post(api: TestClient, path: str, body: dict[str, Any]) -> Any:
    return api.post(path, json=body, headers=bearer("staff"))


def counts(database_url: str) -> dict[str, int]:
    return {table.__name__: len(rows(database_url, table)) for table in STORED}


def test_a_declaration_preview_shows_every_body_and_stores_nothing(
    api: TestClient, database_url: str
) -> None:
    before = counts(database_url)

    answer = post(api, f"{INCIDENTS}/preview", DECLARE)

    assert answer.status_code == 200, answer.text
    preview = answer.json()
    assert counts(database_url) == before == dict.fromkeys(before, 0)
    assert preview["kind"] == "opened"
    assert "users" in preview["audiences"] and "management" in preview["audiences"]
    assert preview["recipients"] == sum(m["recipients"] for m in preview["messages"])
    sms = [m for m in preview["messages"] if m["channel"] == "sms" and m["audience"] == "users"]
    assert sms, preview["messages"]
    for message in sms:
        assert DECLARE["summary"] in message["body"]
        assert message["sms"]["encoding"] in ("GSM-7", "UCS-2")
        assert message["sms"]["segments"] >= 1
        assert message["sms"]["cost_total"] == pytest.approx(
            message["sms"]["cost_per_message"] * message["recipients"]
        )
        assert len(message["names"]) == min(message["recipients"], 50)
    assert preview["sms_cost"] == pytest.approx(
        sum(m["sms"]["cost_total"] for m in preview["messages"] if m["sms"])
    )


def test_an_update_preview_shows_the_eta_and_a_cut_and_stores_nothing(
    api: TestClient, database_url: str
) -> None:
    declared = post(api, INCIDENTS, DECLARE)
    assert declared.status_code == 201, declared.text
    incident = declared.json()["incident"]["id"]
    before = counts(database_url)
    in_two_hours = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    long_text = "The queue is draining; " + "every message will leave in order. " * 40

    answer = post(
        api,
        f"{INCIDENTS}/{incident}/updates/preview",
        {"message": long_text, "eta": in_two_hours, "phase": "fixing"},
    )

    assert answer.status_code == 200, answer.text
    preview = answer.json()
    assert counts(database_url) == before
    # No worker here: nobody was told of the declaration yet, so every audience would get
    # `opened`; the update's own kind is still eta_changed.
    assert preview["kind"] == "eta_changed"
    assert {m["kind"] for m in preview["messages"]} == {"opened"}
    cut = [m for m in preview["messages"] if m["truncated"]]
    assert cut, preview["messages"]
    for message in cut:
        assert message["truncated"]["field"] == "message"
        assert message["truncated"]["kept"] < message["truncated"]["of"], message["truncated"]
    assert any("the staff text is cut to" in warning for warning in preview["warnings"])


@pytest.mark.parametrize(
    ("path", "body", "code", "reason"),
    [
        (f"{INCIDENTS}/99/updates/preview", {"message": "x"}, 404, "no incident 99"),
        (f"{INCIDENTS}/preview", {**DECLARE, "components": ["webmial"]}, 422, "webmial"),
        (f"{INCIDENTS}/preview", {"title": ""}, 422, "title"),
    ],
)
def test_a_preview_is_refused_as_the_action_would_be(
    api: TestClient, path: str, body: dict[str, Any], code: int, reason: str
) -> None:
    answer = post(api, path, body)

    assert answer.status_code == code, answer.text
    assert reason in answer.text


def test_a_declaration_preview_while_one_is_open_is_a_409(api: TestClient) -> None:
    assert post(api, INCIDENTS, DECLARE).status_code == 201

    answer = post(api, f"{INCIDENTS}/preview", DECLARE)

    assert answer.status_code == 409
    assert "already open" in answer.json()["detail"]


def test_a_monitor_token_may_not_preview(api: TestClient) -> None:
    answer = api.post(f"{INCIDENTS}/preview", json=DECLARE, headers=bearer("monitor"))
    assert answer.status_code == 403
