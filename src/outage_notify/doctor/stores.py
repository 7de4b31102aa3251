"""The database (reachable, migrated, its clock) and the broker."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis
from kombu.connection import Connection
from sqlalchemy.exc import SQLAlchemyError

from outage_notify.doctor.check import Context, Result, fail, ok, warn
from outage_notify.store.diagnostics import probe_engine, revisions, server_time
from outage_notify.store.engine import ping

# Clock skew between this machine and the database: timestamps compared across machines (the
# deadlines, the "sending" timeouts, the report's times) drift by it.
SKEW_WARN = timedelta(seconds=2)
SKEW_FAIL = timedelta(seconds=30)
DATABASE_FIX = (
    "Check OUTAGE_NOTIFY_DATABASE_URL (host, port, credentials, database name) and that the "
    "server is running and reachable from this machine."
)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unreadable URL is shown as its scheme only
        return url.partition("://")[0] + "://…"


def _missing_sqlite(url: str) -> Path | None:
    """The SQLite file DATABASE_URL names when it does not exist yet; None otherwise."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # the database line reports an unreadable URL
        return None
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    path = Path(parsed.database)
    return None if parsed.database == ":memory:" or path.exists() else path


NO_FILE_FIX = "Run `outage-notify db upgrade` (or start `serve`, which creates and migrates it)."


def database(context: Context) -> Result:
    """A trivial query on DATABASE_URL, within the timeout."""
    url = context.settings.database_url
    missing = _missing_sqlite(url)
    if missing is not None:
        return warn(f"there is no SQLite database at {missing} yet.", NO_FILE_FIX)
    try:
        engine = probe_engine(url, timeout=context.timeout)
    except (SQLAlchemyError, ValueError, ImportError) as error:
        return fail(f"DATABASE_URL cannot be used: {type(error).__name__}.", DATABASE_FIX)
    try:
        ping(engine)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or type(error).__name__).splitlines()[0]
        return fail(f"{_safe_url(url)} does not answer: {reason}.", DATABASE_FIX)
    finally:
        engine.dispose()
    return ok(f"{_safe_url(url)} answers ({engine.dialect.name}).")


def migrations(context: Context) -> Result:
    """The database's Alembic revision against this installation's migrations."""
    upgrade_fix = (
        "Run `outage-notify db upgrade` once (a one-process `serve` migrates at start; workers "
        "never do)."
    )
    missing = _missing_sqlite(context.settings.database_url)
    if missing is not None:
        return warn(f"there is no SQLite database at {missing} to migrate yet.", NO_FILE_FIX)
    engine = probe_engine(context.settings.database_url, timeout=context.timeout)
    try:
        found = revisions(engine)
    except SQLAlchemyError as error:
        return fail(
            f"the schema's revision cannot be read: {type(error).__name__}.",
            "Fix the database line first, then run doctor again.",
        )
    finally:
        engine.dispose()
    head = ", ".join(found.heads)
    if found.unknown:
        return fail(
            f"the database is at revision {', '.join(found.unknown)}, which this installation "
            "does not know: a newer outage_notify migrated it.",
            "Upgrade this installation to the version that migrated the database.",
        )
    if not found.current:
        return fail(f"the database has no schema yet (head is {head}).", upgrade_fix)
    if found.behind:
        return fail(
            f"the schema is {found.behind} migration(s) behind: at {', '.join(found.current)}, "
            f"head is {head}.",
            upgrade_fix,
        )
    return ok(f"the schema is at head ({head}).")


def clock(context: Context) -> Result:
    """This machine's clock against the database server's."""
    engine = probe_engine(context.settings.database_url, timeout=context.timeout)
    try:
        before = time.time()
        theirs = server_time(engine)
        after = time.time()
    except SQLAlchemyError as error:
        return fail(
            f"the database's clock cannot be read: {type(error).__name__}.",
            "Fix the database line first, then run doctor again.",
        )
    finally:
        engine.dispose()
    if theirs is None:
        return ok("SQLite keeps time with this machine's clock: no skew possible.")
    # The server read its clock somewhere in the round trip: compare with its middle.
    ours = datetime.fromtimestamp((before + after) / 2, UTC)
    skew = abs(theirs - ours)
    said = f"this machine's clock is {skew.total_seconds():.1f} s off the database's"
    fix = "Run NTP (chrony, systemd-timesyncd) on this machine and on the database server."
    if skew > SKEW_FAIL:
        return fail(f"{said} (over {SKEW_FAIL.total_seconds():g} s).", fix)
    if skew > SKEW_WARN:
        return warn(f"{said} (over {SKEW_WARN.total_seconds():g} s).", fix)
    return ok(f"{said} (round trip {after - before:.2f} s).")


def broker(context: Context) -> Result:
    """A ping of BROKER_URL; embedded mode has none to ping."""
    settings = context.settings
    if settings.embedded:
        return ok("embedded mode (empty BROKER_URL): an in-memory broker inside `serve`.")
    url = settings.broker_url
    shown = _safe_url(url)
    fix = (
        "Check OUTAGE_NOTIFY_BROKER_URL and that the broker runs and is reachable from this "
        "machine."
    )
    scheme = url.partition("://")[0]
    try:
        if scheme in ("redis", "rediss"):
            with redis.Redis.from_url(
                url, socket_timeout=context.timeout, socket_connect_timeout=context.timeout
            ) as client:
                client.ping()
        else:
            with Connection(url, connect_timeout=context.timeout) as connection:  # type: ignore[no-untyped-call]
                connection.ensure_connection(max_retries=1, timeout=context.timeout)
    except Exception as error:  # redis, kombu and socket errors alike: one sentence
        return fail(f"{shown} does not answer: {type(error).__name__}.", fix)
    return ok(f"{shown} answers.")
