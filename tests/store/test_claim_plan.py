"""A batch's claim reads about as many deliveries as it claims, whatever the planner's
statistics say and however many deliveries the fan-out planned (PostgreSQL).

The claim runs once per batch of every fan-out. A plan that scans every planned delivery (the
state index, when the statistics predate the fan-out) or hashes the whole table (the
coalescing check, when they are fresh) makes each batch cost in proportion to the fan-out,
and the fan-out quadratic. Measured with EXPLAIN ANALYZE: the rows each scan of `deliveries`
returned or filtered out, over all its loops.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, text, update

from outage_notify.core.models import DeliveryState
from outage_notify.store import deliveries as delivery_store
from outage_notify.store.engine import transaction
from outage_notify.store.tables import DeliveryRow
from tests.fixtures.databases import Sessions
from tests.store.test_store import _plan

PLANNED = 4000
BATCH = 200
# A few visits per claimed row: the row in each of the claim's scans, and in the coalescing
# probe the recipient's other deliveries. Far below PLANNED: a scan of the fan-out is not it.
MAX_ROWS_READ = 5 * BATCH


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def _rows_read(sessions: Sessions, ids: list[int]) -> int:
    """The deliveries rows the claim of `ids` visited: the claim's own SQL and parameters, as
    the store sends them, under EXPLAIN ANALYZE (rolled back: it runs the claim)."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        sent.append((statement, parameters))

    with sessions() as session:
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", capture)
        try:
            delivery_store.claim(session, ids, now=datetime.now(UTC), owner="test@host:1")
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        session.rollback()
        [(statement, parameters)] = [s for s in sent if "superseded" in s[0]]
        plan = (
            session.connection()
            .exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters)
            .scalar_one()
        )
        session.rollback()
    return sum(
        int(
            (
                node.get("Actual Rows", 0)
                + node.get("Rows Removed by Filter", 0)
                + node.get("Rows Removed by Index Recheck", 0)
            )
            * node.get("Actual Loops", 1)
        )
        for node in _nodes(plan[0]["Plan"])
        # The scans, not the ModifyTable nodes that write what they found.
        if node.get("Relation Name") == "deliveries" and node["Node Type"].endswith("Scan")
    )


def _analyze(sessions: Sessions) -> None:
    with transaction(sessions) as session:
        session.execute(text("ANALYZE deliveries"))


@pytest.fixture
def postgres_sessions(sessions: Sessions, database_url: str) -> Sessions:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite's claim is three statements by id; no planner statistics")
    return sessions


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
    assert _rows_read(postgres_sessions, ids[:BATCH]) <= MAX_ROWS_READ


def test_a_claim_reads_its_batch_when_the_statistics_are_fresh(
    postgres_sessions: Sessions,
) -> None:
    # The first large fan-out on a young database, analyzed after planning: the coalescing
    # check must probe the index per claimed row, not hash every delivery of the table.
    ids = _plan(postgres_sessions, PLANNED)
    _analyze(postgres_sessions)
    assert _rows_read(postgres_sessions, ids[:BATCH]) <= MAX_ROWS_READ
