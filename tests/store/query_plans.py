"""How many rows of a table one of the store's statements reads on PostgreSQL: the statement
and parameters the store really sends, under EXPLAIN ANALYZE, rolled back.

A batch statement that reads in proportion to the fan-out or to a person's history, where it
should read in proportion to its batch, passes every functional test and fails in production.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.fixtures.databases import Sessions


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def rows_read(sessions: Sessions, run: Callable[[Session], object], *, marker: str) -> int:
    """The `deliveries` rows visited by the one statement of `run` whose SQL holds `marker`:
    returned or filtered out by each scan, over all its loops (the ModifyTable nodes that
    write what the scans found are not reads)."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        sent.append((statement, parameters))

    with sessions() as session:
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", capture)
        try:
            run(session)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        session.rollback()
        [(statement, parameters)] = [s for s in sent if marker in s[0]]
        plan = (
            session.connection()
            .exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters)
            .scalar_one()
        )
        session.rollback()  # EXPLAIN ANALYZE ran it
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
        if node.get("Relation Name") == "deliveries" and node["Node Type"].endswith("Scan")
    )


@pytest.fixture
def postgres_sessions(sessions: Sessions, database_url: str) -> Sessions:
    """`sessions` on PostgreSQL only: SQLite has no planner statistics to go wrong."""
    if not database_url.startswith("postgresql"):
        pytest.skip("query plans are PostgreSQL's")
    return sessions
