"""number_counters table (case numbers without duplicates)

Revision ID: 0003_case_numbers
Revises: 0003_accounts
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_case_numbers"
down_revision = "0003_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "number_counters",
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix"),
    )


def downgrade() -> None:
    op.drop_table("number_counters")
