"""A NUL character in a URL is a 422 with a reason, never a database error (PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from outage_notify.api.nul_guard import REASON, NulGuard
from outage_notify.integrations.fake_server import FakeProviders
from tests.fixtures.app import api_client
from tests.fixtures.service import TOKENS, make_settings

STAFF = {"Authorization": f"Bearer {TOKENS['staff']}"}
DECLARE = {"title": "Email is down", "severity": "critical", "summary": "We are on it."}


@pytest.fixture
def api(providers: FakeProviders, database_url: str, redis_url: str) -> Iterator[TestClient]:
    settings = make_settings(database_url=database_url, broker_url=redis_url, providers=providers)
    with api_client(settings) as client:
        yield client


def test_a_nul_in_a_string_filter_is_a_422_on_every_backend(api: TestClient) -> None:
    declared = api.post("/api/v1/incidents", json=DECLARE, headers=STAFF)
    assert declared.status_code == 201, declared.text
    incident_id = declared.json()["incident"]["id"]
    # Found by schemathesis: `audience` went into a PostgreSQL query as is (500).
    response = api.get(
        f"/api/v1/incidents/{incident_id}/deliveries",
        params={"audience": "users\x00"},
        headers=STAFF,
    )
    assert response.status_code == 422
    assert response.json()["detail"][0] == {"loc": ["query"], "msg": REASON, "type": "value_error"}
    # The same filter without the NUL is answered as usual.
    ok = api.get(
        f"/api/v1/incidents/{incident_id}/deliveries", params={"audience": "users"}, headers=STAFF
    )
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("path", "query", "status"),
    [
        ("/x", b"a=%00", 422),
        ("/x", b"a=b%2500", 200),  # "%2500" is a literal "%00" text, not a NUL
        ("/x\x00", b"", 422),
        ("/x", b"a=b", 200),
    ],
)
def test_the_guard_looks_at_path_and_query(path: str, query: bytes, status: int) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "path": path, "raw_path": path.encode(), "query_string": query}
    asyncio.run(NulGuard(app)(scope, receive, send))
    assert sent[0]["status"] == status
