"""What staff do with official documents on screen, with the access policy applied first.

Like ``engine.casework`` for tasks: each method is what one page or button needs,
every case id passes ``engine.access`` before anything is read (another unit's case is
NotFound), and the work itself is in ``engine.documents``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from engine import access, documents, petitioner
from engine.attachments import AttachmentStore
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from persistence.db import utcnow
from persistence.documents import Document

SERVICE_ROLES = ("registrar", "handler", "head", "supervisor")


@dataclass
class DocumentRow:
    """A document as the case page lists it."""

    id: str
    kind: str
    title: str
    doc_no: str
    addressee: str
    issued_at: Any
    served_on: Any
    service_method: str | None
    has_receipt: bool
    html_sha256: str
    pdf_sha256: str | None

    @classmethod
    def of(cls, d: Document) -> DocumentRow:
        return cls(d.id, documents.KINDS[d.kind].name, d.title, d.doc_no, d.addressee, d.issued_at, d.served_on,
                   d.service_method, bool(d.service_receipt), d.html_sha256, d.pdf_sha256)


class Paperwork:
    """Documents of cases, their PDFs and 送达, and the administrators' templates."""

    def __init__(self, engine, attachments: AttachmentStore):
        self.engine = engine
        self.attachments = attachments

    def _require_case(self, user, case_id: str) -> None:
        with self.engine.unit_of_work(read_only=True) as s:
            access.require_case(s, user, case_id)

    def case_documents(self, user, case_id: str) -> tuple[list[DocumentRow], str | None, list[dict[str, str]]]:
        """The case's documents (pending notices issued first), its 查询码, and the results
        a ready serve task of the user's waits for (to be issued with a 文号 before 送达)."""
        self._require_case(user, case_id)
        documents.sync_documents(self.engine, case_id=case_id)  # this case only: a page must not pay for the county
        with self.engine.unit_of_work(read_only=True) as s:
            docs = documents.case_documents(s, case_id)
            rows = [DocumentRow.of(d) for d in docs]
            code = petitioner.existing_code(s, case_id)
        unlinked = {d.kind for d in docs if d.notice_event_id is None}
        pending = [{"task_id": t.id, "kind": kind, "name": documents.KINDS[kind].name}
                   for t, kind in self._serve_tasks(case_id)
                   if kind not in unlinked and access.is_candidate(user, t)]
        return rows, code, pending

    def _serve_tasks(self, case_id: str):
        for t in self.engine.list_tasks(case_id=case_id):
            if t.state == "ready" and t.activity_id in documents.SERVE_TASKS:
                yield t, documents.SERVE_TASKS[t.activity_id][0]

    def issue_result(self, user, case_id: str, task_id: str) -> str:
        """Issue the result a ready serve task is about (文号, frozen text) so it can be printed and served."""
        self._require_case(user, case_id)
        task = next((t for t, _ in self._serve_tasks(case_id) if t.id == task_id), None)
        if task is None:
            raise NotFound("no such serve task")
        if not access.is_candidate(user, task):
            raise Forbidden("only the serve task's caseworkers issue its document")
        kind = documents.KINDS[documents.SERVE_TASKS[task.activity_id][0]]
        variables = self.engine.get_case(case_id).variables
        with self.engine.unit_of_work() as s:
            from persistence.models import Case

            if any(d.kind == kind.key and d.notice_event_id is None for d in documents.case_documents(s, case_id)):
                raise Conflict(f"{kind.name}已出具")
            doc = documents.issue_document(s, s.get(Case, case_id), variables, kind,
                                           documents.result_notice(kind, variables), at=utcnow(),
                                           actor=user.username)
            return doc.doc_no

    def pdf(self, user, case_id: str, document_id: str) -> tuple[bytes, str]:
        """The PDF of one document of the case and a file name for it."""
        self._require_case(user, case_id)
        with self.engine.unit_of_work() as s:
            doc = documents.get_document(s, case_id, document_id)
            return documents.document_pdf(s, doc), f"{doc.title}-{doc.doc_no}.pdf"

    def can_record_service(self, user) -> bool:
        """Whether the user's roles let them record a 送达."""
        return user.has_role(*SERVICE_ROLES)

    def record_service(self, user, case_id: str, document_id: str, method: str, served_on: str,
                       receipt: tuple[str, BinaryIO] | None) -> None:
        """Record a document's 送达 (method, date, optional receipt scan)."""
        self._require_case(user, case_id)
        if not self.can_record_service(user):
            raise Forbidden("only caseworkers record service")
        receipt_id = None
        if receipt is not None and receipt[0]:
            try:
                receipt_id = self.attachments.save(receipt[0], receipt[1], user.username).id
            except InvalidInput as refused:
                raise InvalidInput("送达回证无法保存", {"receipt": refused.errors.get("attachments", refused.message)})
        with self.engine.unit_of_work(read_only=True) as s:
            doc = documents.get_document(s, case_id, document_id)
            day = documents.check_service(doc, method, served_on, utcnow())
            kind, doc_no, linked = doc.kind, doc.doc_no, doc.notice_event_id is not None
        if not linked:
            self._complete_serve_task(user, case_id, kind, day, method, doc_no)
        with self.engine.unit_of_work() as s:
            doc = documents.get_document(s, case_id, document_id)
            documents.record_service(s, doc, method, day, receipt_id, user.username)

    def _complete_serve_task(self, user, case_id: str, kind: str, day, method: str, doc_no: str) -> None:
        # A result issued ahead of its serve task: the recorded 送达 completes that task, so
        # the procedure starts the petitioner's 30-day window from this very date.
        for task, task_kind in self._serve_tasks(case_id):
            if task_kind != kind:
                continue
            if task.assignee not in (None, user.username) or not access.is_candidate(user, task):
                raise Conflict(f"“{task.name}”由他人办理，请由其记录送达")
            if task.assignee is None:
                self.engine.claim(task.id, user.username)
            _, date_field, method_field, receipt_field = documents.SERVE_TASKS[task.activity_id]
            values = {date_field: day.isoformat(), method_field: documents.TASK_METHOD_OF[method]}
            if receipt_field:
                values[receipt_field] = doc_no
            self.engine.complete_task(task.id, values, user.username)
            return

    def receipt(self, user, case_id: str, document_id: str) -> tuple[Path, dict[str, Any]]:
        """The stored receipt scan of a served document."""
        self._require_case(user, case_id)
        with self.engine.unit_of_work(read_only=True) as s:
            receipt_id = documents.get_document(s, case_id, document_id).service_receipt
        if not receipt_id:
            raise NotFound("no receipt")
        return self.attachments.path_of(receipt_id), self.attachments.load(receipt_id).to_dict()

    # ------------------------------------------------------------------ templates (administrators)
    @staticmethod
    def _check_admin(user) -> None:
        if not user.has_role("admin"):
            raise Forbidden("only administrators edit document templates")

    def template_kinds(self, user) -> list[dict[str, Any]]:
        """Each document kind with the version of its template in use."""
        self._check_admin(user)
        with self.engine.unit_of_work(read_only=True) as s:
            return [{"key": k.key, "name": k.name, "version": documents.current_template(s, k.key)[0]}
                    for k in documents.KINDS.values()]

    def template(self, user, kind_key: str) -> dict[str, Any]:
        """A kind's template in use and its saved versions."""
        self._check_admin(user)
        if kind_key not in documents.KINDS:
            raise NotFound("no such document kind")
        with self.engine.unit_of_work(read_only=True) as s:
            version, body = documents.current_template(s, kind_key)
            versions = [{"version": t.version, "created_at": t.created_at, "created_by": t.created_by}
                        for t in documents.template_versions(s, kind_key)]
        return {"kind": documents.KINDS[kind_key], "version": version, "body": body, "versions": versions}

    def save_template(self, user, kind_key: str, body: str) -> int:
        """Save an edited template as the kind's new version."""
        self._check_admin(user)
        with self.engine.unit_of_work() as s:
            return documents.save_template(s, kind_key, body, user.username)

    def preview(self, user, kind_key: str, body: str) -> bytes:
        """A PDF of the template filled with a made-up case, without saving anything."""
        self._check_admin(user)
        if kind_key not in documents.KINDS:
            raise NotFound("no such document kind")
        try:
            html = documents.render_html(body, documents.sample_context(documents.KINDS[kind_key]))
        except Exception as exc:  # noqa: BLE001 - any template error is the author's to fix
            raise InvalidInput("模板有误", {"body": f"模板无法使用：{exc}"}) from None
        return documents.html_to_pdf(html)
