"""The access policy: who may see which case and task, and who may act on a task.

This is the one place the decision is made; the HTML UI and the REST API both ask
here.  A case is visible to a user when one of the units involved in it (the
``case_units`` table the engine keeps) is the user's unit, or when the user holds a
county-wide seat.  Whatever cannot be seen answers NotFound, never Forbidden, so an
id of another unit's case reveals nothing (not even that it exists).

Confidentiality of 检举控告 (第三十条第三款, sanction 第四十六条): accusation material and
anything identifying its author must never reach the accused person or unit.  The
unit named by the case's ``accused_unit`` variable is recorded in ``case_units`` with
role ``accused`` and is therefore refused the case, even when it is involved otherwise
and even when it holds a county-wide seat.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from engine import orgchart
from engine.errors import Conflict, Forbidden, NotFound
from persistence.models import Case, CaseUnit, Task

if TYPE_CHECKING:
    from engine.accounts import UserInfo

# Seats that oversee the whole county (督查员/领导 of 信访局, county leadership).
COUNTY_WIDE_SEATS = frozenset({("xfj", "supervisor"), ("xfj", "leader"), ("county-lead", "leader")})
# Roles that see every case wherever the holder sits.
COUNTY_WIDE_ROLES = frozenset({"admin"})
# The case_units role of a unit that must never see the case (检举控告 against it).
ACCUSED = "accused"
# Roles that author processes, not cases: on their own they see only the cases their
# holder started (trying a process out), never petitioners' personal data of the unit.
AUTHORING_ROLES = frozenset({"designer"})


class TaskLike(Protocol):
    assignee: str | None
    candidate_groups: list[str]
    candidate_users: list[str]


def is_county_wide(unit_code: str, roles: list[str]) -> bool:
    """True when a user of ``unit_code`` with ``roles`` may see every case of the county."""
    return any(r in COUNTY_WIDE_ROLES or (unit_code, r) in COUNTY_WIDE_SEATS for r in roles)


def _unit_rows(case_id_column, unit_code: str):
    # The one row case_units may hold for (case, unit): probed by its primary key.
    return exists().where(CaseUnit.case_id == case_id_column, CaseUnit.unit_code == unit_code)


def _visible(case_id_column, user: UserInfo) -> ColumnElement[bool]:
    """SQL condition on a column holding case ids: the cases ``user`` may see.

    Read from ``case_units`` alone (one primary-key probe per row, never a scan of
    cases): involved units have a row with no role; the unit a 检举控告 accuses has its
    row with role ``accused`` (the engine writes it so even when the unit is involved).
    """
    accused = _unit_rows(case_id_column, user.unit_code).where(CaseUnit.role == ACCUSED)
    if user.county_wide:
        return ~accused
    if user.roles and set(user.roles) <= AUTHORING_ROLES:
        # A designer sees the cases they started themselves (trying a process out).
        mine = (Case.started_by == user.username if case_id_column is Case.id
                else exists().where(Case.id == case_id_column, Case.started_by == user.username))
        return and_(mine, ~accused)
    return _unit_rows(case_id_column, user.unit_code).where(
        or_(CaseUnit.role.is_(None), CaseUnit.role != ACCUSED))


def case_filter_for(user: UserInfo) -> ColumnElement[bool]:
    """SQL condition over ``cases`` rows: the cases ``user`` may see."""
    return _visible(Case.id, user)


def visible_case_ids_query(user: UserInfo):
    """A ``select`` of the ids of the cases ``user`` may see (usable in ``IN (...)``)."""
    return select(Case.id).where(case_filter_for(user))


def task_filter_for(user: UserInfo) -> ColumnElement[bool]:
    """SQL condition over ``tasks`` rows: a task is visible exactly when its case is."""
    return _visible(Task.case_id, user)


def can_see_case(session: Session, user: UserInfo, case_id: str) -> bool:
    """True when the case exists and ``user`` may see it."""
    query = select(Case.id).where(Case.id == case_id, case_filter_for(user))
    return session.execute(query).first() is not None


def require_case(session: Session, user: UserInfo, case_id: str) -> None:
    """NotFound unless ``user`` may see the case."""
    if not can_see_case(session, user, case_id):
        raise NotFound(f"case {case_id} not found")


def require_task(session: Session, user: UserInfo, task_id: str) -> str:
    """The task's case id; NotFound unless the task exists and ``user`` may see its case."""
    query = select(Task.case_id).where(Task.id == task_id, task_filter_for(user))
    case_id = session.execute(query).scalar_one_or_none()
    if case_id is None:
        raise NotFound(f"task {task_id} not found")
    return case_id


