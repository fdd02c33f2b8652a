"""Login and logout (Flask-Login sessions over engine.accounts)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user

from web.ui.blueprint import bp, casework

login_manager = LoginManager()


def init_app(app: Flask) -> None:
    """Sessions: who is logged in, and where anonymous visitors are sent."""
    login_manager.login_view = "ui.login"
    login_manager.login_message = "请先登录"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    login_manager.init_app(app)


@login_manager.user_loader
def _load_user(token: str):
    # "<id>:<session generation>": a cookie from before a logout no longer loads anyone.
    return casework().load_user(token)


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (never //host or a scheme): no open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = _safe_next(request.values.get("next"))
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        user = casework().login(username, request.form.get("password", ""), address=request.remote_addr)
        if user is not None:
            session.clear()  # nothing from before the login survives it
            login_user(user)
            return redirect(next_url or url_for("ui.inbox"))
        flash("用户名或密码不正确；连续输错 5 次，账户将锁定 5 分钟。", "error")
        return render_template("ui/login.html", username=username, next_url=next_url), 401
    return render_template("ui/login.html", username="", next_url=next_url)


@bp.post("/logout")
@login_required
def logout():
    casework().logout(current_user)
    logout_user()
    session.clear()
    flash("您已安全退出", "info")
    return redirect(url_for("ui.login"))
