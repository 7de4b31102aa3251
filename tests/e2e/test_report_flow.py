"""The post-incident report of a real outage: webhook → updates → fallback → resolve → report.

The report's figures are checked against what the deliveries API says, not against constants:
both read the same rows, and they must agree.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from outage_notify.report.model import Report
from tests.e2e.coverage_rows import expected_coverage, without_deadline
from tests.fixtures.service import ROOT, RunningService, wait_for
from tests.fixtures.webhooks import webhook_payload

HOSTILE_TITLE = 'Mail down <script>alert("pwned")</script><img src=x onerror=alert(1)>'
FAST_RETRIES = {"retry_base_seconds": 0.2, "retry_max_seconds": 0.5}
SECTIONS = [
    "Summary",
    "Impact",
    "Timings",
    "Phases",
    "Timeline",
    "Deliveries",
    "Coverage",
    "ETA accuracy",
    "Update cadence",
    "Findings",
    "Root cause",
    "Action items",
    "Mail probes",
]


def firing_with_hostile_title() -> dict[str, Any]:
    payload: dict[str, Any] = webhook_payload("alertmanager_firing.json")
    payload["commonAnnotations"]["summary"] = HOSTILE_TITLE
    return payload


def all_deliveries(service: RunningService, incident_id: int) -> dict[str, Any]:
    """Every delivery of the incident (paged) and the API's counts."""
    items: list[dict[str, Any]] = []
    while True:
        page = service.call(
            "GET",
            f"/api/v1/incidents/{incident_id}/deliveries",
            params={"limit": 500, "offset": len(items)},
        ).json()
        items += page["items"]
        if len(items) >= page["total"]:
            return {"items": items, "counts": page["counts"], "unreached": page["unreached"]}


def run_outage(service: RunningService) -> int:
    manager = next(
        c
        for c in service.directory.audiences["management"].contacts
        if c.channels[:2] == ("sms", "slack")
    )
    # One message to this manager is refused as an invalid number: it goes over Slack instead.
    service.providers.add_fault("sms", to=manager.phone, twilio_code=21211, times=1)
    response = service.call(
        "POST", "/api/v1/webhooks/alertmanager", role="monitor", json=firing_with_hostile_title()
    )
    assert response.status_code == 202, response.text
    items = wait_for(
        lambda: service.call("GET", "/api/v1/incidents").json()["items"], what="incident"
    )
    incident_id = int(items[0]["id"])
    wait_for(lambda: service.settled(incident_id, updates=1), timeout=60, what="opened fan-out")

    base = f"/api/v1/incidents/{incident_id}"
    eta = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    response = service.call(
        "POST",
        f"{base}/updates",
        json={
            "message": "Relay disk full; replacing it",
            "phase": "fixing",
            "eta": eta.isoformat(),
        },
    )
    assert response.status_code == 202, response.text
    wait_for(lambda: service.settled(incident_id, updates=2), timeout=60, what="ETA fan-out")

    for body in (
        {"text": "Queue depth 40k on relay-1", "kind": "note"},
        {"text": f"Disk full on relay-1 {HOSTILE_TITLE}", "kind": "finding"},
    ):
        assert service.call("POST", f"{base}/notes", json=body).status_code == 201
    item = {"text": "Alert on relay disk usage above 80%", "owner": "infra"}
    assert service.call("POST", f"{base}/action-items", json=item).status_code == 201
    patch = {"root_cause": "The relay's spool disk filled up", "lead": manager.id}
    assert service.call("PATCH", base, json=patch).status_code == 200

    response = service.call("POST", f"{base}/resolve", json={"message": "Mail flows again"})
    assert response.status_code == 202, response.text
    wait_for(lambda: service.settled(incident_id, updates=3), timeout=60, what="resolved fan-out")
    return incident_id


@pytest.fixture
def outage(
    service_factory: Callable[..., RunningService], database_url: str
) -> tuple[RunningService, int, str]:
    # The partners' status URL does not resolve: retry it quickly so the outage settles soon.
    service = service_factory(database_url, delivery=FAST_RETRIES)
    return service, run_outage(service), database_url


