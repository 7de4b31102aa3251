"""Embedded mode runs its periodic work in-process: lost work is swept without a broker."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from outage_notify.integrations.fake_server import FakeProviders
from outage_notify.service import build_service
from outage_notify.store.engine import transaction
from outage_notify.store.incidents import record_event
from outage_notify.store.tables import AttemptRow, DeliveryRow, EventRow
from tests.e2e.test_outage_flow import firing
from tests.fixtures.service import TOKENS, make_settings, wait_for


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


def test_embedded_mode_reconciles_a_dead_process_claim_by_timeout_and_keeps_its_own(
    providers: FakeProviders, tmp_path: Path
) -> None:
    # No Redis: the process knows only that its own claims are live; any other claim (a
    # previous run of `serve` that was killed) waits for the timeout, then is looked up.
    settings = make_settings(
        database_url=f"sqlite:///{tmp_path / 'embedded.db'}",
        broker_url="",
        providers=providers,
        sending_timeout_seconds=2.0,
        worker_heartbeat_seconds=0.2,
    )
    service = build_service(settings)
    service.start_worker()
    api = TestClient(service.api)
    try:
        response = api.post(
            "/api/v1/incidents",
            headers={"Authorization": f"Bearer {TOKENS['staff']}"},
            json={"title": "Email is down", "severity": "critical", "components": ["inbound"]},
        )
        assert response.status_code == 201, response.text
        sessions = service.api.state.sessions

        def sent() -> list[DeliveryRow]:
            with sessions() as session:
                rows = session.scalars(select(DeliveryRow)).all()
            done = all(r.state in ("sent", "failed") for r in rows)
            return [r for r in rows if r.channel in ("sms", "slack")] if rows and done else []

        gone, mine = wait_for(sent, timeout=60, what="the fan-out")[:2]
        own_name = service.celery.outage_notify_runtime.get().claimant()
        assert own_name
        claimed = datetime.now(UTC)
        with transaction(sessions) as session:
            for row_id, owner in ((gone.id, "old-host:4242:deadbeef"), (mine.id, own_name)):
                session.execute(
                    update(DeliveryRow)
                    .where(DeliveryRow.id == row_id)
                    .values(state="sending", claimed_by=owner, updated_at=claimed)
                )

        def reconciled() -> bool:
            with sessions() as session:
                texts = session.scalars(
                    select(AttemptRow.error_text).where(AttemptRow.delivery_id == gone.id)
                ).all()
            return "reconciled" in texts

        wait_for(reconciled, timeout=20, what="the dead process's claim looked up")
        assert datetime.now(UTC) - claimed >= timedelta(seconds=2), "before the timeout"
        received = Counter(r.to for r in providers.records())
        assert received[gone.routes[gone.route_index]["address"]] == 1, "resent, not looked up"
        time.sleep(1.0)  # well past the timeout now
        with sessions() as session:
            assert session.get_one(DeliveryRow, mine.id).state == "sending"
    finally:
        service.stop()
