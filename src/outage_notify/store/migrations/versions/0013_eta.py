"""ETA as data and staff text: each update keeps the ETA it replaced (the first estimate is
announced as one, a later one as a change, "was ...") and whether staff wrote its message

Revision ID: 0008_eta
Revises: 0008_report_data
Create Date: 2026-12-04 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_eta"
down_revision = "0008_report_data"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("updates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("eta_previous", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("staff_text", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("updates", schema=None) as batch_op:
        batch_op.drop_column("staff_text")
        batch_op.drop_column("eta_previous")
