"""Live reload (issue 16, item 4): editing a template or a contact file and reloading changes
the next update's text on the running worker, without a restart; a broken file is refused, the
old snapshot keeps working, and /readyz and /metrics say so; each update records its snapshot.

The reload reaches the worker through the real broker (`outage-notify reload`'s remote-control
command) and the API through its admin endpoint; a real SIGHUP goes to an `outage-notify
worker` process (prefork: its children follow the main process).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.store.engine import create_store_engine, upgrade
from outage_notify.worker.celery_app import close_runtime, create_celery
from outage_notify.worker.reload_control import reload_workers
from tests.fixtures.app import api_client
from tests.fixtures.processes import Processes, service_env
from tests.fixtures.service import ROOT, TOKENS, RunningService, make_settings, wait_for

MANAGEMENT = """
audience: management
deliver: first
contacts:
  - {id: m1, name: Maria Manager, slack: U0MARIA01, locale: en, channels: [slack]}
"""
USERS = """
audience: users
deliver: first
contacts:
  - {id: u1, name: User One, phone: "+5511990002101", locale: en, channels: [sms]}
"""
NEW_USER = '  - {id: u2, name: User Two, phone: "+5511990002102", locale: en, channels: [sms]}\n'
ROUTING = """
rules:
  - audience: management
  - audience: users
