"""What the routes call: one engine function each, behind the shared access policy.

``engine.access`` decides what a user may see and do (the same rules as the HTML UI);
whatever a user may not see answers NotFound, never Forbidden.
"""
from __future__ import annotations

from typing import Any

from engine import access, instances
from engine.accounts import Accounts, UserInfo
from engine.errors import Conflict, NotFound
from forms import form_variables, to_camunda
from web.services import get_engine


def visible_task(user: UserInfo, task_id: str, acting: bool = False):
    """A ready task the user may see (with its definition id), else NotFound.

    ``acting`` (claim, complete …): a task the user could see but someone else has just
    finished answers Conflict (409), so the loser of a race learns why.
    """
    engine = get_engine()
    with engine.unit_of_work(read_only=True) as s:
        access.require_task(s, user, task_id)
    task = engine.get_task(task_id)
    if task.state != "ready":  # Camunda's /task is the runtime view: finished tasks are gone
        if acting:
            raise Conflict(f"任务“{task.name or task_id}”已被他人办理或已撤回，不能再办理")
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


def list_instances(user: UserInfo, query, **paging) -> list:
    """Instances (cases) matching ``query`` among those the user may see."""
    with get_engine().unit_of_work(read_only=True) as s:
        return instances.list_instances(s, query, case_filter=access.case_filter_for(user), **paging)


def count_instances(user: UserInfo, query) -> int:
    with get_engine().unit_of_work(read_only=True) as s:
        return instances.count_instances(s, query, case_filter=access.case_filter_for(user))


def visible_instance(user: UserInfo, case_id: str):
    """One instance row the user may see, else NotFound."""
    rows = list_instances(user, instances.InstanceFilter(case_ids=(case_id,)))
    if not rows:
        raise NotFound(f"Historic process instance with id {case_id} does not exist")
    return rows[0]


def groups_of(username: str) -> list[str]:
    """The candidate groups of an active user (none for an unknown name)."""
    try:
        return list(Accounts(get_engine().sessions).get_user_by_username(username).groups)
    except NotFound:
        return []


def list_tasks(user: UserInfo, **filters) -> list:
    """Ready tasks matching the filters among those the user may see."""
    return get_engine().list_tasks(task_filter=access.task_filter_for(user), **filters)


def count_tasks(user: UserInfo, **filters) -> int:
    return get_engine().count_tasks(task_filter=access.task_filter_for(user), **filters)


def claim(user: UserInfo, task_id: str, for_user: str | None):
    """Claim for oneself, or (unit head, holder) hand the task to a colleague of the unit."""
    task = visible_task(user, task_id, acting=True)
    engine = get_engine()
    if not for_user or for_user == user.username:
        access.check_claim(user, task)
        return engine.claim(task_id, user.username)
    target = Accounts(engine.sessions).get_user_by_username(for_user)
    access.check_reassign(user, task, target)
    return engine.assign(task_id, for_user, actor=user.username)


def unclaim(user: UserInfo, task_id: str):
    task = visible_task(user, task_id, acting=True)
    access.check_unclaim(user, task)
    return get_engine().unclaim(task_id, actor=user.username)


def complete(user: UserInfo, task_id: str, variables: dict[str, Any]):
    """Complete a task the user may work; the body is checked exactly like the UI form,
    and whatever the form would ignore (other keys, read-only or protected values) is
    refused per key instead (400)."""
    task = visible_task(user, task_id, acting=True)
    access.check_work(user, task)
    return get_engine().complete_task(task_id, variables, actor=user.username, validate_form=True,
                                      absent_checkbox_is_false=False, strict=True)


def task_form_variables(user: UserInfo, task_id: str, names: list[str] | None) -> dict:
    """Camunda's form-variables body: form fields typed by the form, then other variables."""
    visible_task(user, task_id)
    engine = get_engine()
    form = engine.task_form(task_id)
    values = engine.task_variables(task_id)
    if not form.fields:
        wanted = set(names) if names is not None else None
        return to_camunda({k: v for k, v in values.items() if wanted is None or k in wanted})
    return form_variables(form, values, names=names)


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
