"""What `outage-notify doctor` asks the database: the schema's revision and the server's clock.

Read-only: nothing here creates a database file, migrates or writes a row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from outage_notify.store.engine import alembic_config, normalise_url


def probe_engine(url: str, *, timeout: float) -> Engine:
    """An engine of one connection whose connect gives up after `timeout` seconds."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # Read-only and never created: a mistyped path must not leave an empty database behind.
        database = parsed.database or ""
        return create_engine(
            f"sqlite:///file:{database}?mode=ro&uri=true",
            connect_args={"timeout": timeout, "check_same_thread": False},
        )
    return create_engine(
        url,
        pool_size=1,
        max_overflow=0,
        connect_args={"connect_timeout": max(int(timeout), 1)},
    )


@dataclass(frozen=True)
class Revisions:
    """The schema's revision in the database and the revisions this installation knows."""

    current: tuple[str, ...]
    heads: tuple[str, ...]
    # Every revision the packaged migrations hold, oldest first.
    known: tuple[str, ...]

    @property
    def behind(self) -> int:
        """How many known revisions the database still lacks (0 when current)."""
        if set(self.current) == set(self.heads):
            return 0
        if not self.current:
            return len(self.known)
        applied = max((self.known.index(r) for r in self.current if r in self.known), default=-1)
        return len(self.known) - 1 - applied

    @property
    def unknown(self) -> tuple[str, ...]:
        """Revisions in the database this installation has no migration for (a newer one ran)."""
        return tuple(r for r in self.current if r not in self.known)


def revisions(engine: Engine) -> Revisions:
    """The database's revision against the packaged migrations' heads."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config(engine))
    known = tuple(reversed([script.revision for script in scripts.walk_revisions()]))
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    return Revisions(tuple(current), tuple(scripts.get_heads()), known)


def server_time(engine: Engine) -> datetime | None:
    """The database server's clock now (UTC); None for SQLite, which runs on this machine's."""
    if engine.dialect.name == "sqlite":
        return None
    with engine.connect() as connection:
        # clock_timestamp(), not now(): now() is when the transaction began.
        value = connection.execute(text("SELECT clock_timestamp()")).scalar_one()
    moment: datetime = value
    return moment.astimezone(UTC)
