"""Corrections through the API, on SQLite and PostgreSQL: PATCH of the facts, components
checked against the catalogue, reopen and retract (issue 14, item 6). No worker: these are
the answers staff get and what the public pages show."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.etree import ElementTree

import pytest
from fastapi.testclient import TestClient

from outage_notify.integrations.fake_server import FakeProviders
from tests.api.hardened_app import INCIDENTS, bearer, hardened_api

# The public words of an incident of `inbound` (templates/en/public.yaml).
PUBLIC_TITLE = "Incoming email is delayed or not arriving"
KNOWN = "calendar, imap, inbound, mobile_sync, outbound, pop, webmail"


@pytest.fixture
def api(providers: FakeProviders, database_url: str, redis_url: str) -> Iterator[TestClient]:
    with hardened_api(providers, database_url, redis_url) as client:
        yield client


def call(api: TestClient, method: str, path: str, role: str = "staff", **body: Any) -> Any:
    return api.request(method, path, json=body if body else None, headers=bearer(role))


def declare(api: TestClient, **fields: Any) -> int:
    body = {"title": "Inbound mail stuck", "components": ["inbound"], **fields}
    response = call(api, "POST", INCIDENTS, **body)
    assert response.status_code == 201, response.text
    incident: int = response.json()["incident"]["id"]
    return incident


def refusal(response: Any) -> str:
    detail = response.json()["detail"]
    return detail if isinstance(detail, str) else " ".join(d["msg"] for d in detail)


def test_a_typo_in_a_component_is_a_422_listing_the_known_ones(api: TestClient) -> None:
    # Before: "webmial" was accepted, selected no audience, and users were never told.
    declared = call(api, "POST", INCIDENTS, title="Webmail down", components=["webmial"])
    assert declared.status_code == 422, declared.text
    assert "unknown component(s) webmial" in refusal(declared)
    assert f"known: {KNOWN}" in refusal(declared)
    assert call(api, "GET", INCIDENTS).json()["total"] == 0

    incident = declare(api)
    update = call(
        api, "POST", f"{INCIDENTS}/{incident}/updates", message="x", components=["webmial"]
    )
    patch = call(api, "PATCH", f"{INCIDENTS}/{incident}", components=["inbound", "webmial"])
    for response in (update, patch):
        assert response.status_code == 422, response.text
        assert "webmial" in refusal(response) and KNOWN in refusal(response)
    assert call(api, "GET", f"{INCIDENTS}/{incident}").json()["components"] == ["inbound"]


def test_patch_corrects_title_severity_components_and_public_title_with_an_audit_entry(
    api: TestClient,
) -> None:
    incident = declare(api, severity="minor")

    patched = call(
        api, "PATCH", f"{INCIDENTS}/{incident}", title="Inbound mail delayed",
        severity="critical", components=["outbound", "inbound"],
        public_title="Incoming email is late",
    )  # fmt: skip

    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["title"], body["severity"]) == ("Inbound mail delayed", "critical")
    assert body["components"] == ["inbound", "outbound"]
    assert body["public_title"] == "Incoming email is late"
    detail = call(api, "GET", f"{INCIDENTS}/{incident}").json()
    # A correction tells nobody: only the declaration went out.
    assert [u["kind"] for u in detail["updates"]] == ["opened"]
    texts = [entry["text"] for entry in detail["timeline"]]
    assert "title set to 'Inbound mail delayed'" in texts
    assert "severity minor → critical" in texts and "components: +outbound" in texts
    audit = call(api, "GET", "/api/v1/audit", role="admin").json()["items"]
    edits = [entry for entry in audit if entry["action"] == "edit"]
    assert len(edits) == 1 and edits[0]["actor"] == "staff-bot"
    assert edits[0]["detail"]["severity"] == "critical"


@pytest.mark.parametrize(
    "body",
    [{"severity": "catastrophic"}, {"title": ""}, {"components": "inbound"}, {"title": None}],
)
def test_a_bad_patch_is_a_422(api: TestClient, body: dict[str, Any]) -> None:
    incident = declare(api)
    response = api.patch(f"{INCIDENTS}/{incident}", json=body, headers=bearer("staff"))
    assert response.status_code in (200, 422), response.text
    if body != {"title": None}:  # null means "leave as it is"
        assert response.status_code == 422


def test_monitoring_cannot_correct_reopen_or_retract(api: TestClient) -> None:
    incident = declare(api)
    for method, path, body in [
        ("PATCH", f"{INCIDENTS}/{incident}", {"title": "x"}),
        ("POST", f"{INCIDENTS}/{incident}/reopen", {"message": "x"}),
        ("POST", f"{INCIDENTS}/{incident}/retract", {"message": "x"}),
    ]:
        assert call(api, method, path, role="monitor", **body).status_code == 403


def test_an_update_to_a_resolved_incident_is_a_409_pointing_at_reopen(api: TestClient) -> None:
    incident = declare(api)
    assert call(api, "POST", f"{INCIDENTS}/{incident}/resolve").status_code == 202
    again = call(api, "POST", f"{INCIDENTS}/{incident}/updates", message="Bounces again")
    assert again.status_code == 409
    assert f"POST /api/v1/incidents/{incident}/reopen" in refusal(again)

    reopened = call(api, "POST", f"{INCIDENTS}/{incident}/reopen", message="Bounces again.")

    assert reopened.status_code == 202, reopened.text
    assert reopened.json()["incident"]["phase"] == "investigating"
    assert reopened.json()["incident"]["resolved_at"] is None
    detail = call(api, "GET", f"{INCIDENTS}/{incident}").json()
    assert [u["kind"] for u in detail["updates"]] == ["opened", "resolved", "reopened"]
    assert detail["updates"][-1]["message"] == "Bounces again."
    # Now updates go through, and a second reopen of an open incident is refused.
    assert call(api, "POST", f"{INCIDENTS}/{incident}/updates", message="x").status_code == 202
    twice = call(api, "POST", f"{INCIDENTS}/{incident}/reopen", message="x")
    assert twice.status_code == 409 and "only a resolved incident" in refusal(twice)
    assert call(api, "POST", f"{INCIDENTS}/999/reopen", message="x").status_code == 404
    assert call(api, "POST", f"{INCIDENTS}/{incident}/reopen").status_code == 422


def public(api: TestClient) -> tuple[dict[str, Any], list[str]]:
    status = api.get("/status.json").json()
    feed = ElementTree.fromstring(api.get("/status/feed.atom").content)  # noqa: S314 - ours
    ids = [e.text or "" for e in feed.iter("{http://www.w3.org/2005/Atom}id")]
    return status, ids


@pytest.mark.parametrize("resolve_first", [False, True])
def test_a_retracted_incident_leaves_the_public_page_feed_and_history_but_not_the_report(
    api: TestClient, resolve_first: bool
) -> None:
    incident = declare(api, summary="Mail to us bounces.")
    if resolve_first:
        assert call(api, "POST", f"{INCIDENTS}/{incident}/resolve").status_code == 202
    told = [u["id"] for u in call(api, "GET", f"{INCIDENTS}/{incident}").json()["updates"]]
    status, feed = public(api)
    current = [status["current"]["id"]] if status["current"] else []
    assert [p["id"] for p in status["past"]] + current == [incident]
    assert any(i.endswith(f"#update-{told[0]}") for i in feed)
    assert PUBLIC_TITLE in api.get("/status").text

    retracted = call(api, "POST", f"{INCIDENTS}/{incident}/retract", message="A test alert.")

    assert retracted.status_code == 202, retracted.text
    assert retracted.json()["incident"]["retracted_at"] is not None
    status, feed = public(api)
    assert status["email_ok"] and status["current"] is None and status["past"] == []
    assert not any("#update-" in i for i in feed), feed
    assert PUBLIC_TITLE not in api.get("/status").text
    report = call(api, "GET", f"{INCIDENTS}/{incident}/report").json()
    assert report["summary"]["phase"] == "retracted" and report["summary"]["retracted_at"]
    detail = call(api, "GET", f"{INCIDENTS}/{incident}").json()
    assert detail["updates"][-1]["kind"] == "retracted"


def test_a_retracted_incident_takes_no_update_reopen_or_second_retraction(
    api: TestClient,
) -> None:
    incident = declare(api)
    assert call(api, "POST", f"{INCIDENTS}/{incident}/retract", message="Test.").status_code == 202
    for path, words in [
        ("updates", "retracted"),
        ("reopen", "declare a new incident"),
        ("retract", "already retracted"),
    ]:
        response = call(api, "POST", f"{INCIDENTS}/{incident}/{path}", message="x")
        assert response.status_code == 409, (path, response.text)
        assert words in refusal(response)
    # The service is free again: a new declaration is not "already open".
    assert declare(api) != incident
    assert call(api, "POST", f"{INCIDENTS}/{incident}/retract").status_code == 422