# --- acting on a visible task ---------------------------------------------------

def is_candidate(user: UserInfo, task: TaskLike) -> bool:
    """True when the task is offered to the user (one of their groups, or by name)."""
    return bool(set(user.groups) & set(task.candidate_groups or ())) or \
        user.username in (task.candidate_users or ())


def task_units(task: TaskLike) -> set[str]:
    """The units named by a task's candidate groups."""
    units = set()
    for g in task.candidate_groups or ():
        unit, _role = orgchart.split_group(g)
        if unit:
            units.add(unit)
    return units


def is_unit_head_for(user: UserInfo, task: TaskLike) -> bool:
    """True when the user heads (单位负责人) a unit the task belongs to."""
    return user.has_role("head") and user.unit_code in task_units(task)


def check_claim(user: UserInfo, task: TaskLike) -> None:
    """Forbidden unless the user may take this unassigned task."""
    if not is_candidate(user, task):
        raise Forbidden("该任务不属于您的岗位，不能认领")


def check_unclaim(user: UserInfo, task: TaskLike) -> None:
    """Forbidden unless the user holds the task or heads its unit."""
    if task.assignee != user.username and not is_unit_head_for(user, task):
        raise Forbidden("只有办理人或单位负责人可以退回该任务")


def check_reassign(user: UserInfo, task: TaskLike, target: UserInfo) -> None:
    """Forbidden unless both the reassigner and the new assignee belong to the task's unit."""
    if task.assignee != user.username and not is_unit_head_for(user, task):
        raise Forbidden("只有办理人或单位负责人可以转交该任务")
    if target.unit_code != user.unit_code or not is_candidate(target, task):
        raise Forbidden("只能转交给本单位有相应岗位的人员")


def check_complete(user: UserInfo, task: TaskLike) -> None:
    """Forbidden unless the task is assigned to the user (claim it first)."""
    if task.assignee != user.username:
        raise Forbidden("请先认领该任务再办理")


def check_work(user: UserInfo, task: TaskLike) -> None:
    """Camunda's rule for completing without a claim (the REST API): the assignee, a
    candidate of an unassigned task, or an administrator may complete it.

    Forbidden for anyone else; Conflict when a colleague already holds the task (the
    caller lost the race to it).
    """
    if task.assignee == user.username or user.has_role(*COUNTY_WIDE_ROLES):
        return
    if not is_candidate(user, task):
        raise Forbidden("该任务不属于您的岗位，不能办理")
    if task.assignee:
        raise Conflict(f"任务已由 {task.assignee} 认领办理")


def check_register(user: UserInfo) -> None:
    """Forbidden unless the user registers petitions (登记员, 第十九、二十三条)."""
    if not user.has_role("registrar"):
        raise Forbidden("只有登记员可以登记信访事项")


# --- supervision (督查督办) ------------------------------------------------------

# Who may open the supervisor dashboard: 督查员 and 领导 watch the clocks (第四十条),
# 管理员 runs the system. Letters are issued only by 督查员 and 领导: an administrator
# keeps the system running but does not supervise units.
DASHBOARD_ROLES = frozenset({"supervisor", "leader", "admin"})
LETTER_ROLES = frozenset({"supervisor", "leader"})


def can_view_dashboard(user: UserInfo) -> bool:
    """True when the user may open the supervisor dashboard."""
    return user.has_role(*DASHBOARD_ROLES)


def check_dashboard(user: UserInfo) -> None:
    """Forbidden unless the user may open the supervisor dashboard."""
    if not can_view_dashboard(user):
        raise Forbidden("只有督查员、领导和管理员可以查看督查督办")


def check_issue_letter(user: UserInfo) -> None:
    """Forbidden unless the user may issue 督办函 and 风险提醒函 (第四十条)."""
    if not user.has_role(*LETTER_ROLES):
        raise Forbidden("只有督查员和领导可以发出督办函")


def dashboard_unit(user: UserInfo, unit_code: str | None) -> str | None:
    """The unit whose figures the user may see: any (None = county) for county-wide seats,
    otherwise only their own unit; another unit answers NotFound like another unit's case."""
    if user.county_wide:
        return unit_code or None
    if unit_code and unit_code != user.unit_code:
        raise NotFound(f"unit {unit_code} not found")
    return user.unit_code
