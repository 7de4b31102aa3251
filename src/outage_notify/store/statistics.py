"""Planner statistics after a bulk load, so the queries of the fan-out that follows stay cheap.

PostgreSQL's autovacuum re-analyses a table only after 10 % of its rows changed and only on its
next round (a minute by default). A first large fan-out on a young database inserts 100,000
deliveries into a table whose statistics still say "a few rows": the planner then picks plans
that read the whole table for every dispatch batch (measured: 3.3 s instead of 0.6 ms for the
SMS-budget lookup of one batch). SQLite has no such statistics unless asked; its planner
prefers the indexes anyway.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

# A plan of at least this many deliveries refreshes the statistics.
ANALYZE_AFTER_ROWS = 1000
# The tables a fan-out's dispatch queries lean on.
FAN_OUT_TABLES = ("deliveries", "delivery_attempts")
# ANALYZE waits behind another ANALYZE or autovacuum of the same table; never for long.
LOCK_TIMEOUT = "2s"


def refresh_after_bulk_load(engine: Engine, rows: int) -> bool:
    """ANALYZE the fan-out tables on PostgreSQL after `rows` new deliveries; True if it ran."""
    if rows < ANALYZE_AFTER_ROWS or engine.dialect.name != "postgresql":
        return False
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
            for table in FAN_OUT_TABLES:
                connection.exec_driver_sql(f"ANALYZE {table}")
            connection.exec_driver_sql("RESET lock_timeout")
    except DBAPIError as error:
        # Stale statistics make the fan-out slower, not wrong; autovacuum catches up later.
        log.warning("could not refresh planner statistics after a bulk load: %s", error)
        return False
    return True
