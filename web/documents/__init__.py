"""Official documents in the UI: the case page's 文书 section (PDF, 送达) and the
administrators' template editor.  ``init_app`` registers the blueprint and hooks the
case page (``documents/_case_documents.html`` is included there)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the documents pages on ``app`` (after ``web.ui``)."""
    from flask_login import current_user

    from web.documents.views import bp, paperwork
    from web.ui import labels
    from web.ui.nav import NavItem, add_nav_item

    app.register_blueprint(bp)
    add_nav_item(app, NavItem("doc_templates", "文书模板", "documents.templates",
                              visible=lambda user: user.has_role("admin"), order=90))
    for kind, label in (("document_issued", "制发文书"), ("document_served", "文书送达"),
                        ("document_rendered", "生成文书PDF"), ("evaluation", "信访人评价")):
        labels.EVENT_LABELS.setdefault(kind, label)

    @app.context_processor
    def _case_documents():
        def case_documents(case_id: str):
            rows, code, pending = paperwork().case_documents(current_user, case_id)
            return {"rows": rows, "query_code": code, "pending": pending,
                    "can_serve": paperwork().can_record_service(current_user)}
        return {"case_documents": case_documents}
