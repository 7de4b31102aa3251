"""Who may call what: every endpoint by every kind of caller, against the real app.

Tokens are configured the way production should configure them: the staff token as a SHA-256
hash and the admin token as an scrypt hash (only the monitor token is plain), so every row
of the table also proves hashed tokens work.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from twilio.request_validator import RequestValidator

from outage_notify.config.api_tokens import Role
from outage_notify.config.settings import Settings, TwilioSettings
from outage_notify.config.token_hashes import hash_token
from outage_notify.store import subscribers as subscriber_store
from outage_notify.store.engine import create_store_engine, transaction, upgrade
from outage_notify.store.tables import EventRow, MaintenanceRow
from tests.fixtures.app import api_client, app_state
from tests.fixtures.service import REDIS_KEY_PREFIX, ROOT, TWILIO_SID, clear_redis
from tests.fixtures.settings import build_settings
from tests.fixtures.webhooks import webhook_payload

PUBLIC = "https://notify.example.org"
TWILIO_AUTH = "roles-test-twilio-auth-token"
PLAIN = {
    "monitor": "roles-monitor-token-0123456789abcdef",
    "staff": "roles-staff-token-0123456789abcdef",
    "admin": "roles-admin-token-0123456789abcdef",
}
TOKEN_ENTRIES = ",".join(
    [
        f"monitor:uptime-bot:{PLAIN['monitor']}",
        f"staff:alice:{hash_token(PLAIN['staff'])}",
        f"admin:root:{hash_token(PLAIN['admin'], scheme='scrypt')}",
    ]
)
CALLERS = ["none", "bad-token", "monitor", "staff", "admin"]
_services = itertools.count(1)


def payload(name: str) -> Any:
    return webhook_payload(name)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    access: str  # public | monitor | staff | admin | twilio | slack
    ok: int = 200
    body: Any = None
    form: dict[str, str] | None = None
    params: dict[str, str] = field(default_factory=dict)


ENDPOINTS = [
    Endpoint("GET", "/healthz", "public"),
    Endpoint("GET", "/readyz", "public"),
    Endpoint("GET", "/status", "public"),
    Endpoint("GET", "/status.json", "public"),
    Endpoint("GET", "/status/feed.atom", "public"),
    # Open unless METRICS_TOKEN is set (not set here); it has its own token, not a role.
    Endpoint("GET", "/metrics", "public"),
    Endpoint(
        "POST", "/api/v1/webhooks/alertmanager", "monitor", 202, payload("alertmanager_firing.json")
    ),
    Endpoint("POST", "/api/v1/webhooks/grafana", "monitor", 202, payload("grafana_firing.json")),
    Endpoint(
        "POST", "/api/v1/webhooks/uptime-kuma", "monitor", 202, payload("uptime_kuma_down.json")
    ),
    Endpoint("POST", "/api/v1/webhooks/generic", "monitor", 202, payload("generic_firing.json")),
    Endpoint(
        "POST",
        "/api/v1/webhooks/twilio/status",
        "twilio",
        form={"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"},
    ),
    Endpoint(
        "POST",
        "/api/v1/webhooks/twilio/inbound",
        "twilio",
        form={"MessageSid": "SM" + "2" * 32, "From": "+5511990000001", "Body": "OK"},
    ),
    # Voice escalation's TwiML callbacks (the keypress, the call's status): signed by Twilio.
    Endpoint(
        "POST",
        "/api/v1/webhooks/twilio/voice/gather",
        "twilio",
        form={"CallSid": "CA" + "0" * 32, "Digits": "1"},
        params={"call": "1"},
    ),
    Endpoint(
        "POST",
        "/api/v1/webhooks/twilio/voice/status",
        "twilio",
        form={"CallSid": "CA" + "0" * 32, "CallStatus": "completed"},
        params={"call": "1"},
    ),
    Endpoint(
        "POST",
        "/api/v1/webhooks/slack/interactivity",
        "slack",
        form={"payload": '{"type": "block_actions", "actions": []}'},
    ),
    Endpoint(
        "POST",
        "/api/v1/webhooks/slack/commands",
        "slack",
        form={"command": "/outage", "text": "status", "user_id": "U0STAFF01"},
    ),
    Endpoint("POST", "/api/v1/incidents", "staff", 201, {"title": "Mail down"}),
    Endpoint("GET", "/api/v1/incidents", "staff"),
    Endpoint("POST", "/api/v1/incidents/preview", "staff", 200, {"title": "Mail down"}),
    Endpoint(
        "POST", "/api/v1/incidents/{incident}/updates/preview", "staff", 200, {"message": "On it."}
    ),
    Endpoint("GET", "/api/v1/incident-templates", "staff"),
    Endpoint("GET", "/api/v1/whoami", "staff"),
    Endpoint("GET", "/api/v1/incident-templates/{name}", "staff"),
    Endpoint("GET", "/api/v1/incidents/{incident}", "staff"),
    Endpoint("GET", "/api/v1/incidents/{incident}/deliveries", "staff"),
    Endpoint("GET", "/api/v1/incidents/{incident}/report", "staff", params={"format": "md"}),
    Endpoint("POST", "/api/v1/incidents/{incident}/updates", "staff", 202, {"message": "On it."}),
    Endpoint("POST", "/api/v1/incidents/{incident}/resolve", "staff", 202, {"message": "Fixed."}),
    Endpoint("POST", "/api/v1/incidents/{resolved}/reopen", "staff", 202, {"message": "Back."}),
    Endpoint("POST", "/api/v1/incidents/{incident}/retract", "staff", 202, {"message": "Test."}),
    Endpoint("POST", "/api/v1/incidents/{incident}/notes", "staff", 201, {"text": "Disk full."}),
    Endpoint(
        "POST",
        "/api/v1/incidents/{incident}/action-items",
        "staff",
        201,
        {"text": "Alert on disk."},
    ),
    Endpoint("PATCH", "/api/v1/incidents/{incident}", "staff", 200, {"root_cause": "Disk full."}),
    Endpoint("GET", "/api/v1/incidents/{incident}/action-items", "staff"),
    Endpoint("POST", "/api/v1/incidents/{incident}/personal-data", "staff", 201, {}),
    Endpoint(
        "POST", "/api/v1/incidents/{marked}/notifications", "staff", 201, {"obligation": "lgpd"}
    ),
    Endpoint(
        "PATCH",
        "/api/v1/incidents/{incident}/action-items/{item}",
        "staff",
        200,
        {"status": "done"},
    ),
    Endpoint("POST", "/api/v1/maintenances", "staff", 201, {}),
    Endpoint("GET", "/api/v1/maintenances", "staff"),
    Endpoint("GET", "/api/v1/maintenances/{window}", "staff"),
    Endpoint("POST", "/api/v1/maintenances/{window}/extend", "staff", 200, {}),
    Endpoint("POST", "/api/v1/maintenances/{active}/complete", "staff", 200, {}),
    Endpoint("POST", "/api/v1/maintenances/{window}/cancel", "staff", 200, {}),
    Endpoint("GET", "/api/v1/audit", "admin"),
    # Reloads the contacts and templates (unchanged here: the same snapshot again).
    Endpoint("POST", "/api/v1/admin/reload", "admin"),
    Endpoint("GET", "/api/v1/admin/subscribers", "admin"),
    Endpoint("GET", "/api/v1/admin/subscribers/{subscriber}", "admin"),
    Endpoint("DELETE", "/api/v1/admin/subscribers/{subscriber}", "admin", 204),
    # Self-subscription is off here (its default): the pages are not found, for anyone.
    Endpoint("GET", "/status/subscribe", "public", 404),
    Endpoint("POST", "/status/subscribe", "public", 404, form={"phone": "+5511912345678"}),
    Endpoint("POST", "/status/subscribe/confirm", "public", 404, form={"code": "123456"}),
    Endpoint("GET", "/status/unsubscribe", "public", 404, params={"token": "1.x"}),
    Endpoint("POST", "/status/unsubscribe", "public", 404, form={"token": "1.x"}),
    Endpoint("GET", "/api/v1/events", "staff", params={"state": "failed"}),
    Endpoint("POST", "/api/v1/events/{event}/retry", "staff", 202),
]


def expected_status(endpoint: Endpoint, caller: str) -> int:
    """The table: 2xx for a role at or above the endpoint's, 403 below it, 401 without one."""
    if endpoint.access == "public":
        return endpoint.ok
    if endpoint.access == "twilio":
        # Only X-Twilio-Signature counts; no API token of any role stands in for it.
        return 403
    if endpoint.access == "slack":
        # Only X-Slack-Signature counts (no signing secret is set here): never a token.
        return 403
    if caller in ("none", "bad-token"):
        return 401
    ranks = ["monitor", "staff", "admin"]
    return endpoint.ok if ranks.index(caller) >= ranks.index(endpoint.access) else 403


