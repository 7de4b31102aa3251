"""Voice escalation: one row per phone call, claimed before it is placed

Revision ID: 0023_voice
Revises: 0021_maintenance
Create Date: 2026-12-05 22:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_voice"
down_revision = "0021_maintenance"
branch_labels = None
depends_on = None

# BIGINT, but INTEGER on SQLite (the only type it autoincrements).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "voice_calls",
        sa.Column("id", ID, nullable=False),
        sa.Column("incident_id", ID, nullable=False),
        sa.Column("delivery_id", ID, nullable=False),
        sa.Column("recipient_key", sa.String(length=300), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("call_sid", sa.String(length=64), nullable=False),
        sa.Column("answered_by", sa.String(length=30), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "recipient_key", "attempt", name="uq_voice_calls_slot"),
    )
    op.create_index("ix_voice_calls_incident_id", "voice_calls", ["incident_id"])
    op.create_index("ix_voice_calls_call_sid", "voice_calls", ["call_sid"])


def downgrade() -> None:
    op.drop_index("ix_voice_calls_call_sid", table_name="voice_calls")
    op.drop_index("ix_voice_calls_incident_id", table_name="voice_calls")
    op.drop_table("voice_calls")
