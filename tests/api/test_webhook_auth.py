"""Each monitoring source proves itself its own way; staff actions land on the audit log.

Grafana requests are signed here exactly as grafana/alerting `http/hmac.go` signs them: hex
HMAC-SHA256 with the secret over `<unix seconds>:<body>` (or the body alone without a
timestamp header), on SQLite and PostgreSQL with a real Redis broker.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from outage_notify.config.settings import WebhookSettings
from outage_notify.store.engine import create_session_factory, create_store_engine
from outage_notify.store.tables import AuditRow, EventRow
from tests.fixtures.app import api_client
from tests.fixtures.service import REDIS_KEY_PREFIX
from tests.fixtures.settings import service_settings
from tests.fixtures.webhooks import webhook_payload

GRAFANA = "/api/v1/webhooks/grafana"
GRAFANA_SECRET = "grafana-hmac-secret-for-tests-0123"
KUMA_SECRET = "uptime-kuma-secret-for-tests-0123"
GENERIC_SECRET = "generic-secret-for-tests-0123456"
TOKENS = {
    "monitor": "hooks-monitor-token-0123456789",
    "staff": "hooks-staff-token-0123456789",
    "admin": "hooks-admin-token-0123456789",
}
SIGNATURE = "X-Grafana-Alerting-Signature"
TIMESTAMP = "X-Grafana-Alerting-Signature-Timestamp"


def body_of(name: str, **changes: Any) -> bytes:
    data = webhook_payload(name)
    data.update(changes)
    return json.dumps(data).encode()


def grafana_signature(body: bytes, timestamp: str | None, secret: str = GRAFANA_SECRET) -> str:
    signed = body if timestamp is None else f"{timestamp}:".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signed_headers(
    body: bytes, *, at: float | None = None, secret: str = GRAFANA_SECRET
) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    return {
        "Content-Type": "application/json",
        SIGNATURE: grafana_signature(body, timestamp, secret),
        TIMESTAMP: timestamp,
    }


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


@pytest.fixture
def make_api(database_url: str, redis_url: str) -> Iterator[Callable[..., TestClient]]:
    apps = ExitStack()

    def make(**webhooks: Any) -> TestClient:
        values = {
            "grafana_secret": GRAFANA_SECRET,
            "uptime_kuma_secret": KUMA_SECRET,
            "generic_secret": GENERIC_SECRET,
            **webhooks,
        }
        settings = service_settings(
            database_url=database_url,
            broker_url=redis_url,
            redis_key_prefix=REDIS_KEY_PREFIX,
            api_tokens=",".join(f"{role}:{role}-bot:{token}" for role, token in TOKENS.items()),
            webhooks=WebhookSettings(**values),
        )
        return apps.enter_context(api_client(settings))

    with apps:
        yield make


@pytest.fixture
def api(make_api: Callable[..., TestClient]) -> TestClient:
    return make_api()


def event_actors(database_url: str) -> list[str]:
    engine = create_store_engine(database_url)
    with create_session_factory(engine)() as session:
        actors = list(session.scalars(select(EventRow.actor).order_by(EventRow.id)))
    engine.dispose()
    return actors


# --- Grafana ---------------------------------------------------------------------------------


def test_a_fresh_grafana_signature_is_accepted_as_grafana(
    api: TestClient, database_url: str
) -> None:
    body = body_of("grafana_firing.json")
    response = api.post(GRAFANA, content=body, headers=signed_headers(body))
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "accepted"
    assert event_actors(database_url) == ["grafana"]


def test_grafanas_builtin_signature_header_is_read_too(api: TestClient) -> None:
    # A contact point whose Header field is empty signs into X-Grafana-Alert-Signature.
    body = body_of("grafana_firing.json")
    headers = signed_headers(body)
    headers["X-Grafana-Alert-Signature"] = headers.pop(SIGNATURE)
    assert api.post(GRAFANA, content=body, headers=headers).status_code == 202


def _wrong_secret(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, signed_headers(body, secret="not-the-configured-secret")


def _altered_body(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body.replace(b"firing", b"resolved", 1), signed_headers(body)


def _missing_signature(body: bytes) -> tuple[bytes, dict[str, str]]:
    headers = signed_headers(body)
    del headers[SIGNATURE]
    return body, headers


def _token_instead_of_signature(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, {"Content-Type": "application/json", **bearer("admin")}


def _old_timestamp(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, signed_headers(body, at=time.time() - 301)


def _future_timestamp(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, signed_headers(body, at=time.time() + 400)


def _no_timestamp(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, {"Content-Type": "application/json", SIGNATURE: grafana_signature(body, None)}


def _timestamp_not_a_number(body: bytes) -> tuple[bytes, dict[str, str]]:
    return body, {
        "Content-Type": "application/json",
        SIGNATURE: grafana_signature(body, "yesterday"),
        TIMESTAMP: "yesterday",
    }


@pytest.mark.parametrize(
    ("forge", "reason"),
    [
        (_wrong_secret, "does not match"),
        (_altered_body, "does not match"),
        (_missing_signature, "missing X-Grafana-Alerting-Signature"),
        (_token_instead_of_signature, "missing X-Grafana-Alerting-Signature"),
        (_old_timestamp, "more than 300 s from our clock"),
        (_future_timestamp, "more than 300 s from our clock"),
        (_no_timestamp, "no signature timestamp"),
        (_timestamp_not_a_number, "not a number"),
    ],
)
def test_a_badly_signed_grafana_request_is_refused_and_stores_nothing(
    api: TestClient,
    database_url: str,
    forge: Callable[[bytes], tuple[bytes, dict[str, str]]],
    reason: str,
) -> None:
    body, headers = forge(body_of("grafana_firing.json"))
    response = api.post(GRAFANA, content=body, headers=headers)
    assert response.status_code == 403
    assert reason in response.json()["detail"]
    assert event_actors(database_url) == []


def test_the_same_signed_request_twice_is_a_replay(api: TestClient) -> None:
    body = body_of("grafana_firing.json")
    headers = signed_headers(body)
    assert api.post(GRAFANA, content=body, headers=headers).status_code == 202
    replay = api.post(GRAFANA, content=body, headers=headers)
    assert replay.status_code == 403
    assert "replayed" in replay.json()["detail"]
    # Grafana's own next notification is signed anew, with its own timestamp: accepted.
    later = signed_headers(body, at=time.time() + 1)
    assert api.post(GRAFANA, content=body, headers=later).status_code == 202


def test_unstamped_signatures_when_allowed_are_still_accepted_once(
    make_api: Callable[..., TestClient],
) -> None:
    api = make_api(grafana_require_timestamp=False)
    body = body_of("grafana_firing.json")
    headers = {"Content-Type": "application/json", SIGNATURE: grafana_signature(body, None)}
    assert api.post(GRAFANA, content=body, headers=headers).status_code == 202
    assert api.post(GRAFANA, content=body, headers=headers).status_code == 403


def test_without_a_grafana_secret_a_monitor_token_is_enough(
    make_api: Callable[..., TestClient],
) -> None:
    api = make_api(grafana_secret="")
    body = body_of("grafana_firing.json")
    plain = {"Content-Type": "application/json"}
    assert api.post(GRAFANA, content=body, headers=plain).status_code == 401
    assert (
        api.post(GRAFANA, content=body, headers={**plain, **bearer("monitor")}).status_code == 202
    )


def test_a_refused_request_is_logged_without_its_body(
    api: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    marker = "BODY-MARKER-7c1f"
    body = body_of("grafana_firing.json", title=marker)
    with caplog.at_level(logging.INFO, logger="outage_notify"):
        response = api.post(GRAFANA, content=body, headers=_wrong_secret(body)[1])
        api.post(
            "/api/v1/webhooks/alertmanager",
            content=body_of("alertmanager_firing.json", receiver=marker),
            headers={"Content-Type": "application/json", "Authorization": "Bearer wrong-token"},
        )
    assert response.status_code == 403
    assert f"refused POST {GRAFANA} from testclient" in caplog.text
    assert "refused POST /api/v1/webhooks/alertmanager from testclient: invalid token" in (
        caplog.text
    )
    for secret in (marker, GRAFANA_SECRET, "wrong-token"):
        assert secret not in caplog.text


# --- Alertmanager ----------------------------------------------------------------------------


def basic(username: str, password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (basic("alertmanager", TOKENS["monitor"]), 202),
        (basic("", TOKENS["monitor"]), 202),
        (basic("monitor-bot", "not-the-token"), 401),
        (basic(TOKENS["monitor"], ""), 401),
        ({"Authorization": "Basic !!!not-base64!!!"}, 401),
        ({"Authorization": f"Token {TOKENS['monitor']}"}, 401),
        (bearer("monitor"), 202),
    ],
    ids=[
        "basic",
        "basic-empty-user",
        "basic-wrong",
        "token-as-user",
        "basic-garbage",
        "other-scheme",
        "bearer",
    ],
)
def test_alertmanager_authenticates_with_bearer_or_basic(
    api: TestClient, headers: dict[str, str], status: int
) -> None:
    response = api.post(
        "/api/v1/webhooks/alertmanager",
        content=body_of("alertmanager_firing.json"),
        headers={"Content-Type": "application/json", **headers},
    )
    assert response.status_code == status, response.text
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


# --- Uptime Kuma and the generic webhook -------------------------------------------------------


SECRET_SOURCES = [
    ("/api/v1/webhooks/uptime-kuma", "uptime_kuma_down.json", KUMA_SECRET, "uptime-kuma"),
    ("/api/v1/webhooks/generic", "generic_firing.json", GENERIC_SECRET, "generic"),
]


@pytest.mark.parametrize(("path", "fixture", "secret", "actor"), SECRET_SOURCES)
def test_the_secret_header_stands_in_for_a_token(
    api: TestClient, database_url: str, path: str, fixture: str, secret: str, actor: str
) -> None:
    response = api.post(
        path,
        content=body_of(fixture),
        headers={"Content-Type": "application/json", "X-Outage-Notify-Secret": secret},
    )
    assert response.status_code == 202, response.text
    assert event_actors(database_url) == [actor]


@pytest.mark.parametrize(("path", "fixture", "secret", "actor"), SECRET_SOURCES)
@pytest.mark.parametrize(
    "presented", ["wrong-secret-of-the-same-length!", "", GRAFANA_SECRET], ids=str
)
def test_a_wrong_secret_header_is_refused_even_with_a_valid_token(
    api: TestClient, path: str, fixture: str, secret: str, actor: str, presented: str
) -> None:
    response = api.post(
        path,
        content=body_of(fixture),
        headers={
            "Content-Type": "application/json",
            "X-Outage-Notify-Secret": presented,
            **bearer("monitor"),
        },
    )
    assert response.status_code == 401
    assert "X-Outage-Notify-Secret" in response.json()["detail"]


@pytest.mark.parametrize(("path", "fixture", "secret", "actor"), SECRET_SOURCES)
def test_without_a_configured_secret_the_header_is_refused_and_tokens_still_work(
    make_api: Callable[..., TestClient], path: str, fixture: str, secret: str, actor: str
) -> None:
    api = make_api(uptime_kuma_secret="", generic_secret="")
    json_type = {"Content-Type": "application/json"}
    refused = api.post(
        path, content=body_of(fixture), headers={**json_type, "X-Outage-Notify-Secret": secret}
    )
    assert refused.status_code == 401
    assert "is not set" in refused.json()["detail"]
    assert api.post(path, content=body_of(fixture), headers=json_type).status_code == 401
    accepted = api.post(path, content=body_of(fixture), headers={**json_type, **bearer("monitor")})
    assert accepted.status_code == 202


# --- the audit log ---------------------------------------------------------------------------


def staff_actions(api: TestClient) -> int:
    """Every kind of staff action on one incident; its id."""
    staff = bearer("staff")
    declared = api.post("/api/v1/incidents", json={"title": "Mail down"}, headers=staff)
    assert declared.status_code == 201, declared.text
    incident = declared.json()["incident"]["id"]
    for method, path, body in [
        ("POST", "updates", {"message": "Working on it."}),
        ("POST", "notes", {"text": "Queue is stuck.", "kind": "finding"}),
        ("POST", "action-items", {"text": "Alert on queue age.", "owner": "ops"}),
        ("PATCH", "", {"root_cause": "A full disk."}),
        ("POST", "resolve", {"message": "Fixed."}),
    ]:
        url = f"/api/v1/incidents/{incident}" + (f"/{path}" if path else "")
        response = api.request(method, url, json=body, headers=staff)
        assert response.status_code < 300, response.text
    return int(incident)


def audit(api: TestClient, **params: Any) -> httpx2.Response:
    return api.get("/api/v1/audit", params=params, headers=bearer("admin"))


def test_every_staff_action_is_on_the_audit_log_with_the_tokens_name(
    api: TestClient, database_url: str
) -> None:
    incident = staff_actions(api)
    page = audit(api).json()
    entries = list(reversed(page["items"]))
    assert [(e["action"], e["actor"], e["role"]) for e in entries] == [
        ("declare", "staff-bot", "staff"),
        ("update", "staff-bot", "staff"),
        ("finding", "staff-bot", "staff"),
        ("action_item", "staff-bot", "staff"),
        ("edit", "staff-bot", "staff"),
        ("resolve", "staff-bot", "staff"),
    ]
    assert {e["incident_id"] for e in entries} == {incident}
    assert {e["client"] for e in entries} == {"testclient"}
    assert entries[0]["detail"]["title"] == "Mail down"
    assert entries[1]["detail"]["message"] == "Working on it."
    assert entries[1]["detail"]["update_id"] is not None
    assert entries[4]["detail"] == {"root_cause": "A full disk."}
    # The timeline names the same token.
    timeline = api.get(f"/api/v1/incidents/{incident}", headers=bearer("staff")).json()
    assert "staff-bot" in {entry["actor"] for entry in timeline["timeline"]}


def test_a_refused_action_leaves_no_audit_entry(api: TestClient) -> None:
    incident = staff_actions(api)
    before = audit(api).json()["total"]
    again = api.post(f"/api/v1/incidents/{incident}/resolve", json={}, headers=bearer("staff"))
    assert again.status_code == 409
    missing = api.post(
        "/api/v1/incidents/999999/notes", json={"text": "x"}, headers=bearer("staff")
    )
    assert missing.status_code == 404
    assert audit(api).json()["total"] == before


def test_the_audit_log_is_for_admins_paginated_and_capped(
    api: TestClient, database_url: str
) -> None:
    staff_actions(api)
    for role, status in [("monitor", 403), ("staff", 403), ("admin", 200)]:
        assert api.get("/api/v1/audit", headers=bearer(role)).status_code == status
    assert api.get("/api/v1/audit").status_code == 401
    first = audit(api, limit=4).json()
    second = audit(api, limit=4, offset=4).json()
    assert (first["total"], len(first["items"]), len(second["items"])) == (6, 4, 2)
    assert [e["id"] for e in first["items"] + second["items"]] == sorted(
        (e["id"] for e in first["items"] + second["items"]), reverse=True
    )
    assert audit(api, limit=501).status_code == 422
    assert audit(api, offset=2**63).status_code == 422
    assert audit(api, incident_id=2**63).status_code == 422
    assert audit(api, actor="someone-else").json()["total"] == 0
    engine = create_store_engine(database_url)
    with create_session_factory(engine)() as session:
        assert len(session.scalars(select(AuditRow)).all()) == 6
    engine.dispose()
