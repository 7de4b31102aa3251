"""Times in the reader's zone: deliveries and messages carry the readers' time zone, and a
message is rendered once per (update, audience, channel, locale, zone)

Revision ID: 0008_reader_timezone
Revises: 0008_corrections
Create Date: 2026-12-04 18:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_reader_timezone"
down_revision = "0008_corrections"
branch_labels = None
depends_on = None

OLD_KEY = ["update_id", "audience", "channel", "locale"]


def upgrade() -> None:
    # "" is the organisation's zone: every row written before this revision was rendered in it.
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("timezone", sa.String(length=64), server_default="", nullable=False)
        )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("timezone", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.drop_constraint("uq_messages_key", type_="unique")
        batch_op.create_unique_constraint("uq_messages_key", [*OLD_KEY, "timezone"])


def downgrade() -> None:
    # Only the organisation's bodies fit the old key; the others cannot be kept.
    op.execute("DELETE FROM messages WHERE timezone <> ''")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_constraint("uq_messages_key", type_="unique")
        batch_op.create_unique_constraint("uq_messages_key", OLD_KEY)
        batch_op.drop_column("timezone")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("timezone")
