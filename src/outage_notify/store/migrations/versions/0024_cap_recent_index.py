"""The recipient cap's index by person and last change, in place of by person alone

The cap counts a person's sends of the last hour for every batch; by person alone it read every
delivery the person ever had (114 ms a batch of 200 at 400 each, growing with the history).

Revision ID: 0024_cap_recent_index
Revises: 0023_voice
Create Date: 2026-12-06 21:50:00.000000
"""

from __future__ import annotations

import logging
import time

from alembic import op
from sqlalchemy import text

revision = "0024_cap_recent_index"
down_revision = "0023_voice"
branch_labels = None
depends_on = None
log = logging.getLogger(__name__)


NEW = "ix_deliveries_recipient_recent"
OLD = "ix_deliveries_recipient_key"


def upgrade() -> None:
    # Built before the old one goes, so the cap is never without an index.
    _replace_index(build=(NEW, ["recipient_key", "updated_at"]), drop=OLD)


def downgrade() -> None:
    _replace_index(build=(OLD, ["recipient_key"]), drop=NEW)


def _replace_index(*, build: tuple[str, list[str]], drop: str) -> None:
    name, columns = build
    if op.get_context().dialect.name != "postgresql":
        op.create_index(name, "deliveries", columns)
        op.drop_index(drop, table_name="deliveries")
        return
    # CONCURRENTLY: a plain CREATE INDEX holds off every write to deliveries while it waits for
    # the open ones and reads the table; a live fan-out's claims and outcomes would stop for
    # the whole build (tests/store/test_migration_locks.py). It cannot run in a transaction.
    with op.get_context().autocommit_block():
        # An upgrade killed mid-build (kill -9) frees its advisory lock, but its server session
        # builds on: wait for that build rather than drop the index under it (which failed
        # with "tuple concurrently updated"). Each poll is a statement of its own, so this
        # session holds no snapshot the build would wait for.
        building = text(
            "SELECT pid, phase FROM pg_stat_progress_create_index"
            " WHERE index_relid = to_regclass(:name)"
        )
        said = 0.0
        while (running := op.get_bind().execute(building, {"name": name}).first()) is not None:
            # Said every half minute with the server process, which an operator may cancel
            # (pg_cancel_backend) if what it waits for, e.g. a session idle in a transaction,
            # will not end.
            if time.monotonic() - said > 30:
                log.warning(
                    "index %s is being built by an earlier upgrade (server process %s, %s):"
                    " waiting for it",
                    name,
                    running.pid,
                    running.phase,
                )
                said = time.monotonic()
            time.sleep(1)
        # A concurrent build that was interrupted for good leaves an invalid index of that
        # name, which IF NOT EXISTS would keep: drop it and build again.
        invalid = op.get_bind().execute(
            text(
                "SELECT 1 FROM pg_index WHERE indexrelid = to_regclass(:name)"
                " AND indrelid = 'deliveries'::regclass AND NOT indisvalid"
            ),
            {"name": name},
        )
        if invalid.first() is not None:
            op.drop_index(name, table_name="deliveries", postgresql_concurrently=True)
        op.create_index(
            name, "deliveries", columns, postgresql_concurrently=True, if_not_exists=True
        )
        op.drop_index(drop, table_name="deliveries", postgresql_concurrently=True, if_exists=True)
