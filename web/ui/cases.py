"""The case page, its diagram data and its attachments."""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from engine.errors import InvalidInput
from web.ui.blueprint import bp, casework


@bp.get("/cases/<case_id>")
@login_required
def case(case_id: str):
    view = casework().case_view(current_user, case_id)
    return render_template("ui/case.html", view=view)


@bp.post("/cases/<case_id>/external/<key>")
@login_required
def record_external(case_id: str, key: str):
    """Record a 复查/复核 request or 政法 feedback that arrived from outside."""
    raw = request.form.to_dict(flat=True)
    raw.pop("csrf_token", None)
    try:
        outcome = casework().record_external(current_user, case_id, key, raw)
    except InvalidInput as refused:
        view = casework().case_view(current_user, case_id, action=key, submitted=raw, errors=refused.errors)
        return render_template("ui/case.html", view=view, summary=refused.message), 400
    flash(outcome.message, outcome.level)
    return redirect(url_for("ui.case", case_id=case_id))


@bp.get("/cases/<case_id>/diagram.json")
@login_required
def case_diagram(case_id: str):
    return jsonify(casework().diagram(current_user, case_id, request.args.get("called") or None))


@bp.get("/cases/<case_id>/attachments/<attachment_id>")
@login_required
def attachment(case_id: str, attachment_id: str):
    path, meta = casework().attachment(current_user, case_id, attachment_id)
    # Always a download with the sniffed type: a stored file is never rendered as a
    # page of this site, whatever it contains.
    response = send_file(path, mimetype=meta.get("content_type") or "application/octet-stream",
                         as_attachment=True, download_name=meta.get("name") or "附件", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
