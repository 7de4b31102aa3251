"""Request limits: oversized bodies get 413, bad input 422 naming the field, lists a cap."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

from outage_notify.api.body_limit import BodyLimit
from outage_notify.integrations.fake_server import FakeProviders
from tests.fixtures.app import api_client
from tests.fixtures.service import TOKENS, make_settings
from tests.fixtures.webhooks import webhook_payload

MIB = 1024 * 1024
MONITOR = {"Authorization": f"Bearer {TOKENS['monitor']}"}
STAFF = {"Authorization": f"Bearer {TOKENS['staff']}"}


@pytest.fixture
def api(providers: FakeProviders, sqlite_url: str, redis_url: str) -> Iterator[TestClient]:
    settings = make_settings(database_url=sqlite_url, broker_url=redis_url, providers=providers)
    assert settings.max_body_bytes == MIB
    with api_client(settings) as client:
        yield client


def generic(**changes: Any) -> dict[str, Any]:
    return {**webhook_payload("generic_firing.json"), **changes}


def two_mib_event() -> bytes:
    return json.dumps(generic(description="x" * (2 * MIB))).encode()


def test_a_2_mib_body_is_refused_with_413_and_stores_nothing(api: TestClient) -> None:
    response = api.post(
        "/api/v1/webhooks/generic",
        content=two_mib_event(),
        headers={**MONITOR, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert "larger than 1048576 bytes" in response.json()["detail"]
    assert api.get("/api/v1/incidents", headers=STAFF).json()["total"] == 0


def test_a_chunked_body_without_length_is_counted_as_it_streams(api: TestClient) -> None:
    body = two_mib_event()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = api.post(
        "/api/v1/incidents",
        content=chunks(),
        headers={**STAFF, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert "OUTAGE_NOTIFY_MAX_BODY_BYTES" in response.json()["detail"]


def test_a_body_under_the_limit_is_read_as_usual(api: TestClient) -> None:
    # Large, but under 1 MiB: refused for what it says (too long a summary), not its size.
    declaration = {"title": "Webmail down", "summary": "x" * (MIB // 2)}
    response = api.post("/api/v1/incidents", json=declaration, headers=STAFF)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "summary"]
    assert "5000" in response.json()["detail"][0]["msg"]


def test_monitoring_text_under_the_body_limit_is_never_refused_for_length(
    api: TestClient,
) -> None:
    event = generic(description="x" * (MIB // 2))
    response = api.post("/api/v1/webhooks/generic", json=event, headers=MONITOR)
    assert response.status_code == 202, response.text


def test_an_unknown_severity_is_a_422_naming_the_field(api: TestClient) -> None:
    response = api.post(
        "/api/v1/webhooks/generic", json=generic(severity="apocalyptic"), headers=MONITOR
    )
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["body", "severity"]
    assert "critical" in problem["msg"]


@pytest.mark.parametrize(
    ("path", "headers"),
    [("/api/v1/webhooks/generic", MONITOR), ("/api/v1/incidents", STAFF)],
)
def test_malformed_json_is_a_422_that_says_so(
    api: TestClient, path: str, headers: dict[str, str]
) -> None:
    response = api.post(
        path,
        content=b'{"summary": "mail down",',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["type"] == "json_invalid"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 2**63}, "offset"),
        ({"phase": "exploded"}, "phase"),
    ],
)
def test_lists_are_capped_and_their_parameters_checked(
    api: TestClient, params: dict[str, int], field: str
) -> None:
    response = api.get("/api/v1/incidents", params=params, headers=STAFF)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]


def test_an_incident_id_beyond_64_bits_is_a_422_not_a_database_error(api: TestClient) -> None:
    response = api.get(f"/api/v1/incidents/{2**63}/deliveries", headers=STAFF)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "incident_id"]


# --- the middleware on its own: what the application behind it gets to see --------------------


class Reader:
    """An ASGI app that reads the whole body, then answers 200; remembers what it got."""

    def __init__(self) -> None:
        self.received = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        more = True
        while more:
            message = await receive()
            self.received += len(message.get("body", b""))
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def run(app: BodyLimit, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> list[Message]:
    """Send one request through `app` as a server would; return what it answered."""
    pending = [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks)
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return pending.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    asyncio.run(app(scope, receive, send))
    return sent


def test_the_app_never_holds_more_than_the_limit_of_a_streamed_body() -> None:
    reader = Reader()
    sent = run(BodyLimit(reader, max_bytes=2500), [], [b"x" * 1000] * 10)
    assert reader.received <= 2500
    assert sent[0]["status"] == 413
    assert b"larger than 2500 bytes" in sent[1]["body"]


def test_a_declared_length_over_the_limit_is_refused_before_the_app_runs() -> None:
    reader = Reader()
    sent = run(BodyLimit(reader, max_bytes=2500), [(b"content-length", b"4000")], [b"x" * 4000])
    assert reader.received == 0
    assert sent[0]["status"] == 413


# "\xb2" is "²" in latin-1, how header bytes are read: a digit to str.isdigit(), not to int().
@pytest.mark.parametrize(
    ("length", "status"), [(b"nonsense", 400), (b"\xb2", 400), (b"\xb9\xb2", 400), (b"2500", 200)]
)
def test_a_declared_length_is_checked(length: bytes, status: int) -> None:
    sent = run(BodyLimit(Reader(), max_bytes=2500), [(b"content-length", length)], [b"x" * 2500])
    assert sent[0]["status"] == status
