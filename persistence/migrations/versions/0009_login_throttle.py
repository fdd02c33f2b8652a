"""login throttling per client address and per account from an address; session generation

Revision ID: 0009_login_throttle
Revises: 0008_notifications
"""
from alembic import op
import sqlalchemy as sa

import persistence.db

revision = "0009_login_throttle"
down_revision = "0008_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", persistence.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", persistence.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("scope"),
    )
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_generation")
    op.drop_table("login_throttle")
