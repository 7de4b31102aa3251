"""A contact whose delivery failed on every channel lands on the lead's unreached list, also
in audiences that ask no acknowledgement (issue 13, item 8), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from outage_notify.core.models import DeliveryState
from outage_notify.worker import chase_steps, steps
from outage_notify.worker.runtime import WorkerRuntime
from tests.fixtures.service import ROOT
from tests.fixtures.settings import build_settings
from tests.worker.test_chase import IT, MANAGEMENT, declare, lead_updates, rows, timeline, went_out

# Management is told, but nobody is asked to acknowledge.
ROUTING = "rules:\n  - audience: management\n"


@pytest.fixture
def contacts_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "contacts"
    folder.mkdir()
    (folder / "management.yaml").write_text(MANAGEMENT)
    (folder / "it.yaml").write_text(IT)
    (folder / "routing.yaml").write_text(ROUTING)
    return folder


@pytest.fixture
def runtime(database_url: str, contacts_dir: Path) -> Iterator[WorkerRuntime]:
    settings = build_settings(
        database_url=database_url,
        contacts_dir=contacts_dir,
        templates_dir=ROOT / "templates",
    )
    worker = WorkerRuntime(settings)
    yield worker
    worker.close()


def test_a_contact_failed_everywhere_is_listed_to_the_lead_once(runtime: WorkerRuntime) -> None:
    incident, planned = declare(runtime)
    went_out(
        runtime, planned["contact:dani"], minutes_ago=0, state=DeliveryState.FAILED, route_index=1
    )
    went_out(runtime, planned["contact:bia"], minutes_ago=0)

    chased = chase_steps.chase(runtime)
    again = chase_steps.chase(runtime)

    assert len(chased.updates) == 1 and again.updates == []
    [told] = lead_updates(runtime, incident)
    assert told.message == "Dani Alves (management) +5511990000004"
    assert rows(runtime, incident)["contact:dani"].unreached_at is not None
    assert rows(runtime, incident)["contact:bia"].unreached_at is None
    [entry] = timeline(runtime, incident, "unreached")
    assert entry.text.startswith("Dani Alves (management): every channel failed")


def test_the_lead_is_not_told_about_their_own_failed_notice(runtime: WorkerRuntime) -> None:
    incident, planned = declare(runtime)
    went_out(
        runtime, planned["contact:dani"], minutes_ago=0, state=DeliveryState.FAILED, route_index=1
    )
    [lead_update] = chase_steps.chase(runtime).updates
    steps.plan_update(runtime, lead_update)
    [notice] = [r for r in rows(runtime, incident).values() if r.recipient_key.startswith("staff:")]
    went_out(runtime, notice, minutes_ago=0, state=DeliveryState.FAILED)

    assert chase_steps.chase(runtime).updates == []
    assert len(lead_updates(runtime, incident)) == 1
