"""A whole email outage through the SOP, driven through the API and real mail probes.

alert → opened → notes (never sent) → ETA change → monitoring resolved → verifying → a failing
probe → reopened "fix did not hold" → passing probes → resolved → email catch-up. Mail flows
through aiosmtpd into a private Dovecot; the test stops delivery to make the probe fail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from outage_notify.config.mail import ProbeSettings
from outage_notify.worker import names
from tests.fixtures.mail import MailServers
from tests.fixtures.service import RunningService, wait_for
from tests.fixtures.webhooks import webhook_payload


def alert(status: str) -> dict[str, Any]:
    payload: dict[str, Any] = webhook_payload(f"alertmanager_{status}.json")
    return payload


def probe_settings(mail: MailServers) -> ProbeSettings:
    return ProbeSettings(
        enabled=True,
        smtp_host=mail.smtp.host,
        smtp_port=mail.smtp.port,
        smtp_starttls="never",
        imap_host=mail.imap.host,
        imap_port=mail.imap.ssl_port,
        imap_ssl=True,
        imap_password=SecretStr(mail.imap.password),
        mailbox_address=mail.imap.user,
        timeout_seconds=5,
        receive_timeout_seconds=2,
        poll_interval_seconds=0.1,
        verify_tls=False,
        failures_to_open=3,
        passes_to_resolve=3,
    )


def test_an_outage_through_every_step_of_the_sop(
    service_factory: Callable[..., RunningService],
    database_url: str,
    mail_servers: MailServers,
    tmp_path: Path,
) -> None:
    contacts = tmp_path / "contacts"
    contacts.mkdir()
    (contacts / "management.yaml").write_text(
        "audience: management\ncontacts:\n"
        "  - {id: ana, name: Ana Souza, phone: '+5511990000001', slack: U0ANA0001,"
        " email: ana@example.test, locale: pt-BR, channels: [sms, slack]}\n"
        "  - {id: john, name: John Smith, phone: '+14155550101', email: john@example.test,"
        " channels: [sms]}\n"
    )
    (contacts / "routing.yaml").write_text("rules:\n  - audience: management\n")
    # No resolve hold: monitoring's all-clear starts verifying at once (the hold has its own
    # tests in test_flood_control.py).
    service = service_factory(
        database_url,
        contacts_dir=contacts,
        probe=probe_settings(mail_servers),
        email_catchup=True,
        resolve_hold_seconds=0,
    )
    fakes = service.providers

    def people() -> list[str]:
        """Who received what, leaving out the organisation-wide fallback room."""
        return sorted(r.to for r in fakes.records() if r.channel != "fallback")

    def detail() -> dict[str, Any]:
        found: dict[str, Any] = service.call("GET", f"/api/v1/incidents/{incident}").json()
        return found

    def settled(updates: int) -> bool:
        return service.settled(incident, updates=updates)

    def probe(expect_probes: int) -> None:
        service.celery.send_task(names.PROBE, queue=names.QUEUE_EVENTS)
        wait_for(
            lambda: sum(e["kind"] == "probe" for e in detail()["timeline"]) >= expect_probes,
            timeout=30,
            what=f"probe {expect_probes}",
        )

    # 1-2. Detect and tell.
    assert (
        service.call(
            "POST", "/api/v1/webhooks/alertmanager", role="monitor", json=alert("firing")
        ).status_code
        == 202
    )
    incident = wait_for(
        lambda: service.call("GET", "/api/v1/incidents").json()["items"], what="incident"
    )[0]["id"]
    wait_for(lambda: settled(1), timeout=60, what="opened")
    assert people() == ["+14155550101", "+5511990000001"]
    assert detail()["phase"] == "detected"

    # 3. Troubleshoot: notes and findings go on the timeline and nowhere else.
    fakes.reset()
    for kind in ("note", "finding"):
        service.call(
            "POST",
            f"/api/v1/incidents/{incident}/notes",
            json={"text": f"internal {kind}", "kind": kind},
        )
    # 4. Fix: an ETA change is announced.
    eta = (datetime.now(UTC) + timedelta(hours=2)).replace(microsecond=0)
    service.call(
        "POST",
        f"/api/v1/incidents/{incident}/updates",
        json={
            "message": "Relay queue moved to a new disk",
            "phase": "fixing",
            "eta": eta.isoformat(),
        },
    )
    wait_for(lambda: settled(2), timeout=60, what="eta_changed")
    assert {r.body.count("internal") for r in fakes.records()} == {0}
    assert people() == ["+14155550101", "+5511990000001"]

    # 5. Monitoring says fixed: verifying, not resolved; staff cannot resolve without a reason.
    fakes.reset()
    service.call("POST", "/api/v1/webhooks/alertmanager", role="monitor", json=alert("resolved"))
    wait_for(lambda: settled(3), timeout=60, what="verifying update")
    assert detail()["phase"] == "verifying"
    refused = service.call("POST", f"/api/v1/incidents/{incident}/resolve", json={})
    assert refused.status_code == 409 and "override_reason" in refused.text

    # A probe fails (mail is accepted but never delivered): the fix did not hold.
    mail_servers.smtp.handler.drop = True
    probe(1)
    wait_for(lambda: settled(4), timeout=60, what="reopened")
    assert detail()["phase"] == "investigating"
    reopened = [u for u in detail()["updates"] if u["kind"] == "reopened"]
    assert len(reopened) == 1 and "did not hold" in reopened[0]["message"]

    # Mail flows again: three passing round trips resolve it, and only the third says so.
    mail_servers.smtp.handler.drop = False
    fakes.reset()
    probe(2)
    assert detail()["phase"] == "verifying"
    probe(3)
    assert detail()["phase"] == "verifying" and detail()["verify_passes"] == 2
    probe(4)
    wait_for(lambda: settled(5), timeout=60, what="resolved")
    final = detail()
    assert final["phase"] == "resolved"
    assert [u["kind"] for u in final["updates"]] == [
        "opened",
        "eta_changed",
        "update",
        "reopened",
        "resolved",
    ]
    # Only the resolution reached people while the probes were verifying.
    assert people() == ["+14155550101", "+5511990000001"]

    # The catch-up summary goes by email through the restored server, in each contact's language.
    wait_for(
        lambda: any(e["kind"] == "catchup_result" for e in detail()["timeline"]),
        timeout=30,
        what="catch-up",
    )
    catchups = [
        m
        for m in mail_servers.smtp.received
        if "example.test" in "".join(m.rcpt_tos) and m.rcpt_tos != [mail_servers.imap.user]
    ]
    assert sorted(m.rcpt_tos[0] for m in catchups) == ["ana@example.test", "john@example.test"]
    subjects = {m.rcpt_tos[0]: m.message["Subject"] for m in catchups}
    assert (
        "voltou" in subjects["ana@example.test"]
        and "working again" in subjects["john@example.test"]
    )
    kinds = [e["kind"] for e in final["timeline"]]
    assert {"note", "finding", "probe", "transition"} <= set(kinds)
