"""The status page's routes: no login, cacheable, conditional, and documented in OpenAPI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from outage_notify.status.feed import ATOM
from tests.fixtures.app import api_client
from tests.fixtures.settings import service_settings

ROOT = Path(__file__).resolve().parents[2]
STAFF = {"Authorization": "Bearer status-test-staff-token"}


@pytest.fixture
def api(database_url: str) -> Iterator[TestClient]:
    """The embedded service on SQLite and PostgreSQL; nothing here needs a worker."""
    settings = service_settings(
        database_url=database_url,
        api_tokens="staff:alice:status-test-staff-token",
        organisation_name="ACME & Sons",
        public_base_url="https://it.example.org/",
        alternatives=["Phone +1 555 0100", "Walk to desk 4"],
    )
    with api_client(settings) as client:
        yield client


def declare(api: TestClient, title: str) -> int:
    response = api.post(
        "/api/v1/incidents",
        json={"title": title, "summary": "internal-ish summary", "components": ["outbound"]},
        headers=STAFF,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["incident"]["id"])


def test_json_answers_without_login_with_cache_headers_and_304_when_unchanged(
    api: TestClient,
) -> None:
    first = api.get("/status.json")
    assert first.status_code == 200
    assert first.json()["email_ok"] is True and first.json()["current"] is None
    assert first.json()["organisation"] == "ACME & Sons"
    assert first.json()["alternatives"] == []  # nothing is down: no "meanwhile"
    assert "max-age=30" in first.headers["cache-control"]
    etag = first.headers["etag"]
    assert etag.startswith('W/"')

    again = api.get("/status.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""

    incident_id = declare(api, "Outbound mail stuck")
    changed = api.get("/status.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    current = changed.json()["current"]
    assert current["id"] == incident_id and current["phase"] == "investigating"
    assert current["components"] == [{"id": "outbound", "name": "sending email"}]
    assert current["latest_update"]["kind"] == "opened"
    # The routing's `status_page` entry wins over OUTAGE_NOTIFY_ALTERNATIVES: anyone reads the
    # page, so the shipped one lists the hotline and no internal channel.
    assert changed.json()["alternatives"] == ["IT hotline +55 11 4000-1234"]
    assert "severity" not in current and "alice" not in changed.text
    pt = api.get("/status.json", params={"lang": "pt-BR"}).json()
    assert pt["alternatives"] == ["Central de TI +55 11 4000-1234"]
    assert pt["lang"] == "pt-BR" and pt["current"]["components"][0]["name"] == "envio de e-mails"


def test_html_page_is_in_the_organisations_name_and_locked_down(api: TestClient) -> None:
    incident_id = declare(api, "mail down")
    patched = api.patch(
        f"/api/v1/incidents/{incident_id}",
        json={"public_title": "<script>alert(1)</script>"},
        headers=STAFF,
    )
    assert patched.status_code == 200, patched.text
    response = api.get("/status", params={"lang": "pt-BR"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    body = response.text
    assert '<html lang="pt-BR">' in body
    assert "ACME &amp; Sons" in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<script>" not in body
    assert 'href="https://it.example.org/status/feed.atom"' in body


def test_feed_is_atom_with_the_updates_and_links_to_the_page(api: TestClient) -> None:
    declare(api, "Relay mx1.corp.local down")
    response = api.get("/status/feed.atom")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert "max-age=60" in response.headers["cache-control"]
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own output under test
    ns = {"a": ATOM}
    assert root.findtext("a:id", namespaces=ns) == "https://it.example.org/status/feed.atom"
    alternate = root.find("a:link[@rel='alternate']", ns)
    assert alternate is not None
    assert alternate.get("href") == "https://it.example.org/status"
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    # The title staff declared with is internal; the page uses the component's public words.
    assert titles == ["Outgoing email is delayed or not being delivered: Problem reported"]


def test_without_a_public_base_url_links_are_built_from_the_request(database_url: str) -> None:
    """Issue 14: the feed link pointed to 127.0.0.1:8000 when served on another port."""
    settings = service_settings(
        database_url=database_url, api_tokens="staff:alice:status-test-staff-token"
    )
    assert "public_base_url" not in settings.model_fields_set
    with api_client(settings, base_url="http://status.example.net:8081") as api:
        declare(api, "Relay down")
        feed = "http://status.example.net:8081/status/feed.atom"
        page = api.get("/status")
        assert f'href="{feed}"' in page.text and "127.0.0.1" not in page.text
        root = ElementTree.fromstring(api.get("/status/feed.atom").content)  # noqa: S314
        ns = {"a": ATOM}
        assert root.findtext("a:id", namespaces=ns) == feed
        alternate = root.find("a:link[@rel='alternate']", ns)
        assert (
            alternate is not None
            and alternate.get("href") == "http://status.example.net:8081/status"
        )
        # The host a page is reached on is part of its version: no 304 across hosts.
        other = api.get(
            "/status", headers={"Host": "other.example.net", "If-None-Match": page.headers["etag"]}
        )
        assert other.status_code == 200
        assert 'href="http://other.example.net/status/feed.atom"' in other.text
        # Without a proxy the app is told to trust, X-Forwarded-Host changes nothing.
        forwarded = api.get("/status/feed.atom", headers={"X-Forwarded-Host": "evil.example"})
        assert b"evil.example" not in forwarded.content


def test_openapi_documents_the_status_routes_and_the_json_schema(api: TestClient) -> None:
    document = api.get("/openapi.json").json()
    assert {"/status", "/status.json", "/status/feed.atom"} <= set(document["paths"])
    schema = document["paths"]["/status.json"]["get"]["responses"]["200"]["content"]
    assert schema["application/json"]["schema"]["$ref"].endswith("/StatusView")
    view = document["components"]["schemas"]["StatusView"]["properties"]
    assert set(view) == {
        "organisation",
        "lang",
        "email_ok",
        "current",
        "incidents",
        "alternatives",
        "past",
        "maintenance",
        "generated_at",
    }
    current = document["components"]["schemas"]["CurrentIncident"]["properties"]
    assert "severity" not in current and "summary" not in current
    planned = document["components"]["schemas"]["PlannedWork"]["properties"]
    # Who scheduled it, its audiences and the alerts it silenced are staff's, never public.
    assert not {"created_by", "audiences", "silenced_alerts_firing", "timeline"} & set(planned)


def status_of(api: TestClient) -> dict[str, Any]:
    body: dict[str, Any] = api.get("/status.json").json()
    return body


def test_patch_public_title_renames_the_incident_on_every_public_surface(
    api: TestClient,
) -> None:
    incident_id = declare(api, "Relay mx1.corp.local (10.0.0.5) down")
    assert status_of(api)["current"]["title"] == (
        "Outgoing email is delayed or not being delivered"
    )
    patched = api.patch(
        f"/api/v1/incidents/{incident_id}",
        json={"public_title": "Mail to outside addresses is delayed\uffff"},
        headers=STAFF,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["public_title"] == "Mail to outside addresses is delayed\uffff"
    assert patched.json()["title"] == "Relay mx1.corp.local (10.0.0.5) down"
    current = status_of(api)["current"]
    assert current["title"] == "Mail to outside addresses is delayed"
    feed = api.get("/status/feed.atom").content
    root = ElementTree.fromstring(feed)  # noqa: S314 - our own output under test
    titles = [e.findtext(f"{{{ATOM}}}title") for e in root.findall(f"{{{ATOM}}}entry")]
    assert titles == ["Mail to outside addresses is delayed: Problem reported"]
    for body in (api.get("/status").text, feed.decode(), api.get("/status.json").text):
        assert "mx1" not in body and "10.0.0.5" not in body and "internal-ish" not in body
    detail = api.get(f"/api/v1/incidents/{incident_id}", headers=STAFF).json()
    assert detail["timeline"][-1]["kind"] == "edit"
    assert "public title set to" in detail["timeline"][-1]["text"]

    cleared = api.patch(
        f"/api/v1/incidents/{incident_id}", json={"public_title": ""}, headers=STAFF
    )
    assert cleared.status_code == 200 and cleared.json()["public_title"] == ""
    assert status_of(api)["current"]["title"] == (
        "Outgoing email is delayed or not being delivered"
    )


def test_public_title_over_300_characters_is_a_422_naming_the_field(api: TestClient) -> None:
    incident_id = declare(api, "mail down")
    response = api.patch(
        f"/api/v1/incidents/{incident_id}", json={"public_title": "x" * 301}, headers=STAFF
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "public_title"]


def test_staff_updates_are_public_unless_public_false_or_audiences(api: TestClient) -> None:
    incident_id = declare(api, "mail down")
    path = f"/api/v1/incidents/{incident_id}/updates"
    shown = api.post(path, json={"message": "Moving the queue to a new disk."}, headers=STAFF)
    assert shown.status_code == 202, shown.text
    assert status_of(api)["current"]["latest_update"]["message"] == (
        "Moving the queue to a new disk."
    )
    for body in (
        {"message": "mx1 vendor ticket 4411 opened", "public": False},
        {"message": "Cost estimate follows by phone.", "audiences": ["management"]},
    ):
        response = api.post(path, json=body, headers=STAFF)
        assert response.status_code == 202, response.text
        published = status_of(api)
        assert published["current"]["latest_update"]["message"] == (
            "Moving the queue to a new disk."
        )
        assert str(body["message"]) not in api.get("/status/feed.atom").text
    updates = api.get(f"/api/v1/incidents/{incident_id}", headers=STAFF).json()["updates"]
    assert [u["public"] for u in updates] == [False, True, False, False]
