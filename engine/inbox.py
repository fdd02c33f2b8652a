"""The task table: written from the workflow after each step, queried by every inbox."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins import UserTaskMixin
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine import records, status
from engine.errors import InvalidInput, ScriptError
from engine.groups import resolve as resolve_groups, responsible_unit
from engine.orgchart import split_group
from engine.parser import user_task_attributes
from persistence.accounts import find_user_by_username
from persistence.models import Case, Task, TaskCandidate

SORT_COLUMNS = {
    "due": Task.due_at,
    "dueDate": Task.due_at,
    "created": Task.created_at,
    "name": Task.name,
    "priority": Task.priority,
    "followUpDate": Task.follow_up_at,
    "assignee": Task.assignee,
    "id": Task.id,
}


@dataclass
class TaskInfo:
    """A user task as inboxes, forms and the REST API see it."""

    id: str
    case_id: str
    process_key: str
    activity_id: str
    name: str | None
    state: str
    assignee: str | None
    candidate_groups: list[str]
    candidate_users: list[str]
    unit_code: str | None
    lane: str | None
    due: dt.datetime | None
    follow_up: dt.datetime | None
    priority: int
    form_key: str | None
    created_at: dt.datetime
    completed_at: dt.datetime | None
    completed_by: str | None
    documentation: str | None
    business_key: str | None = None
    definition_id: str | None = None
    case_summary: dict[str, Any] = field(default_factory=dict)


def task_info(row: Task, case: Case | None = None) -> TaskInfo:
    """Caller-facing view of a task row (with its case's summary when given)."""
    return TaskInfo(
        id=row.id, case_id=row.case_id, process_key=row.process_key, activity_id=row.activity_id, name=row.name,
        state=row.state, assignee=row.assignee, candidate_groups=list(row.candidate_groups or []),
        candidate_users=list(row.candidate_users or []), unit_code=row.unit_code, lane=row.lane, due=row.due_at,
        follow_up=row.follow_up_at, priority=row.priority, form_key=row.form_key, created_at=row.created_at,
        completed_at=row.completed_at, completed_by=row.completed_by, documentation=row.documentation,
        business_key=case.business_key if case else None, definition_id=case.definition_id if case else None,
        case_summary=dict(case.summary or {}) if case else {},
    )


# ---------------------------------------------------------------------- writing
def _interpolate(text: str, task, script_engine) -> Any:
    """Evaluate a Camunda attribute value: plain text, one ``${expr}``, or text mixing both."""
    if "{" not in text:
        return text
    try:
        return script_engine.evaluate_text(task, text)
    except ScriptError:
        raise
    except Exception as exc:  # every evaluation failure becomes one clear error
        raise ScriptError(f"任务“{task.task_spec.bpmn_name or task.task_spec.name}”的表达式 {text!r} 求值失败：{exc}") from exc


def _interpolate_all(attrs: dict[str, str], names: tuple[str, ...], task, script_engine) -> dict[str, Any]:
    """The values of several Camunda attributes of one task, evaluated in one round trip."""
    texts = {name: attrs[name] for name in names if name in attrs}
    dynamic = [name for name, text in texts.items() if "{" in text]
    values = {name: text for name, text in texts.items() if name not in dynamic}
    if len(dynamic) > 1 and hasattr(script_engine, "evaluate_texts"):
        try:
            values.update(zip(dynamic, script_engine.evaluate_texts(task, [texts[n] for n in dynamic])))
        except ScriptError:
            raise
        except Exception as exc:  # every evaluation failure becomes one clear error
            raise ScriptError(f"任务“{task.task_spec.bpmn_name or task.task_spec.name}”的表达式求值失败：{exc}") from exc
    else:
        values.update({name: _interpolate(texts[name], task, script_engine) for name in dynamic})
    return values


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        items = value
    else:
        items = str(value).split(",")
    return [str(i).strip() for i in items if str(i).strip()]


def _as_datetime(value: Any, what: str, task) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        when = value
    elif isinstance(value, dt.date):
        when = dt.datetime.combine(value, dt.time(23, 59, 59), dt.timezone(dt.timedelta(hours=8)))
    else:
        try:
            when = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise ScriptError(f"任务“{task.task_spec.bpmn_name}”的{what} {value!r} 不是 ISO 8601 日期时间") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))  # the county's local time
    return when.astimezone(dt.timezone.utc)


