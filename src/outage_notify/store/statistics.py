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

# A plan of at least this many deliveries, and at least this share of what the table held at
# its last ANALYZE, refreshes the statistics (autovacuum's own rule is 10 % + 50 rows).
ANALYZE_AFTER_ROWS = 1000
ANALYZE_AFTER_SHARE = 0.1
# The tables a fan-out's dispatch queries lean on.
FAN_OUT_TABLES = ("deliveries", "delivery_attempts")
# A table being analyzed already (autovacuum, another plan) holds its lock: skip it rather than
# keep the lane worker that plans waiting.
LOCK_TIMEOUT = "100ms"


def refresh_after_bulk_load(engine: Engine, rows: int) -> bool:
    """ANALYZE the fan-out tables on PostgreSQL after `rows` new deliveries; True if it ran."""
    if rows < ANALYZE_AFTER_ROWS or engine.dialect.name != "postgresql":
        return False
    try:
        # One transaction, so SET LOCAL ends with it whatever happens: the connection goes back
        # to the pool with the server's lock timeout.
        with engine.begin() as connection:
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            # reltuples: what the last ANALYZE or VACUUM counted (-1 or 0 when never).
            known = connection.exec_driver_sql(
                "SELECT coalesce(max(reltuples), 0) FROM pg_class WHERE relname = 'deliveries'"
            ).scalar_one()
            if rows < ANALYZE_AFTER_SHARE * float(known):
                return False
            for table in FAN_OUT_TABLES:
                connection.exec_driver_sql(f"ANALYZE {table}")
    except DBAPIError as error:
        # Stale statistics make the fan-out slower, not wrong; autovacuum catches up later.
        log.warning("could not refresh planner statistics after a bulk load: %s", error)
        return False
    return True
