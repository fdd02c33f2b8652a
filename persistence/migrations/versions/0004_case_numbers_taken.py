"""case_numbers table: every case number handed out, unique by its primary key

Revision ID: 0004_case_numbers_taken
Revises: 0004_one_chain

Numbers already in use (business keys XF<yyyymmdd><nnnn> of existing cases, including
duplicates the demo loader made before this revision) are recorded once each, and each
day's counter is moved past the highest of them, so the next registration cannot repeat
a number.
"""
import re

from alembic import op
import sqlalchemy as sa

import persistence.db

revision = "0004_case_numbers_taken"
down_revision = "0004_one_chain"
branch_labels = None
depends_on = None

CASE_NUMBER = re.compile(r"(XF\d{8})(\d{4,})")


def upgrade() -> None:
    op.create_table(
        "case_numbers",
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("allocated_at", persistence.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_index("ix_case_numbers_prefix", "case_numbers", ["prefix"])
    bind = op.get_bind()
    now = persistence.db.utcnow()
    highest: dict[str, int] = {}
    taken = []
    keys = bind.execute(sa.text("SELECT DISTINCT business_key FROM cases WHERE business_key LIKE 'XF%'"))
    for (key,) in keys:
        match = CASE_NUMBER.fullmatch(key or "")
        if not match:
            continue
        prefix, seq = match.group(1), int(match.group(2))
        taken.append({"number": key, "prefix": prefix, "allocated_at": now})
        highest[prefix] = max(highest.get(prefix, 0), seq)
    numbers = sa.table("case_numbers", sa.column("number"), sa.column("prefix"),
                       sa.column("allocated_at", persistence.db.UTCDateTime(timezone=True)))
    if taken:
        op.bulk_insert(numbers, taken)
    for prefix, seq in highest.items():
        last = bind.execute(sa.text("SELECT last FROM number_counters WHERE prefix = :p"), {"p": prefix}).scalar()
        if last is None:
            bind.execute(sa.text("INSERT INTO number_counters (prefix, last) VALUES (:p, :n)"), {"p": prefix, "n": seq})
        elif last < seq:
            bind.execute(sa.text("UPDATE number_counters SET last = :n WHERE prefix = :p"), {"p": prefix, "n": seq})


def downgrade() -> None:
    op.drop_index("ix_case_numbers_prefix", table_name="case_numbers")
    op.drop_table("case_numbers")
