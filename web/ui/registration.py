"""新信访登记: the registrar's form; warns of a repeat, then creates and starts the case."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from engine import orgchart
from engine.attachments import ALLOWED_TYPES, MAX_ATTACHMENTS
from engine.registration import CATEGORIES, CHANNELS, DOMAINS, MAX_PETITIONERS
from web.ui.blueprint import bp, casework
from web.ui.labels import REPEAT_STATUS

PETITIONER_ROWS = 3


def _render(form, attachments=(), repeat=None, upload_error=None, status=200):
    filled = sum(1 for p in form.petitioners if any(p.values()))
    rows = min(MAX_PETITIONERS, max(PETITIONER_ROWS, filled + 1))
    return render_template(
        "ui/register.html", form=form, rows=rows, attachments=attachments, repeat=repeat,
        repeat_labels=REPEAT_STATUS, upload_error=upload_error, channels=CHANNELS, categories=CATEGORIES,
        domains=DOMAINS, units=orgchart.UNITS, max_attachments=MAX_ATTACHMENTS,
        max_megabytes=max(1, casework().attachments.max_bytes // (1024 * 1024)),
        accepted_types=sorted({label for _ext, label in ALLOWED_TYPES.values()}),
    ), status


@bp.get("/register")
@login_required
def register():
    return _render(casework().registration_form(current_user))


@bp.post("/register")
@login_required
def register_submit():
    uploads = [(f.filename, f.stream) for f in request.files.getlist("attachments") if f and f.filename]
    result = casework().register(
        current_user, request.form, uploads,
        kept_attachment_ids=request.form.getlist("attachment_id"),
        confirm_repeat=request.form.get("confirm_repeat") == "yes",
    )
    if result.case is not None:
        flash(f"已登记，案件编号 {result.case.business_key}", "success")
        return redirect(url_for("ui.case", case_id=result.case.id))
    status = 200 if result.repeat and result.form.valid and not result.upload_error else 400
    return _render(result.form, result.attachments, result.repeat, result.upload_error, status)