def headers_for(caller: str) -> dict[str, str]:
    if caller == "none":
        return {}
    token = PLAIN.get(caller, "not-a-token-of-this-service-at-all")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, redis_server: str) -> Settings:
    database_url = f"sqlite:///{tmp_path_factory.mktemp('roles') / 'outage_notify.db'}"
    upgrade(create_store_engine(database_url))
    return build_settings(
        database_url=database_url,
        broker_url=redis_server,
        redis_key_prefix=REDIS_KEY_PREFIX,
        contacts_dir=ROOT / "contacts",
        templates_dir=ROOT / "templates",
        incident_templates_dir=ROOT / "incident_templates",
        api_tokens=TOKEN_ENTRIES,
        public_base_url=PUBLIC,
        twilio=TwilioSettings(
            account_sid=TWILIO_SID, auth_token=SecretStr(TWILIO_AUTH), from_number="+15005550006"
        ),
    )


@pytest.fixture(scope="module")
def api(settings: Settings) -> Iterator[TestClient]:
    """One app for the whole table; nothing consumes the queue, so its keys are cleared after."""
    clear_redis()
    with api_client(settings) as client, client:
        yield client
    clear_redis()


def fresh_incident(api: TestClient) -> int:
    """An open incident of its own (a resolve must not meet one resolved by another case)."""
    response = api.post(
        "/api/v1/incidents",
        json={"title": "Mail down", "service": f"mail-{next(_services)}"},
        headers=headers_for("staff"),
    )
    assert response.status_code == 201, response.text
    return int(response.json()["incident"]["id"])


