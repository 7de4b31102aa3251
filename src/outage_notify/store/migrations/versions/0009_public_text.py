"""Public text: incidents.public_title (staff's title for the status page) and updates.public
(whether an update's message may be shown there)

Revision ID: 0007_public_text
Revises: 0007_event_states
Create Date: 2026-12-04 15:40:00.000000

Updates stored before this revision are not public: their message may be automatic text built
from alert labels, and nothing recorded tells it apart from staff text.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_public_text"
down_revision = "0007_event_states"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("public_title", sa.String(300), server_default="", nullable=False)
        )
    with op.batch_alter_table("updates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("public", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("updates", schema=None) as batch_op:
        batch_op.drop_column("public")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("public_title")