def test_the_report_agrees_with_the_delivery_records_in_every_format(
    outage: tuple[RunningService, int, str],
) -> None:
    service, incident_id, _ = outage
    path = f"/api/v1/incidents/{incident_id}/report"
    response = service.call("GET", path, params={"format": "json"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    report = Report.model_validate(response.json())
    deliveries = all_deliveries(service, incident_id)

    # Sent per audience and channel, and every state, exactly as the deliveries API counts them.
    api_sent: Counter[tuple[str, str]] = Counter()
    api_states: Counter[str] = Counter()
    for count in deliveries["counts"]:
        api_states[count["state"]] += count["count"]
        if count["state"] in ("sent", "delivered"):
            api_sent[(count["audience"], count["channel"])] += count["count"]
    report_sent = {(d.audience, d.channel): d.sent for d in report.deliveries if d.sent}
    assert report_sent == dict(api_sent)
    totals = report.delivery_totals
    assert totals.total == len(deliveries["items"]) == sum(api_states.values())
    assert totals.failed == api_states["failed"]
    # The only failures are broadcasts (the partners' status URL is unreachable): no person.
    failed = [d for d in deliveries["items"] if d["state"] == "failed"]
    assert all(not d["recipient"].startswith("contact:") for d in failed), failed
    assert totals.pending == 0
    # Fallback: the one SMS refused went to Slack; nobody was left unreached.
    fell_back = [
        d
        for d in deliveries["items"]
        if d["attempts"] and d["attempts"][0]["channel"] != d["channel"]
    ]
    assert len(fell_back) == 1 and fell_back[0]["channel"] == "slack"
    assert totals.fallback_used == 1
    by_row = {(d.audience, d.channel): d.fallback_used for d in report.deliveries}
    assert by_row[("management", "slack")] == 1
    assert report.unreached == [] and deliveries["unreached"] == []
    assert sum(a.count for a in report.attempts if a.outcome == "permanent") == 1

    # Coverage: the same figures as the incident API, and as a count over the delivery rows.
    coverage = [c.model_dump(mode="json") for c in report.coverage]
    assert without_deadline(coverage) == expected_coverage(deliveries["items"])
    detail = service.call("GET", f"/api/v1/incidents/{incident_id}").json()
    assert without_deadline(detail["coverage"]) == without_deadline(coverage)
    management = next(c for c in report.coverage if c.audience == "management")
    assert management.ack_required == management.recipients > 0  # the opening asked them all
    assert management.unreached == [] and management.deadline is not None
    assert (management.deadline.minutes, management.deadline.met) == (10.0, 0)

    # Who was told, when, and the rest of the analysis.
    assert report.summary.audiences_told == sorted(detail["notified_audiences"])
    assert [u.kind for u in report.updates] == ["opened", "eta_changed", "resolved"]
    assert sum(u.deliveries for u in report.updates) == totals.total
    assert report.summary.title == HOSTILE_TITLE
    assert report.timings.time_to_resolve_seconds is not None
    for first in report.timings.first_message:
        assert first.seconds_after_open is not None and first.seconds_after_open >= 0
    assert report.phase_basis == "transitions"
    durations = {p.phase: p.seconds for p in report.phase_durations}
    assert durations["detected"] > 0 and durations["fixing"] > 0
    assert [p.phase for p in report.phases] == ["detected", "fixing"]
    assert [(e.outcome, e.announced) for e in report.etas] == [("early", True)]
    assert report.update_gaps and not any(g.overdue for g in report.update_gaps)
    assert [f.text for f in report.findings] == [f"Disk full on relay-1 {HOSTILE_TITLE}"]
    assert report.notes_count == 1
    assert report.root_cause == "The relay's spool disk filled up"
    assert [(a.text, a.owner) for a in report.action_items] == [
        ("Alert on relay disk usage above 80%", "infra")
    ]
    curve_total = sum(c.points[-1].count for c in report.send_curves)
    assert curve_total == totals.sent

    markdown = service.call("GET", path, params={"format": "md"})
    assert markdown.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert re.findall(r"^## (.+)$", markdown.text, flags=re.MULTILINE) == SECTIONS
    assert "<script>" not in markdown.text

    page = service.call("GET", path, params={"format": "html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.count("<svg") == 2
    assert "<script" not in page.text and "<img" not in page.text
    assert "Mail down &lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in page.text


def test_the_report_endpoint_refuses_unknown_incidents_formats_and_roles(
    service_factory: Callable[..., RunningService], database_url: str
) -> None:
    service = service_factory(database_url)
    path = "/api/v1/incidents/1/report"
    assert service.call("GET", "/api/v1/incidents/999999/report").status_code == 404
    assert service.call("GET", path, params={"format": "pdf"}).status_code == 422
    assert service.call("GET", path, role="monitor").status_code == 403
    schema = service.call("GET", "/openapi.json").json()
    operation = schema["paths"]["/api/v1/incidents/{incident_id}/report"]["get"]
    content = operation["responses"]["200"]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Report"}
    assert {"text/markdown", "text/html"} <= set(content)


def cli(
    *args: str, database_url: str, cwd: Path, timezone: str = "UTC", **settings: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTAGE_NOTIFY_")}
    env.update({f"OUTAGE_NOTIFY_{name.upper()}": value for name, value in settings.items()})
    env["OUTAGE_NOTIFY_DATABASE_URL"] = database_url
    # The report shows times in the organisation's zone: the one the service runs with.
    env["OUTAGE_NOTIFY_TIMEZONE"] = timezone
    # The acknowledgement deadlines come from the routing the service ran with.
    env["OUTAGE_NOTIFY_CONTACTS_DIR"] = str(ROOT / "contacts")
    env["PYTHONPATH"] = str(ROOT / "src")
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "outage_notify.cli.main", "report", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_cli_reads_the_same_report_from_the_database(
    outage: tuple[RunningService, int, str], tmp_path: Path
) -> None:
    service, incident_id, database_url = outage
    out = tmp_path / "report.json"
    result = cli(
        str(incident_id),
        "--format",
        "json",
        "--output",
        str(out),
        database_url=database_url,
        cwd=tmp_path,
        timezone=service.settings.timezone,
    )
    assert result.returncode == 0, result.stderr
    from_cli = json.loads(out.read_text())
    from_api = service.call(
        "GET", f"/api/v1/incidents/{incident_id}/report", params={"format": "json"}
    ).json()
    # Resolved, and inside management's 10-minute acknowledgement deadline: nothing depends
    # on the clock but the generation time.
    assert {**from_cli, "generated_at": None} == {**from_api, "generated_at": None}

    markdown = cli(str(incident_id), database_url=database_url, cwd=tmp_path)
    assert markdown.returncode == 0 and markdown.stdout.startswith("# Post-incident report")
    # Issue 14 items 4 and 9: the report speaks the organisation's language.
    portuguese = cli(
        str(incident_id),
        database_url=database_url,
        cwd=tmp_path,
        default_locale="pt-BR",
        templates_dir=str(ROOT / "templates"),
    )
    assert portuguese.returncode == 0, portuguese.stderr
    assert portuguese.stdout.startswith("# Relatório pós-incidente")
    assert "## Linha do tempo" in portuguese.stdout and "## Timeline" not in portuguese.stdout

    missing = cli("999999", database_url=database_url, cwd=tmp_path)
    assert missing.returncode == 2
    assert "no incident 999999" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
