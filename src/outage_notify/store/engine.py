"""Engines, sessions and migrations for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from outage_notify.core.errors import ConfigError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)
T = TypeVar("T")


def store_url(url: str) -> URL:
    """`url` parsed, with psycopg 3 as the driver of PostgreSQL whatever driver it names."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername != "postgresql+psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever driver the URL names."""
    return store_url(url).render_as_string(hide_password=False)


SUPPORTED_BACKENDS = ("sqlite", "postgresql")


def url_problem(url: str) -> str | None:
    """Why `url` cannot be the service's DATABASE_URL, as a sentence without the URL (it may
    hold a password), or None. Nothing is opened."""
    try:
        parsed = store_url(url)
        parsed.get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as error:
        return f"cannot be read as a database URL ({error}); e.g. sqlite:///var/outage_notify.db"
    if parsed.get_backend_name() not in SUPPORTED_BACKENDS:
        return (
            f"the {parsed.get_backend_name()} database is not supported: give a sqlite:/// "
            "or postgresql:// URL"
        )
    return None


# A server-side idle timeout (a firewall, PgBouncer) may cut a connection kept longer.
POOL_RECYCLE_SECONDS = 1800


def create_store_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 20,
    pre_ping: bool = True,
    plan_each_time: bool = False,
) -> Engine:
    """An engine tuned for the backend: WAL and immediate transactions on SQLite.

    The pool (PostgreSQL, or a SQLite file) keeps up to `pool_size` connections open: size it
    to the threads that use the engine, since each connection beyond it (up to `max_overflow`
    more) is opened and closed per checkout. `pre_ping` tests each connection on checkout, a
    round trip that hides a server restart; without it the first use of a dropped connection
    raises a `DBAPIError` with `connection_invalidated` set (see `retry_if_disconnected`).

    `plan_each_time` (PostgreSQL): no statement is prepared on the server, so each is planned
    with its values and the tables' sizes of the moment. For the worker, whose fan-out grows
    the tables faster than statistics follow: psycopg prepares a statement after five
    executions, and the generic plan PostgreSQL may then settle on (after five custom ones)
    is kept until the table is next analyzed, made for the tables as they were
    (tests/store/test_cached_plans.py).
    """
    parsed = store_url(url)
    url = parsed.render_as_string(hide_password=False)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(
            url,
            pool_pre_ping=pre_ping,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_recycle=POOL_RECYCLE_SECONDS,
            # None: psycopg never prepares (its default prepares after 5 executions).
            connect_args={"prepare_threshold": None}
            if plan_each_time and parsed.get_backend_name() == "postgresql"
            else {},
        )
    connect_args = {"check_same_thread": False, "timeout": 30}
    if not parsed.database or parsed.database == ":memory:":
        engine = create_engine(url, connect_args=connect_args)  # one connection per thread
    else:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args=connect_args, pool_size=pool_size, max_overflow=max_overflow
        )
    _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook issue BEGIN itself (pysqlite's own BEGIN is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A deferred transaction that later writes can fail with SQLITE_BUSY without waiting
        # for the busy timeout; taking the write lock up front makes writers queue instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded rows usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any error."""
    with factory() as session, session.begin():
        yield session


def add_unless_duplicate(session: Session, row: object) -> bool:
    """Insert `row` now; True when it was written, False when a unique key already held it.

    The INSERT runs in a SAVEPOINT so that a conflict rolls back only this row: the rest of
    the caller's transaction (and its locks) stays usable. Two concurrent writers of the same
    key settle here: the second waits for the first to commit, then gets False.
    """
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def retry_if_disconnected(work: Callable[[], T]) -> T:
    """`work()`, run a second time if its connection had been dropped by the server.

    Only for idempotent work (the second run may follow a commit whose answer was lost). A
    database that is still down fails the second run too, and that error propagates.
    """
    try:
        return work()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        log.warning("database connection was dropped (server restart?); retrying once")
        return work()


def ping(engine: Engine) -> None:
    """Raise if the database cannot answer a trivial query (a dropped connection is retried)."""

    def select_one() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    retry_if_disconnected(select_one)


def alembic_config(engine: Engine) -> Any:
    """An Alembic config bound to `engine`, pointing at the packaged migrations."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (idempotent); one upgrade at a time per database.

    Raises ConfigError, a sentence naming DATABASE_URL (its password hidden) and the
    database's answer, when the database cannot be reached or changed: `serve` and `db
    upgrade` printed the driver's traceback instead. The traceback is logged at DEBUG."""
    from alembic import command

    try:
        with _one_upgrade_at_a_time(engine):
            command.upgrade(alembic_config(engine), revision)
    except DBAPIError as error:
        log.debug("schema upgrade failed", exc_info=True)
        lines = str(error.orig).strip().splitlines()
        raise ConfigError(
            f"cannot migrate the database at DATABASE_URL "
            f"({engine.url.render_as_string(hide_password=True)}): "
            f"{lines[0] if lines else type(error.orig).__name__}"
        ) from error


# The advisory lock key of schema upgrades: any 64-bit number no other user of the database
# takes; this one is "outage_n" in ASCII.
UPGRADE_LOCK_KEY = 0x6F75746167655F6E
UPGRADE_LOCK_POLL_SECONDS = 0.5


@contextmanager
def _one_upgrade_at_a_time(engine: Engine) -> Iterator[None]:
    """Hold PostgreSQL's advisory lock of upgrades while one runs.

    `serve` migrates at start, so a restart beside `db upgrade`, or several replicas starting
    together, run upgrades side by side; two at once took each other's index, still being built
    CONCURRENTLY, for a broken one and deadlocked (tests/store/test_migration_locks.py). The
    lock is tried, not awaited: a session waiting on it would hold a snapshot, which the other
    upgrade's concurrent index build waits for in turn. Between tries the lock's connection is
    idle in autocommit, holding nothing but the lock. SQLite locks the whole file anyway."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as lock:
        try_lock = text("SELECT pg_try_advisory_lock(:key)")
        waiting = False
        while not lock.execute(try_lock, {"key": UPGRADE_LOCK_KEY}).scalar():
            if not waiting:
                log.warning("another upgrade of this database is running: waiting for it")
                waiting = True
            time.sleep(UPGRADE_LOCK_POLL_SECONDS)
        try:
            yield
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": UPGRADE_LOCK_KEY})
