"""clocks table (statutory periods of cases)

Revision ID: 0002_clocks
Revises: 0001_core
"""
from alembic import op
import sqlalchemy as sa

import persistence.db

revision = "0002_clocks"
down_revision = "0001_core"
branch_labels = ("clocks",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clocks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("instance", sa.String(length=120), nullable=False, server_default=""),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("unit_code", sa.String(length=64), nullable=True),
        sa.Column("start", persistence.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due", persistence.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("original_due", persistence.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("working_days", sa.Boolean(), nullable=False),
        sa.Column("extended_days", sa.Integer(), nullable=False),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("paused_at", persistence.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paused_seconds", sa.Integer(), nullable=False),
        sa.Column("stopped_at", persistence.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("no_holiday_data", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "name", "instance", name="uq_clocks_case_name_instance"),
    )
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.create_index("ix_clocks_case_id", ["case_id"], unique=False)
        batch_op.create_index("ix_clocks_open_due", ["stopped_at", "due"], unique=False)
        batch_op.create_index("ix_clocks_unit_kind_due", ["unit_code", "kind", "due"], unique=False)
        batch_op.create_index("ix_clocks_kind_stopped", ["kind", "stopped_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("clocks", schema=None) as batch_op:
        batch_op.drop_index("ix_clocks_kind_stopped")
        batch_op.drop_index("ix_clocks_unit_kind_due")
        batch_op.drop_index("ix_clocks_open_due")
        batch_op.drop_index("ix_clocks_case_id")
    op.drop_table("clocks")
