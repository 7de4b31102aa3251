"""Report data kept structured: alert start times on events, a phase transitions table, and
a status on action items

Revision ID: 0008_report_data
Revises: 0007_retry
Create Date: 2026-12-04 18:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_report_data"
down_revision = "0007_retry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=10), server_default="open", nullable=False)
        )
    # Older incidents have no rows here; the report then reads their timeline's transition
    # entries, as it did before.
    op.create_table(
        "phase_transitions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("from_phase", sa.String(length=20), nullable=True),
        sa.Column("to_phase", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_phase_transitions_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phase_transitions")),
    )
    op.create_index(op.f("ix_phase_transitions_incident_id"), "phase_transitions", ["incident_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_phase_transitions_incident_id"), table_name="phase_transitions")
    op.drop_table("phase_transitions")
    with op.batch_alter_table("action_items", schema=None) as batch_op:
        batch_op.drop_column("status")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("started_at")
