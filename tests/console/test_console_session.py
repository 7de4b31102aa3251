"""Console sign-in, sessions and CSRF: who may sign in, how long a session lasts, what the
cookie is, and that a form without its token changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from outage_notify.config.settings import Settings
from tests.console.console_client import csrf_of, sign_in, submit
from tests.fixtures.app import api_client
from tests.fixtures.clock import ManualClock
from tests.fixtures.settings import service_settings

TOKENS = (
    "monitor:probe-bot:console-monitor-token,staff:staff-bot:console-staff-token,"
    "admin:root:console-admin-token"
)
BEARER = {"Authorization": "Bearer console-staff-token"}
ADMIN = {"Authorization": "Bearer console-admin-token"}


def console_settings(database_url: str, **values: object) -> Settings:
    return service_settings(database_url=database_url, api_tokens=TOKENS, **values)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def console(sqlite_url: str, clock: ManualClock) -> Iterator[TestClient]:
    with api_client(console_settings(sqlite_url), clock=clock) as client:
        yield client


def incident_count(client: TestClient) -> int:
    return int(client.get("/api/v1/incidents", headers=BEARER).json()["total"])


def test_a_staff_token_signs_in_with_a_strict_httponly_cookie(console: TestClient) -> None:
    signed = sign_in(console, "console-staff-token", name="Alice")
    assert signed.status_code == 303 and signed.headers["location"] == "/console/incidents"
    cookie = next(
        c for c in signed.headers.get_list("set-cookie") if c.startswith("outage_notify_console=")
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain HTTP here; HTTPS is below
    page = console.get("/console/incidents")
    assert page.status_code == 200
    assert "Signed in as <strong>Alice (staff-bot)</strong>" in page.text
    [entry] = console.get("/api/v1/audit", headers=ADMIN).json()["items"]
    assert (entry["actor"], entry["action"], entry["detail"]) == (
        "Alice (staff-bot)",
        "console_sign_in",
        {"token": "staff-bot"},
    )


def test_over_https_the_cookie_is_secure(sqlite_url: str) -> None:
    with api_client(console_settings(sqlite_url), base_url="https://testserver") as client:
        signed = sign_in(client, "console-staff-token")
    assert signed.status_code == 303
    assert "Secure" in signed.headers["set-cookie"]


@pytest.mark.parametrize(
    ("token", "status", "reason"),
    [
        ("console-monitor-token", 403, "A monitor token cannot sign in"),
        ("not-a-token", 401, "not one this service knows"),
        ("", 401, "Give a token."),
    ],
)
def test_monitor_and_unknown_tokens_are_refused(
    console: TestClient, token: str, status: int, reason: str
) -> None:
    refused = sign_in(console, token)
    assert refused.status_code == status
    assert reason in refused.text
    assert "outage_notify_console=" not in refused.headers.get("set-cookie", "")
    assert console.get("/console/incidents", follow_redirects=False).status_code == 303


def test_pages_without_a_session_go_to_sign_in(console: TestClient) -> None:
    for path in ("/console", "/console/incidents", "/console/incidents/1"):
        response = console.get(path, follow_redirects=True)
        assert response.url.path == "/console/sign-in", path
        assert "Staff or admin API token" in response.text


def test_sign_in_without_the_forms_token_is_refused(console: TestClient) -> None:
    console.get("/console/sign-in")
    refused = console.post(
        "/console/sign-in", data={"token": "console-staff-token"}, follow_redirects=False
    )
    assert refused.status_code == 403
    assert "security token" in refused.text


@pytest.mark.parametrize("csrf", [None, "", "wrong-token"])
def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    console: TestClient, csrf: str | None
) -> None:
    sign_in(console, "console-staff-token")
    fields = {"title": "Mail down", "severity": "major"}
    sent = fields if csrf is None else {**fields, "csrf": csrf}
    refused = console.post("/console/incidents", data=sent, follow_redirects=False)
    assert refused.status_code == 403
    assert "CSRF check" in refused.text and "nothing was changed" in refused.text
    assert incident_count(console) == 0
    # With the token, the same form works.
    declared = submit(console, "/console/incidents", "/console/incidents", **fields)
    assert declared.status_code == 303, declared.text
    assert incident_count(console) == 1


def test_a_post_without_a_session_is_refused(console: TestClient) -> None:
    refused = console.post(
        "/console/incidents", data={"title": "x", "csrf": "anything"}, follow_redirects=False
    )
    assert refused.status_code == 403
    assert "not signed in" in refused.text
    assert incident_count(console) == 0


def test_a_session_expires(sqlite_url: str, clock: ManualClock) -> None:
    settings = console_settings(sqlite_url, console={"session_minutes": 30})
    with api_client(settings, clock=clock) as client:
        sign_in(client, "console-staff-token")
        page = client.get("/console/incidents")
        assert page.status_code == 200
        token = csrf_of(page.text)
        clock.advance(timedelta(minutes=29))
        assert client.get("/console/incidents", follow_redirects=False).status_code == 200
        clock.advance(timedelta(minutes=2))
        assert client.get("/console/incidents", follow_redirects=False).status_code == 303
        late = client.post(
            "/console/incidents",
            data={"csrf": token, "title": "Mail down"},
            follow_redirects=False,
        )
        assert late.status_code == 403
        assert "session has ended" in late.text
        assert incident_count(client) == 0


def test_a_forged_or_tampered_cookie_is_no_session(console: TestClient) -> None:
    sign_in(console, "console-staff-token")
    value = console.cookies["outage_notify_console"]
    payload, _, mac = value.partition(".")
    console.cookies.clear()
    console.cookies.set("outage_notify_console", payload + "." + mac[::-1], path="/console")
    assert console.get("/console/incidents", follow_redirects=False).status_code == 303


def test_sign_out_ends_the_session(console: TestClient) -> None:
    sign_in(console, "console-staff-token")
    out = submit(console, "/console/sign-out", "/console/incidents")
    assert out.status_code == 303 and out.headers["location"] == "/console/sign-in"
    assert console.get("/console/incidents", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(("client_address", "honoured"), [("10.1.2.3", True), ("192.0.2.7", False)])
def test_the_trusted_header_is_honoured_only_from_a_trusted_proxy(
    sqlite_url: str, client_address: str, honoured: bool
) -> None:
    settings = console_settings(
        sqlite_url,
        console={"trusted_header": "X-Forwarded-Email", "trusted_proxies": "10.0.0.0/8"},
    )
    sso = {"X-Forwarded-Email": "carol@example.org"}
    with api_client(settings, client=(client_address, 4000), headers=sso) as client:
        page = client.get("/console/incidents", follow_redirects=False)
        if not honoured:
            assert page.status_code == 303
            forged = client.post(
                "/console/incidents", data={"title": "x", "csrf": "x"}, follow_redirects=False
            )
            assert forged.status_code == 403
            return
        assert page.status_code == 200
        assert "carol@example.org" in page.text
        declared = client.post(
            "/console/incidents",
            data={"csrf": csrf_of(page.text), "title": "Mail down via SSO"},
            follow_redirects=False,
        )
        assert declared.status_code == 303, declared.text
        [entry] = client.get("/api/v1/audit", headers=ADMIN).json()["items"]
        assert (entry["actor"], entry["role"], entry["action"]) == (
            "carol@example.org",
            "staff",
            "declare",
        )
        assert entry["client"] == f"console {client_address}"


def test_every_response_forbids_outside_assets(console: TestClient) -> None:
    page = console.get("/console/sign-in")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert page.headers["cache-control"] == "no-store"
    assert 'src="/console/static/console.js"' in page.text
    for asset in ("console.css", "console.js"):
        assert console.get(f"/console/static/{asset}").status_code == 200
    assert console.get("/console/static/../app.py").status_code == 404


@pytest.mark.parametrize(
    "fields",
    [
        {"token": "x" * 5000},
        {"token": "console-staff-token", "name": "n" * 500},
        {"token": "console-staff-token", "csrf": "é" * 300},
    ],
)
def test_oversized_or_odd_sign_in_fields_are_a_4xx(
    console: TestClient, fields: dict[str, str]
) -> None:
    page = console.get("/console/sign-in")
    sent = console.post(
        "/console/sign-in",
        data={"csrf": csrf_of(page.text), **fields},
        follow_redirects=False,
    )
    assert 400 <= sent.status_code < 500
    assert '<p class="error"' in sent.text


def test_an_oversized_csrf_token_on_a_form_is_refused(console: TestClient) -> None:
    sign_in(console, "console-staff-token")
    sent = console.post(
        "/console/incidents", data={"csrf": "x" * 5000, "title": "x"}, follow_redirects=False
    )
    assert sent.status_code == 403
    assert incident_count(console) == 0
