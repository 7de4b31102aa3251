"""Updates record the hash of the configuration snapshot (contacts, templates) they were
planned with: live reloads (issue 16) make it differ between updates of one incident

Revision ID: 0008_config_hash
Revises: 0008_reader_timezone
Create Date: 2026-12-05 01:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_config_hash"
down_revision = "0008_reader_timezone"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("updates", sa.Column("config_hash", sa.String(length=16), nullable=True))


def downgrade() -> None:
    # Not batch mode: on SQLite that copies `updates` and drops it, which the foreign keys of
    # deliveries and messages refuse once there are rows. SQLite has DROP COLUMN since 3.35.
    op.execute("ALTER TABLE updates DROP COLUMN config_hash")
