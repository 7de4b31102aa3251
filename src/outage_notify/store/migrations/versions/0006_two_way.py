"""Two-way: acknowledgements and re-notification on deliveries, SMS opt-outs, inbound messages

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 11:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ack_required", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("acked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("acked_via", sa.String(20), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("acked_by", sa.String(200), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("renotified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("unreached_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_delivery_attempts_channel_address", "delivery_attempts", ["channel", "address"]
    )
    op.create_table(
        "sms_opt_outs",
        sa.Column("id", ID, nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("keyword", sa.String(20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sms_opt_outs"),
        sa.UniqueConstraint("phone", name="uq_sms_opt_outs_phone"),
    )
    op.create_table(
        "inbound_messages",
        sa.Column("id", ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("sender", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("provider_id", sa.String(100), nullable=False),
        sa.Column("handled_as", sa.String(20), nullable=False),
        sa.Column("identity", sa.String(200), nullable=False),
        sa.Column("delivery_id", ID, nullable=True),
        sa.Column("incident_id", ID, nullable=True),
        sa.Column("result", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_messages"),
    )
    op.create_index("ix_inbound_messages_at", "inbound_messages", ["at"])
    op.create_index("ix_inbound_messages_incident_id", "inbound_messages", ["incident_id"])
    op.create_index(
        "uq_inbound_messages_channel_provider_id",
        "inbound_messages",
        ["channel", "provider_id"],
        unique=True,
        postgresql_where=sa.text("provider_id <> ''"),
        sqlite_where=sa.text("provider_id <> ''"),
    )


def downgrade() -> None:
    op.drop_table("inbound_messages")
    op.drop_table("sms_opt_outs")
    op.drop_index("ix_delivery_attempts_channel_address", table_name="delivery_attempts")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        for column in (
            "unreached_at",
            "renotified_at",
            "acked_by",
            "acked_via",
            "acked_at",
            "ack_required",
        ):
            batch_op.drop_column(column)
