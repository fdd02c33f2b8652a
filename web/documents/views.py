"""Routes of the documents pages: parse the request, call one Paperwork method, answer."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from engine.errors import Conflict, EngineError, InvalidInput
from engine.paperwork import Paperwork

bp = Blueprint("documents", __name__)


def paperwork() -> Paperwork:
    """The app's Paperwork service, built on first use (same attachment store as the case files)."""
    work = current_app.extensions.get("xinfang.paperwork")
    if work is None:
        from web.ui.context import get_casework

        casework = get_casework(current_app)
        work = current_app.extensions["xinfang.paperwork"] = Paperwork(casework.engine, casework.attachments)
    return work


@bp.errorhandler(EngineError)
def _engine_error(error: EngineError):
    from web.ui.errors import _page

    return _page(404) if error.status == 404 else _page(error.status if error.status in (400, 403, 409, 422)
                                                        else 500, error.message)


def _pdf_response(pdf: bytes, filename: str, download: bool) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f"{'attachment' if download else 'inline'}; filename=document.pdf; filename*=UTF-8''"
        + _quote(filename))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


@bp.get("/cases/<case_id>/documents/<document_id>.pdf")
@login_required
def pdf(case_id: str, document_id: str):
    content, filename = paperwork().pdf(current_user, case_id, document_id)
    return _pdf_response(content, filename, download=request.args.get("download") == "1")


@bp.post("/cases/<case_id>/documents/<document_id>/service")
@login_required
def record_service(case_id: str, document_id: str):
    upload = request.files.get("receipt")
    receipt = (upload.filename, upload.stream) if upload is not None and upload.filename else None
    try:
        paperwork().record_service(current_user, case_id, document_id, request.form.get("method", ""),
                                   request.form.get("served_on", ""), receipt)
        flash("已记录送达。", "success")
    except InvalidInput as refused:
        flash("；".join(refused.errors.values()) or refused.message, "error")
    except Conflict as refused:
        flash(refused.message, "error")
    return redirect(url_for("ui.case", case_id=case_id) + "#documents-h")


@bp.post("/cases/<case_id>/results/<task_id>")
@login_required
def issue_result(case_id: str, task_id: str):
    doc_no = paperwork().issue_result(current_user, case_id, task_id)
    flash(f"已出具，文号 {doc_no}。请打印送达后记录送达。", "success")
    return redirect(url_for("ui.case", case_id=case_id) + "#documents-h")


@bp.get("/cases/<case_id>/documents/<document_id>/receipt")
@login_required
def receipt(case_id: str, document_id: str):
    path, meta = paperwork().receipt(current_user, case_id, document_id)
    response = send_file(path, mimetype=meta.get("content_type") or "application/octet-stream",
                         as_attachment=True, download_name=meta.get("name") or "送达回证", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/admin/document-templates")
@login_required
def templates():
    return render_template("documents/templates.html", kinds=paperwork().template_kinds(current_user))


@bp.route("/admin/document-templates/<kind>", methods=["GET", "POST"])
@login_required
def template(kind: str):
    work = paperwork()
    errors = {}
    body = None
    if request.method == "POST":
        body = request.form.get("body", "")
        try:
            if request.form.get("action") == "preview":
                return _pdf_response(work.preview(current_user, kind, body), f"{kind}-preview.pdf", download=False)
            version = work.save_template(current_user, kind, body)
            flash(f"已保存为第 {version} 版。", "success")
            return redirect(url_for("documents.template", kind=kind))
        except InvalidInput as refused:
            errors = refused.errors
    view = work.template(current_user, kind)
    return render_template("documents/template.html", view=view, body=view["body"] if body is None else body,
                           errors=errors), (422 if errors else 200)

