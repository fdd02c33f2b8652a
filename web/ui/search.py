"""案件查询: the search page and the export of its result."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, render_template, request
from flask_login import current_user, login_required

from engine import case_search, orgchart
from web.services import get_engine
from web.ui.blueprint import bp


@bp.get("/cases")
@login_required
def cases():
    page = case_search.search_cases(get_engine(), current_user, request.args)
    return render_template("ui/cases.html", page=page, q=page.query, units=orgchart.UNITS,
                           statuses=case_search.STATUSES, sorts=case_search.SORTS)


@bp.get("/cases/export.<fmt>")
@login_required
def cases_export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        from engine.errors import NotFound

        raise NotFound("没有这种导出格式")
    name, mimetype, body = case_search.export_cases(get_engine(), current_user, request.args, fmt)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response.headers["Cache-Control"] = "private, no-store"
    return response
