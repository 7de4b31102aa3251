"""The recipient cap counts a person's sends of the hour by reading the hour's deliveries, not
every delivery the person ever had: it runs for every batch of every fan-out, and a person's
history only grows (no retention purges it). Before: 114 ms a batch of 200 people at 400 past
deliveries each, against 6 ms at 10 (`query_plans.rows_read` counts what it reads)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text, update

from outage_notify.store import recipient_cap as cap_store
from outage_notify.store.engine import transaction
from outage_notify.store.tables import DeliveryRow
from tests.fixtures.databases import Sessions
from tests.store.query_plans import postgres_sessions, rows_read
from tests.store.test_store import _plan

__all__ = ["postgres_sessions"]  # the fixture, imported for pytest

PEOPLE = 200
HISTORY = 20  # past deliveries a person
KEYS = [f"contact:u{i}" for i in range(PEOPLE)]


def _history(sessions: Sessions, now: datetime, *, recorded: datetime | None = None) -> None:
    """HISTORY sent deliveries for each person two days ago, and one sent to u0 five minutes
    ago: the only one in the window; its delivery last changed at `recorded` (default now)."""
    for _ in range(HISTORY):
        _plan(sessions, PEOPLE)
    old = now - timedelta(days=2)
    with transaction(sessions) as session:
        session.execute(update(DeliveryRow).values(state="sent", updated_at=old))
        recent = session.scalars(
            select(DeliveryRow.id)
            .where(DeliveryRow.recipient_key == "contact:u0")
            .order_by(DeliveryRow.id.desc())
            .limit(1)
        ).one()
        session.execute(
            update(DeliveryRow).where(DeliveryRow.id == recent).values(updated_at=recorded or now)
        )
        session.execute(
            text(
                "INSERT INTO delivery_attempts (delivery_id, channel, address, started_at,"
                " finished_at, outcome, provider_id, error_code, error_text)"
                " SELECT id, 'sms', 'x', CASE WHEN id = :recent THEN :sent ELSE :old END,"
                " CASE WHEN id = :recent THEN :sent ELSE :old END, 'sent', '', '', ''"
                " FROM deliveries"
            ),
            {"recent": recent, "sent": now - timedelta(minutes=5), "old": old},
        )


def test_the_cap_counts_the_hours_sends_and_nothing_older(sessions: Sessions) -> None:
    now = datetime.now(UTC)
    _history(sessions, now)
    with sessions() as session:
        spent = cap_store.spent(session, KEYS, since=now - timedelta(hours=1), exclude={-1})
    assert spent == Counter({"contact:u0": 1})


def test_a_send_recorded_by_a_host_whose_clock_is_behind_still_counts(
    sessions: Sessions,
) -> None:
    # The worker that recorded it ran 5 minutes slow: its delivery's last change reads as
    # before the window opened, its attempt inside it. The cap's slack (10 minutes) keeps it.
    now = datetime.now(UTC)
    since = now - timedelta(hours=1)
    _history(sessions, now, recorded=since - cap_store.CLOCK_SLACK / 2)
    with sessions() as session:
        spent = cap_store.spent(session, KEYS, since=since, exclude={-1})
    assert spent == Counter({"contact:u0": 1})


def test_the_cap_reads_the_hours_deliveries_not_the_peoples_history(
    postgres_sessions: Sessions,
) -> None:
    now = datetime.now(UTC)
    _history(postgres_sessions, now)
    with transaction(postgres_sessions) as session:
        session.execute(text("ANALYZE deliveries"))
        session.execute(text("ANALYZE delivery_attempts"))
    since = now - timedelta(hours=1)
    reads = rows_read(
        postgres_sessions,
        lambda session: cap_store.spent(session, KEYS, since=since, exclude={-1}),
        marker="delivery_attempts",
    )
    # The one recent delivery (read by each half of the count); before, all PEOPLE x HISTORY.
    assert reads <= 10
