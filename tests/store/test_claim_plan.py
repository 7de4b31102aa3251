"""A batch's claim reads about as many deliveries as it claims, whatever the planner's
statistics say and however many deliveries the fan-out planned (PostgreSQL).

The claim runs once per batch of every fan-out. A plan that scans every planned delivery (the
state index, when the statistics predate the fan-out) or hashes the whole table (the
coalescing check, when they are fresh) makes each batch cost in proportion to the fan-out,
and the fan-out quadratic (`query_plans.rows_read`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text, update
from sqlalchemy.orm import Session

from outage_notify.core.models import DeliveryState
from outage_notify.store import deliveries as delivery_store
from outage_notify.store.engine import transaction
from outage_notify.store.tables import DeliveryRow
from tests.fixtures.databases import Sessions
from tests.store.query_plans import postgres_sessions, rows_read
from tests.store.test_store import _plan

__all__ = ["postgres_sessions"]  # the fixture, imported for pytest

PLANNED = 4000
BATCH = 200
# A few visits per claimed row: the row in each of the claim's scans, and in the coalescing
# probe the recipient's other deliveries. Far below PLANNED: a scan of the fan-out is not it.
MAX_ROWS_READ = 5 * BATCH


def _claim_reads(sessions: Sessions, ids: list[int]) -> int:
    def claim(session: Session) -> object:
        return delivery_store.claim(session, ids, now=datetime.now(UTC), owner="test@host:1")

    return rows_read(sessions, claim, marker="superseded")


def _analyze(sessions: Sessions) -> None:
    with transaction(sessions) as session:
        session.execute(text("ANALYZE deliveries"))


def test_a_claim_reads_its_batch_when_the_statistics_predate_the_fan_out(
    postgres_sessions: Sessions,
) -> None:
    # An older incident's deliveries, all sent, are what the last ANALYZE saw: to the planner,
    # no delivery is `planned`. Then a large fan-out is planned, and not analyzed (it is under
    # a tenth of a large table in production, see store/statistics.py).
    history = _plan(postgres_sessions, PLANNED)
    with transaction(postgres_sessions) as session:
        session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.id.in_(history))
            .values(state=DeliveryState.SENT.value)
        )
    _analyze(postgres_sessions)
    ids = _plan(postgres_sessions, PLANNED)
    assert _claim_reads(postgres_sessions, ids[:BATCH]) <= MAX_ROWS_READ


def test_a_claim_reads_its_batch_when_the_statistics_are_fresh(
    postgres_sessions: Sessions,
) -> None:
    # The first large fan-out on a young database, analyzed after planning: the coalescing
    # check must probe the index per claimed row, not hash every delivery of the table.
    ids = _plan(postgres_sessions, PLANNED)
    _analyze(postgres_sessions)
    assert _claim_reads(postgres_sessions, ids[:BATCH]) <= MAX_ROWS_READ
