"""A staff ETA in the past or more than 30 days ahead is a 422 with a reason, on every route
that takes one (issue 14, reproduction 2: an ETA in 2020 was accepted and sent)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.store.tables import UpdateRow
from tests.api.hardened_app import INCIDENTS, bearer, hardened_api, rows

STAFF = bearer("staff")


@pytest.fixture
def api(providers: FakeProviders, database_url: str, redis_url: str) -> Iterator[TestClient]:
    with hardened_api(providers, database_url, redis_url) as client:
        yield client


def refused_etas() -> list[str]:
    now = datetime.now(UTC)
    return [
        "2020-01-01T20:00:00-03:00",
        (now - timedelta(minutes=5)).isoformat(),
        (now + timedelta(days=31)).isoformat(),
    ]


def assert_refused_eta(answer: Any) -> None:
    """422 with the body every 422 of the API has (FastAPI's, as documented in OpenAPI: the
    fuzz run found a bare string here), naming the field and the reason."""
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["detail"]
    assert error["loc"] == ["body", "eta"] and "eta" in error["msg"], error


def test_a_past_or_far_eta_is_a_422_and_nothing_is_sent(api: TestClient, database_url: str) -> None:
    for eta in refused_etas():
        answer = api.post(
            INCIDENTS, json={"title": "Webmail down", "eta": eta, "service": "a"}, headers=STAFF
        )
        assert_refused_eta(answer)
    declared = api.post(INCIDENTS, json={"title": "Webmail down"}, headers=STAFF)
    assert declared.status_code == 201, declared.text
    incident = declared.json()["incident"]["id"]
    for eta in refused_etas():
        answer = api.post(
            f"{INCIDENTS}/{incident}/updates", json={"message": "x", "eta": eta}, headers=STAFF
        )
        assert_refused_eta(answer)
    # Only the declaration was stored: no refused ETA reaches anyone.
    assert [row.kind for row in rows(database_url, UpdateRow)] == ["opened"]
    fine = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    answer = api.post(
        f"{INCIDENTS}/{incident}/updates", json={"message": "x", "eta": fine}, headers=STAFF
    )
    assert answer.status_code == 202, answer.text
