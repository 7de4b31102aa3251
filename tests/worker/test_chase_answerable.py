"""The chase asks only where a person can answer, and never about the lead's own incident.

On SQLite and PostgreSQL, with the real planning step (see `tests/worker/test_chase.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from outage_notify.core.models import DeliveryState
from outage_notify.worker import chase_steps
from outage_notify.worker.chase_steps import Chased
from outage_notify.worker.runtime import WorkerRuntime
from tests.fixtures.service import ROOT
from tests.fixtures.settings import build_settings
from tests.worker.test_chase import declare, lead_updates, rows, timeline, went_out

MANAGEMENT = """
audience: management
contacts:
  - {id: eva, name: Eva Nunes, phone: "+5511990000005", fallback: "ntfy://ntfy.example.org/eva",
     channels: [sms, fallback]}
  - {id: fabio, name: Fabio Dias, phone: "+5511990000006", slack: U0FAB0006,
     fallback: "ntfy://ntfy.example.org/fabio", channels: [sms, fallback, slack]}
  - {id: lead, name: Lena Lead, phone: "+5511990000099", channels: [sms]}
"""
ROUTING = """
rules:
  - audience: management
acknowledge:
  - audience: management
    renotify_after_minutes: 5
"""


@pytest.fixture
def runtime(database_url: str, tmp_path: Path) -> Iterator[WorkerRuntime]:
    folder = tmp_path / "contacts"
    folder.mkdir()
    (folder / "management.yaml").write_text(MANAGEMENT)
    (folder / "routing.yaml").write_text(ROUTING)
    settings = build_settings(
        database_url=database_url,
        contacts_dir=folder,
        templates_dir=ROOT / "templates",
        timezone="America/Sao_Paulo",
    )
    worker = WorkerRuntime(settings)
    yield worker
    worker.close()


def test_a_channel_nobody_can_answer_on_gets_the_news_without_being_waited_on(
    runtime: WorkerRuntime,
) -> None:
    incident, planned = declare(runtime)
    eva, fabio = planned["contact:eva"], planned["contact:fabio"]
    for row in (eva, fabio):
        went_out(runtime, row, minutes_ago=6)

    chased = chase_steps.chase(runtime)

    now = rows(runtime, incident)
    # Fabio is asked again on Slack, where the button answers; his ntfy topic is skipped.
    assert now["contact:fabio"].route_index == 2 and now["contact:fabio"].unreached_at is None
    # Eva's only channel left is ntfy: the news goes there, and the lead hears of her now.
    assert now["contact:eva"].route_index == 1
    assert now["contact:eva"].state == DeliveryState.PLANNED
    assert now["contact:eva"].unreached_at is not None
    assert sorted(chased.urgent + chased.rest) == sorted([eva.id, fabio.id])
    [told] = lead_updates(runtime, incident)
    assert told.message == "Eva Nunes (management) +5511990000005"
    assert [e.text for e in timeline(runtime, incident, "renotified")] == [
        "Fabio Dias (management): no acknowledgement within 5 min; sent again on slack"
    ]
    [unreached] = timeline(runtime, incident, "unreached")
    assert "the news sent on fallback without asking" in unreached.text


def test_the_lead_is_neither_chased_nor_listed_unreached_about_their_own_incident(
    runtime: WorkerRuntime,
) -> None:
    incident, planned = declare(runtime)
    lead = planned["contact:lead"]
    assert lead.ack_required  # planned as management; the lead may be set after planning
    went_out(runtime, lead, minutes_ago=60)

    assert chase_steps.chase(runtime) == Chased()

    assert rows(runtime, incident)["contact:lead"].unreached_at is None
    assert lead_updates(runtime, incident) == []


def test_the_lead_whose_own_delivery_failed_everywhere_is_not_listed_to_themselves(
    runtime: WorkerRuntime,
) -> None:
    incident, planned = declare(runtime)
    went_out(runtime, planned["contact:lead"], minutes_ago=1, state=DeliveryState.FAILED)

    chase_steps.chase(runtime)

    assert rows(runtime, incident)["contact:lead"].unreached_at is None
    assert lead_updates(runtime, incident) == []
