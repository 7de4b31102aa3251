"""Flood control: digests of held news on deliveries, the cap's per-person index, resolve hold

Revision ID: 0007_flood_control
Revises: 0007_public_text
Create Date: 2026-12-04 15:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_flood_control"
down_revision = "0007_public_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest_body", sa.Text(), server_default="", nullable=False))
    op.create_index("ix_deliveries_recipient_key", "deliveries", ["recipient_key"])
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("alerts_clear_since", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("alerts_clear_since")
    op.drop_index("ix_deliveries_recipient_key", table_name="deliveries")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("digest_body")
