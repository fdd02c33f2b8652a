"""bulletins archive (日调度、周通报、月分析、每日信访)

Revision ID: 0007_bulletins
Revises: 0006_case_search
"""
from alembic import op
import sqlalchemy as sa

import persistence.db

revision = "0007_bulletins"
down_revision = "0006_case_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bulletins",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("generated_at", persistence.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("generated_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "day"),
    )
    op.create_index(op.f("ix_bulletins_day"), "bulletins", ["day"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_bulletins_day"), table_name="bulletins")
    op.drop_table("bulletins")
