"""Corrections: when staff withdrew an incident as a mistake (it leaves the public page), and
the components an update added or found working again

Revision ID: 0008_corrections
Revises: 0008_eta
Create Date: 2026-12-04 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_corrections"
down_revision = "0008_eta"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("updates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scope", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("updates", schema=None) as batch_op:
        batch_op.drop_column("scope")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("retracted_at")
