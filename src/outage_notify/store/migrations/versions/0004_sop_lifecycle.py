"""SOP lifecycle: ETA history, action items, probe results, incident lead and verification

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 08:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lead", sa.String(200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("root_cause", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("reminded_for", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("verify_passes", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("updates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipients", sa.JSON(), nullable=True))
    op.create_table(
        "eta_history",
        sa.Column("id", ID, nullable=False),
        sa.Column("incident_id", ID, nullable=False),
        sa.Column("eta", sa.DateTime(timezone=True), nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(100), nullable=False),
        sa.Column("announced", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_eta_history_incident_id_incidents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_eta_history"),
    )
    op.create_index("ix_eta_history_incident_id", "eta_history", ["incident_id"])
    op.create_table(
        "action_items",
        sa.Column("id", ID, nullable=False),
        sa.Column("incident_id", ID, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_action_items_incident_id_incidents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_action_items"),
    )
    op.create_index("ix_action_items_incident_id", "action_items", ["incident_id"])
    op.create_table(
        "probe_results",
        sa.Column("id", ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("stage", sa.String(40), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("smtp_seconds", sa.Float(), nullable=True),
        sa.Column("imap_seconds", sa.Float(), nullable=True),
        sa.Column("total_seconds", sa.Float(), nullable=False),
        sa.Column("incident_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name="fk_probe_results_incident_id_incidents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_probe_results"),
    )
    op.create_index("ix_probe_results_at", "probe_results", ["at"])


def downgrade() -> None:
    op.drop_table("probe_results")
    op.drop_table("action_items")
    op.drop_table("eta_history")
    with op.batch_alter_table("updates", schema=None) as batch_op:
        batch_op.drop_column("recipients")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        for column in ("verify_passes", "reminded_for", "root_cause", "lead"):
            batch_op.drop_column(column)
