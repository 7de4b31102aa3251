"""Property tests: no generated input gets a 5xx from a webhook or the main staff routes.

Through the real app (TestClient), on SQLite and PostgreSQL with the Redis broker. Payloads
come from `tests/strategies.py`: recorded valid bodies with fields replaced by boundary
lengths, hostile strings (NUL, lone surrogates, U+FFFF), huge numbers, extreme timestamps,
deep nesting, plus raw bodies no encoder writes. Every 2xx'd webhook event must also be one
the worker can store: its text within the columns' limits.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outage_notify.core import field_limits as limits
from outage_notify.core.models import AlertEvent
from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.store.tables import EventRow
from tests import strategies
from tests.api.hardened_app import INCIDENTS, bearer, grafana_headers, hardened_api, rows

# Example count from OUTAGE_NOTIFY_FUZZ_EXAMPLES: 25 by default, 500 in `scripts/test --fuzz`.
pytestmark = pytest.mark.fuzz

PROPERTY = settings(
    max_examples=strategies.examples(),
    deadline=None,
    # One app per test serves every example: its state (rows) is what a real service has.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def api(providers: FakeProviders, database_url: str, redis_url: str) -> Iterator[TestClient]:
    with hardened_api(providers, database_url, redis_url) as client:
        yield client


# Answers by status code over the run: `pytest -s` prints them per test (SECURITY.md's figures).
ANSWERS: Counter[int] = Counter()


@pytest.fixture(autouse=True)
def _report_answers(request: pytest.FixtureRequest) -> Iterator[None]:
    ANSWERS.clear()
    yield
    print(
        f"\n{request.node.name}: {sum(ANSWERS.values())} requests, {dict(sorted(ANSWERS.items()))}"
    )


def answered(response: Any) -> int:
    code: int = response.status_code
    ANSWERS[code] += 1
    assert code < 500, f"{code}: {response.text[:500]}"
    return code


def post_webhook(api: TestClient, source: str, body: bytes) -> int:
    if source == "grafana":
        return answered(
            api.post(f"/api/v1/webhooks/{source}", content=body, headers=grafana_headers(body))
        )
    return answered(api.post(f"/api/v1/webhooks/{source}", content=body, headers=bearer("monitor")))


def assert_storable(database_url: str) -> None:
    """Every stored event re-validates (as the worker does) and fits its columns."""
    for row in rows(database_url, EventRow):
        event = AlertEvent.model_validate(row.payload)
        assert len(event.summary) <= limits.TITLE
        assert len(event.service) <= limits.SERVICE
        assert len(event.dedup_key) <= limits.DEDUP_KEY
        assert all(len(name) <= limits.COMPONENT for name in event.components)
        assert "\x00" not in event.model_dump_json()


@pytest.mark.parametrize("source", sorted(strategies.SOURCES))
def test_no_webhook_payload_gets_a_5xx(api: TestClient, database_url: str, source: str) -> None:
    @PROPERTY
    @given(body=strategies.bodies(strategies.SOURCES[source]()))
    def property_(body: bytes) -> None:
        post_webhook(api, source, body)

    property_()
    assert_storable(database_url)


@pytest.mark.parametrize("source", sorted(strategies.SOURCES))
def test_valid_webhook_payloads_with_hostile_fields_are_accepted(
    api: TestClient, database_url: str, source: str
) -> None:
    # Text a monitor sends is never refused for length or content: only for its shape.
    @PROPERTY
    @given(payload=strategies.SOURCES[source]())
    def property_(payload: dict[str, Any]) -> None:
        post_webhook(api, source, json.dumps(payload).encode())

    property_()
    assert_storable(database_url)


def declared(api: TestClient) -> int:
    response = api.post(INCIDENTS, json={"title": "Webmail down"}, headers=bearer("staff"))
    assert response.status_code == 201, response.text
    incident: int = response.json()["incident"]["id"]
    return incident


STAFF_ROUTES = {
    "declare": ("POST", "", strategies.declarations),
    "update": ("POST", "/{id}/updates", strategies.staff_updates),
    "patch": ("PATCH", "/{id}", strategies.incident_patches),
    "note": ("POST", "/{id}/notes", strategies.notes),
    "action_item": ("PATCH", "/{id}/action-items/{item}", strategies.action_item_patches),
    "reopen": ("POST", "/{id}/reopen", strategies.corrections),
    "retract": ("POST", "/{id}/retract", strategies.corrections),
}


@pytest.mark.parametrize("route", sorted(STAFF_ROUTES))
def test_no_staff_request_gets_a_5xx(api: TestClient, route: str) -> None:
    method, path, payloads = STAFF_ROUTES[route]
    incident = declared(api)
    item = 0
    if "{item}" in path:
        added = api.post(
            f"{INCIDENTS}/{incident}/action-items", json={"text": "Alert on disk"},
            headers=bearer("staff"),
        )  # fmt: skip
        assert added.status_code == 201, added.text
        item = added.json()["id"]
    url = INCIDENTS + path.format(id=incident, item=item)

    @PROPERTY
    @given(body=strategies.bodies(payloads()), role=st.sampled_from(["staff", "staff", "monitor"]))
    def property_(body: bytes, role: str) -> None:
        code = answered(api.request(method, url, content=body, headers=bearer(role)))
        if role == "monitor":
            assert code == 403

    property_()
