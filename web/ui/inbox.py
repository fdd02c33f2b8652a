"""The inbox: 我的待办, 待认领, 已办; and claiming, returning and handing over tasks."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine import orgchart
from engine.casework import TABS, InboxFilters
from engine.errors import Forbidden, InvalidInput
from engine.registration import CATEGORIES, DOMAINS
from web.ui.blueprint import bp, casework

TAB_LABELS = {"mine": "我的待办", "claimable": "待认领", "done": "已办"}
SORT_LABELS = {"due": "期限由近到远", "-due": "期限由远到近", "-created": "最新收到在前", "created": "最早收到在前"}
DUE_LABELS = {"overdue": "已超期", "soon": "3日内到期", "normal": "期限充裕"}


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


@bp.get("/tasks")
@login_required
def inbox():
    tab = request.args.get("tab", "mine")
    if tab not in TABS:
        tab = "mine"
    filters = InboxFilters(**{k: request.args.get(k, "") for k in
                              ("category", "domain", "unit", "due", "case_no", "sort")})
    page = casework().inbox(current_user, tab, filters, _page_number())
    return render_template(
        "ui/inbox.html", tab=tab, page=page, filters=filters, tab_labels=TAB_LABELS,
        categories=CATEGORIES, domains=DOMAINS, units=orgchart.UNITS, sort_labels=SORT_LABELS,
        due_labels=DUE_LABELS,
    )


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id: str):
    task = casework().claim(current_user, task_id)
    flash(f"已认领任务“{task.name}”", "success")
    return redirect(url_for("ui.task", task_id=task_id))


@bp.post("/tasks/<task_id>/unclaim")
@login_required
def unclaim(task_id: str):
    task = casework().unclaim(current_user, task_id)
    flash(f"任务“{task.name}”已退回待认领", "success")
    return redirect(url_for("ui.inbox", tab="mine"))


@bp.post("/tasks/<task_id>/assign")
@login_required
def reassign(task_id: str):
    try:
        task = casework().reassign(current_user, task_id, request.form.get("assignee", ""))
    except (InvalidInput, Forbidden) as refused:
        flash(getattr(refused, "errors", {}).get("assignee") or refused.message, "error")
        return redirect(url_for("ui.task", task_id=task_id))
    flash(f"任务“{task.name}”已转交给 {task.assignee}", "success")
    return redirect(url_for("ui.inbox", tab="mine"))
