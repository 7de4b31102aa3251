"""Embedded mode runs its periodic work in-process: lost work is swept without a broker."""

from __future__ import annotations

from pathlib import Path

from outage_notify.fakes.server import FakeProviders
from outage_notify.runner import build_service
from outage_notify.store.engine import transaction
from outage_notify.store.incidents import record_event
from outage_notify.store.tables import EventRow
from tests.e2e.test_outage_flow import firing
from tests.fixtures.service import make_settings, wait_for


def test_the_embedded_sweeper_processes_an_event_that_was_never_enqueued(
    providers: FakeProviders, tmp_path: Path
) -> None:
    settings = make_settings(
        database_url=f"sqlite:///{tmp_path / 'embedded.db'}",
        broker_url="",
        providers=providers,
        sweep_interval_seconds=0.5,
        sweep_stale_seconds=0.5,
    )
    service = build_service(settings)
    from outage_notify.ingest import alertmanager
    from outage_notify.ingest.labels import LabelMapping

    event = alertmanager.to_event(
        alertmanager.AlertmanagerPayload.model_validate(firing()),
        mapping=LabelMapping.from_settings(settings),
    )
    # Committed, as the API does, then "the process died" before the enqueue.
    with transaction(service.api.state.sessions) as session:
        record_event(
            session,
            source=event.source,
            service=event.service,
            dedup_key=event.dedup_key,
            kind="alert",
            payload=event.model_dump(mode="json"),
            actor="monitor",
        )
    service.start_worker()
    try:

        def processed() -> bool:
            with service.api.state.sessions() as session:
                row = session.query(EventRow).one()
                return row.processed_at is not None

        wait_for(processed, timeout=20, what="the sweeper to pick the event up")
        wait_for(lambda: len(providers.records()) > 0, timeout=30, what="messages")
        with service.api.state.sessions() as session:
            event_row = session.query(EventRow).one()
            assert event_row.incident_id is not None
    finally:
        service.stop()
