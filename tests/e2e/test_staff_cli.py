"""A whole outage from the terminal (issue 18): `outage-notify login`, then `incident declare
--from-template … --preview --yes`, `update --eta +90m`, `resolve` and `report`, each a real
`outage-notify` process talking over HTTP to a real service (uvicorn, a Celery worker, the fake
providers). Judged by what people see: the SMS bodies the fake Twilio accepted and the report."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.fixtures.live_api import LiveApi
from tests.fixtures.service import TOKENS, RunningService, wait_for
from tests.test_cli import run

# Seconds a fan-out may take on a busy 2-core machine running other tests' workers too.
FAN_OUT = 150


def sms_bodies(service: RunningService, skip: int = 0) -> list[str]:
    return [record.body for record in service.providers.records("sms")[skip:]]


def test_staff_run_an_outage_from_the_terminal(
    service_factory: Callable[..., RunningService],
    database_url: str,
    live_api: LiveApi,
    tmp_path: Path,
) -> None:
    service = service_factory(database_url)
    live_api.serve(service.api.app)  # type: ignore[arg-type]
    env = {"XDG_CONFIG_HOME": str(tmp_path)}

    login = run("login", "--url", live_api.base_url, "--token", TOKENS["staff"], env=env)
    assert login.returncode == 0, login.stderr
    assert "as staff-bot (staff)" in login.stdout and "America/Sao_Paulo" in login.stdout
    config = tmp_path / "outage-notify" / "config.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert TOKENS["staff"] in config.read_text()

    declared = run(
        "incident", "declare", "--from-template", "webmail-down", "--preview", "--yes", env=env
    )
    assert declared.returncode == 0, declared.stderr
    template = json.loads(run("incident", "templates", "--json", env=env).stdout)
    webmail = next(t for t in template if t["name"] == "webmail-down")
    first_message = webmail["texts"]["en"]["first_message"]
    # The preview printed each body before sending: the staff text is in it.
    assert "users · opened · sms" in declared.stdout
    assert first_message[:40] in declared.stdout
    assert "Declared incident" in declared.stdout
    listed = json.loads(run("incident", "list", "--json", env=env).stdout)
    incident = listed["items"][0]["id"]
    wait_for(lambda: service.settled(incident, updates=1), timeout=FAN_OUT, what="opened fan-out")
    opened = sms_bodies(service)
    # The staff text leads each SMS; near midnight the ETA carries its date too and a UCS-2
    # (pt-BR) body may then cut the end of the text with "...": its start is always there.
    assert opened and all(first_message[:60] in body for body in opened), opened[:2]

    told = len(opened)
    updated = run(
        "incident", "update", str(incident), "-m", "The web server is being replaced.",
        "--phase", "fixing", "--eta", "+90m", "--preview", "--yes", "--json", env=env,
    )  # fmt: skip
    assert updated.returncode == 0, updated.stderr
    # With --json the preview goes to stderr, so stdout stays one JSON document for scripts.
    assert json.loads(updated.stdout)["incident"]["phase"] == "fixing"
    assert "users · eta_changed · sms" in updated.stderr
    wait_for(lambda: service.settled(incident, updates=2), timeout=FAN_OUT, what="update fan-out")
    shown = run("incident", "show", str(incident), env=env)
    assert shown.returncode == 0, shown.stderr
    assert f"Incident {incident}" in shown.stdout and "phase fixing" in shown.stdout
    assert "users:" in shown.stdout and "delivered" in shown.stdout
    detail = json.loads(run("incident", "show", str(incident), "--json", env=env).stdout)
    eta = datetime.fromisoformat(detail["eta"])
    expected = datetime.now(eta.tzinfo) + timedelta(minutes=90)
    assert abs(eta - expected) < timedelta(minutes=2)
    local = eta.astimezone(ZoneInfo("America/Sao_Paulo")).strftime("%H:%M")
    progress = sms_bodies(service, skip=told)
    assert progress and all("The web server is being replaced." in b for b in progress)
    assert any(local in body for body in progress), (local, progress[:2])
    # Staff read the ETA as stakeholders do: in the organisation's zone, not in UTC.
    assert f"ETA {eta.astimezone(ZoneInfo('America/Sao_Paulo')):%a %d %b %H:%M}" in shown.stdout
    header = shown.stdout.split("\n", 2)[1]
    assert "+00:00" not in header and "Z," not in header, header

    told += len(progress)
    resolved = run(
        "incident", "resolve", str(incident), "-m", "Webmail works again.",
        "--override-reason", "checked by hand", env=env,
    )  # fmt: skip
    assert resolved.returncode == 0, resolved.stderr
    wait_for(lambda: service.settled(incident, updates=3), timeout=FAN_OUT, what="resolved fan-out")
    assert all("Webmail works again." in body for body in sms_bodies(service, skip=told))

    report_file = tmp_path / "report.md"
    report = run("incident", "report", str(incident), "--output", str(report_file), env=env)
    assert report.returncode == 0, report.stderr
    text = report_file.read_text()
    assert webmail["texts"]["en"]["title"] in text
    assert "The web server is being replaced." in text
    as_html = run("incident", "report", str(incident), "--format", "html", env=env)
    assert as_html.stdout.lstrip().lower().startswith("<!doctype html")


def test_what_goes_wrong_is_one_sentence(
    service_factory: Callable[..., RunningService],
    database_url: str,
    live_api: LiveApi,
    tmp_path: Path,
) -> None:
    service = service_factory(database_url)
    live_api.serve(service.api.app)  # type: ignore[arg-type]
    staff = {"OUTAGE_NOTIFY_URL": live_api.base_url, "OUTAGE_NOTIFY_TOKEN": TOKENS["staff"]}
    cases = [
        (["incident", "show", "999"], staff, "no incident 999"),
        (["incident", "list"], {**staff, "OUTAGE_NOTIFY_TOKEN": "wrong"}, "the token was refused"),
        (
            ["incident", "list"],
            {**staff, "OUTAGE_NOTIFY_TOKEN": TOKENS["monitor"]},
            "needs the staff role",
        ),
        (
            ["incident", "list"],
            {**staff, "OUTAGE_NOTIFY_URL": "http://127.0.0.1:9"},
            "cannot reach http://127.0.0.1:9",
        ),
        (["incident", "update", "1", "-m", "x", "--eta", "soon"], staff, "'soon' is not a time"),
        (
            ["incident", "declare", "--from-template", "webmial-down"],
            staff,
            "no incident template 'webmial-down'",
        ),
        (
            ["incident", "declare", "--title", "x", "--component", "webmial"],
            staff,
            "unknown component(s) webmial",
        ),
        (["incident", "list"], {"XDG_CONFIG_HOME": str(tmp_path)}, "run `outage-notify login`"),
        (
            ["login", "--url", live_api.base_url, "--token", "wrong"],
            {"XDG_CONFIG_HOME": str(tmp_path)},
            "the token was refused",
        ),
    ]
    for args, env, sentence in cases:
        result = run(*args, env=env)

        assert result.returncode != 0, (args, result.stdout)
        assert sentence in " ".join(result.stderr.split()), (args, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "outage-notify" / "config.toml").exists()
