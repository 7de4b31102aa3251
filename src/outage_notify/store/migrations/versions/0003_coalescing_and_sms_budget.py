"""coalescing and SMS budgets: updates.phase_change, deliveries by incident and recipient

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 08:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("updates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phase_change", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_deliveries_incident_recipient", ["incident_id", "recipient_key"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_incident_recipient")
    with op.batch_alter_table("updates", schema=None) as batch_op:
        batch_op.drop_column("phase_change")
