"""The notification clock: the personal-data mark, the legal notices made, the reminders sent

Revision ID: 0018_notification_clock
Revises: 0017_cause_category
Create Date: 2026-12-05 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_notification_clock"
down_revision = "0017_cause_category"
branch_labels = None
depends_on = None

# BIGINT, but INTEGER on SQLite (the only type it autoincrements).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "personal_data_marks",
        sa.Column("id", ID, nullable=False),
        sa.Column("incident_id", ID, nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("marked_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_personal_data_marks_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_data_marks")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_personal_data_marks_incident_id")),
    )
    op.create_table(
        "notification_notices",
        sa.Column("id", ID, nullable=False),
        sa.Column("incident_id", ID, nullable=False),
        sa.Column("obligation", sa.String(length=40), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notified_by", sa.String(length=100), nullable=False),
        sa.Column("reference", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_notification_notices_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_notices")),
        sa.UniqueConstraint("incident_id", "obligation", name="uq_notification_notices_obligation"),
    )
    op.create_index(
        op.f("ix_notification_notices_incident_id"), "notification_notices", ["incident_id"]
    )
    op.create_table(
        "notification_reminders",
        sa.Column("id", ID, nullable=False),
        sa.Column("incident_id", ID, nullable=False),
        sa.Column("obligation", sa.String(length=40), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_notification_reminders_incident_id_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["update_id"],
            ["updates.id"],
            name=op.f("fk_notification_reminders_update_id_updates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_reminders")),
        sa.UniqueConstraint(
            "incident_id",
            "obligation",
            "threshold",
            name="uq_notification_reminders_threshold",
        ),
    )
    op.create_index(
        op.f("ix_notification_reminders_incident_id"), "notification_reminders", ["incident_id"]
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_notification_reminders_incident_id"), table_name="notification_reminders"
    )
    op.drop_table("notification_reminders")
    op.drop_index(op.f("ix_notification_notices_incident_id"), table_name="notification_notices")
    op.drop_table("notification_notices")
    op.drop_table("personal_data_marks")