"""
UPDATE = Path("en/sms/update.users.j2")
OPENED = Path("en/sms/opened.users.j2")
MARK = "RELOADED-TEMPLATE"


def folders(tmp_path: Path) -> tuple[Path, Path]:
    """A contacts folder and a copy of the shipped templates, both free to edit."""
    contacts = tmp_path / "contacts"
    contacts.mkdir()
    for name, text in {
        "management.yaml": MANAGEMENT,
        "users.yaml": USERS,
        "routing.yaml": ROUTING,
    }.items():
        (contacts / name).write_text(text.lstrip())
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    return contacts, templates


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def sms_to(service: RunningService, number: str) -> list[str]:
    return [r.body for r in service.providers.records("sms") if r.to == number]


def test_a_reload_changes_the_next_update_and_a_broken_file_is_refused(
    service_factory: Callable[..., RunningService], database_url: str, tmp_path: Path
) -> None:
    contacts, templates = folders(tmp_path)
    service = service_factory(
        database_url, contacts_dir=contacts, templates_dir=templates, separate_config=True
    )
    first = service.api.get("/readyz").json()["config"]["hash"]
    declared = service.call(
        "POST", "/api/v1/incidents", json={"title": "Mail down", "components": ["inbound"]}
    )
    assert declared.status_code == 201, declared.text
    incident = declared.json()["incident"]["id"]
    wait_for(lambda: service.settled(incident, updates=1), timeout=60, what="opened")

    # During the outage: a template fix and a new contact, then one reload of each process.
    edit(templates / UPDATE, "Email still not working", f"{MARK}: email still not working")
    with (contacts / "users.yaml").open("a") as users:
        users.write(NEW_USER)
    answers = reload_workers(service.celery, timeout=120, expected=1)
    assert len(answers) == 1, answers
    assert answers[0].error is None and answers[0].changed, answers
    second = answers[0].hash
    assert second != first
    api_reload = service.call("POST", "/api/v1/admin/reload", role="admin")
    assert api_reload.status_code == 200, api_reload.text
    assert api_reload.json() == {"hash": second, "changed": True, "error": None}

    update = service.call(
        "POST", f"/api/v1/incidents/{incident}/updates", json={"message": "Cause found"}
    )
    assert update.status_code == 202, update.text
    wait_for(lambda: service.settled(incident, updates=2), timeout=60, what="the update")
    assert MARK in sms_to(service, "+5511990002101")[-1]
    told = sms_to(service, "+5511990002102")
    assert len(told) == 1 and MARK in told[0], told

    # A broken template: refused everywhere, and the snapshot in force keeps sending.
    edit(templates / UPDATE, "{% if message %}", "{% if message %")
    refused = reload_workers(service.celery, timeout=120, expected=1)
    assert len(refused) == 1 and refused[0].hash == second, refused
    assert refused[0].error is not None and "update.users.j2" in refused[0].error
    api_refused = service.call("POST", "/api/v1/admin/reload", role="admin")
    assert api_refused.status_code == 422, api_refused.text
    assert api_refused.json()["hash"] == second and "update.users.j2" in api_refused.json()["error"]

    ready = service.api.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ok", ready.text
    check = ready.json()["checks"]["config"]
    assert check.startswith(f"degraded: reload refused, snapshot {second}"), check
    assert "update.users.j2" in check
    assert ready.json()["config"]["failures"] == 1
    metrics = service.api.get("/metrics").text
    assert "outage_notify_config_reload_failures_total 1.0" in metrics
    assert "outage_notify_config_reload_failing 1.0" in metrics
    assert f'outage_notify_config_info{{hash="{second}"}} 1.0' in metrics

    again = service.call(
        "POST", f"/api/v1/incidents/{incident}/updates", json={"message": "Restore under way"}
    )
    assert again.status_code == 202, again.text
    wait_for(lambda: service.settled(incident, updates=3), timeout=60, what="the third update")
    last = sms_to(service, "+5511990002102")[-1]
    assert MARK in last and "Restore under way" in last, last

    # Each update says which snapshot planned it.
    detail = service.call("GET", f"/api/v1/incidents/{incident}").json()
    assert [u["config_hash"] for u in detail["updates"]] == [first, second, second]


def test_sighup_reloads_a_prefork_worker_and_its_children(
    processes: Processes,
    postgres_url: str,
    redis_url: str,
    providers: FakeProviders,
    tmp_path: Path,
) -> None:
    contacts, templates = folders(tmp_path)
    upgrade(create_store_engine(postgres_url))
    env = service_env(
        database_url=postgres_url,
        broker_url=redis_url,
        contacts_dir=contacts,
        providers=providers,
        OUTAGE_NOTIFY_TEMPLATES_DIR=str(templates),
        OUTAGE_NOTIFY_LOG_LEVEL="INFO",
    )
    worker = processes.start("worker", "worker", env=env)
    settings = make_settings(
        database_url=postgres_url,
        broker_url=redis_url,
        providers=providers,
        contacts_dir=contacts,
        templates_dir=templates,
    )
    celery = create_celery(settings)
    try:
        wait_for(lambda: celery.control.ping(timeout=0.5), timeout=120, what="the worker")
    finally:
        close_runtime(celery)
        celery.close()

    # A ping can be answered before the worker's ready signal has installed our handler, and
    # a SIGHUP before it would be Celery's restart.
    wait_for(
        lambda: "SIGHUP now reloads" in processes.log("worker"),
        timeout=120,
        what="the worker's SIGHUP handler",
    )
    edit(templates / OPENED, "Email is not working", f"{MARK}: email is not working")
    os.kill(worker.pid, signal.SIGHUP)
    wait_for(
        lambda: "configuration reloaded" in processes.log("worker"),
        timeout=120,
        what="the worker's reload",
    )
    assert worker.poll() is None
    # Celery's own SIGHUP would have re-executed the worker.
    assert "Restarting celery worker" not in processes.log("worker")

    with api_client(settings) as api:
        declared = api.post(
            "/api/v1/incidents",
            headers={"Authorization": f"Bearer {TOKENS['staff']}"},
            json={"title": "Mail down", "components": ["inbound"]},
        )
        assert declared.status_code == 201, declared.text

    def told() -> list[str]:
        return [r.body for r in providers.records("sms") if r.to == "+5511990002101"]

    wait_for(told, timeout=120, what="the opening SMS")
    assert MARK in told()[0], told()

    # `outage-notify reload` reaches the same worker through the broker; a broken file is
    # refused with the file named, and the command fails.
    def reload() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "outage_notify.cli.main", "reload", "--timeout", "60"],
            cwd=ROOT,
            env={**env, "COLUMNS": "1000"},
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    same = reload()
    assert same.returncode == 0, same.stderr
    assert "worker celery@" in same.stdout and ": reloaded, snapshot " in same.stdout, same.stdout
    edit(templates / OPENED, "{% if message %}", "{% if message %")
    broken = reload()
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "refused" in broken.stderr and "opened.users.j2" in broken.stderr, broken.stderr
    assert worker.poll() is None
