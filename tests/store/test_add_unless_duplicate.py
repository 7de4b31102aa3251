"""The savepoint insert shared by the store's exactly-once writes, on SQLite and PostgreSQL:
a duplicate reports False and costs only its own row, never the caller's transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from outage_notify.store import incidents as incident_store
from outage_notify.store import replays
from outage_notify.store.engine import add_unless_duplicate, transaction
from outage_notify.store.tables import EventRow, SmsOptOutRow

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def _opt_out(phone: str) -> SmsOptOutRow:
    return SmsOptOutRow(phone=phone, keyword="STOP", at=NOW)


def test_a_duplicate_is_refused_and_the_transaction_goes_on(
    sessions: sessionmaker[Session],
) -> None:
    with transaction(sessions) as session:
        first = _opt_out("+5511990000001")
        assert add_unless_duplicate(session, first)
        assert first.id is not None  # flushed: the caller may use the row at once
        assert not add_unless_duplicate(session, _opt_out("+5511990000001"))
        # Work after the conflict, in the same transaction, still commits.
        assert add_unless_duplicate(session, _opt_out("+5511990000002"))
    with sessions() as session:
        phones = session.scalars(select(SmsOptOutRow.phone).order_by(SmsOptOutRow.phone)).all()
    assert phones == ["+5511990000001", "+5511990000002"]


def test_a_replayed_signature_is_refused(sessions: sessionmaker[Session]) -> None:
    def remember(session: Session) -> bool:
        return replays.remember(
            session, source="twilio", signature="sig", now=NOW, keep=timedelta(minutes=5)
        )

    with transaction(sessions) as session:
        assert remember(session)
        assert not remember(session)


def test_the_savepoint_fallback_returns_the_stored_event(
    sessions: sessionmaker[Session],
) -> None:
    # The path for backends without ON CONFLICT, driven directly on the ones tested.
    values = {
        "source": "email",
        "service": "email",
        "dedup_key": "k1",
        "kind": "alert",
        "payload": {},
        "actor": "system",
    }
    with transaction(sessions) as session:
        stored, created = incident_store._record_event_savepoint(session, dict(values))
        assert created
        again, created_again = incident_store._record_event_savepoint(session, dict(values))
        assert not created_again
        assert again.id == stored.id
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(EventRow)) == 1
