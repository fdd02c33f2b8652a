"""Join the two shipped branches (clocks; accounts + case numbers) into one chain.

Revisions 0002_clocks and 0003_accounts both grew from 0001_core as separate branches
and shipped that way; they are never edited again.  This revision changes no schema:
it only makes every later revision follow one linear chain from here
(tests/test_schema_migrations.py refuses a second head or another branch).

Revision ID: 0004_one_chain
Revises: 0002_clocks, 0003_case_numbers
"""
revision = "0004_one_chain"
down_revision = ("0002_clocks", "0003_case_numbers")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