def failed_event(api: TestClient) -> int:
    """A failed event of its own (a retry makes it pending: a second retry would be a 409)."""
    with transaction(app_state(api).sessions) as session:
        row = EventRow(source="generic", service="email", dedup_key=f"e-{next(_services)}",
                       kind="alert", payload={}, actor="monitor-bot", state="failed",
                       error="ValidationError: summary: Field required", attempts=1,
                       processed_at=datetime.now(UTC))  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def window_body(*, hours: int = 3) -> dict[str, Any]:
    """A maintenance window starting in an hour (the real clock: nothing moves it here)."""
    start = datetime.now(UTC) + timedelta(hours=1)
    return {
        "start": start.isoformat(),
        "end": (start + timedelta(hours=hours)).isoformat(),
        "text": "Moving the mail server.",
        "audiences": ["management"],
    }


def fresh_window(api: TestClient, *, active: bool = False) -> int:
    """A scheduled window of its own (a cancel must not meet one cancelled by another case);
    `active`: started, as the beat step would have it."""
    made = api.post("/api/v1/maintenances", json=window_body(), headers=headers_for("staff"))
    assert made.status_code == 201, made.text
    window = int(made.json()["id"])
    if active:
        with transaction(app_state(api).sessions) as session:
            row = session.get(MaintenanceRow, window)
            assert row is not None
            row.state = "active"
    return window


def call(api: TestClient, endpoint: Endpoint, headers: dict[str, str]) -> Any:
    path = endpoint.path
    if "{item}" in path:
        incident = fresh_incident(api)
        item = api.post(
            f"/api/v1/incidents/{incident}/action-items",
            json={"text": "Alert on disk."},
            headers=headers_for("staff"),
        )
        assert item.status_code == 201, item.text
        path = path.format(incident=incident, item=item.json()["id"])
    if "{incident}" in path:
        path = path.format(incident=fresh_incident(api))
    if "{resolved}" in path:
        incident = fresh_incident(api)
        resolved = api.post(f"/api/v1/incidents/{incident}/resolve", headers=headers_for("staff"))
        assert resolved.status_code == 202, resolved.text
        path = path.format(resolved=incident)
    if "{marked}" in path:
        incident = fresh_incident(api)
        marked = api.post(
            f"/api/v1/incidents/{incident}/personal-data", json={}, headers=headers_for("staff")
        )
        assert marked.status_code == 201, marked.text
        path = path.format(marked=incident)
    if "{event}" in path:
        path = path.format(event=failed_event(api))
    if "{name}" in path:
        path = path.format(name="webmail-down")
    if "{subscriber}" in path:
        with transaction(app_state(api).sessions) as session:
            subscriber = subscriber_store.subscribe(
                session,
                phone=f"+551191{next(_services):07d}",
                locale="en",
                components=[],
                at=datetime.now(UTC),
            )
            path = path.format(subscriber=subscriber.id)
    if "{window}" in path:
        path = path.format(window=fresh_window(api))
    if "{active}" in path:
        path = path.format(active=fresh_window(api, active=True))
    body = endpoint.body
    if endpoint.method == "POST" and endpoint.path == "/api/v1/maintenances":
        body = window_body()
    if endpoint.path.endswith("/extend"):
        body = {"end": (datetime.now(UTC) + timedelta(hours=9)).isoformat()}
    if endpoint.method == "POST" and endpoint.path == "/api/v1/incidents":
        body = {**body, "service": f"mail-{next(_services)}"}
    return api.request(
        endpoint.method,
        path,
        headers=headers,
        json=body,
        data=endpoint.form,
        params=endpoint.params,
    )


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[f"{e.method} {e.path}" for e in ENDPOINTS])
def test_each_endpoint_answers_each_caller_as_the_role_table_says(
    api: TestClient, endpoint: Endpoint, caller: str
) -> None:
    response = call(api, endpoint, headers_for(caller))
    expected = expected_status(endpoint, caller)
    assert response.status_code == expected, response.text
    if expected == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
        detail = response.json()["detail"]
        assert detail in ("invalid token",) or detail.startswith("missing bearer token")
    if expected == 403 and endpoint.access in ("staff", "admin"):
        assert f"needs the {endpoint.access} role" in response.json()["detail"]
        # Naming the token would confirm to whoever holds a leaked one that it is valid.
        assert caller not in response.json()["detail"]


