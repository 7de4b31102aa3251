"""Every console form on PostgreSQL and SQLite: what it saved, as the API reads it back, and
the audit entry under the signed-in person's name. Mistakes are a 400 page with the reason."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from tests.console.console_client import sign_in, submit
from tests.fixtures.app import api_client
from tests.fixtures.clock import ManualClock
from tests.fixtures.settings import service_settings

TOKENS = "staff:duty-phone:forms-staff-token,admin:root:forms-admin-token"
STAFF = {"Authorization": "Bearer forms-staff-token"}
ADMIN = {"Authorization": "Bearer forms-admin-token"}
ACTOR = "Alice Example (duty-phone)"
# Mail probes on, so resolving before they pass needs an override reason.
PROBES = {
    "enabled": True,
    "smtp_host": "127.0.0.1",
    "imap_host": "127.0.0.1",
    "mailbox_address": "probe@example.org",
}


@pytest.fixture
def console(database_url: str) -> Iterator[TestClient]:
    settings = service_settings(
        database_url=database_url,
        api_tokens=TOKENS,
        timezone="America/Sao_Paulo",
        probe=PROBES,
    )
    # Fixed, so the ETAs below are within the 30 days an ETA may be ahead.
    clock = ManualClock(datetime(2030, 1, 15, 12, 0, tzinfo=UTC))
    with api_client(settings, clock=clock) as client:
        assert sign_in(client, "forms-staff-token", name="Alice Example").status_code == 303
        yield client


def incident(client: TestClient, incident_id: int) -> dict[str, Any]:
    response = client.get(f"/api/v1/incidents/{incident_id}", headers=STAFF)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def post(client: TestClient, incident_id: int, form: str, **fields: Any) -> str:
    """Post an incident page's form; the page the browser lands on."""
    page = f"/console/incidents/{incident_id}"
    sent = submit(client, f"{page}/{form}", page, **fields)
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"].startswith(page)
    return client.get(sent.headers["location"]).text


def test_a_whole_incident_from_the_console(console: TestClient) -> None:
    declared = submit(
        console,
        "/console/incidents",
        "/console/incidents",
        title="Outbound relay queue stuck",
        public_title="Sending email is delayed",
        severity="critical",
        components=["outbound", "webmail"],
        message="Outgoing mail is queued; we are on it.",
        eta="2030-01-15T14:30",
    )
    assert declared.status_code == 303, declared.text
    incident_id = int(declared.headers["location"].split("/")[3].split("?")[0])
    record = incident(console, incident_id)
    assert record["title"] == "Outbound relay queue stuck"
    assert record["public_title"] == "Sending email is delayed"
    assert record["severity"] == "critical"
    assert record["components"] == ["outbound", "webmail"]
    # 14:30 in São Paulo (UTC-3) is 17:30 UTC.
    assert record["eta"] == "2030-01-15T17:30:00Z"
    listed = console.get("/console/incidents").text
    assert listed.index("Outbound relay queue stuck") < listed.index("Declare an incident")

    page = post(
        console,
        incident_id,
        "updates",
        message="Relay restarted; draining the queue.",
        phase="fixing",
        eta="2030-01-15T16:00",
        public="on",
    )
    assert "2030-01-15 16:00 -03" in page
    record = incident(console, incident_id)
    assert record["phase"] == "fixing"
    assert record["eta"] == "2030-01-15T19:00:00Z"
    assert record["updates"][-1]["message"] == "Relay restarted; draining the queue."

    post(console, incident_id, "notes", kind="finding", text="Disk full on relay-2")
    post(console, incident_id, "notes", kind="note", text="Vendor ticket 4411 opened")
    post(console, incident_id, "action-items", text="Alert on relay disk usage", owner="bob")
    page = post(
        console,
        incident_id,
        "record",
        lead="ana.souza",
        root_cause="Log rotation stopped",
        cause_category="software",
    )
    assert "Alert on relay disk usage" in page and "Log rotation stopped" in page
    record = incident(console, incident_id)
    assert (record["lead"], record["root_cause"]) == ("ana.souza", "Log rotation stopped")
    assert record["cause_category"] == "software"
    kinds = [entry["kind"] for entry in record["timeline"]]
    assert "finding" in kinds and "note" in kinds

    # The probes have not passed: resolving needs a reason.
    refused = submit(
        console,
        f"/console/incidents/{incident_id}/resolve",
        f"/console/incidents/{incident_id}",
        message="Fixed",
    )
    assert refused.status_code == 409
    assert "override_reason" in refused.text
    post(
        console,
        incident_id,
        "resolve",
        message="Mail flows again.",
        override_reason="Verified by hand",
        public="on",
    )
    assert incident(console, incident_id)["phase"] == "resolved"
    page = post(console, incident_id, "reopen", message="Queue stuck again", eta="2030-01-16T09:00")
    record = incident(console, incident_id)
    assert record["phase"] == "investigating"
    assert record["eta"] == "2030-01-16T12:00:00Z"
    post(console, incident_id, "retract", message="Wrong server", confirm="yes")
    assert incident(console, incident_id)["retracted_at"] is not None

    audit = console.get("/api/v1/audit", params={"incident_id": incident_id}, headers=ADMIN).json()[
        "items"
    ]
    actions = sorted(entry["action"] for entry in audit)
    assert actions == sorted(
        [
            "declare",
            "edit",
            "update",
            "finding",
            "note",
            "action_item",
            "edit",
            "resolve",
            "reopen",
            "retract",
        ]
    )
    assert {entry["actor"] for entry in audit} == {ACTOR}
    assert all(entry["client"].startswith("console ") for entry in audit)

    report = console.get(f"/console/incidents/{incident_id}/report")
    assert report.status_code == 200 and "Alert on relay disk usage" in report.text
    for form, media in (
        ("md", "text/markdown"),
        ("html", "text/html"),
        ("json", "application/json"),
    ):
        download = console.get(f"/console/incidents/{incident_id}/report", params={"format": form})
        assert download.headers["content-type"].startswith(media)
        assert "attachment" in download.headers["content-disposition"]
        assert "Outbound relay queue stuck" in download.text


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"title": ""}, "Title: please fill this in"),
        ({"title": "x" * 301}, "Title: at most 300 characters"),
        (
            {"title": "Down", "severity": "apocalyptic"},
            "Severity: &#39;apocalyptic&#39; is not one of",
        ),
        ({"title": "Down", "components": "webmial"}, "Components: unknown webmial"),
        ({"title": "Down", "eta": "tomorrow"}, "ETA: &#39;tomorrow&#39; is not a date and time"),
        ({"title": "Down", "eta": "2030-01-15T14:30+02:00"}, "give a local time"),
    ],
)
def test_a_wrong_declare_form_says_why_and_declares_nothing(
    console: TestClient, fields: dict[str, str], reason: str
) -> None:
    refused = submit(console, "/console/incidents", "/console/incidents", **fields)
    assert refused.status_code == 400
    assert reason in refused.text
    assert console.get("/api/v1/incidents", headers=STAFF).json()["total"] == 0


