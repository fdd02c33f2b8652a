"""用户管理: the administrator's pages over engine.admin (no terminal needed)."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine import orgchart
from engine.admin import Admin, UserForm, check_admin, parse_user_form
from engine.errors import InvalidInput
from web.services import get_engine
from web.ui.blueprint import bp

ACTIONS = {"created": "创建账户", "updated": "修改信息", "password_reset": "重置密码", "disabled": "停用",
           "enabled": "启用"}


def admin() -> Admin:
    """The app's Admin service."""
    service = current_app.extensions.get("xinfang.admin")
    if service is None:
        service = current_app.extensions["xinfang.admin"] = Admin(get_engine())
    return service


def _form_page(form: UserForm, user=None, status: int = 200):
    return render_template("ui/admin_user.html", form=form, user=user, units=orgchart.UNITS,
                           roles=orgchart.ROLES), status


@bp.get("/admin/users")
@login_required
def admin_users():
    unit = request.args.get("unit", "").strip()
    users = admin().list_users(current_user, unit or None)
    return render_template("ui/admin_users.html", users=users, units=orgchart.UNITS, unit=unit)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@login_required
def admin_user_new():
    check_admin(current_user)
    if request.method == "GET":
        return _form_page(UserForm())
    form = parse_user_form(request.form, request.form.getlist("roles"))
    try:
        created = admin().create_user(current_user, form)
    except InvalidInput as refused:
        form.errors, form.password = refused.errors, ""
        return _form_page(form, status=400)
    flash(f"已创建账户 {created.username}（{created.display_name}）", "success")
    return redirect(url_for("ui.admin_users"))


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def admin_user(user_id: int):
    user = admin().get_user(current_user, user_id)
    if request.method == "GET":
        return _form_page(UserForm(username=user.username, display_name=user.display_name,
                                   unit_code=user.unit_code, roles=list(user.roles)), user)
    form = parse_user_form(request.form, request.form.getlist("roles"))
    form.username = user.username
    try:
        changes = admin().update_user(current_user, user_id, form)
    except InvalidInput as refused:
        form.errors = refused.errors
        return _form_page(form, user, status=400)
    flash(f"已保存 {user.username} 的信息" if changes else "没有改动", "success" if changes else "info")
    return redirect(url_for("ui.admin_users"))


@bp.post("/admin/users/<int:user_id>/password")
@login_required
def admin_user_password(user_id: int):
    try:
        user = admin().reset_password(current_user, user_id, request.form.get("password", ""))
    except InvalidInput as refused:
        flash(refused.errors.get("password") or refused.message, "error")
        return redirect(url_for("ui.admin_user", user_id=user_id))
    flash(f"已重置 {user.username} 的密码，请当面或电话告知本人", "success")
    return redirect(url_for("ui.admin_users"))


@bp.post("/admin/users/<int:user_id>/active")
@login_required
def admin_user_active(user_id: int):
    active = request.form.get("active") == "1"
    try:
        user = admin().set_active(current_user, user_id, active)
    except InvalidInput as refused:
        flash(refused.message, "error")
        return redirect(url_for("ui.admin_users"))
    flash(f"已{'启用' if user.active else '停用'}账户 {user.username}", "success")
    return redirect(url_for("ui.admin_users"))
