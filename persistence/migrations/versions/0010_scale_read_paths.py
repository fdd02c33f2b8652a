"""Read paths that don't grow with the database (issue 14)

* The workflow state moves from ``cases`` to its own table ``case_states``: lists and
  the access policy read case rows without dragging a few KB of state along.
* ``task_candidates``: the engine now deletes a task's rows when it closes, so 待认领
  reads ready tasks only; a covering index (name, kind, task_id) serves it. Rows of
  tasks closed before this revision are kept (rows are never lost in an upgrade); the
  query skips them by the task's state through a covering index.
* ``tasks`` gets covering indexes for 我的待办 (assignee, state, due_at, created_at,
  case_id), 已办 (completed_by, state, created_at, case_id) and 待认领 (by id);
  ``case_units`` one for the access probe (case, unit, role); ``clocks`` one for the
  open clocks counted without holiday data.
* The unit a 检举控告 accuses is recorded in ``case_units`` with role ``accused`` even
  when it is also involved, so the access policy needs no look at the case summary.

Existing data is carried over.

Revision ID: 0010_scale_read_paths
Revises: 0009_login_throttle
"""
from alembic import op
import sqlalchemy as sa

revision = "0010_scale_read_paths"
down_revision = "0009_login_throttle"
branch_labels = None
depends_on = None

ACCUSED = "accused"

cases = sa.table("cases", sa.column("id", sa.String), sa.column("summary", sa.JSON))
case_units = sa.table("case_units", sa.column("case_id", sa.String), sa.column("unit_code", sa.String),
                      sa.column("role", sa.String))


def upgrade() -> None:
    op.create_table(
        "case_states",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("serializer_version", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.execute("INSERT INTO case_states (case_id, state, serializer_version) "
               "SELECT id, state, COALESCE(serializer_version, '') FROM cases WHERE state IS NOT NULL")
    # Plain ALTER TABLE (SQLite >= 3.35 and PostgreSQL): a batch copy of ``cases`` would
    # drop the old table, and with foreign keys on that cascades to every child row.
    op.execute("ALTER TABLE cases DROP COLUMN state")
    op.execute("ALTER TABLE cases DROP COLUMN serializer_version")

    op.drop_index("ix_task_candidates_name", table_name="task_candidates")
    op.create_index("ix_task_candidates_name_kind_task", "task_candidates", ["name", "kind", "task_id"])
    op.drop_index("ix_tasks_assignee_state", table_name="tasks")
    op.create_index("ix_tasks_assignee_state_due", "tasks", ["assignee", "state", "due_at", "created_at", "case_id"])
    op.create_index("ix_tasks_completed_by_state_created", "tasks",
                    ["completed_by", "state", "created_at", "case_id"])
    op.create_index("ix_tasks_id_cover", "tasks", ["id", "state", "assignee", "due_at", "created_at", "case_id"])
    op.create_index("ix_case_units_case_unit_role", "case_units", ["case_id", "unit_code", "role"])
    op.create_index("ix_clocks_no_holiday_stopped", "clocks", ["no_holiday_data", "stopped_at"])

    conn = op.get_bind()
    have = {(c, u): r for c, u, r in conn.execute(sa.select(case_units.c.case_id, case_units.c.unit_code,
                                                            case_units.c.role))}
    for case_id, summary in conn.execute(sa.select(cases.c.id, cases.c.summary)):
        accused = (summary or {}).get("accused_unit")
        if not isinstance(accused, str) or not accused:
            continue
        accused = accused[:64]
        if (case_id, accused) not in have:
            conn.execute(case_units.insert().values(case_id=case_id, unit_code=accused, role=ACCUSED))
        elif have[(case_id, accused)] != ACCUSED:
            conn.execute(case_units.update().where(case_units.c.case_id == case_id,
                                                   case_units.c.unit_code == accused).values(role=ACCUSED))


def downgrade() -> None:
    op.drop_index("ix_clocks_no_holiday_stopped", table_name="clocks")
    op.drop_index("ix_case_units_case_unit_role", table_name="case_units")
    op.drop_index("ix_tasks_id_cover", table_name="tasks")
    op.drop_index("ix_tasks_completed_by_state_created", table_name="tasks")
    op.drop_index("ix_tasks_assignee_state_due", table_name="tasks")
    op.create_index("ix_tasks_assignee_state", "tasks", ["assignee", "state"])
    op.drop_index("ix_task_candidates_name_kind_task", table_name="task_candidates")
    op.create_index("ix_task_candidates_name", "task_candidates", ["name"])
    op.add_column("cases", sa.Column("state", sa.LargeBinary(), nullable=True))
    op.add_column("cases", sa.Column("serializer_version", sa.String(length=20), nullable=True))
    op.execute("UPDATE cases SET state = (SELECT s.state FROM case_states s WHERE s.case_id = cases.id), "
               "serializer_version = (SELECT s.serializer_version FROM case_states s WHERE s.case_id = cases.id)")
    op.drop_table("case_states")
