"""Maintenance from the terminal (issue 19, item 3): `outage-notify maintenance schedule
--start HH:MM --end +2h`, `list`, `show`, `extend`, `complete` and `cancel`, each a real
`outage-notify` process talking over HTTP to a real service (uvicorn, a Celery worker, the fake
providers). Judged by what people see: the SMS the fake Twilio accepted, the window the
service stored, and one sentence with a non-zero exit for every refusal."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from outage_notify.worker import names
from tests.fixtures.live_api import LiveApi
from tests.fixtures.service import TOKENS, RunningService, wait_for
from tests.test_cli import run

ZONE = ZoneInfo("America/Sao_Paulo")
TEXT = "We are moving the mail server to a new machine."
# Seconds a fan-out may take on a busy 2-core machine running other tests' workers too.
FAN_OUT = 150


def test_staff_schedule_extend_and_cancel_a_window_from_the_terminal(
    service_factory: Callable[..., RunningService],
    database_url: str,
    live_api: LiveApi,
    tmp_path: Path,
) -> None:
    service = service_factory(database_url, timezone="America/Sao_Paulo")
    live_api.serve(service.api.app)  # type: ignore[arg-type]
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    assert (
        run("login", "--url", live_api.base_url, "--token", TOKENS["staff"], env=env).returncode
        == 0
    )

    # Three hours ahead as an office clock reads it: no reminder is due yet, only the notice.
    start_words = (datetime.now(ZONE) + timedelta(hours=3)).strftime("%H:%M")
    made = run(
        "maintenance", "schedule", "--start", start_words, "--end", "+2h", "-m", TEXT,
        "--component", "inbound", "--audience", "management", "--json", env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    window = json.loads(made.stdout)
    start = datetime.fromisoformat(window["start"])
    assert start.astimezone(ZONE).strftime("%H:%M") == start_words
    assert datetime.fromisoformat(window["end"]) - start == timedelta(hours=2)
    assert window["state"] == "scheduled" and window["created_by"] == "staff-bot"
    assert window["components"] == ["inbound"] and window["audiences"] == ["management"]
    number = str(window["id"])

    # The beat step announces it: every manager with SMS reads the public text.
    service.celery.send_task(names.REMIND, queue=names.QUEUE_EVENTS)
    carrier = window["announcements_incident_id"]
    wait_for(lambda: service.settled(carrier, updates=1), timeout=FAN_OUT, what="announced")
    bodies = [record.body for record in service.providers.records("sms")]
    assert bodies and all("mail server" in body or "servidor" in body for body in bodies), bodies

    listed = run("maintenance", "list", "--open", env=env)
    assert listed.returncode == 0, listed.stderr
    assert f"{number}  scheduled" in listed.stdout and TEXT in listed.stdout

    later = (start + timedelta(hours=3)).astimezone(ZONE).isoformat()
    extended = run("maintenance", "extend", number, "--end", later, "-r", "disk copy", env=env)
    assert extended.returncode == 0, extended.stderr
    assert f"Extended maintenance {number}" in extended.stdout

    # Refusals: one sentence on stderr, a non-zero exit, no traceback.
    early = run("maintenance", "complete", number, env=env)
    assert early.returncode != 0 and "only an active window is completed" in early.stderr
    assert "Traceback" not in early.stderr
    bad_time = run("maintenance", "extend", number, "--end", "25:00", env=env)
    assert bad_time.returncode != 0 and "not a time of day" in bad_time.stderr
    missing = run("maintenance", "show", "999999", env=env)
    assert missing.returncode != 0 and "no maintenance 999999" in missing.stderr
    unknown = run(
        "maintenance", "schedule", "--start", start_words, "--end", "+1h", "-m", TEXT,
        "--component", "webmial", env=env,
    )  # fmt: skip
    assert unknown.returncode != 0 and "unknown component(s) webmial" in unknown.stderr

    cancelled = run("maintenance", "cancel", number, "-r", "the vendor postponed", env=env)
    assert cancelled.returncode == 0, cancelled.stderr
    assert f"Cancelled maintenance {number} (cancelled)" in cancelled.stdout
    shown = run("maintenance", "show", number, env=env)
    assert shown.returncode == 0, shown.stderr
    assert "staff-bot: cancelled: the vendor postponed" in shown.stdout
    assert "disk copy" in shown.stdout and "announced: scheduled" in shown.stdout
    assert run("maintenance", "list", "--open", env=env).stdout.strip() == (
        "No maintenance windows."
    )
    # Off the status page once cancelled.
    assert service.call("GET", "/status.json").json()["maintenance"] == []
