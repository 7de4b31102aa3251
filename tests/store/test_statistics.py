"""Planner statistics are refreshed after a large plan on PostgreSQL, and only then."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from outage_notify.store.engine import create_store_engine
from outage_notify.store.statistics import ANALYZE_AFTER_ROWS, refresh_after_bulk_load


def _analyze_counts(url: str) -> dict[str, int]:
    engine = create_store_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT relname, analyze_count FROM pg_stat_user_tables"
                    " WHERE relname IN ('deliveries', 'delivery_attempts')"
                )
            ).all()
    finally:
        engine.dispose()
    return {name: count for name, count in rows}


def test_a_large_plan_analyzes_the_fan_out_tables_on_postgresql(database_url: str) -> None:
    postgres = database_url.startswith("postgresql")
    before = _analyze_counts(database_url) if postgres else {}
    engine = create_store_engine(database_url)
    try:
        small = refresh_after_bulk_load(engine, ANALYZE_AFTER_ROWS - 1)
        large = refresh_after_bulk_load(engine, ANALYZE_AFTER_ROWS)
    finally:
        engine.dispose()
    assert small is False
    if not postgres:
        assert large is False  # SQLite: nothing to refresh
        return
    assert large is True
    # Counted once per table (the small plan did not analyze); the statistics are reported
    # asynchronously, so give them a moment.
    expected = {table: count + 1 for table, count in before.items()}
    deadline = time.monotonic() + 5
    while (seen := _analyze_counts(database_url)) != expected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert seen == expected
    assert set(seen) == {"deliveries", "delivery_attempts"}


def test_a_busy_table_is_skipped_and_the_pooled_connection_keeps_its_lock_timeout(
    database_url: str,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("planner statistics are refreshed on PostgreSQL only")
    # Another session analysing (or vacuuming) the table holds this lock until it commits.
    blocker = create_store_engine(database_url)
    engine = create_store_engine(database_url, pool_size=1, max_overflow=0)
    try:
        with blocker.begin() as other:
            other.exec_driver_sql("LOCK TABLE deliveries IN SHARE UPDATE EXCLUSIVE MODE")
            started = time.monotonic()
            assert refresh_after_bulk_load(engine, ANALYZE_AFTER_ROWS) is False
            waited = time.monotonic() - started
        with engine.connect() as connection:  # the pool's only connection, the one that failed
            timeout = connection.exec_driver_sql("SHOW lock_timeout").scalar_one()
    finally:
        engine.dispose()
        blocker.dispose()
    assert waited < 5  # it gave up on the lock instead of waiting for the other session
    assert timeout == "0"  # the server's default: no SET LOCAL outlived its transaction
