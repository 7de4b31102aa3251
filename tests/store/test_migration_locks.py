"""Upgrading a live PostgreSQL database does not stop the fan-out writing.

Migration 0024 builds an index on `deliveries`, the table every batch claims and records in. A
plain CREATE INDEX waits for the transactions already open on the table and, while it waits
and while it reads the table, holds off every new write: on a large table in an outage, the
fan-out would stop for the whole build. Built CONCURRENTLY, writes go on; and upgrades run one
at a time, so a second one (a `serve` starting beside `db upgrade`) waits instead of taking the
first one's index, still being built, for a broken one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from outage_notify.store.engine import alembic_config, create_store_engine, upgrade

BEFORE = "0023_voice"
NEW_INDEX = "ix_deliveries_recipient_recent"
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


def new_index_is_valid(engine: Engine) -> bool | None:
    """Whether 0024's index is valid; None without one."""
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(:name)"),
            {"name": NEW_INDEX},
        ).scalar()


def in_thread(work: Callable[[], object], failures: list[BaseException]) -> threading.Thread:
    """A started thread running `work`; what it raises goes to `failures`, not lost."""

    def run() -> None:
        try:
            work()
        except BaseException as error:
            failures.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_for_the_build_to_wait(engine: Engine, failures: list[BaseException]) -> None:
    deadline = time.monotonic() + 30
    while waiting_index_build(engine) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert waiting_index_build(engine) is not None, failures or "the build never waited"


@contextmanager
def upgrading_behind_a_batch(url: str) -> Iterator[Engine]:
    """Inside: 0024's index build started in another thread and waits for a batch's open
    transaction on deliveries. On leaving, the batch ends and the upgrade must have ended well."""
    engine = create_store_engine(url)
    command.downgrade(alembic_config(engine), BEFORE)
    failures: list[BaseException] = []
    in_flight = engine.connect()
    in_flight.begin()
    in_flight.execute(WRITE)
    migration = in_thread(lambda: upgrade(engine), failures)
    try:
        wait_for_the_build_to_wait(engine, failures)
        yield engine
    finally:
        in_flight.rollback()
        in_flight.close()
        migration.join(timeout=60)
    assert not failures, failures
    assert new_index_is_valid(engine) is True
    engine.dispose()


def test_a_write_goes_through_while_0024_builds_its_index(postgres_url: str) -> None:
    with upgrading_behind_a_batch(postgres_url) as engine, engine.connect() as next_batch:
        next_batch.execute(text("SET lock_timeout = '3s'"))
        try:
            next_batch.execute(WRITE)
        except OperationalError as error:
            raise AssertionError(f"a write waited for the index build: {error}") from None
        next_batch.commit()
    with engine.connect() as connection:
        old = connection.execute(text("SELECT to_regclass('ix_deliveries_recipient_key')"))
        assert old.scalar() is None


def test_two_upgrades_at_once_both_end_with_the_index_built(postgres_url: str) -> None:
    """`serve` migrates at start, so a restart during `db upgrade` runs a second upgrade beside
    the first, in another process."""
    second: subprocess.Popen[str] | None = None
    try:
        with upgrading_behind_a_batch(postgres_url) as engine:
            second = subprocess.Popen(
                [sys.executable, "-m", "outage_notify.cli.main", "db", "upgrade"],
                env={**os.environ, "OUTAGE_NOTIFY_DATABASE_URL": postgres_url},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            time.sleep(3)  # it reaches the index, or waits for the first upgrade
    finally:
        output = second.communicate(timeout=60)[0] if second is not None else ""
    assert second is not None and second.returncode == 0, output
    assert "another upgrade of this database is running" in output
    with engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == "0024_cap_recent_index"


def test_an_upgrade_waits_for_a_build_a_killed_upgrade_left_running(postgres_url: str) -> None:
    """`kill -9` of an upgrade leaves its server session building the index without it (and
    frees its advisory lock): the next upgrade took that index for a broken one, dropped it
    under the build and failed with "tuple concurrently updated"."""
    engine = create_store_engine(postgres_url)
    command.downgrade(alembic_config(engine), BEFORE)
    # A long transaction's snapshot keeps the orphaned build from finishing for a while.
    snapshot = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    snapshot.begin()
    snapshot.execute(text("SELECT count(*) FROM deliveries"))
    failures: list[BaseException] = []

    def orphaned_build() -> None:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as session:
            session.execute(
                text(
                    f"CREATE INDEX CONCURRENTLY {NEW_INDEX}"
                    " ON deliveries (recipient_key, updated_at)"
                )
            )

    build = in_thread(orphaned_build, failures)
    migration: threading.Thread | None = None
    try:
        wait_for_the_build_to_wait(engine, failures)
        being_built = index_oid(engine)
        migration = in_thread(lambda: upgrade(engine), failures)
        time.sleep(2)  # the upgrade finds the index being built
    finally:
        snapshot.rollback()
        snapshot.close()
        build.join(timeout=60)
        if migration is not None:
            migration.join(timeout=60)
    assert not failures, failures
    assert new_index_is_valid(engine) is True
    # The build was waited for and kept, not dropped under it (a race that failed) and redone.
    assert index_oid(engine) == being_built
    engine.dispose()


def index_oid(engine: Engine) -> int | None:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT to_regclass(:name)::oid"), {"name": NEW_INDEX}
        ).scalar()


def test_an_interrupted_concurrent_build_is_built_again(postgres_url: str) -> None:
    """A CREATE INDEX CONCURRENTLY that was stopped (the upgrade killed, a deadlock) leaves an
    invalid index, which `IF NOT EXISTS` alone would keep: the cap would read without it."""
    engine = create_store_engine(postgres_url)
    command.downgrade(alembic_config(engine), BEFORE)
    with engine.begin() as connection:
        superuser = text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if not connection.execute(superuser).scalar():
            pytest.skip("marking an index invalid needs a superuser (the test server has one)")
        connection.execute(text(f"CREATE INDEX {NEW_INDEX} ON deliveries (recipient_key)"))
        # What an interrupted concurrent build leaves behind.
        connection.execute(
            text("UPDATE pg_index SET indisvalid = false WHERE indexrelid = to_regclass(:name)"),
            {"name": NEW_INDEX},
        )
    upgrade(engine)
    assert new_index_is_valid(engine) is True
    with engine.connect() as connection:
        definition = connection.execute(
            text("SELECT pg_get_indexdef(to_regclass(:name))"), {"name": NEW_INDEX}
        ).scalar()
    assert "(recipient_key, updated_at)" in str(definition)
    engine.dispose()
