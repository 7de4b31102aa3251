"""The recipient cap's index by person and last change, in place of by person alone

The cap counts a person's sends of the last hour for every batch; by person alone it read every
delivery the person ever had (114 ms a batch of 200 at 400 each, growing with the history).

Revision ID: 0024_cap_recent_index
Revises: 0023_voice
Create Date: 2026-12-06 21:50:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0024_cap_recent_index"
down_revision = "0023_voice"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Built before the old one goes, so the cap is never without an index.
    op.create_index("ix_deliveries_recipient_recent", "deliveries", ["recipient_key", "updated_at"])
    op.drop_index("ix_deliveries_recipient_key", table_name="deliveries")


def downgrade() -> None:
    op.create_index("ix_deliveries_recipient_key", "deliveries", ["recipient_key"])
    op.drop_index("ix_deliveries_recipient_recent", table_name="deliveries")
