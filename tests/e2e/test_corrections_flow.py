"""Corrections with the real worker and fakes, on SQLite and PostgreSQL (issue 14, item 6):
a change of scope is told, a reopen reaches everyone told of the resolution, and a
retraction reaches everyone told, past the per-recipient cap."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fixtures.service import RunningService, wait_for

SCOPE = ("Now also affected: webmail.", "Agora também com problema: webmail.")
DISREGARD = ("disregard our message", "desconsidere nossa mensagem", "desconsidere nossas")


def declare(service: RunningService) -> int:
    response = service.call(
        "POST",
        "/api/v1/incidents",
        json={"title": "Inbound mail stuck", "severity": "major", "components": ["inbound"]},
    )
    assert response.status_code == 201, response.text
    incident: int = response.json()["incident"]["id"]
    wait_for(lambda: service.settled(incident, updates=1), timeout=90, what="opened")
    return incident


def act(service: RunningService, incident: int, path: str, updates: int, **body: Any) -> None:
    response = service.call("POST", f"/api/v1/incidents/{incident}/{path}", json=body)
    assert response.status_code == 202, response.text
    wait_for(lambda: service.settled(incident, updates=updates), timeout=90, what=path)


def told(service: RunningService) -> set[tuple[str, str]]:
    """(channel, address) of everything the fake providers received since their reset."""
    return {(record.channel, record.to) for record in service.providers.records()}


def sms_of(service: RunningService, audience: str) -> dict[str, str]:
    phones = {c.phone for c in service.directory.audiences[audience].contacts if c.phone}
    return {
        r.to: r.body for r in service.providers.records() if r.channel == "sms" and r.to in phones
    }


def test_a_scope_change_is_told_and_a_reopen_reaches_everyone_told_of_the_resolution(
    service_factory: Callable[..., RunningService], database_url: str
) -> None:
    service = service_factory(database_url)
    incident = declare(service)
    service.providers.reset()

    act(service, incident, "updates", 2, message="Webmail too.", components=["inbound", "webmail"])

    users = sms_of(service, "users")
    assert users and all(any(words in body for words in SCOPE) for body in users.values())
    assert all("Webmail too." in body for body in users.values())
    service.providers.reset()
    act(service, incident, "resolve", 3)
    resolved_to = told(service)

    # Before: no reopen endpoint; an update answered 409 "reopen it first".
    refused = service.call(
        "POST", f"/api/v1/incidents/{incident}/updates", json={"message": "Bounces again."}
    )
    assert refused.status_code == 409 and "/reopen" in refused.json()["detail"]
    service.providers.reset()
    act(service, incident, "reopen", 4, message="Mail bounces again.")

    reopened = told(service)
    assert resolved_to and reopened == resolved_to
    for audience in ("users", "management"):
        bodies = sms_of(service, audience)
        assert bodies and all("Mail bounces again." in body for body in bodies.values())
    detail = service.call("GET", f"/api/v1/incidents/{incident}").json()
    assert detail["phase"] == "investigating"
    assert [u["kind"] for u in detail["updates"]] == ["opened", "update", "resolved", "reopened"]


def test_a_retraction_tells_everyone_told_to_disregard_even_over_the_cap(
    service_factory: Callable[..., RunningService], database_url: str
) -> None:
    # One SMS an hour per person: the `opened` message spends it, a retraction must not wait.
    service = service_factory(database_url, recipient_max_per_hour=1)
    incident = declare(service)
    opened = told(service)
    service.providers.reset()

    act(service, incident, "retract", 2, message="It was a monitoring test.")

    assert told(service) == opened
    for audience in ("users", "management", "partners"):
        bodies = sms_of(service, audience)
        assert bodies and all(any(w in body for w in DISREGARD) for body in bodies.values())
    page = service.call(
        "GET", f"/api/v1/incidents/{incident}/deliveries", params={"limit": 1}
    ).json()
    assert not [c for c in page["counts"] if c["state"] == "held"], page["counts"]
    status = service.api.get("/status.json").json()
    assert status["email_ok"] and status["current"] is None and status["past"] == []
