"""Case and task rows on the engine's hot path, read and written with SQLAlchemy Core.

Every command reads one case (and a task), runs the workflow and writes a handful of
rows.  Doing that through the ORM's unit of work cost several times more than the
workflow step itself, so the commands work on plain records here: one SELECT to
load, explicit INSERT/UPDATE statements to save, the case's version column checked in
the UPDATE's WHERE clause (optimistic lock).  Reads elsewhere may still use the ORM
models; they map the same tables.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from engine.errors import Conflict
from persistence.models import Case, CaseState, CaseUnit, ProcessDefinition, Task, TaskCandidate

CASES = Case.__table__
TASKS = Task.__table__
STATES = CaseState.__table__
CASE_FIELDS = tuple(c.name for c in CASES.columns)
TASK_FIELDS = tuple(c.name for c in TASKS.columns)
_CASE_DATA_FIELDS = tuple(f for f in CASE_FIELDS if f not in ("id", "version"))

# Statements are built once with bound parameters: building and coercing a statement
# per command cost more than running it.
_LOAD_CASE = select(CASES).where(CASES.c.id == bindparam("case_id"))
_LOAD_CASE_LOCKED = _LOAD_CASE.with_for_update()
_JOINED = select(*[c.label(f"t_{c.name}") for c in TASKS.columns],
                 *[c.label(f"c_{c.name}") for c in CASES.columns]).select_from(
    TASKS.join(CASES, CASES.c.id == TASKS.c.case_id)).where(TASKS.c.id == bindparam("task_id"))
_JOINED_LOCKED = _JOINED.with_for_update()
_INSERT_CASE = insert(CASES)
_SAVE_CASE = (update(CASES)
              .where(CASES.c.id == bindparam("_id"), CASES.c.version == bindparam("_version"))
              .values({**{f: bindparam(f) for f in _CASE_DATA_FIELDS}, "version": bindparam("_new_version")}))
_LOAD_STATE = select(STATES.c.state, STATES.c.serializer_version).where(STATES.c.case_id == bindparam("case_id"))
_INSERT_STATE = insert(STATES)
_SAVE_STATE = (update(STATES).where(STATES.c.case_id == bindparam("_case_id"))
               .values(state=bindparam("state"), serializer_version=bindparam("serializer_version")))
_DELETE_CANDIDATES = delete(TaskCandidate.__table__).where(
    TaskCandidate.__table__.c.task_id.in_(bindparam("task_ids", expanding=True)))
_MARK_ACCUSED = (update(CaseUnit.__table__)
                 .where(CaseUnit.__table__.c.case_id == bindparam("_case_id"),
                        CaseUnit.__table__.c.unit_code == bindparam("_unit"))
                 .values(role=bindparam("role")))
_OPEN_TASKS = select(TASKS).where(TASKS.c.case_id == bindparam("case_id"), TASKS.c.state == "ready")
_INSERT_TASKS = insert(TASKS)
_INSERT_CANDIDATES = insert(TaskCandidate.__table__)
_INSERT_UNITS = insert(CaseUnit.__table__)
_DEFINITIONS = ProcessDefinition.__table__
_LATEST_DEFINITION = (select(_DEFINITIONS.c.id, _DEFINITIONS.c.key, _DEFINITIONS.c.name,
                             _DEFINITIONS.c.executable)
                      .where(_DEFINITIONS.c.key == bindparam("key"))
                      .order_by(_DEFINITIONS.c.version.desc()).limit(1))
_DEFINITION_BY_ID = (select(_DEFINITIONS.c.id, _DEFINITIONS.c.key, _DEFINITIONS.c.name, _DEFINITIONS.c.executable)
                     .where(_DEFINITIONS.c.id == bindparam("id")))
_SPEC_JSON = select(_DEFINITIONS.c.spec_json).where(_DEFINITIONS.c.id == bindparam("id"))
# The newest case on a matter that is closed for good, and the newest one still open:
# all a repeat check needs, however many petitions a matter has had.
_TERMINATED_MATTER = (select(CASES.c.id).where(CASES.c.matter_key == bindparam("key"),
                                               CASES.c.matter_status == "terminated")
                      .order_by(CASES.c.started_at.desc()).limit(1))
_OPEN_MATTER = (select(CASES.c.id).where(CASES.c.matter_key == bindparam("key"), CASES.c.status == "running",
                                         (CASES.c.matter_status.is_(None)) | (CASES.c.matter_status != "terminated"))
                .order_by(CASES.c.started_at.desc()).limit(1))


@lru_cache(maxsize=32)
def _update_task_stmt(fields: tuple[str, ...]):
    return update(TASKS).where(TASKS.c.id == bindparam("_id")).values({f: bindparam(f) for f in fields})


class Record:
    """A row as a plain object whose attributes are the table's columns."""

    __slots__ = ("__dict__",)

    def __init__(self, **values: Any):
        self.__dict__.update(values)

    def values(self, fields: Iterable[str]) -> dict[str, Any]:
        """The named attributes as a dict (for INSERT/UPDATE)."""
        return {f: self.__dict__.get(f) for f in fields}

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"{type(self).__name__}({self.__dict__.get('id')!r})"


class CaseRecord(Record):
    """A row of ``cases`` (its workflow state lives in ``case_states``)."""


class TaskRecord(Record):
    """A row of ``tasks``."""


