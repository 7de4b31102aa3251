"""What a reload changes for deliveries already planned (issue 16, item 4): a first attempt
keeps the body planned for it, a channel move renders with the snapshot in force, and the
update keeps the hash of the snapshot that planned it. On SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.store import acknowledgements as ack_store
from outage_notify.store.engine import transaction
from outage_notify.store.tables import UpdateRow
from outage_notify.worker import steps
from outage_notify.worker.runtime import WorkerRuntime
from tests.fixtures.service import ROOT, make_settings
from tests.worker.test_chase import IT, MANAGEMENT, ROUTING, declare

MARK = "RELOADED-TEMPLATE"


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    contacts = tmp_path / "contacts"
    contacts.mkdir()
    (contacts / "management.yaml").write_text(MANAGEMENT)
    (contacts / "it.yaml").write_text(IT)
    (contacts / "routing.yaml").write_text(ROUTING)
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    return contacts, templates


@pytest.fixture
def runtime(
    database_url: str, folders: tuple[Path, Path], providers: FakeProviders, redis_url: str
) -> Iterator[WorkerRuntime]:
    contacts, templates = folders
    settings = make_settings(
        database_url=database_url,
        broker_url=redis_url,
        providers=providers,
        contacts_dir=contacts,
        templates_dir=templates,
    )
    worker = WorkerRuntime(settings)
    yield worker
    worker.close()


def test_a_planned_first_attempt_keeps_its_body_and_a_channel_move_uses_the_new_snapshot(
    runtime: WorkerRuntime, folders: tuple[Path, Path], providers: FakeProviders
) -> None:
    incident, planned = declare(runtime)
    planned_with = runtime.snapshot().hash
    _, templates = folders
    for channel in ("sms", "slack"):
        path = templates / "en" / channel / "opened.management.j2"
        path.write_text(path.read_text().replace("Email outage", f"{MARK} Email outage", 1))
    reloaded = runtime.config.reload()
    assert reloaded.error is None and reloaded.changed

    steps.dispatch(runtime, [planned["contact:ana"].id])
    [sms] = providers.records("sms")
    assert sms.to == "+5511990000001" and MARK not in sms.body, sms.body

    # Caio's number texted STOP: his SMS is refused and Slack, the next channel, is rendered now.
    caio = planned["contact:caio"]
    with transaction(runtime.sessions) as session:
        ack_store.opt_out(session, "+5511990000003", keyword="STOP", at=datetime.now(UTC))
    steps.dispatch(runtime, [caio.id])
    steps.dispatch(runtime, [caio.id])
    [slack] = [r for r in providers.records("slack") if r.to == "U0CAI0003"]
    assert MARK in slack.body, slack.body

    with runtime.sessions() as session:
        hashes = list(
            session.scalars(select(UpdateRow.config_hash).where(UpdateRow.incident_id == incident))
        )
    assert hashes == [planned_with] and planned_with != reloaded.hash
