"""The bell: unread count in the top bar, the list, opening an item, marking all read."""
from __future__ import annotations

from flask import current_app, redirect, render_template, url_for
from flask_login import current_user, login_required

from engine.notifications import Bell
from web.services import get_engine
from web.ui.blueprint import bp


def bell() -> Bell:
    """The app's Bell."""
    service = current_app.extensions.get("xinfang.bell")
    if service is None:
        service = current_app.extensions["xinfang.bell"] = Bell(get_engine())
    return service


@bp.get("/notifications")
@login_required
def notifications():
    return render_template("ui/notifications.html", items=bell().items(current_user))


@bp.post("/notifications/<int:notification_id>")
@login_required
def notification_open(notification_id: int):
    task_id, case_id = bell().open(current_user, notification_id)
    if task_id:
        return redirect(url_for("ui.task", task_id=task_id))
    if case_id:
        return redirect(url_for("ui.case", case_id=case_id))
    return redirect(url_for("ui.notifications"))


@bp.post("/notifications/read-all")
@login_required
def notifications_read_all():
    bell().read_all(current_user)
    return redirect(url_for("ui.notifications"))