def ready_user_tasks(wf) -> list:
    """READY user tasks of a workflow and all its subprocesses."""
    return [t for t in wf.get_tasks(state=TaskState.READY) if isinstance(t.task_spec, UserTaskMixin)]


def sync_tasks(s: Session, case, wf, script_engine, now: dt.datetime, ready_tasks: list | None = None,
               closed_ids: tuple[str, ...] = ()) -> list:
    """Insert rows for newly ready user tasks, close rows whose task is no longer ready.

    ``ready_tasks`` are the workflow's ready user tasks when the caller has them;
    ``closed_ids`` are tasks the command itself closed (their candidate rows go too).
    Returns the case's open task rows after the step.
    """
    open_rows = {r.id: r for r in records.open_tasks(s, case.id)}
    ready = {str(t.id): t for t in (ready_user_tasks(wf) if ready_tasks is None else ready_tasks)}
    still_open, new_rows, closed = [], [], list(closed_ids)
    for task_id, row in open_rows.items():
        if task_id in ready:
            still_open.append(row)
            continue
        t = _find(wf, task_id)
        status.move_task(row, "completed" if t is not None and t.has_state(TaskState.COMPLETED) else "cancelled")
        row.completed_at = row.completed_at or now
        records.update_task(s, row, "state", "completed_at")
        closed.append(row.id)
    records.delete_candidates(s, closed)
    starter_unit = _starter_unit(s, case)
    for task_id, t in ready.items():
        if task_id not in open_rows:
            new_rows.append(_new_row(case, t, script_engine, now, starter_unit))
    records.insert_tasks(s, new_rows)
    return still_open + new_rows


def _find(wf, task_id: str):
    try:
        return wf.get_task_from_id(UUID(task_id))
    except Exception:
        return None


def _starter_unit(s: Session, case):
    """The unit of the user who started the case, looked up once and only when asked."""
    found: list[str | None] = []

    def lookup() -> str | None:
        if not found:
            user = find_user_by_username(s, case.started_by) if case.started_by else None
            found.append(user.unit_code if user is not None else None)
        return found[0]
    return lookup


def _new_row(case: Case, t, script_engine, now: dt.datetime, starter_unit=lambda: None) -> Task:
    attrs = user_task_attributes(t.task_spec)
    value = _interpolate_all(attrs, ("candidateGroups", "candidateUsers", "assignee", "dueDate", "followUpDate",
                                     "priority"), t, script_engine)
    groups = _as_list(value["candidateGroups"]) if "candidateGroups" in attrs else []
    # bare names as Camunda Modeler users write them become unit:role (engine/groups.py)
    groups = resolve_groups(groups, lambda: responsible_unit(t.data, starter_unit),
                            t.task_spec.bpmn_name or t.task_spec.name)
    users = _as_list(value["candidateUsers"]) if "candidateUsers" in attrs else []
    assignee = value["assignee"] if "assignee" in attrs else None
    due = _as_datetime(value["dueDate"], "期限 dueDate", t) if "dueDate" in attrs else None
    follow = _as_datetime(value["followUpDate"], "跟进日期", t) if "followUpDate" in attrs else None
    priority = 50
    if "priority" in attrs:
        try:
            priority = int(value["priority"])
        except (TypeError, ValueError):
            raise ScriptError(f"任务“{t.task_spec.bpmn_name}”的优先级 {attrs['priority']!r} 不是整数") from None
    unit = next((u for u, _ in map(split_group, groups) if u), None)
    form = getattr(t.task_spec, "form", None)
    return records.TaskRecord(
        id=str(t.id), case_id=case.id, process_key=t.workflow.spec.name, activity_id=t.task_spec.name,
        name=t.task_spec.bpmn_name or t.task_spec.name, state="ready",
        assignee=str(assignee) if assignee not in (None, "") else None,
        candidate_groups=groups, candidate_users=users, unit_code=unit, lane=t.task_spec.lane,
        due_at=due, follow_up_at=follow, priority=priority,
        form_key=(attrs.get("formKey") or getattr(form, "key", None) or None),
        documentation=t.task_spec.documentation, created_at=now, completed_at=None, completed_by=None,
    )


