"""What the routes call: one engine function each, behind the shared access policy.

``engine.access`` decides what a user may see and do (the same rules as the HTML UI);
whatever a user may not see answers NotFound, never Forbidden.
"""
from __future__ import annotations

from typing import Any

from engine import access
from engine.accounts import Accounts, UserInfo
from engine.errors import NotFound
from forms import Form, form_variables, to_camunda
from web.services import get_engine


def visible_task(user: UserInfo, task_id: str):
    """A ready task the user may see (with its definition id), else NotFound."""
    engine = get_engine()
    with engine.unit_of_work() as s:
        access.require_task(s, user, task_id)
    task = engine.get_task(task_id)
    if task.state != "ready":  # Camunda's /task is the runtime view: finished tasks are gone
        raise NotFound(f"No matching task with id {task_id}")
    if task.definition_id is None:
        task.definition_id = engine.get_case(task.case_id, with_variables=False).definition_id
    return task


def visible_case(user: UserInfo, case_id: str, with_variables: bool = False):
    """A case the user may see, else NotFound."""
    engine = get_engine()
    with engine.unit_of_work() as s:
        access.require_case(s, user, case_id)
    return engine.get_case(case_id, with_variables=with_variables)


def list_tasks(user: UserInfo, **filters) -> list:
    """Ready tasks matching the filters among those the user may see."""
    return get_engine().list_tasks(task_filter=access.task_filter_for(user), **filters)


def count_tasks(user: UserInfo, **filters) -> int:
    return get_engine().count_tasks(task_filter=access.task_filter_for(user), **filters)


def claim(user: UserInfo, task_id: str, for_user: str | None):
    """Claim for oneself, or (unit head, holder) hand the task to a colleague of the unit."""
    task = visible_task(user, task_id)
    engine = get_engine()
    if not for_user or for_user == user.username:
        access.check_claim(user, task)
        return engine.claim(task_id, user.username)
    target = Accounts(engine.sessions).get_user_by_username(for_user)
    access.check_reassign(user, task, target)
    return engine.assign(task_id, for_user, actor=user.username)


def unclaim(user: UserInfo, task_id: str):
    task = visible_task(user, task_id)
    access.check_unclaim(user, task)
    return get_engine().unclaim(task_id, actor=user.username)


def complete(user: UserInfo, task_id: str, variables: dict[str, Any], validate_form: bool):
    """Complete a task the user holds; with ``validate_form`` the form's rules apply."""
    task = visible_task(user, task_id)
    access.check_complete(user, task)
    return get_engine().complete_task(task_id, variables, actor=user.username, validate_form=validate_form)


def task_form_variables(user: UserInfo, task_id: str, names: list[str] | None) -> dict:
    """Camunda's form-variables body: form fields typed by the form, then other variables."""
    visible_task(user, task_id)
    engine = get_engine()
    spiff_form = engine.task_form(task_id)
    values = engine.task_variables(task_id)
    if spiff_form is None or not getattr(spiff_form, "fields", None):
        wanted = set(names) if names is not None else None
        return to_camunda({k: v for k, v in values.items() if wanted is None or k in wanted})
    return form_variables(Form.from_spiff(spiff_form), values, names=names)


def cancel_case(user: UserInfo, case_id: str, reason: str):
    visible_case(user, case_id)
    return get_engine().cancel_case(case_id, actor=user.username, reason=reason)


def correlate_message(user: UserInfo, name: str, business_key: str | None, case_id: str | None,
                      payload: dict[str, Any]):
    """Deliver a message to a visible case waiting for it; NotFound when none is."""
    engine = get_engine()
    if case_id:
        visible_case(user, case_id)
        return engine.send_message(name, case_id=case_id, payload=payload, actor=user.username)
    candidates = engine.list_cases(business_key=business_key, status="running",
                                   case_filter=access.case_filter_for(user), limit=None)
    # Only visible cases are tried, so a message never reaches another unit's case.
    for case in candidates:
        try:
            return engine.send_message(name, case_id=case.id, payload=payload, actor=user.username)
        except NotFound:
            continue
    raise NotFound(f"没有等待消息“{name}”且业务键为 {business_key!r} 的案件")
