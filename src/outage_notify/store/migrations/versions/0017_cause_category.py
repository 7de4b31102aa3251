"""Cause category and security mode on incidents, and an append-only revisions table

Revision ID: 0017_cause_category
Revises: 0008_config_hash
Create Date: 2026-12-05 01:55:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_cause_category"
down_revision = "0008_config_hash"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every incident stored before this revision had no category: "unknown".
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "cause_category", sa.String(length=20), server_default="unknown", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("cause_identified_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("security_since", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "incident_revisions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("old", sa.JSON(), nullable=True),
        sa.Column("new", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_revisions_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_revisions")),
    )
    op.create_index(
        op.f("ix_incident_revisions_incident_id"), "incident_revisions", ["incident_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_incident_revisions_incident_id"), table_name="incident_revisions")
    op.drop_table("incident_revisions")
    # Not a batch: on SQLite a batch copies the table, which other tables' rows refer to
    # (foreign keys on); SQLite 3.35+ drops a plain column in place.
    for column in ("security_since", "cause_identified_at", "cause_category"):
        op.drop_column("incidents", column)
