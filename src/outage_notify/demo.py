"""`outage-notify demo`: an email outage played through the SOP against the provider fakes.

Everything runs in this process on loopback: the fakes, the embedded service (API + worker on
SQLite in a temporary folder) and an HTTP client acting as Alertmanager and as IT staff.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from pydantic import SecretStr
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from outage_notify.contacts import Directory
from outage_notify.fakes.server import FakeProviders
from outage_notify.fakes.state import FakeRecord
from outage_notify.runner import build_service
from outage_notify.settings import (
    FallbackSettings,
    RateLimitSettings,
    Settings,
    SlackSettings,
    TwilioSettings,
)

STAFF = "demo-staff-token"
MONITOR = "demo-monitor-token"
# The shipped contacts are a Brazilian organisation's (as in .env.example): its readers in
# Sao Paulo read plain times, the few in London or San Francisco read theirs with the zone.
DEMO_TIMEZONE = "America/Sao_Paulo"


def demo_settings(base: Settings, fakes: FakeProviders, workdir: Path) -> Settings:
    """The operator's contacts and templates, with every provider pointed at the fakes."""
    return base.model_copy(
        update={
            "broker_url": "",
            "database_url": f"sqlite:///{workdir / 'demo.db'}",
            "api_tokens": Settings.model_validate(
                {"api_tokens": f"staff:it-oncall:{STAFF},monitor:alertmanager:{MONITOR}"}
            ).api_tokens,
            "twilio": TwilioSettings(
                account_sid="AC" + "0" * 32,
                auth_token=SecretStr("demo-auth-token"),
                from_number="+15005550006",
                base_url=fakes.twilio_base_url,
            ),
            "slack": SlackSettings(bot_token=SecretStr("xoxb-demo"), base_url=fakes.slack_base_url),
            "fallback": FallbackSettings(urls=[fakes.fallback_url("it-status-room")]),
            "sweep_interval_seconds": 5.0,
            # A demo plays in about a minute: a failing route is retried for seconds, not the
            # 10 minutes a real outage allows, and an alert that clears is settled at once.
            "delivery": base.delivery.model_copy(
                update={
                    "retry_base_seconds": 0.5,
                    "retry_max_seconds": 1.0,
                    "retry_total_seconds": 4.0,
                }
            ),
            "resolve_hold_seconds": 0.0,
            # An OUTAGE_NOTIFY_TIMEZONE the operator set wins; the default (UTC) does not.
            "timezone": base.timezone if "timezone" in base.model_fields_set else DEMO_TIMEZONE,
            # The fakes have no limits; real providers do (see RateLimitSettings).
            "ratelimit": RateLimitSettings(
                twilio_per_second=500, slack_channel_per_second=50, slack_workspace_per_second=1000
            ),
        }
    )


def alertmanager_payload(status: str, starts_at: str) -> dict[str, Any]:
    alerts = [
        {
            "status": status,
            "labels": {
                "alertname": name,
                "severity": "critical",
                "component": component,
                "service": "email",
            },
            "annotations": {"summary": summary},
            "startsAt": starts_at,
            "endsAt": "0001-01-01T00:00:00Z"
            if status == "firing"
            else datetime.now(UTC).isoformat(),
            "generatorURL": "http://prometheus.example/graph",
            "fingerprint": fingerprint,
        }
        for name, component, summary, fingerprint in (
            (
                "MailOutboundDown",
                "outbound",
                "Outgoing email is not being delivered",
                "a1b2c3d4e5f60001",
            ),
            (
                "MailInboundDown",
                "inbound",
                "Incoming email is not being received",
                "a1b2c3d4e5f60002",
            ),
        )
    ]
    return {
        "version": "4",
        "groupKey": '{}:{service="email"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "outage-notify",
        "groupLabels": {"service": "email"},
        "commonLabels": {"service": "email", "severity": "critical"},
        "commonAnnotations": {"summary": "Email is down: mail is neither sent nor received"},
        "externalURL": "http://alertmanager.example",
        "alerts": alerts,
    }


