"""The sweeper re-enqueues pending events only: a failed one waits for a retry, not a loop."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from outage_notify.core.models import AlertEvent
from outage_notify.store.engine import transaction
from outage_notify.store.tables import EventRow
from outage_notify.worker import event_steps, steps
from outage_notify.worker.runtime import WorkerRuntime
from tests.fixtures.settings import build_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runtime(database_url: str) -> Iterator[WorkerRuntime]:
    settings = build_settings(
        database_url=database_url,
        contacts_dir=ROOT / "contacts",
        templates_dir=ROOT / "templates",
        timezone="America/Sao_Paulo",
    )
    worker = WorkerRuntime(settings)
    yield worker
    worker.close()


def stored(runtime: WorkerRuntime, key: str, payload: dict[str, Any], service: str) -> int:
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    with transaction(runtime.sessions) as session:
        row = EventRow(source="generic", service=service, dedup_key=key, kind="alert",
                       payload=payload, actor="monitor-bot", received_at=long_ago)  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def test_the_sweeper_skips_failed_and_applied_events(runtime: WorkerRuntime) -> None:
    good = AlertEvent(source="generic", dedup_key="g", group_key="g", status="firing",
                      severity="major", summary="Webmail down", service="web")  # fmt: skip
    bad = stored(runtime, "bad", {"summary": "no keys"}, "web")
    applied = stored(runtime, "good", good.model_dump(mode="json"), "web")
    pending = stored(runtime, "waiting", good.model_dump(mode="json"), "db")

    assert event_steps.process_event(runtime, applied)  # the bad one before it, then it
    assert steps.sweep(runtime).events == [pending]
    with transaction(runtime.sessions) as session:
        states = {
            e.id: (e.state, e.processed_at is not None) for e in session.query(EventRow).all()
        }
    assert states == {
        bad: ("failed", True),
        applied: ("applied", True),
        pending: ("pending", False),
    }
