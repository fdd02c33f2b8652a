"""The allowed status transitions of cases and tasks, in one table each."""
from __future__ import annotations

from engine.errors import Conflict

CASE_TRANSITIONS: dict[str, set[str]] = {
    "running": {"completed", "cancelled"},
    "completed": set(),
    "cancelled": set(),
}

TASK_TRANSITIONS: dict[str, set[str]] = {
    "ready": {"completed", "cancelled"},
    "completed": set(),
    "cancelled": set(),
}

CASE_STATUS_LABELS = {"running": "办理中", "completed": "已办结", "cancelled": "已撤销"}
TASK_STATE_LABELS = {"ready": "待办", "completed": "已办", "cancelled": "已取消"}


def move_case(case, target: str) -> None:
    """Set a case's status if the transition is allowed, else Conflict."""
    if target not in CASE_TRANSITIONS.get(case.status, set()):
        raise Conflict(f"案件状态为“{CASE_STATUS_LABELS.get(case.status, case.status)}”，不能变更为“{CASE_STATUS_LABELS.get(target, target)}”")
    case.status = target


def move_task(task, target: str) -> None:
    """Set a task's state if the transition is allowed, else Conflict."""
    if target not in TASK_TRANSITIONS.get(task.state, set()):
        raise Conflict(f"任务状态为“{TASK_STATE_LABELS.get(task.state, task.state)}”，不能变更为“{TASK_STATE_LABELS.get(target, target)}”")
    task.state = target
