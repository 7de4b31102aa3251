"""Scheduled maintenance: the windows, the steps each took, and their timelines

Revision ID: 0021_maintenance
Revises: 0018_notification_clock
Create Date: 2026-12-05 22:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_maintenance"
down_revision = "0020_subscribers"
branch_labels = None
depends_on = None

# BIGINT, but INTEGER on SQLite (the only type it autoincrements).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # "maintenance_completed" is 21 characters: update kinds get 30.
    with op.batch_alter_table("updates") as batch_op:
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=20), type_=sa.String(length=30)
        )
    op.create_table(
        "maintenances",
        sa.Column("id", ID, nullable=False),
        sa.Column("service", sa.String(length=100), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("planned_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("public_text", sa.Text(), nullable=False),
        sa.Column("audiences", sa.JSON(), nullable=True),
        sa.Column("require_probes", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("firing", sa.JSON(), nullable=False),
        sa.Column("incident_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_maintenances_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenances")),
    )
    op.create_index(op.f("ix_maintenances_incident_id"), "maintenances", ["incident_id"])
    op.create_index(op.f("ix_maintenances_starts_at"), "maintenances", ["starts_at"])
    op.create_index(op.f("ix_maintenances_state"), "maintenances", ["state"])
    op.create_table(
        "maintenance_steps",
        sa.Column("id", ID, nullable=False),
        sa.Column("maintenance_id", ID, nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("announced", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["maintenance_id"],
            ["maintenances.id"],
            name=op.f("fk_maintenance_steps_maintenance_id_maintenances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_steps")),
        sa.UniqueConstraint("maintenance_id", "key", name="uq_maintenance_steps_key"),
    )
    op.create_index(
        op.f("ix_maintenance_steps_maintenance_id"), "maintenance_steps", ["maintenance_id"]
    )
    op.create_table(
        "maintenance_timeline",
        sa.Column("id", ID, nullable=False),
        sa.Column("maintenance_id", ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["maintenance_id"],
            ["maintenances.id"],
            name=op.f("fk_maintenance_timeline_maintenance_id_maintenances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_timeline")),
    )
    op.create_index(
        op.f("ix_maintenance_timeline_maintenance_id"), "maintenance_timeline", ["maintenance_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_maintenance_timeline_maintenance_id"), table_name="maintenance_timeline")
    op.drop_table("maintenance_timeline")
    op.drop_index(op.f("ix_maintenance_steps_maintenance_id"), table_name="maintenance_steps")
    op.drop_table("maintenance_steps")
    op.drop_index(op.f("ix_maintenances_state"), table_name="maintenances")
    op.drop_index(op.f("ix_maintenances_starts_at"), table_name="maintenances")
    op.drop_index(op.f("ix_maintenances_incident_id"), table_name="maintenances")
    op.drop_table("maintenances")
    with op.batch_alter_table("updates") as batch_op:
        batch_op.alter_column(
            "kind", existing_type=sa.String(length=30), type_=sa.String(length=20)
        )
