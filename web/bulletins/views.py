"""Routes of the bulletin pages: parse the request, call one engine function, render."""
from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine import bulletins
from engine.bulletin_export import to_xlsx
from engine.calendar import SHANGHAI
from engine.errors import EngineError, Forbidden, InvalidInput, NotFound
from persistence.db import utcnow
from web.services import get_engine

bp = Blueprint("bulletins", __name__, url_prefix="/bulletins")


def may_read(user) -> bool:
    """County-wide 督查员、领导 and administrators read the county's bulletins."""
    return bool(user.county_wide) and user.has_role("supervisor", "leader", "admin")


def _check() -> None:
    if not may_read(current_user):
        raise Forbidden("只有县信访局督查员、领导和管理员可以查看调度通报")


def _today() -> dt.date:
    return utcnow().astimezone(SHANGHAI).date()


@bp.errorhandler(EngineError)
def _engine_error(error: EngineError):
    from web.ui.errors import _page

    return _page(error.status if error.status in (400, 403, 404, 409, 422) else 500,
                 None if error.status == 404 else error.message)


def _parsed(kind: str, day: str) -> tuple[str, dt.date]:
    try:
        return bulletins.parse_request(kind, day, _today())
    except InvalidInput:
        raise NotFound("no such bulletin") from None


def _data(kind: str, day: dt.date) -> dict:
    return bulletins.archived(get_engine(), kind, day) or bulletins.generate(get_engine(), kind, day,
                                                                            current_user.username)


@bp.get("/")
@login_required
def index():
    _check()
    return render_template("bulletins/index.html", kinds=bulletins.KINDS, today=_today().isoformat(),
                           archive=bulletins.archive_list(get_engine()))


@bp.get("/open")
@login_required
def open_bulletin():
    _check()
    try:
        kind, day = bulletins.parse_request(request.args.get("kind", ""), request.args.get("date", ""), _today())
    except InvalidInput as refused:
        flash("；".join(refused.errors.values()), "error")
        return redirect(url_for("bulletins.index"))
    return redirect(url_for("bulletins.view", kind=kind, day=day.isoformat()))


@bp.get("/<kind>/<day>")
@login_required
def view(kind: str, day: str):
    _check()
    kind, date = _parsed(kind, day)
    return render_template("bulletins/view.html", b=_data(kind, date), name=bulletins.KINDS[kind])


@bp.post("/<kind>/<day>/regenerate")
@login_required
def regenerate(kind: str, day: str):
    _check()
    kind, date = _parsed(kind, day)
    bulletins.generate(get_engine(), kind, date, current_user.username)
    flash("已按当日 08:30 的数据重新生成。", "success")
    return redirect(url_for("bulletins.view", kind=kind, day=date.isoformat()))


def _download(content: bytes, mimetype: str, filename: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=bulletin; filename*=UTF-8''{quote(filename, safe='')}")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<kind>/<day>.pdf")
@login_required
def pdf(kind: str, day: str):
    _check()
    from engine.documents import html_to_pdf

    kind, date = _parsed(kind, day)
    html = render_template("bulletins/print.html", b=_data(kind, date), name=bulletins.KINDS[kind])
    return _download(html_to_pdf(html), "application/pdf", f"{bulletins.KINDS[kind]}-{date.isoformat()}.pdf")


@bp.get("/<kind>/<day>.xlsx")
@login_required
def xlsx(kind: str, day: str):
    _check()
    kind, date = _parsed(kind, day)
    return _download(to_xlsx(_data(kind, date)),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f"{bulletins.KINDS[kind]}-{date.isoformat()}.xlsx")
