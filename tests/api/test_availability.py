"""When the database or the broker is down, webhooks answer 503 (Alertmanager retries 5xx only)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from outage_notify.api.app import create_app
from outage_notify.fakes.server import FakeProviders
from outage_notify.store.engine import create_store_engine, upgrade
from outage_notify.worker.celery_app import create_celery
from tests.fixtures.service import TOKENS, make_settings

FIRING = json.loads(
    (Path(__file__).resolve().parents[1] / "data/webhooks/alertmanager_firing.json").read_text()
)
MONITOR = {"Authorization": f"Bearer {TOKENS['monitor']}"}


def closed_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client(providers: FakeProviders, *, database_url: str, broker_url: str) -> TestClient:
    settings = make_settings(database_url=database_url, broker_url=broker_url, providers=providers)
    return TestClient(create_app(settings, celery=create_celery(settings)))


def test_broker_down_answers_503_and_the_retry_is_accepted_once_it_is_back(
    providers: FakeProviders, tmp_path: Path, redis_url: str
) -> None:
    database_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(create_store_engine(database_url))
    down = client(
        providers, database_url=database_url, broker_url=f"redis://127.0.0.1:{closed_port()}/0"
    )
    response = down.post("/api/v1/webhooks/alertmanager", json=FIRING, headers=MONITOR)
    assert response.status_code == 503
    assert "broker" in response.json()["detail"]
    ready = down.get("/readyz")
    assert ready.status_code == 503 and ready.json()["checks"]["broker"].startswith("unavailable")

    # Alertmanager retries the same payload: it was committed, so it is a duplicate that is
    # enqueued again now that the broker answers, not lost and not a second incident.
    up = client(providers, database_url=database_url, broker_url=redis_url)
    retry = up.post("/api/v1/webhooks/alertmanager", json=FIRING, headers=MONITOR)
    assert retry.status_code == 202
    assert retry.json()["status"] == "duplicate"
    assert up.get("/readyz").json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok"},
    }


def test_database_down_answers_503_without_a_traceback(
    providers: FakeProviders, redis_url: str
) -> None:
    down = client(
        providers,
        database_url=f"postgresql://127.0.0.1:{closed_port()}/nothing",
        broker_url=redis_url,
    )
    response = down.post("/api/v1/webhooks/alertmanager", json=FIRING, headers=MONITOR)
    assert response.status_code == 503
    assert response.json() == {"detail": "database unavailable; retry later"}
    assert response.headers["retry-after"] == "5"
    assert down.get("/readyz").json()["checks"]["database"].startswith("unavailable")


@pytest.mark.parametrize("path", ["/healthz"])
def test_liveness_needs_nothing(providers: FakeProviders, path: str) -> None:
    down = client(
        providers,
        database_url=f"postgresql://127.0.0.1:{closed_port()}/x",
        broker_url=f"redis://127.0.0.1:{closed_port()}/0",
    )
    assert down.get(path).json() == {"status": "ok", "checks": {}}
