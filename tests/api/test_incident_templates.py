"""Incident templates over the API (issue 18), on SQLite and PostgreSQL: staff list and read
them, a name that is not one is a 404 naming the known ones, and every shipped template's
`declare` body declares an incident as it stands."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from outage_notify.integrations.fake_server import FakeProviders
from tests.api.hardened_app import INCIDENTS, bearer, hardened_api

TEMPLATES = "/api/v1/incident-templates"
SHIPPED = [
    "inbound-mail-down",
    "mail-delayed",
    "mail-server-security-incident",
    "outbound-mail-down",
    "webmail-down",
]


@pytest.fixture
def api(providers: FakeProviders, database_url: str, redis_url: str) -> Iterator[TestClient]:
    with hardened_api(providers, database_url, redis_url) as client:
        yield client


def get(api: TestClient, path: str, role: str = "staff") -> Any:
    return api.get(path, headers=bearer(role))


def test_staff_list_the_templates_with_every_locale_and_a_declare_body(api: TestClient) -> None:
    listed = get(api, TEMPLATES)

    assert listed.status_code == 200, listed.text
    templates = {t["name"]: t for t in listed.json()}
    assert sorted(templates) == SHIPPED
    webmail = templates["webmail-down"]
    assert set(webmail["texts"]) == {"en", "es", "pt-BR"}
    assert webmail["locale"] == "en"
    assert webmail["declare"]["title"] == webmail["texts"]["en"]["title"]
    assert webmail["declare"]["components"] == ["webmail"]

    spanish = get(api, f"{TEMPLATES}/webmail-down?locale=es").json()
    assert spanish["declare"]["summary"] == webmail["texts"]["es"]["first_message"]


def test_an_unknown_template_is_a_404_naming_the_known_ones(api: TestClient) -> None:
    missing = get(api, f"{TEMPLATES}/webmial-down")

    assert missing.status_code == 404
    assert missing.json()["detail"] == (
        f"no incident template 'webmial-down'; known: {', '.join(SHIPPED)}"
    )


def test_a_monitor_token_may_not_read_the_templates(api: TestClient) -> None:
    assert get(api, TEMPLATES, role="monitor").status_code == 403
    assert api.get(TEMPLATES).status_code == 401


def test_every_shipped_template_declares_an_incident_as_it_stands(api: TestClient) -> None:
    # Security mode keeps its record (no retraction), so its template goes last.
    security = "mail-server-security-incident"
    for name in [*(n for n in SHIPPED if n != security), security]:
        template = get(api, f"{TEMPLATES}/{name}?locale=pt-BR").json()

        declared = api.post(INCIDENTS, json=template["declare"], headers=bearer("staff"))

        assert declared.status_code == 201, (name, declared.text)
        incident = declared.json()["incident"]
        assert incident["title"] == template["texts"]["pt-BR"]["title"]
        assert incident["summary"] == template["texts"]["pt-BR"]["first_message"]
        assert incident["components"] == sorted(template["components"])
        assert incident["severity"] == template["severity"]
        assert incident["cause_category"] == template["cause_category"]
        # The public title goes on with a PATCH, as the console and the CLI do.
        patched = api.patch(
            f"{INCIDENTS}/{incident['id']}",
            json={"public_title": template["texts"]["pt-BR"]["public_title"]},
            headers=bearer("staff"),
        )
        assert patched.status_code == 200, patched.text
        if name == security:
            assert get(api, f"{INCIDENTS}/{incident['id']}").json()["security_since"]
            break
        # One open incident per service: withdraw it before declaring the next one.
        retracted = api.post(
            f"{INCIDENTS}/{incident['id']}/retract",
            json={"message": "Template test."},
            headers=bearer("staff"),
        )
        assert retracted.status_code == 202, retracted.text
