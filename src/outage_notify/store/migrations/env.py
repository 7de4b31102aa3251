"""Alembic environment: runs against the engine handed in by `store.engine.upgrade`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from outage_notify.store.tables import Base

config = context.config
engine: Engine | None = config.attributes.get("engine")
if engine is None:
    from outage_notify.config.settings import Settings
    from outage_notify.store.engine import create_store_engine

    engine = create_store_engine(Settings().database_url)

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table by copying it and dropping the old one; with foreign keys
        # enforced, dropping a table other rows point at (updates, under deliveries) fails.
        # SQLite ignores this pragma inside a transaction: set on the raw connection first.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
    if sqlite:
        raw = connection.connection.driver_connection
        # What the pragma did not check during the rebuild is checked once, now.
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()  # type: ignore[union-attr]
        raw.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
        if broken:
            raise RuntimeError(
                f"the migration left rows whose foreign keys point nowhere: {broken}"
            )