def _case_from(mapping) -> CaseRecord:
    return CaseRecord(**dict(mapping))


def load_case(s: Session, case_id: str, lock: bool) -> CaseRecord | None:
    """The case row, locked FOR UPDATE (PostgreSQL) when ``lock``."""
    row = s.connection().execute(_LOAD_CASE_LOCKED if lock else _LOAD_CASE, {"case_id": case_id}).mappings().first()
    return _case_from(row) if row is not None else None


def load_task_and_case(s: Session, task_id: str, lock: bool) -> tuple[TaskRecord, CaseRecord] | None:
    """A task row with its case row, both locked FOR UPDATE when ``lock``, in one statement."""
    row = s.connection().execute(_JOINED_LOCKED if lock else _JOINED, {"task_id": task_id}).mappings().first()
    if row is None:
        return None
    task = TaskRecord(**{f: row[f"t_{f}"] for f in TASK_FIELDS})
    case = CaseRecord(**{f: row[f"c_{f}"] for f in CASE_FIELDS})
    return task, case


def insert_case(s: Session, case: CaseRecord) -> None:
    """Write a new case row (version 1); its state row is written by the first save."""
    case.version = 1
    case.state_saved = False
    s.connection().execute(_INSERT_CASE, case.values(CASE_FIELDS))


def save_case(s: Session, case: CaseRecord, state: bytes, serializer_version: str) -> None:
    """Write every field of a case and its state, bumping its version; Conflict when someone else saved first."""
    params = case.values(_CASE_DATA_FIELDS)
    params.update(_id=case.id, _version=case.version, _new_version=case.version + 1)
    conn = s.connection()
    result = conn.execute(_SAVE_CASE, params)
    if result.rowcount != 1:
        raise Conflict("案件已被他人同时修改，请刷新后重试")
    case.version += 1
    if case.__dict__.pop("state_saved", True):
        conn.execute(_SAVE_STATE, {"_case_id": case.id, "state": state, "serializer_version": serializer_version})
    else:  # the first save of a new case
        conn.execute(_INSERT_STATE, {"case_id": case.id, "state": state, "serializer_version": serializer_version})


def load_state(s: Session, case_id: str) -> bytes | None:
    """A case's stored workflow state, or None when it has none."""
    row = s.connection().execute(_LOAD_STATE, {"case_id": case_id}).first()
    return row[0] if row is not None else None


def delete_candidates(s: Session, task_ids: list[str]) -> None:
    """Drop the candidate rows of tasks that are no longer ready (待认领 reads ready tasks only)."""
    if task_ids:
        s.connection().execute(_DELETE_CANDIDATES, {"task_ids": list(task_ids)})


def mark_accused(s: Session, case_id: str, unit_code: str) -> None:
    """Turn an involved unit's row into its ``accused`` row (the unit may no longer see the case)."""
    s.connection().execute(_MARK_ACCUSED, {"_case_id": case_id, "_unit": unit_code, "role": "accused"})


def open_tasks(s: Session, case_id: str) -> list[TaskRecord]:
    """The case's ready task rows."""
    rows = s.connection().execute(_OPEN_TASKS, {"case_id": case_id}).mappings()
    return [TaskRecord(**dict(r)) for r in rows]


def insert_tasks(s: Session, tasks: list[TaskRecord]) -> None:
    """Write new task rows and their candidate rows."""
    if not tasks:
        return
    s.connection().execute(_INSERT_TASKS, [t.values(TASK_FIELDS) for t in tasks])
    candidates = [{"task_id": t.id, "kind": kind, "name": name[:128]}
                  for t in tasks
                  for kind, names in (("group", t.candidate_groups), ("user", t.candidate_users))
                  for name in dict.fromkeys(names or [])]
    if candidates:
        s.connection().execute(_INSERT_CANDIDATES, candidates)


def update_task(s: Session, task: TaskRecord, *fields: str) -> None:
    """Write the named fields of a task row."""
    params = task.values(fields)
    params["_id"] = task.id
    s.connection().execute(_update_task_stmt(tuple(fields)), params)


def insert_case_units(s: Session, case_id: str, units: Iterable[tuple[str, str | None]]) -> None:
    """Record units newly related to a case, as (unit code, role or None) pairs."""
    rows = [{"case_id": case_id, "unit_code": u, "role": role} for u, role in units]
    if rows:
        s.connection().execute(_INSERT_UNITS, rows)


def definition_head(s: Session, *, key: str | None = None, definition_id: str | None = None):
    """(id, key, name, executable) of the newest version of ``key`` or of one version; None if unknown.

    The spec itself is not read: the engine keeps it in memory per version.
    """
    if definition_id:
        return s.connection().execute(_DEFINITION_BY_ID, {"id": definition_id}).first()
    return s.connection().execute(_LATEST_DEFINITION, {"key": key}).first()


def spec_json(s: Session, definition_id: str) -> str | None:
    """The serialized spec of a definition version."""
    return s.connection().execute(_SPEC_JSON, {"id": definition_id}).scalar()


def matter_cases(s: Session, matter_key: str) -> tuple[str | None, str | None]:
    """(newest case closed for good, newest open case) on the same matter, each or None."""
    conn = s.connection()
    return (conn.execute(_TERMINATED_MATTER, {"key": matter_key}).scalar(),
            conn.execute(_OPEN_MATTER, {"key": matter_key}).scalar())
