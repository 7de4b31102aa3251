"""Staff commands as SMS sends them (`ETA +45m`), run against the real service and database.

The Twilio inbound endpoint hands a staff number's text to `run_command`; these tests call it
the same way, with the running app's context, and read the result back through the API.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from outage_notify.actions.commands import run_command
from outage_notify.actions.staff import ActionContext
from outage_notify.config.sections import StaffIdentity
from outage_notify.core.models import UpdateDraft, UpdateKind
from outage_notify.messages.sms_encoding import sms_segments
from outage_notify.store import incidents as incident_store
from outage_notify.store.engine import transaction
from tests.fixtures.app import app_state
from tests.fixtures.service import RunningService, wait_for

JOAO = StaffIdentity(role="staff", name="joao")
MARIA = StaffIdentity(role="monitor", name="maria")
# Mail probes configured: resolving then waits for round trips to pass (none run here).
PROBES = {
    "enabled": True,
    "smtp_host": "smtp.example.invalid",
    "imap_host": "imap.example.invalid",
    "mailbox_address": "probe@example.org",
}


def context(service: RunningService) -> ActionContext:
    """The running app's context, as its endpoints build it for a request from `sms`."""
    state = app_state(service.api)
    return ActionContext(
        sessions=state.sessions,
        enqueuer=state.enqueuer,
        settings=state.settings,
        directory=state.config.current().directory,
        client="sms-test",
        clock=state.clock,
    )


def declare(service: RunningService, title: str) -> int:
    """Declare an incident; no component, so only management is told (the commands are under
    test, not a fan-out to the 300 users)."""
    response = service.call("POST", "/api/v1/incidents", json={"title": title})
    assert response.status_code == 201, response.text
    incident: int = response.json()["incident"]["id"]
    return incident


def detail(service: RunningService, incident: int) -> dict[str, Any]:
    found: dict[str, Any] = service.call("GET", f"/api/v1/incidents/{incident}").json()
    return found


def test_sms_commands_act_as_the_staff_member_and_reply_in_two_segments(
    service_factory: Callable[..., RunningService], database_url: str
) -> None:
    service = service_factory(database_url, probe=PROBES)
    ctx = context(service)
    title = "Servidor de e-mail não envia mensagens para fora — fila parada " * 3
    incident = declare(service, title)

    before = datetime.now(UTC)
    reply = run_command(ctx, JOAO, "ETA +45m fila sendo drenada", channel="sms")

    assert reply.outcome == "done" and reply.verb == "eta"
    assert reply.text.startswith("ETA set to ")
    assert sms_segments(reply.text) <= 2
    assert reply.incident_id == incident and reply.update_id is not None
    state = detail(service, incident)
    eta = datetime.fromisoformat(state["eta"])
    assert before + timedelta(minutes=45) <= eta <= datetime.now(UTC) + timedelta(minutes=45)
    last = state["updates"][-1]
    assert (last["kind"], last["message"], last["created_by"]) == (
        "eta_changed",
        "fila sendo drenada",
        "joao",
    )

    # The chase told the lead who to call: the lead's own notice, not news stakeholders got.
    with transaction(ctx.sessions) as session:
        row = incident_store.get_incident(session, incident)
        assert row is not None
        draft = UpdateDraft(
            kind=UpdateKind.UNREACHED, message="Ana (management)", recipients=("ana.souza",)
        )
        incident_store.add_update(session, row, draft, now=datetime.now(UTC))
    status = run_command(ctx, JOAO, "STATUS", channel="sms")
    assert status.outcome == "done"
    assert status.text.startswith(f"#{incident} Servidor de e-mail")
    assert sms_segments(status.text) <= 2
    assert status.incident is not None
    assert status.incident.last_update.startswith("eta_changed ")
    assert status.incident.last_update.endswith(" by joao: fila sendo drenada")

    # `status` needs staff, as GET /api/v1/incidents/{id} does: a monitor is refused it.
    monitor_status = run_command(ctx, MARIA, "STATUS", channel="sms")
    assert monitor_status.outcome == "refused"
    assert monitor_status.text.startswith("Not allowed: status needs the staff role")

    refused = run_command(ctx, MARIA, "RESOLVE", channel="sms")
    assert refused.outcome == "refused"
    assert refused.text.startswith("Not allowed: resolve needs the staff role")

    bad = run_command(ctx, JOAO, "ETA 25:00", channel="sms")
    assert (bad.outcome, bad.text) == (
        "failed",
        "25:00 is not a time of day; use 00:00 to 23:59.",
    )

    unverified = run_command(ctx, JOAO, "resolve", channel="sms")
    assert unverified.outcome == "failed"
    assert unverified.headline.startswith("Not resolved: the mail probes have passed 0 of")
    assert detail(service, incident)["phase"] != "resolved"
    assert [u["kind"] for u in detail(service, incident)["updates"]] == [
        "opened",
        "eta_changed",
        "unreached",
    ]

    audit = service.call("GET", "/api/v1/audit", role="admin").json()["items"]
    assert [(e["actor"], e["role"], e["action"], e["client"]) for e in reversed(audit)] == [
        ("staff-bot", "staff", "declare", "testclient"),
        ("joao", "staff", "update", "sms-test"),
        ("maria", "monitor", "refused", "sms-test"),
        ("maria", "monitor", "refused", "sms-test"),
    ]
    assert audit[0]["detail"] == {"via": "sms", "command": "resolve", "text": "RESOLVE"}
    # The worker finishes sending before it is stopped (and the database emptied).
    wait_for(lambda: service.settled(incident, updates=2), timeout=60, what="updates sent")


def test_the_http_api_answers_and_audits_as_before(
    service_factory: Callable[..., RunningService], database_url: str
) -> None:
    service = service_factory(database_url)
    incident = declare(service, "Mail down")
    note = service.call(
        "POST", f"/api/v1/incidents/{incident}/notes", json={"text": "checked the MX"}
    )
    assert note.status_code == 201
    missing = service.call("POST", "/api/v1/incidents/999999/notes", json={"text": "x"})
    assert (missing.status_code, missing.json()) == (404, {"detail": "no incident 999999"})
    again = service.call("POST", "/api/v1/incidents", json={"title": "Mail down again"})
    assert again.status_code == 409
    assert again.json()["detail"] == (
        f"incident {incident} is already open for email; post an update to it"
    )
    entries = service.call("GET", "/api/v1/audit", role="admin").json()["items"]
    assert [(e["action"], e["client"], e["detail"].get("text")) for e in entries] == [
        ("note", "testclient", "checked the MX"),
        ("declare", "testclient", None),
    ]
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened sent")
