"""notifications, notification_reads, notification_marks: the in-app bell

Revision ID: 0008_notifications
Revises: 0007_bulletins
"""
from alembic import op
import sqlalchemy as sa

import persistence.db

revision = "0008_notifications"
down_revision = "0007_bulletins"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("recipient", sa.String(length=140), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=True),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("due_at", persistence.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("at", persistence.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "task_id", "recipient", name="uq_notifications_kind_task_recipient"),
    )
    op.create_index("ix_notifications_recipient_id", "notifications", ["recipient", "id"])
    op.create_table(
        "notification_reads",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["notification_id"], ["notifications.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("username", "notification_id"),
    )
    op.create_table(
        "notification_marks",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("read_upto", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )


def downgrade() -> None:
    op.drop_table("notification_marks")
    op.drop_table("notification_reads")
    op.drop_index("ix_notifications_recipient_id", table_name="notifications")
    op.drop_table("notifications")
