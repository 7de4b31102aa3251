"""`outage-notify demo`: an email outage played through the whole SOP against built-in fakes.

Everything runs in this process on loopback: the provider fakes (Twilio, Slack, an Apprise
target), a mail fake (SMTP + IMAP, `fakes/mail.py`) for the verification round trips, the
embedded service (API + worker + beat on SQLite in a temporary folder) and HTTP clients acting
as Alertmanager, as IT staff and as managers replying OK. The play itself is `demo_sop.py`;
the report it writes stays in `--report-dir` after the temporary folder is gone.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml
from pydantic import SecretStr
from rich.console import Console

from outage_notify.config.settings import (
    FallbackSettings,
    RateLimitSettings,
    Settings,
    SlackSettings,
    TwilioSettings,
)
from outage_notify.demo.client import MONITOR, STAFF, TWILIO_AUTH, DemoClient
from outage_notify.demo.sop import Cast, play
from outage_notify.demo.words import say
from outage_notify.doctor.configuration import settings_line
from outage_notify.doctor.registry import diagnose
from outage_notify.doctor.report import summary, to_table
from outage_notify.fakes.mail import FakeMail
from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.service import build_service

# The shipped contacts are a Brazilian organisation's (as in .env.example): its readers in
# Sao Paulo read plain times, the few in London or San Francisco read theirs with the zone.
DEMO_TIMEZONE = "America/Sao_Paulo"
# The acknowledgement chase waits this long before the next channel (routing.yaml says 5 min).
RENOTIFY_MINUTES = 0.05
# Every service doctor asks is on this machine.
DOCTOR_TIMEOUT = 3.0


def demo_settings(
    base: Settings, fakes: FakeProviders, mail: FakeMail, workdir: Path, public: str, lead: str
) -> Settings:
    """The operator's templates and a copy of their contacts, every provider on a fake."""
    return base.model_copy(
        update={
            "broker_url": "",
            "database_url": f"sqlite:///{workdir / 'demo.db'}",
            "contacts_dir": workdir / "contacts",
            # An OUTAGE_NOTIFY_TIMEZONE the operator set wins; the default (UTC) does not.
            "timezone": base.timezone if "timezone" in base.model_fields_set else DEMO_TIMEZONE,
            "public_base_url": public,
            "default_lead": lead,
            "api_tokens": Settings.model_validate(
                {"api_tokens": f"staff:it-oncall:{STAFF},monitor:alertmanager:{MONITOR}"}
            ).api_tokens,
            "twilio": TwilioSettings(
                account_sid="AC" + "0" * 32,
                auth_token=SecretStr(TWILIO_AUTH),
                from_number="+15005550006",
                base_url=fakes.twilio_base_url,
            ),
            "slack": SlackSettings(bot_token=SecretStr("xoxb-demo"), base_url=fakes.slack_base_url),
            # Live: the demo's fallback room is the fake's, and the SOP shows what it received.
            "fallback": FallbackSettings(
                urls=[fakes.fallback_url("it-status-room")], dry_run=False
            ),
            # SOP step 5: a probe mailbox on the mail fake, checked every 5 s (the least allowed);
            # one passing round trip verifies the fix (3 in a row by default).
            "probe": mail.probe_settings(
                interval_seconds=5, failures_to_open=50, passes_to_resolve=1
            ),
            "sweep_interval_seconds": 5.0,
            "reminder_interval_seconds": 2.0,
            "ack_check_interval_seconds": 2.0,
            # A demo plays an afternoon's news in a minute: the hourly per-person SMS cap
            # (6) would hold the later messages for a digest.
            "recipient_max_per_hour": 0,
            # A failing route is retried for seconds, not the 10 minutes a real outage allows,
            # and an alert that clears is settled at once.
            "delivery": base.delivery.model_copy(
                update={
                    "retry_base_seconds": 0.5,
                    "retry_max_seconds": 1.0,
                    "retry_total_seconds": 4.0,
                }
            ),
            "resolve_hold_seconds": 0,
            # The fakes have no limits; real providers do (see RateLimitSettings).
            "ratelimit": RateLimitSettings(
                twilio_per_second=500, slack_channel_per_second=50, slack_workspace_per_second=1000
            ),
        }
    )


def copy_contacts(source: Path, target: Path) -> None:
    """The operator's contacts, with the acknowledgement chase re-notifying after seconds."""
    shutil.copytree(source, target)
    routing = target / "routing.yaml"
    if not routing.is_file():
        return
    data: dict[str, Any] = yaml.safe_load(routing.read_text(encoding="utf-8")) or {}
    for rule in data.get("acknowledge") or []:
        rule["renotify_after_minutes"] = RENOTIFY_MINUTES
        rule.pop("deadline_minutes", None)
    routing.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _management(contacts: Path) -> list[dict[str, Any]]:
    """The management contacts of the operator's files (YAML), in file order."""
    found: list[dict[str, Any]] = []
    for path in sorted(contacts.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if isinstance(data, dict) and data.get("audience") == "management":
            found += [c for c in data.get("contacts") or [] if c.get("phone")]
    return found


def cast_of(contacts: Path, lead: str) -> Cast:
    """Who plays whom: the lead (a manager unless DEFAULT_LEAD names someone), the managers who
    answer, and the last manager, who never does."""
    managers = _management(contacts)
    if not managers:
        return Cast(lead=lead, lead_name=lead, answering=(), silent=None)
    chosen = lead or str(managers[0]["id"])
    names = {str(c["id"]): str(c.get("name", c["id"])) for c in managers}
    silent = managers[-1] if len(managers) > 1 else None
    answering = tuple((str(c["name"]), str(c["phone"])) for c in managers if c is not silent)
    return Cast(
        lead=chosen,
        lead_name=names.get(chosen, chosen),
        answering=answering,
        silent=str(silent["name"]) if silent else None,
        renotify=f"{RENOTIFY_MINUTES * 60:g} seconds",
    )


def _free_socket() -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def run_demo(console: Console, report_dir: Path) -> Path:
    """Start fakes and service, play the SOP, write the report; returns the Markdown's path."""
    base = Settings()
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeProviders() as fakes,
        FakeMail() as mail,
    ):
        workdir = Path(folder)
        copy_contacts(base.contacts_dir, workdir / "contacts")
        sock = _free_socket()
        public = f"http://127.0.0.1:{sock.getsockname()[1]}"
        cast = cast_of(workdir / "contacts", base.default_lead)
        settings = demo_settings(base, fakes, mail, workdir, public, cast.lead)
        service = build_service(settings)
        service.start_worker()
        server = uvicorn.Server(uvicorn.Config(service.api, log_level="warning"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        client = DemoClient(public, fakes)
        try:
            _wait_ready(public)
            preflight(console, settings)
            # The outage starts once doctor has seen the mail servers work (the first probe
            # runs seconds later and fails).
            mail.mailbox.working = False
            contacts = service.directory.contact_count
            return play(console, client, mail, cast, report_dir, settings, contacts)
        finally:
            client.close()
            server.should_exit = True
            thread.join(10)
            service.stop()


def preflight(console: Console, settings: Settings) -> None:
    """`outage-notify doctor` against the demo's service and fakes, shown as its table."""
    checks = diagnose(settings, settings_line(settings), timeout=DOCTOR_TIMEOUT)
    console.rule(f"[bold]{say('steps.preflight')}")
    console.print(to_table(checks))
    console.print(say("lines.doctor", summary=summary(checks)), highlight=False)


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
