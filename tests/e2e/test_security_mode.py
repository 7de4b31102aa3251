"""Security mode end to end, with the real worker and the fake providers, on SQLite and
PostgreSQL (issue 17): an incident moved to the `security` cause category changes who hears
what, what the status page says, and what the record keeps."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.fixtures.service import REFRESH, RunningService, wait_for

TITLE = "SMTP relay mx1.corp.example rejects logins from 10.2.3.4"
SUMMARY = "Auth failures on mx1 after the 02:00 config push"
NOTE = "Attacker used leaked admin credentials on mx1; relay isolated"
ADVICE = "Please change your password when the IT portal asks you to."
# The security templates' "what not to expect", in every shipped locale and both audiences.
NEVER_ASKS = (
    "IT never asks for your password",
    "IT will never ask for your password",
    "TI nunca pide claves",
    "A TI nunca pede senhas",
    "A TI nunca pede sua senha",
    "We never ask for passwords",
    "We will never ask for passwords",
    "Nunca pedimos",
    "Nunca le pediremos",
)
# Nothing of the alert text, the cause or the note may reach users or partners.
SECRETS = ("mx1", "10.2.3.4", "SMTP relay", "Attacker", "leaked", "config push")


def received(service: RunningService, audience: str) -> list[str]:
    """Every body (title and text) the fakes got for `audience`'s contacts and broadcasts."""
    members = service.directory.audiences[audience]
    addresses = {a for c in members.contacts for a in (c.phone, c.slack, c.fallback) if a}
    addresses |= set(members.broadcast.slack_channels) | set(members.broadcast.fallback_urls)
    return [f"{r.title}\n{r.body}" for r in service.providers.records() if r.to in addresses]


def post(service: RunningService, path: str, **body: Any) -> Any:
    response = service.call("POST", path, json=body)
    assert response.status_code in (201, 202), response.text
    return response.json()


def test_an_incident_moved_to_security_changes_who_hears_what_and_keeps_the_record(
    service_factory: Callable[..., RunningService], database_url: str
) -> None:
    service = service_factory(database_url, metrics_token="test-metrics-token-0123")
    opened = post(
        service,
        "/api/v1/incidents",
        title=TITLE,
        summary=SUMMARY,
        severity="major",
        components=["inbound", "outbound"],
    )
    incident = opened["incident"]["id"]
    wait_for(lambda: service.settled(incident, updates=1), timeout=90, what="opened")
    before = service.api.get("/status.json").json()["current"]
    assert before["components"], before

    patched = service.call(
        "PATCH",
        f"/api/v1/incidents/{incident}",
        json={"cause_category": "security", "title": "Mail server compromised"},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["cause_category"] == "security" and patched.json()["security_since"]
    service.providers.reset()

    post(service, f"/api/v1/incidents/{incident}/notes", text=NOTE, for_security=True)
    post(service, f"/api/v1/incidents/{incident}/notes", text="Relay off", kind="containment")
    post(service, f"/api/v1/incidents/{incident}/updates", message=ADVICE)
    wait_for(lambda: service.settled(incident, updates=3), timeout=90, what="security update")

    # Users and partners: the security template, nothing of the alert, the cause or the note.
    for audience in ("users", "partners"):
        bodies = received(service, audience)
        assert bodies, audience
        for body in bodies:
            assert any(words in body for words in NEVER_ASKS), body
            assert not [secret for secret in SECRETS if secret in body], body
    assert any(ADVICE in body for body in received(service, "users"))
    # The security audience hears everything, the note marked for it included.
    security = received(service, "security")
    assert any(NOTE in body for body in security), security
    assert any(ADVICE in body for body in security), security

    # The public page: neutral words, no cause, no component; the update is not public.
    status = service.api.get("/status.json", params={"lang": "en"})
    current = status.json()["current"]
    assert current["title"] == "Email is unavailable while we investigate"
    assert current["components"] == [] and current["latest_update"]["message"] == ""
    assert not [secret for secret in (*SECRETS, "compromised") if secret in status.text]

    # Evidence: retraction refused; the PATCH kept the old values; staff reads audited.
    refused = service.call(
        "POST", f"/api/v1/incidents/{incident}/retract", json={"message": "A test."}
    )
    assert refused.status_code == 409 and "security mode" in refused.json()["detail"]
    detail = service.call("GET", f"/api/v1/incidents/{incident}").json()
    revisions = {r["field"]: (r["old"], r["new"]) for r in detail["revisions"]}
    assert revisions["title"] == (TITLE, "Mail server compromised")
    assert revisions["cause_category"] == ("unknown", "security")
    assert detail["title"] == "Mail server compromised"
    assert "security" in [entry["kind"] for entry in detail["timeline"]]
    reads = audit_reads(service, incident)
    service.call("GET", f"/api/v1/incidents/{incident}", headers=REFRESH)
    assert audit_reads(service, incident) == reads
    service.call("GET", f"/api/v1/incidents/{incident}/deliveries")
    assert audit_reads(service, incident) == reads + 1

    report = service.call("GET", f"/api/v1/incidents/{incident}/report").json()
    assert report["cause"]["category"] == "security"
    assert report["cause"]["time_to_identify_seconds"] is not None
    kinds = [event["kind"] for event in report["security"]["events"]]
    assert kinds[0] == "detected" and {"security_mode", "containment"} <= set(kinds)
    text = service.call("GET", f"/api/v1/incidents/{incident}/report", params={"format": "md"}).text
    assert "## Security" in text and "Cause category: security" in text

    metrics = service.api.get(
        "/metrics", headers={"Authorization": "Bearer test-metrics-token-0123"}
    )
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(metrics.text)
        for sample in family.samples
    }
    assert samples[("outage_notify_incidents", (("cause_category", "security"),))] == 1
    identified = ("outage_notify_time_to_identify_seconds_count", (("cause_category", "security"),))
    assert samples[identified] == 1


def audit_reads(service: RunningService, incident: int) -> int:
    page = service.call(
        "GET", "/api/v1/audit", role="admin", params={"incident_id": incident, "limit": 500}
    ).json()
    return sum(1 for item in page["items"] if item["action"] == "read")
