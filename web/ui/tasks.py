"""The task page: the generated form beside the case it belongs to."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine.errors import InvalidInput
from web.ui.blueprint import bp, casework


@bp.get("/tasks/<task_id>")
@login_required
def task(task_id: str):
    view = casework().task_view(current_user, task_id)
    return render_template("ui/task.html", view=view, errors={})


@bp.post("/tasks/<task_id>")
@login_required
def complete(task_id: str):
    raw = request.form.to_dict(flat=True)
    raw.pop("csrf_token", None)
    try:
        casework().complete(current_user, task_id, raw)
    except InvalidInput as refused:
        view = casework().task_view(current_user, task_id, submitted=raw)
        return render_template("ui/task.html", view=view, errors=refused.errors,
                               summary=refused.message), 400
    flash("已办理完成", "success")
    return redirect(url_for("ui.inbox", tab="mine"))
