"""Routes of the public query pages: parse the request, call one engine function, render.

Codes travel only in POST bodies (never in URLs, which end up in logs and histories).
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, current_app, render_template, request

from engine import petitioner
from engine.errors import Conflict, InvalidInput, NotFound
from persistence.db import utcnow
from web.services import get_engine

bp = Blueprint("public", __name__, url_prefix="/query")

UNKNOWN = "查询码无效或已过期，请核对受理告知书上的查询码。"
TOO_MANY = "查询过于频繁，请稍后再试。"


def _limited() -> bool:
    return not current_app.extensions["xinfang.query_limiter"].allow(request.remote_addr or "unknown")


def _form(error: str | None = None, status: int = 200, code: str = ""):
    return render_template("public/query.html", error=error, code=code), status


def _matter(code: str, message: str | None = None, error: str | None = None, status: int = 200):
    try:
        view = petitioner.public_view(get_engine(), code, utcnow())
    except NotFound:
        return _form(UNKNOWN, 404, code)
    return render_template("public/matter.html", view=view, code=petitioner.normalise_code(code),
                           message=message, error=error, ratings=petitioner.RATINGS), status


@bp.get("/")
def query():
    return _form()


@bp.post("/")
def lookup():
    if _limited():
        return _form(TOO_MANY, 429)
    code = request.form.get("code", "")
    if not code.strip():
        return _form("请输入查询码。", 400)
    return _matter(code)


@bp.post("/rate")
def rate():
    if _limited():
        return _form(TOO_MANY, 429)
    code = request.form.get("code", "")
    try:
        petitioner.rate_by_code(get_engine(), code, request.form.get("document", ""),
                                request.form.get("rating", ""), request.form.get("comment", ""), utcnow())
    except NotFound:
        return _form(UNKNOWN, 404, code)
    except InvalidInput as refused:
        return _matter(code, error="；".join(refused.errors.values()), status=400)
    except Conflict as refused:
        return _matter(code, error=refused.message, status=409)
    return _matter(code, message="感谢您的评价，已记录。")


@bp.post("/document")
def document():
    if _limited():
        return _form(TOO_MANY, 429)
    code = request.form.get("code", "")
    try:
        pdf, filename = petitioner.served_pdf(get_engine(), code, request.form.get("document", ""), utcnow())
    except NotFound:
        return _form(UNKNOWN, 404, code)
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename=document.pdf; filename*=UTF-8''{quote(filename, safe='')}"
    response.headers["Cache-Control"] = "private, no-store"
    return response