@pytest.mark.parametrize("caller", CALLERS)
def test_twilio_callbacks_need_the_signature_and_nothing_else(api: TestClient, caller: str) -> None:
    form = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered"}
    signature = RequestValidator(TWILIO_AUTH).compute_signature(
        PUBLIC + "/api/v1/webhooks/twilio/status", form
    )
    response = api.post(
        "/api/v1/webhooks/twilio/status",
        data=form,
        headers={**headers_for(caller), "X-Twilio-Signature": signature},
    )
    assert response.status_code == 200
    assert response.json() == {"result": "unknown_message", "delivery_id": None}


@pytest.mark.parametrize("role", ["monitor", "staff", "admin"])
def test_a_token_also_works_as_the_basic_auth_password(api: TestClient, role: str) -> None:
    # Alertmanager's basic_auth sends some username; only the password (the token) counts.
    response = api.post(
        "/api/v1/webhooks/alertmanager",
        json=payload("alertmanager_firing.json"),
        auth=("alertmanager", PLAIN[role]),
    )
    assert response.status_code == 202


def test_actions_are_recorded_under_the_hashed_tokens_name(api: TestClient) -> None:
    incident = fresh_incident(api)
    detail = api.get(f"/api/v1/incidents/{incident}", headers=headers_for("admin")).json()
    assert {entry["actor"] for entry in detail["timeline"]} == {"alice"}
    audit = api.get(
        "/api/v1/audit", params={"incident_id": incident}, headers=headers_for("admin")
    ).json()
    assert [(e["actor"], e["role"], e["action"]) for e in audit["items"]] == [
        ("alice", "staff", "declare")
    ]


def test_hashed_tokens_leave_no_usable_secret_in_the_settings(settings: Settings) -> None:
    by_name = {token.name: token for token in settings.api_tokens}
    assert (by_name["alice"].role, by_name["alice"].scheme) == (Role.STAFF, "sha256")
    assert (by_name["root"].role, by_name["root"].scheme) == (Role.ADMIN, "scrypt")
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    for secret in [*PLAIN.values(), TWILIO_AUTH]:
        assert secret not in shown
    stored = " ".join(token.token.get_secret_value() for token in settings.api_tokens)
    assert PLAIN["staff"] not in stored and PLAIN["admin"] not in stored
    assert by_name["alice"].matches(PLAIN["staff"]) and by_name["root"].matches(PLAIN["admin"])
    assert not by_name["alice"].matches(PLAIN["admin"])


def test_the_table_covers_every_documented_route(api: TestClient) -> None:
    # A route without a row here fails: every endpoint needs a decision on who may call it.
    documented = {
        (method.upper(), path)
        for path, operations in api.get("/openapi.json").json()["paths"].items()
        for method in operations
    }
    tabled = {
        (
            e.method,
            e.path.replace("{incident}", "{incident_id}")
            .replace("{resolved}", "{incident_id}")
            .replace("{marked}", "{incident_id}")
            .replace("{event}", "{event_id}")
            .replace("{item}", "{item_id}")
            .replace("{subscriber}", "{subscriber_id}")
            .replace("{window}", "{maintenance_id}")
            .replace("{active}", "{maintenance_id}"),
        )
        for e in ENDPOINTS
    }
    # /metrics is left out of the OpenAPI document on purpose.
    assert documented == tabled - {("GET", "/metrics")}