def test_the_live_part_and_unknown_incidents(console: TestClient) -> None:
    declared = submit(console, "/console/incidents", "/console/incidents", title="Webmail down")
    incident_id = int(declared.headers["location"].split("/")[3].split("?")[0])
    live = console.get(f"/console/incidents/{incident_id}/live")
    assert live.status_code == 200
    assert "deliveries" in live.text and "<html" not in live.text
    assert console.get("/console/incidents/999999").status_code == 404
    missing = submit(
        console, "/console/incidents/999999/notes", "/console/incidents", text="x", kind="note"
    )
    assert missing.status_code == 404
    assert "999999" in missing.text
    # Times in the organisation's zone: noon UTC is 09:00 in São Paulo.
    assert "2030-01-15 09:00 -03" in console.get(f"/console/incidents/{incident_id}").text


def test_declare_from_a_template_in_a_locale(console: TestClient) -> None:
    page = console.get(
        "/console/incidents", params={"template": "webmail-down", "locale": "pt-BR"}
    ).text
    assert "From the template <strong>webmail-down</strong> (pt-BR)" in page
    fields = {
        name: value
        for name, value in re.findall(
            r'<input id="d-[a-z]+" name="([a-z_]+)"[^>]*value="([^"]*)"', page
        )
    }
    assert fields["title"] and fields["public_title"]
    message = re.search(r'name="message" rows="3" maxlength="5000">([^<]*)</textarea>', page)
    assert message is not None and message.group(1)
    components = re.findall(r'name="components" value="([a-z_]+)" checked', page)
    assert components
    declared = submit(
        console,
        "/console/incidents",
        "/console/incidents?template=webmail-down&locale=pt-BR",
        template="webmail-down",
        title=fields["title"] + " (edited)",
        public_title=fields["public_title"],
        severity="major",
        components=components,
        message=html.unescape(message.group(1)),
    )
    assert declared.status_code == 303, declared.text
    incident_id = int(declared.headers["location"].split("/")[3].split("?")[0])
    record = incident(console, incident_id)
    assert record["title"] == html.unescape(fields["title"]) + " (edited)"
    assert record["public_title"] == html.unescape(fields["public_title"])
    assert record["components"] == components
    [entry] = [
        e
        for e in console.get(
            "/api/v1/audit", params={"incident_id": incident_id}, headers=ADMIN
        ).json()["items"]
        if e["action"] == "declare"
    ]
    assert entry["detail"]["template"] == "webmail-down"


def test_preview_shows_each_body_and_sends_nothing_until_confirmed(console: TestClient) -> None:
    fields = {
        "title": "Webmail down",
        "severity": "major",
        "components": ["webmail"],
        "message": "Webmail shows an error page; mail on phones works.",
    }
    previewed = submit(
        console, "/console/incidents", "/console/incidents", intent="preview", **fields
    )
    assert previewed.status_code == 200, previewed.text
    page = previewed.text
    assert "Preview: nothing has been sent" in page
    assert "segment" in page and "Webmail shows an error page" in page
    assert console.get("/api/v1/incidents", headers=STAFF).json()["total"] == 0
    # The preview's one button sends exactly what was previewed.
    hidden = re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page)
    sent = console.post(
        "/console/incidents",
        content=urlencode([*((n, html.unescape(v)) for n, v in hidden), ("intent", "send")]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    incident_id = int(sent.headers["location"].split("/")[3].split("?")[0])
    record = incident(console, incident_id)
    assert (record["title"], record["components"]) == ("Webmail down", ["webmail"])

    update_page = f"/console/incidents/{incident_id}"
    previewed = submit(
        console,
        f"{update_page}/updates",
        update_page,
        intent="preview",
        message="x" * 1500,
        eta="2030-01-15T14:30",
    )
    assert previewed.status_code == 200, previewed.text
    assert "was shortened to fit" in previewed.text
    assert len(incident(console, incident_id)["updates"]) == 1
