"""When the database or the broker is down, webhooks answer 503 (Alertmanager retries 5xx only)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Protocol

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from outage_notify.api.app import API_THREADS
from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.store.engine import create_store_engine, upgrade
from outage_notify.store.tables import EventRow
from tests.fixtures.app import api_client, app_state
from tests.fixtures.databases import PG_ADMIN_URL, _empty
from tests.fixtures.service import TOKENS, make_settings
from tests.fixtures.webhooks import webhook_payload

FIRING = webhook_payload("alertmanager_firing.json")
MONITOR = {"Authorization": f"Bearer {TOKENS['monitor']}"}


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MakeClient(Protocol):
    """Makes an API client on the fake providers."""

    def __call__(self, *, database_url: str, broker_url: str) -> TestClient: ...


@pytest.fixture
def client(providers: FakeProviders) -> Iterator[MakeClient]:
    """Builds an API on the fake providers; each is closed after the test."""
    with ExitStack() as apps:

        def make(*, database_url: str, broker_url: str) -> TestClient:
            settings = make_settings(
                database_url=database_url, broker_url=broker_url, providers=providers
            )
            return apps.enter_context(api_client(settings))

        yield make


def test_broker_down_answers_503_and_the_retry_is_accepted_once_it_is_back(
    sqlite_url: str, redis_url: str, client: MakeClient
) -> None:
    database_url = sqlite_url
    down = client(database_url=database_url, broker_url=f"redis://127.0.0.1:{closed_port()}/0")
    response = down.post("/api/v1/webhooks/alertmanager", json=FIRING, headers=MONITOR)
    assert response.status_code == 503
    assert "broker" in response.json()["detail"]
    ready = down.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["broker"].startswith("unavailable")

    # Alertmanager retries the same payload: it was committed, so it is a duplicate that is
    # enqueued again now that the broker answers, not lost and not a second incident.
    up = client(database_url=database_url, broker_url=redis_url)
    retry = up.post("/api/v1/webhooks/alertmanager", json=FIRING, headers=MONITOR)
    assert retry.status_code == 202
    assert retry.json()["status"] == "duplicate"
    ready = up.get("/readyz").json()
    assert ready["status"] == "ok"
    assert ready["checks"] == {
        "database": "ok",
        "broker": "ok",
        "config": f"ok: snapshot {ready['config']['hash']}",
    }


def test_database_down_answers_503_without_a_traceback(redis_url: str, client: MakeClient) -> None:
    down = client(
        database_url=f"postgresql://127.0.0.1:{closed_port()}/nothing",
        broker_url=redis_url,
    )
    response = down.post("/api/v1/webhooks/alertmanager", json=FIRING, headers=MONITOR)
    assert response.status_code == 503
    assert response.json() == {"detail": "database unavailable; retry later"}
    assert response.headers["retry-after"] == "5"
    assert down.get("/readyz").json()["checks"]["database"].startswith("unavailable")


@pytest.mark.parametrize("path", ["/healthz"])
def test_liveness_needs_nothing(client: MakeClient, path: str) -> None:
    down = client(
        database_url=f"postgresql://127.0.0.1:{closed_port()}/x",
        broker_url=f"redis://127.0.0.1:{closed_port()}/0",
    )
    assert down.get(path).json() == {"status": "ok", "checks": {}}


def test_a_database_restart_costs_a_webhook_no_503(
    postgres_url: str, redis_url: str, client: MakeClient
) -> None:
    # The API's pool does not test a connection before each use (a round trip per request);
    # a connection the server dropped, as a restart drops them all, is retried once instead.
    engine = create_store_engine(postgres_url)
    upgrade(engine)
    _empty(engine)
    engine.dispose()
    api = client(database_url=postgres_url, broker_url=redis_url)
    assert (
        api.post("/api/v1/webhooks/alertmanager", json=FIRING, headers=MONITOR).status_code == 202
    )
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        dropped = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (make_url(postgres_url).database,),
        ).fetchone()
    assert dropped is not None and dropped[0] >= 1  # the API's pooled connection

    resolved = {**FIRING, "status": "resolved"}
    response = api.post("/api/v1/webhooks/alertmanager", json=resolved, headers=MONITOR)
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "accepted"
    assert api.get("/readyz").json()["checks"]["database"] == "ok"
    with app_state(api).sessions() as session:
        assert session.scalar(select(func.count()).select_from(EventRow)) == 2


def test_the_api_pool_has_a_connection_for_each_thread(client: MakeClient) -> None:
    # Fewer would make requests beyond the pool open and close a connection of their own.
    api = client(
        database_url="postgresql://127.0.0.1:1/unused",
        broker_url=f"redis://127.0.0.1:{closed_port()}/0",
    )
    pool = app_state(api).engine.pool
    assert pool.size() == API_THREADS
    assert pool._pre_ping is False
