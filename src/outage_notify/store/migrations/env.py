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
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