def _free_socket() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def run_demo(console: Console) -> None:
    """Start fakes and service, play the outage, print what each stakeholder received."""
    with tempfile.TemporaryDirectory() as workdir, FakeProviders() as fakes:
        settings = demo_settings(Settings(), fakes, Path(workdir))
        service = build_service(settings)
        service.start_worker()
        sock = _free_socket()
        server = uvicorn.Server(uvicorn.Config(service.api, log_level="warning"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{sock.getsockname()[1]}"
        try:
            _wait_ready(base)
            _play(console, base, fakes, service.directory)
        finally:
            server.should_exit = True
            thread.join(10)
            service.stop()


def _wait_ready(base: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the demo service did not become ready within 20 s")


def _play(console: Console, base: str, fakes: FakeProviders, directory: Directory) -> None:
    staff = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {STAFF}"}, timeout=10)
    monitor = httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {MONITOR}"}, timeout=10
    )
    contacts = directory.contact_count
    # One manager's number is rejected by the carrier: watch them get it on Slack instead.
    manager = (
        next(
            (
                c
                for c in directory.audiences["management"].contacts
                if c.channels[:2] == ("sms", "slack")
            ),
            None,
        )
        if "management" in directory.audiences
        else None
    )
    if manager is not None and manager.phone:
        fakes.add_fault("sms", to=manager.phone, twilio_code=21211)
        console.print(f"(the fake carrier will reject {manager.name}'s number: Slack takes over)")
    starts = (datetime.now(UTC) - timedelta(minutes=3)).isoformat()

    console.rule("[bold]1-2. Detect and tell: Alertmanager reports outbound and inbound mail down")
    monitor.post(
        "/api/v1/webhooks/alertmanager", json=alertmanager_payload("firing", starts)
    ).raise_for_status()
    incident = _settle(staff, fakes, expected_updates=1, console=console)
    _show(console, fakes.records(), contacts)

    console.rule("[bold]3-4. Troubleshoot and fix: staff post progress with an ETA")
    fakes.reset()
    eta = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    staff.post(
        f"/api/v1/incidents/{incident}/updates",
        json={
            "message": "The mail relay's disk is full; we are moving the queue to a new volume.",
            "phase": "fixing",
            "eta": eta.isoformat(),
        },
    ).raise_for_status()
    _settle(staff, fakes, expected_updates=2, console=console)
    _show(console, fakes.records(), contacts)

    console.rule("[bold]5. Verified: staff resolve once mail flows again")
    fakes.reset()
    staff.post(
        f"/api/v1/incidents/{incident}/resolve",
        json={"message": "Mail flows again; messages queued during the outage are arriving."},
    ).raise_for_status()
    _settle(staff, fakes, expected_updates=3, console=console)
    _show(console, fakes.records(), contacts)

    console.rule("[bold]6. For the post-outage analysis")
    detail = staff.get(f"/api/v1/incidents/{incident}").json()
    table = Table("at", "actor", "what")
    for entry in detail["timeline"]:
        table.add_row(entry["at"][11:19], entry["actor"], entry["text"])
    console.print(table)
    counts = staff.get(f"/api/v1/incidents/{incident}/deliveries", params={"limit": 1}).json()[
        "counts"
    ]
    summary = Table("audience", "channel", "state", "deliveries")
    for row in counts:
        summary.add_row(row["audience"], row["channel"], row["state"], str(row["count"]))
    console.print(summary)


def _settle(
    staff: httpx.Client, fakes: FakeProviders, *, expected_updates: int, console: Console
) -> int:
    """Wait, with a progress bar, until the newest update's deliveries are all final."""
    pending_states = ("planned", "sending", "unknown")
    deadline = time.monotonic() + 60
    with Progress(
        TextColumn("fan-out"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        bar = progress.add_task("fan-out", total=None)
        while time.monotonic() < deadline:
            items = staff.get("/api/v1/incidents", params={"limit": 1}).json()["items"]
            if items:
                incident = items[0]["id"]
                detail = staff.get(f"/api/v1/incidents/{incident}").json()
                planned = [u for u in detail["updates"] if u["planned"]]
                if len(planned) >= expected_updates:
                    counts = staff.get(
                        f"/api/v1/incidents/{incident}/deliveries", params={"limit": 1}
                    ).json()["counts"]
                    total = sum(c["count"] for c in counts)
                    waiting = sum(c["count"] for c in counts if c["state"] in pending_states)
                    progress.update(bar, total=total, completed=total - waiting)
                    if not waiting:
                        return int(incident)
            time.sleep(0.2)
    raise RuntimeError("deliveries did not settle within 60 s")


def _show(console: Console, records: list[FakeRecord], contacts: int) -> None:
    """Every message if they fit on a screen, else one row per distinct body with a count."""
    if len(records) > 40:
        console.print(_summary(records))
    else:
        table = Table("channel", "to", "message", show_lines=True)
        for record in records:
            table.add_row(
                record.channel,
                record.to,
                (f"[bold]{record.title}[/]\n" if record.title else "") + record.body,
            )
        console.print(table)
    console.print(
        f"{len(records)} messages reached the fake providers ({contacts} contacts on file)"
    )


def _summary(records: list[FakeRecord]) -> Table:
    """Too many rows for a screen: one line per distinct body, with how many got it."""
    bodies = Counter((r.channel, (r.title + "\n" if r.title else "") + r.body) for r in records)
    table = Table(
        "channel", "recipients", "message", title="What stakeholders received", show_lines=True
    )
    for (channel, body), count in bodies.most_common():
        table.add_row(channel, str(count), body)
    return table
