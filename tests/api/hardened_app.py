"""An API (no worker) with every inbound route configured, for bad-input and property tests.

Tokens for each role, a Grafana secret, a Slack signing secret and a public base URL (for
Twilio signatures); real Redis as the broker and the database given (SQLite or PostgreSQL).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from outage_notify.config.settings import SlackSettings, WebhookSettings
from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.store.engine import create_session_factory, create_store_engine
from tests.fixtures.app import api_client
from tests.fixtures.inbound import PUBLIC, SIGNING_SECRET
from tests.fixtures.service import TOKENS, make_settings
from tests.fixtures.webhooks import webhook_payload

GRAFANA_SECRET = "grafana-hmac-secret-for-tests-0123"
GRAFANA_SIGNATURE = "X-Grafana-Alerting-Signature"
GRAFANA_TIMESTAMP = "X-Grafana-Alerting-Signature-Timestamp"
ALERTMANAGER = "/api/v1/webhooks/alertmanager"
GRAFANA = "/api/v1/webhooks/grafana"
UPTIME_KUMA = "/api/v1/webhooks/uptime-kuma"
GENERIC = "/api/v1/webhooks/generic"
INCIDENTS = "/api/v1/incidents"


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}", "Content-Type": "application/json"}


def sample(name: str) -> dict[str, Any]:
    """One of the recorded webhook bodies in tests/data/webhooks."""
    data: dict[str, Any] = webhook_payload(name)
    return data


def grafana_headers(body: bytes, *, timestamp: str | None = None) -> dict[str, str]:
    """Headers of a request Grafana signed (hex HMAC-SHA256 over `<seconds>:<body>`)."""
    stamp = str(int(time.time())) if timestamp is None else timestamp
    signed = f"{stamp}:".encode() + body
    return {
        "Content-Type": "application/json",
        GRAFANA_SIGNATURE: hmac.new(GRAFANA_SECRET.encode(), signed, hashlib.sha256).hexdigest(),
        GRAFANA_TIMESTAMP: stamp,
    }


@contextmanager
def hardened_api(
    providers: FakeProviders, database_url: str, redis_url: str
) -> Iterator[TestClient]:
    """The app on `database_url`; tests wrap it in their own `api` fixture."""
    settings = make_settings(
        database_url=database_url,
        broker_url=redis_url,
        providers=providers,
        public_base_url=PUBLIC,
        webhooks=WebhookSettings(grafana_secret=SecretStr(GRAFANA_SECRET)),
        slack=SlackSettings(
            bot_token=SecretStr("xoxb-test-token"),
            base_url=providers.slack_base_url,
            timeout_seconds=5,
            signing_secret=SecretStr(SIGNING_SECRET),
        ),
    )
    with api_client(settings, raise_server_exceptions=False) as client:
        yield client


def rows(database_url: str, table: Any) -> list[Any]:
    """Every row of `table`, oldest first."""
    engine = create_store_engine(database_url)
    try:
        with create_session_factory(engine)() as session:
            return list(session.scalars(select(table).order_by(table.id)))
    finally:
        engine.dispose()
