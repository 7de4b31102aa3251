"""Event states: pending, applied or failed, with the error, attempts and the lead notice

Revision ID: 0007_event_states
Revises: 0007_claim_owner
Create Date: 2026-12-04 15:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_event_states"
down_revision = "0007_claim_owner"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("state", sa.String(20), server_default="pending", nullable=False)
        )
        batch_op.add_column(sa.Column("error", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("lead_told_at", sa.DateTime(timezone=True), nullable=True))
    # Every event processed before this revision was applied (a failure rolled back).
    op.execute("UPDATE events SET state = 'applied', attempts = 1 WHERE processed_at IS NOT NULL")
    op.create_index("ix_events_state", "events", ["state"])


def downgrade() -> None:
    op.drop_index("ix_events_state", table_name="events")
    # A failed event would look applied to the old code, which only knows `processed_at`:
    # make it pending again so it is retried (and blocks its service, as it did before).
    op.execute("UPDATE events SET processed_at = NULL WHERE state = 'failed'")
    with op.batch_alter_table("events", schema=None) as batch_op:
        for column in ("lead_told_at", "attempts", "error", "state"):
            batch_op.drop_column(column)
