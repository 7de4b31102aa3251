"""The store on SQLite and PostgreSQL: migrations, dedup, round trips, claims, records."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from outage_notify.core.models import (
    ChannelName,
    DeliveryState,
    Phase,
    Recipient,
    Route,
    Severity,
    UpdateDraft,
    UpdateKind,
)
from outage_notify.delivery.send import Outcome, Result, Step
from outage_notify.incidents import lifecycle
from outage_notify.messages.planning import PlannedDelivery
from outage_notify.store import deliveries as delivery_store
from outage_notify.store import incidents as incident_store
from outage_notify.store.engine import create_store_engine, transaction
from outage_notify.store.mappers import incident_state
from outage_notify.store.tables import AttemptRow, Base, DeliveryRow, EventRow
from tests.fixtures.databases import Sessions

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
CADENCE = {Severity.CRITICAL: 30, Severity.MAJOR: 60, Severity.MINOR: 120}


def test_migrations_match_the_tables(database_url: str) -> None:
    engine = create_store_engine(database_url)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_same_dedup_key_is_stored_once(sessions: Sessions) -> None:
    for expected_created in (True, False):
        with transaction(sessions) as session:
            _, created = incident_store.record_event(
                session,
                source="alertmanager",
                service="email",
                dedup_key="k1",
                kind="alert",
                payload={"a": 1},
                actor="monitor-1",
            )
            assert created is expected_created
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(EventRow)) == 1


def _open_incident(sessions: Sessions) -> tuple[int, int]:
    decision = lifecycle.declare(
        title="Mail down",
        summary="Users cannot send",
        severity=Severity.CRITICAL,
        components=["outbound", "inbound"],
        eta=NOW + timedelta(hours=1),
        actor="staff-1",
        now=NOW,
        cadence_minutes=CADENCE,
    )
    with transaction(sessions) as session:
        row, update = incident_store.save_decision(
            session, decision, row=None, now=NOW, actor="staff-1"
        )
        assert row is not None and update is not None
        return row.id, update.id


def test_incident_round_trip_keeps_aware_times_and_lists(sessions: Sessions) -> None:
    incident_id, update_id = _open_incident(sessions)
    with sessions() as session:
        row = incident_store.get_incident(session, incident_id)
        assert row is not None
        state = incident_state(row)
        assert state.phase == Phase.INVESTIGATING
        assert state.components == ["inbound", "outbound"]
        assert state.eta == NOW + timedelta(hours=1)
        assert state.eta.tzinfo is not None
        entries = incident_store.timeline(session, incident_id)
        assert [e.kind for e in entries] == ["transition", "update"]
        assert [u.id for u in incident_store.updates(session, incident_id)] == [update_id]


def _plan(sessions: Sessions, count: int) -> list[int]:
    incident_id, update_id = _open_incident(sessions)
    planned = (
        PlannedDelivery(
            "users",
            Recipient(
                key=f"contact:u{i}",
                name=f"User {i}",
                audience="users",
                locale="en",
                routes=(
                    Route(ChannelName.SMS, f"+551199000{i:04d}"),
                    Route(ChannelName.SLACK, f"U{i:08d}"),
                ),
            ),
        )
        for i in range(count)
    )
    with transaction(sessions) as session:
        return delivery_store.insert_deliveries(
            session, planned, update_id=update_id, incident_id=incident_id, now=NOW, chunk=7
        )


def test_bulk_insert_keeps_plan_order_and_refuses_a_second_row_per_recipient(
    sessions: Sessions,
) -> None:
    ids = _plan(sessions, 30)
    assert ids == sorted(ids) and len(ids) == 30
    with sessions() as session:
        rows = session.scalars(select(DeliveryRow).order_by(DeliveryRow.id)).all()
        assert [r.recipient_key for r in rows][:2] == ["contact:u0", "contact:u1"]
        assert rows[0].routes[1] == {"channel": "slack", "address": "U00000000"}


def test_each_delivery_is_claimed_by_exactly_one_of_several_racing_workers(
    sessions: Sessions,
) -> None:
    ids = _plan(sessions, 200)
    won: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        with transaction(sessions) as session:
            rows, _ = delivery_store.claim(session, ids, now=datetime.now(UTC))
        with lock:
            won.extend(r.id for r in rows)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == ids


def test_claim_skips_deliveries_not_yet_due_and_reports_unknown_ones(sessions: Sessions) -> None:
    ids = _plan(sessions, 3)
    now = datetime.now(UTC)
    with transaction(sessions) as session:
        session.get_one(DeliveryRow, ids[0]).next_attempt_at = now + timedelta(minutes=1)
        session.get_one(DeliveryRow, ids[1]).state = DeliveryState.UNKNOWN.value
    with transaction(sessions) as session:
        rows, unknown = delivery_store.claim(session, ids, now=now)
    assert [r.id for r in rows] == ids[1:]
    assert unknown == {ids[1]}


def test_record_writes_attempts_and_next_state_and_counts(sessions: Sessions) -> None:
    ids = _plan(sessions, 2)
    now = datetime.now(UTC)
    results = [
        (
            Outcome(ids[0], ChannelName.SMS, "+5511990000000", now, now, "sent", provider_id="SM1"),
            Step(DeliveryState.SENT, 0, 1),
        ),
        (
            Outcome(
                ids[1],
                ChannelName.SMS,
                "+5511990000001",
                now,
                now,
                "permanent",
                error_code="21211",
                error_text="invalid To",
            ),
            Step(DeliveryState.PLANNED, 1, 0),
        ),
    ]
    with transaction(sessions) as session:
        delivery_store.record(session, results, now=now)
    with sessions() as session:
        first, second = (session.get(DeliveryRow, i) for i in ids)
        assert first is not None and second is not None
        assert (first.state, first.provider_id, first.sent_at is not None) == ("sent", "SM1", True)
        assert (second.state, second.route_index, second.error) == (
            "planned",
            1,
            "21211 invalid To",
        )
        attempts = session.scalars(select(AttemptRow).order_by(AttemptRow.id)).all()
        assert [(a.delivery_id, a.outcome, a.error_code) for a in attempts] == [
            (ids[0], "sent", ""),
            (ids[1], "permanent", "21211"),
        ]
        incident_id = first.incident_id
        assert delivery_store.counts(session, incident_id=incident_id) == [
            ("users", "sms", "planned", 1),
            ("users", "sms", "sent", 1),
        ]
        page, total = delivery_store.list_deliveries(session, incident_id=incident_id, state="sent")
        assert total == 1 and page[0].id == ids[0]


def test_record_keeps_the_route_clock_and_unknown_since(sessions: Sessions) -> None:
    """The retry clocks of `next_step` survive the round trip on both backends."""
    ids = _plan(sessions, 2)
    started = datetime(2026, 12, 4, 15, 0, 0, 123456, tzinfo=UTC)
    now = started + timedelta(seconds=40)
    results = [
        (
            Outcome(ids[0], ChannelName.SMS, "+5511990000000", now, now, "transient"),
            Step(DeliveryState.PLANNED, 0, 0, now, route_started_at=started),
        ),
        (
            Outcome(ids[1], ChannelName.SMS, "+5511990000001", now, now, "unknown"),
            Step(DeliveryState.UNKNOWN, 0, 1, route_started_at=started, unknown_since=started),
        ),
    ]
    with transaction(sessions) as session:
        delivery_store.record(session, results, now=now)
    with sessions() as session:
        first, second = (session.get(DeliveryRow, i) for i in ids)
        assert first is not None and second is not None
        assert (first.route_started_at, first.unknown_since) == (started, None)
        assert (second.route_started_at, second.unknown_since) == (started, started)


def test_record_writes_a_batch_whose_outcomes_change_different_columns(
    sessions: Sessions,
) -> None:
    """One batch, four kinds of change (PostgreSQL writes each kind as one UPDATE … FROM
    unnest): each row gets its own values, and columns a kind does not set keep theirs."""
    ids = _plan(sessions, 6)
    now = datetime(2026, 12, 6, 1, 0, 0, 250000, tzinfo=UTC)
    later = now + timedelta(seconds=3)

    def outcome(index: int, result: Result, provider_id: str = "", code: str = "") -> Outcome:
        phone = f"+551199000000{index}"
        text = "unknown error" if code else ""
        return Outcome(
            ids[index], ChannelName.SMS, phone, now, now, result, provider_id, code, text
        )

    results = [
        (outcome(0, "sent", provider_id="SM0"), Step(DeliveryState.SENT, 0, 1)),
        (outcome(1, "deferred"), Step(DeliveryState.PLANNED, 0, 0, later)),
        (outcome(2, "sent", provider_id="SM2"), Step(DeliveryState.SENT, 0, 1)),
        (outcome(3, "dry_run", provider_id="dry"), Step(DeliveryState.DRY_RUN, 0, 1)),
        (outcome(4, "deferred"), Step(DeliveryState.PLANNED, 0, 0, later)),
        (
            outcome(5, "transient", code="30008"),
            Step(DeliveryState.PLANNED, 0, 1, later, route_started_at=now),
        ),
    ]
    with transaction(sessions) as session:
        delivery_store.record(session, results, now=now)
    with sessions() as session:
        rows = [session.get_one(DeliveryRow, i) for i in ids]
        assert [(r.state, r.provider_id, r.sent_at, r.next_attempt_at) for r in rows] == [
            ("sent", "SM0", now, None),
            ("planned", "", None, later),
            ("sent", "SM2", now, None),
            ("dry_run", "dry", None, None),
            ("planned", "", None, later),
            ("planned", "", None, later),
        ]
        assert [r.attempts_on_route for r in rows] == [1, 0, 1, 1, 0, 1]
        assert (rows[5].error, rows[5].route_started_at) == ("30008 unknown error", now)
        # A deferral is not an attempt: four attempts for six outcomes.
        attempts = session.scalars(select(AttemptRow).order_by(AttemptRow.id)).all()
        assert [(a.delivery_id, a.outcome, a.started_at) for a in attempts] == [
            (ids[0], "sent", now),
            (ids[2], "sent", now),
            (ids[3], "dry_run", now),
            (ids[5], "transient", now),
        ]


def test_a_pending_delivery_is_superseded_by_a_newer_update_to_the_same_recipient(
    sessions: Sessions,
) -> None:
    incident_id, first_update = _open_incident(sessions)
    recipient = Recipient(
        key="contact:ana",
        name="Ana",
        audience="management",
        locale="pt-BR",
        routes=(Route(ChannelName.SMS, "+5511990000001"),),
    )
    with transaction(sessions) as session:
        row = incident_store.get_incident(session, incident_id)
        assert row is not None
        second = incident_store.add_update(
            session,
            row,
            UpdateDraft(kind=UpdateKind.UPDATE, message="later"),
            now=NOW,
        )
        old_ids = delivery_store.insert_deliveries(
            session,
            [PlannedDelivery("management", recipient)],
            update_id=first_update,
            incident_id=incident_id,
            now=NOW,
        )
        new_ids = delivery_store.insert_deliveries(
            session,
            [PlannedDelivery("management", recipient)],
            update_id=second.id,
            incident_id=incident_id,
            now=NOW,
        )
    with transaction(sessions) as session:
        claimed, _ = delivery_store.claim(session, old_ids + new_ids, now=datetime.now(UTC))
    assert [r.id for r in claimed] == new_ids
    with sessions() as session:
        old = session.get(DeliveryRow, old_ids[0])
        assert old is not None and old.state == "superseded"
        assert "newer update" in old.error