# ---------------------------------------------------------------------- reading
def task_query(*, case_id=None, assignee=None, candidate_groups=None, candidate_users=None, unassigned=None,
               process_key=None, state="ready", due_before=None, due_after=None,
               unit_codes=None, task_filter=None, completed_by=None, name_like=None, category=None,
               domain=None, overdue_at=None, business_key=None, activity_id=None):
    """A select() of Task rows matching the filters (all optional, AND-ed)."""
    q = select(Task)
    if state:
        q = q.where(Task.state == state)
    if case_id:
        q = q.where(Task.case_id == case_id)
    if assignee:
        q = q.where(Task.assignee == assignee)
    if unassigned:
        q = q.where(Task.assignee.is_(None))
    if candidate_groups is not None or candidate_users is not None:
        conds = []
        # Driven from the candidate rows (ready tasks only, covering index name/kind/task_id),
        # so the work is the group's open tasks, never a walk over every ready task.
        if candidate_groups:
            conds.append(Task.id.in_(select(TaskCandidate.task_id).where(
                TaskCandidate.name.in_(list(candidate_groups)), TaskCandidate.kind == "group")))
        if candidate_users:
            conds.append(Task.id.in_(select(TaskCandidate.task_id).where(
                TaskCandidate.name.in_(list(candidate_users)), TaskCandidate.kind == "user")))
        q = q.where(or_(*conds)) if conds else q.where(False)
    if completed_by:
        q = q.where(Task.completed_by == completed_by)
    if process_key:
        q = q.where(Task.process_key == process_key)
    if activity_id:
        q = q.where(Task.activity_id == activity_id)
    if due_before:
        q = q.where(Task.due_at <= due_before)
    if due_after:
        q = q.where(Task.due_at >= due_after)
    if overdue_at:
        q = q.where(Task.due_at < overdue_at)
    if unit_codes:
        q = q.where(Task.unit_code.in_(list(unit_codes)))
    if name_like:
        q = q.where(Task.name.contains(name_like))
    if business_key or category or domain:
        q = q.join(Case, Case.id == Task.case_id)
        if business_key:
            q = q.where(Case.business_key == business_key)
        if category:
            q = q.where(Case.summary["category"].as_string() == category)
        if domain:
            q = q.where(Case.summary["domain"].as_string() == domain)
    if task_filter is not None:
        q = q.where(task_filter)
    return q


def _sorted(q, sort_by: str, descending: bool):
    col = SORT_COLUMNS.get(sort_by)
    if col is None:
        raise InvalidInput(f"不支持按 {sort_by!r} 排序", {"sortBy": "unknown sort key"})
    order = col.desc() if descending else col.asc()
    if col is Task.created_at or col is Task.id:  # never NULL: the index on it gives the order
        return q.order_by(order, Task.id.desc() if descending else Task.id)
    # NULL due dates last either way; then a stable tie-breaker.
    return q.order_by(col.is_(None), order, Task.created_at, Task.id)


# No list answers more than this many tasks at once (REST clients page with firstResult).
LIST_LIMIT = 1000


def list_tasks(s: Session, *, sort_by: str = "due", descending: bool = False, offset: int = 0,
               limit: int | None = None, **filters) -> list[TaskInfo]:
    """Tasks matching the filters, sorted and paginated, each with its case summary.

    The page is found first by id alone (sorting, filtering and the access probe run on
    covering indexes), then only its rows and their cases are read. At most LIST_LIMIT.
    """
    limit = LIST_LIMIT if limit is None else min(max(0, int(limit)), LIST_LIMIT)
    q = _sorted(task_query(**filters).with_only_columns(Task.id), sort_by, descending)
    ids = list(s.scalars(q.offset(max(0, int(offset or 0))).limit(limit)))
    if not ids:
        return []
    found = {r.id: r for r in s.scalars(select(Task).where(Task.id.in_(ids)))}
    rows = [found[i] for i in ids if i in found]
    cases = {c.id: c for c in s.scalars(select(Case).where(Case.id.in_({r.case_id for r in rows})))}
    return [task_info(r, cases.get(r.case_id)) for r in rows]


def count_tasks(s: Session, cap: int | None = None, **filters) -> int:
    """How many tasks match the filters; with ``cap``, counting stops there (an answer of ``cap`` means "cap or more")."""
    for key in ("sort_by", "descending", "offset", "limit"):
        filters.pop(key, None)
    query = task_query(**filters).with_only_columns(Task.id)
    if cap is not None:
        query = query.limit(cap)
    return s.scalar(select(func.count()).select_from(query.subquery())) or 0
