"""case_search table: indexed fields of 案件查询

Revision ID: 0006_case_search
Revises: 0005_documents

Existing cases get their rows from the summary the engine already keeps (without the
phone number, which older summaries did not copy; it appears after the case's next step).
"""
import json

from alembic import op
import sqlalchemy as sa

import persistence.db

revision = "0006_case_search"
down_revision = "0005_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_search",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("case_no", sa.String(length=64), nullable=True),
        sa.Column("petitioner_name", sa.String(length=100), nullable=True),
        sa.Column("id_number", sa.String(length=32), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("handling_unit", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("received_at", persistence.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_case_search_received", "case_search", ["received_at", "case_id"])
    op.create_index("ix_case_search_case_no", "case_search", ["case_no", "case_id"])
    op.create_index("ix_case_search_petitioner_name", "case_search", ["petitioner_name"])
    op.create_index("ix_case_search_id_number", "case_search", ["id_number"])
    op.create_index("ix_case_search_phone", "case_search", ["phone"])
    from engine.case_search import row_from_summary

    bind = op.get_bind()
    table = sa.table("case_search", *(sa.column(c) for c in (
        "case_id", "case_no", "petitioner_name", "id_number", "phone", "handling_unit", "title", "text")),
        sa.column("received_at", persistence.db.UTCDateTime(timezone=True)))
    cases = sa.table("cases", sa.column("id"), sa.column("summary"),
                     sa.column("started_at", persistence.db.UTCDateTime(timezone=True)))
    rows = []
    for case_id, summary, started_at in bind.execute(sa.select(cases.c.id, cases.c.summary, cases.c.started_at)):
        if isinstance(summary, str):
            summary = json.loads(summary or "{}")
        row = row_from_summary(summary or {})
        if row is not None:
            rows.append({"case_id": case_id, "received_at": started_at, **row})
        if len(rows) >= 1000:
            op.bulk_insert(table, rows)
            rows = []
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_table("case_search")
