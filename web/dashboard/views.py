"""Routes of the dashboard: parse the request, call one Dashboard method, render."""
from __future__ import annotations

from flask import (Blueprint, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_login import current_user, login_required

from engine import orgchart
from engine.dashboard import REASONS, Dashboard
from engine.errors import Conflict, EngineError, InvalidInput
from web.dashboard.charts import dashboard_charts, percent
from web.services import get_engine

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

TITLES = {400: "请求有误", 403: "无权查看", 404: "页面不存在或您无权查看", 409: "数据已变化"}


def service() -> Dashboard:
    """The app's Dashboard, created on first use over the app's engine."""
    dashboard = current_app.extensions.get("xinfang.dashboard")
    if dashboard is None:
        dashboard = current_app.extensions["xinfang.dashboard"] = Dashboard(get_engine())
    return dashboard


@bp.errorhandler(EngineError)
def _engine_error(error: EngineError):
    status = error.status if error.status in TITLES else 500
    if request.path.endswith(".json"):
        body = {"error": TITLES.get(status, "系统出错"), "message": None if status == 404 else error.message}
        if isinstance(error, InvalidInput):
            body["errors"] = error.errors
        return jsonify(body), status
    # NotFound hides whether the id exists at all (another unit's clock answers the same).
    return render_template("ui/error.html", status=status, title=TITLES.get(status, "系统出错"),
                           message=None if status == 404 else error.message), status


def _page(name: str) -> int:
    try:
        return min(max(1, int(request.args.get(name, "1"))), 10_000)
    except ValueError:
        return 1


@bp.get("/")
@login_required
def index():
    dashboard = service()
    try:
        filters = dashboard.filters_for(current_user, request.args)
    except InvalidInput as refused:
        flash("；".join(refused.errors.values()) or refused.message, "error")
        filters = dashboard.filters_for(current_user, {})
    overview = dashboard.overview(current_user, filters, late_page=_page("late_page"), soon_page=_page("soon_page"))
    return render_template("dashboard/index.html", o=overview, charts=dashboard_charts(overview),
                           presets=overview.presets, reasons=REASONS, percent=percent)


@bp.get("/metrics.json")
def metrics_json():
    if not current_user.is_authenticated:
        return jsonify({"error": "请先登录"}), 401
    dashboard = service()
    filters = dashboard.filters_for(current_user, request.args)
    return jsonify(dashboard.metrics(current_user, filters))


@bp.post("/clocks/<int:clock_id>/letter/preview")
@login_required
def letter_preview(clock_id: int):
    back = {k: v for k in ("date_from", "date_to", "unit") if (v := request.form.get(k, "").strip())}
    try:
        preview = service().preview_letter(current_user, clock_id, request.form)
    except InvalidInput as refused:
        flash("；".join(refused.errors.values()) or refused.message, "error")
        return redirect(url_for("dashboard.index", **back) + "#late")
    return render_template("dashboard/letter_preview.html", p=preview, back=back)


@bp.post("/clocks/<int:clock_id>/letter")
@login_required
def issue_letter(clock_id: int):
    try:
        issued = service().issue_letter(current_user, clock_id, request.form)
    except InvalidInput as refused:
        flash("；".join(refused.errors.values()) or refused.message, "error")
    except Conflict as busy:
        flash(busy.message, "warning")
    else:
        flash(f"已向{orgchart.unit_name(issued.unit)}发出{issued.letter}（案件 {issued.case_no}），"
              "督查督办流程已启动。", "success")
    back = {k: v for k in ("date_from", "date_to", "unit") if (v := request.form.get(k, "").strip())}
    return redirect(url_for("dashboard.index", **back) + "#late")
