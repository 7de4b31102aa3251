"""Self-subscription: subscribers and the confirmation codes sent to them

Revision ID: 0020_subscribers
Revises: 0018_notification_clock
Create Date: 2026-12-05 21:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_subscribers"
down_revision = "0018_notification_clock"
branch_labels = None
depends_on = None

# BIGINT, but INTEGER on SQLite (the only type it autoincrements).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("id", ID, nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("locale", sa.String(length=20), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("subscribed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscribers")),
        sa.UniqueConstraint("phone", name=op.f("uq_subscribers_phone")),
    )
    op.create_table(
        "subscription_codes",
        sa.Column("id", ID, nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=20), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_codes")),
    )
    op.create_index(
        "ix_subscription_codes_phone_sent_at", "subscription_codes", ["phone", "sent_at"]
    )
    op.create_index(op.f("ix_subscription_codes_sent_at"), "subscription_codes", ["sent_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_subscription_codes_sent_at"), table_name="subscription_codes")
    op.drop_index("ix_subscription_codes_phone_sent_at", table_name="subscription_codes")
    op.drop_table("subscription_codes")
    op.drop_table("subscribers")
