"""Upgrading a live PostgreSQL database does not stop the fan-out writing.

Migration 0024 builds an index on `deliveries`, the table every batch claims and records in. A
plain CREATE INDEX waits for the transactions already open on the table and, while it waits
and while it reads the table, holds off every new write: on a large table in an outage, the
fan-out would stop for the whole build. Built CONCURRENTLY, writes go on.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from outage_notify.store.engine import alembic_config, create_store_engine, upgrade

BEFORE = "0023_voice"
# A write that takes the lock every claim and outcome takes (ROW EXCLUSIVE on `deliveries`).
WRITE = text("UPDATE deliveries SET error = error WHERE id = -1")


def waiting_index_build(engine: Engine) -> str | None:
    """What the migration's CREATE INDEX waits on, once it waits on a lock."""
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT wait_event FROM pg_stat_activity WHERE datname = current_database()"
                " AND query ILIKE 'CREATE INDEX%' AND wait_event_type = 'Lock'"
            )
        ).scalar()


def test_a_write_goes_through_while_0024_builds_its_index(postgres_url: str) -> None:
    engine = create_store_engine(postgres_url)
    command.downgrade(alembic_config(engine), BEFORE)
    failure: list[BaseException] = []

    def migrate() -> None:
        try:
            upgrade(engine)
        except BaseException as error:  # reported by the test, not lost in the thread
            failure.append(error)

    # A batch in flight: its transaction has written to deliveries and not committed yet.
    in_flight = engine.connect()
    in_flight.begin()
    in_flight.execute(WRITE)
    migration = threading.Thread(target=migrate)
    try:
        migration.start()
        deadline = time.monotonic() + 30
        while waiting_index_build(engine) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting_index_build(engine) is not None, failure or "the index build never waited"

        # The next batch writes while the build waits for the first.
        with engine.connect() as next_batch:
            next_batch.execute(text("SET lock_timeout = '3s'"))
            try:
                next_batch.execute(WRITE)
            except OperationalError as error:
                raise AssertionError(f"a write waited for the index build: {error}") from None
            next_batch.commit()
    finally:
        in_flight.rollback()
        in_flight.close()
        migration.join(timeout=60)
    assert not failure, failure
    with engine.connect() as connection:
        indexes: dict[str, bool] = dict(
            connection.execute(
                text(
                    "SELECT c.relname, i.indisvalid FROM pg_index i"
                    " JOIN pg_class c ON c.oid = i.indexrelid"
                    " WHERE i.indrelid = 'deliveries'::regclass"
                )
            ).all()
        )
    assert indexes.get("ix_deliveries_recipient_recent") is True
    assert "ix_deliveries_recipient_key" not in indexes
    engine.dispose()


def test_two_upgrades_at_once_both_end_with_the_index_built(postgres_url: str) -> None:
    """`serve` migrates at start, so a restart during `db upgrade` runs a second upgrade beside
    the first: it must not take the first one's index, still being built, for a broken one."""
    engine = create_store_engine(postgres_url)
    command.downgrade(alembic_config(engine), BEFORE)
    failures: list[BaseException] = []

    def migrate() -> None:
        try:
            upgrade(engine)
        except BaseException as error:  # reported by the test, not lost in the thread
            failures.append(error)

    in_flight = engine.connect()
    in_flight.begin()
    in_flight.execute(WRITE)
    first = threading.Thread(target=migrate)
    second: subprocess.Popen[str] | None = None
    try:
        first.start()
        deadline = time.monotonic() + 30
        while waiting_index_build(engine) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting_index_build(engine) is not None, failures or "the build never waited"
        # The second upgrade is another process, as a `serve` starting beside `db upgrade` is.
        second = subprocess.Popen(
            [sys.executable, "-m", "outage_notify.cli.main", "db", "upgrade"],
            env={**os.environ, "OUTAGE_NOTIFY_DATABASE_URL": postgres_url},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        time.sleep(3)  # it reaches the index, or waits for the first upgrade
    finally:
        in_flight.rollback()
        in_flight.close()
        first.join(timeout=60)
        output = second.communicate(timeout=60)[0] if second is not None else ""
    assert not failures, failures
    assert second is not None and second.returncode == 0, output
    with engine.connect() as connection:
        valid = connection.execute(
            text(
                "SELECT i.indisvalid FROM pg_index i"
                " WHERE i.indexrelid = to_regclass('ix_deliveries_recipient_recent')"
            )
        ).scalar()
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert valid is True
    assert version == "0024_cap_recent_index"
    engine.dispose()


def test_an_interrupted_concurrent_build_is_built_again(postgres_url: str) -> None:
    """A CREATE INDEX CONCURRENTLY that was stopped (the upgrade killed, a deadlock) leaves an
    invalid index, which `IF NOT EXISTS` alone would keep: the cap would read without it."""
    engine = create_store_engine(postgres_url)
    command.downgrade(alembic_config(engine), BEFORE)
    with engine.begin() as connection:
        if not connection.execute(
            text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        ).scalar():
            pytest.skip("marking an index invalid needs a superuser (the test server has one)")
        connection.execute(
            text("CREATE INDEX ix_deliveries_recipient_recent ON deliveries (recipient_key)")
        )
        # What an interrupted concurrent build leaves behind.
        connection.execute(
            text(
                "UPDATE pg_index SET indisvalid = false"
                " WHERE indexrelid = 'ix_deliveries_recipient_recent'::regclass"
            )
        )
    upgrade(engine)
    with engine.connect() as connection:
        valid, columns = connection.execute(
            text(
                "SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                " WHERE i.indexrelid = 'ix_deliveries_recipient_recent'::regclass"
            )
        ).one()
    assert valid is True
    assert "(recipient_key, updated_at)" in columns
    engine.dispose()
