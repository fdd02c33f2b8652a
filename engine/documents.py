"""Official documents (公文): 文号, templates, PDF rendering and 送达 (service).

The procedures record each notice they issue as an entry of the ``notices`` variable,
logged as a ``notice`` event (docs/architecture.md).  ``sync_documents`` turns every
notice of a kind listed in ``KINDS`` into a document: it takes the next 文号 of the
issuing organ, kind and year (``persistence.numbering`` in the same transaction as the
document row, so a rolled-back issue leaves no gap and two issuers never share a
number), fills the kind's Jinja template from the case and freezes the HTML with its
SHA-256 in the case history.  The PDF is drawn from that frozen HTML in the layout of
GB/T 9704-2012 (党政机关公文格式) by WeasyPrint when first asked for, and its SHA-256 is
logged too.

Templates are Jinja run in a sandbox (an administrator edits them in the UI; every save
is a new version in ``document_templates``); the shipped defaults are the files in
``engine/document_templates/``.

The 送达 date of a result (信访处理意见书, 复查意见书, 复核意见书, 答复意见书) is what starts the
petitioner's 30-day request windows (第三十五、三十六条).  The procedures take it from
the serve task's form (``served_on`` …) and log the notice after it, so a result
document is served on the date the procedure recorded; any other document's service is
recorded on the case page (``record_service``).
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import TemplateError
from markupsafe import Markup
from jinja2.sandbox import ImmutableSandboxedEnvironment
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import orgchart
from engine.calendar import SHANGHAI
from engine.errors import Conflict, InvalidInput, NotFound
from persistence.db import utcnow
from persistence.documents import Document, DocumentTemplate
from persistence.models import Case, Event
from persistence.numbering import next_number

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).resolve().parent / "document_templates"
COUNTY_ABBR = "郓"
COUNTY_NAME = "郓城"


@dataclass(frozen=True)
class DocKind:
    """One kind of official document: its template, 文号 word and who issues it."""

    key: str  # template file name and counter key
    name: str  # the kind's Chinese name
    word: str  # the kind's word in the 文号, e.g. 转 in 郓信转〔2026〕12号
    to_petitioner: bool  # addressed to the petitioner (else to a unit)
    organ_variable: str | None = None  # case variable naming the issuing unit (else the 信访局)
    result: bool = False  # a 办理/复查/复核 result the petitioner may rate
    served_variables: tuple[str, str] | None = None  # (date, method) the serve task records ("" = no method)


KINDS: dict[str, DocKind] = {k.key: k for k in (
    DocKind("acceptance", "受理告知书", "受", True, "_notice_unit"),
    DocKind("refusal", "不予受理告知书", "不受", True, "_notice_unit"),
    DocKind("forward", "转送函", "转", False),
    DocKind("assign", "交办函", "交", False),
    DocKind("opinion", "信访处理意见书", "处", True, "handling_unit", True, ("served_on", "service_method")),
    DocKind("review", "复查意见书", "复查", True, "review_unit", True, ("review_served_on", "review_service_method")),
    DocKind("recheck", "复核意见书", "复核", True, "recheck_unit", True,
            ("recheck_served_on", "recheck_service_method")),
    DocKind("reply", "答复意见书", "答", True, "handling_unit", True, ("reply_served_date", "")),
    DocKind("termination", "终结告知书", "终", True),
    DocKind("supervision", "督办函", "督", False),
    DocKind("risk", "风险提醒函", "提", False),
)}

# The ``kind`` a procedure writes into a notice -> the document kind it is issued as.
NOTICE_KINDS: dict[str, str] = {
    "受理告知书": "acceptance",
    "不予受理告知书": "refusal",
    "转送函": "forward",
    "交办函": "assign",
    "信访处理意见书": "opinion",
    "复查意见书": "review",
    "复核意见书": "recheck",
    "答复意见书": "reply",
    "依法终结告知书": "termination",
    "终结告知书": "termination",
    "督办函": "supervision",
    "风险提醒函": "risk",
}

SERVICE_METHODS = ("当面", "邮寄", "电子")
# The procedures' serve tasks (送达…意见书): activity id -> (document kind, date field,
# method field, receipt-number field or "").  Recording a result's 送达 on the case page
# completes the task with these fields, so the date that starts the petitioner's 30-day
# window (第三十五、三十六条) is the recorded 送达 date.
SERVE_TASKS: dict[str, tuple[str, str, str, str]] = {
    "Task_serve_opinion": ("opinion", "served_on", "service_method", "service_receipt"),
    "Task_review_serve": ("review", "review_served_on", "review_service_method", ""),
    "Task_recheck_serve": ("recheck", "recheck_served_on", "recheck_service_method", ""),
}
TASK_METHOD_OF = {"当面": "direct", "邮寄": "mail", "电子": "electronic"}
# The serve tasks' enum options (processes/handling.bpmn …) as recorded service methods.
_TASK_METHODS = {"direct": "当面", "mail": "邮寄", "electronic": "电子", "left": "留置"}

# 机关代字: the short name an organ's 文号 begins with.
_ABBR = {
    "xfj": "郓信", "county-gov": "郓政", "county-lead": "郓办", "rsj": "郓人社", "zjj": "郓住建",
    "zrzyj": "郓自然资源", "nyncj": "郓农", "jyj": "郓教体", "wjj": "郓卫健", "gaj": "郓公",
    "fy": "郓法", "jcy": "郓检", "sfj": "郓司", "jw": "郓纪", "town-chengguan": "城关镇",
    "town-huanggang": "黄集镇", "town-zhangying": "张营镇", "town-yunhe": "运河街道",
    "city-xfj": "菏信", "city-gov": "菏政", "province-xfj": "鲁信",
}

OUTCOMES = {"support": "予以支持", "explain": "作出解释说明", "reject": "不予支持"}


def organ_abbr(code: str) -> str:
    """The 机关代字 of a unit (e.g. 郓信 for the county 信访局)."""
    if code in _ABBR:
        return _ABBR[code]
    name = orgchart.unit_name(code)
    return COUNTY_ABBR + name.removeprefix("县")[:2] if name.startswith("县") else name[:4]


def organ_name(code: str) -> str:
    """The organ's full name as its mark prints it (county units carry the county's name)."""
    name = orgchart.unit_name(code)
    return COUNTY_NAME + name if name.startswith("县") else name


def doc_number(organ: str, kind: DocKind, year: int, seq: int) -> str:
    """The 文号 as printed, e.g. 郓信转〔2026〕12号 (GB/T 9704-2012 7.2.4)."""
    return f"{organ_abbr(organ)}{kind.word}〔{year}〕{seq}号"


def china_date(day: dt.date) -> str:
    """A date as official documents print it: 2026年12月4日."""
    return f"{day.year}年{day.month}月{day.day}日"


# ---------------------------------------------------------------------- templates
_env = ImmutableSandboxedEnvironment(autoescape=True, trim_blocks=True, lstrip_blocks=True)


def shipped_template(kind_key: str) -> str:
    """The template file shipped for a kind."""
    return (TEMPLATE_DIR / f"{kind_key}.html").read_text(encoding="utf-8")


def current_template(session: Session, kind_key: str) -> tuple[int, str]:
    """(version, body) of the template in use: the newest saved version, else the shipped file (0)."""
    row = session.scalars(select(DocumentTemplate).where(DocumentTemplate.kind == kind_key)
                          .order_by(DocumentTemplate.version.desc()).limit(1)).first()
    return (row.version, row.body) if row else (0, shipped_template(kind_key))


def template_versions(session: Session, kind_key: str) -> list[DocumentTemplate]:
    """Every saved version of a kind's template, newest first."""
    return list(session.scalars(select(DocumentTemplate).where(DocumentTemplate.kind == kind_key)
                                .order_by(DocumentTemplate.version.desc())))


def save_template(session: Session, kind_key: str, body: str, actor: str) -> int:
    """Check a template (it must compile and render the sample case) and save it as a new version."""
    if kind_key not in KINDS:
        raise NotFound("no such document kind")
    if not body.strip():
        raise InvalidInput("模板不能为空", {"body": "请填写模板内容"})
    if len(body) > 50_000:
        raise InvalidInput("模板过长", {"body": "模板不超过 50000 字"})
    try:
        _compiled(body).render(**sample_context(KINDS[kind_key]))
    except TemplateError as exc:
        raise InvalidInput("模板有误", {"body": f"模板无法使用：{exc}"}) from None
    latest = session.scalar(select(func.max(DocumentTemplate.version)).where(DocumentTemplate.kind == kind_key))
    version = (latest or 0) + 1
    session.add(DocumentTemplate(kind=kind_key, version=version, body=body, created_by=actor))
    return version


def sample_context(kind: DocKind) -> dict[str, Any]:
    """A made-up case to check and preview templates with."""
    variables = {"case_no": "XF202612040001", "petitioner_name": "张某某", "petitioner_address": "郓城县某镇某村",
                 "request": "请求解决拖欠工资问题", "facts": "某公司拖欠工资三个月。", "reasons": "",
                 "category": "申诉求决", "domain": "劳动社保", "handling_unit": "rsj", "opinion_outcome": "support",
                 "opinion_facts": "经调查，情况属实。", "opinion_basis": "《劳动合同法》第三十条",
                 "opinion_text": "责令该公司于十五日内支付拖欠工资。"}
    return _context(kind, variables, {"to": "rsj", "kind": kind.name}, "xfj", "郓信受〔2026〕1号",
                    dt.date(2026, 12, 4), "ABCD-EFGH-JKLM")


def _context(kind: DocKind, variables: dict[str, Any], notice: dict[str, Any], organ: str, doc_no: str,
             day: dt.date, query_code: str | None) -> dict[str, Any]:
    v = dict(variables)
    to = notice.get("to")
    addressee = str(v.get("petitioner_name") or "") if kind.to_petitioner else orgchart.unit_name(str(to or ""))
    outcome = notice.get("outcome") or v.get("opinion_outcome")
    return {
        "doc": {"doc_no": doc_no, "title": kind.name, "kind": kind.name, "organ": organ_name(organ),
                "addressee": addressee, "date": china_date(day), "query_code": query_code or ""},
        "case": {
            "case_no": v.get("case_no") or "", "petitioner_name": v.get("petitioner_name") or "",
            "petitioner_address": v.get("petitioner_address") or "", "request": v.get("request") or "",
            "facts": v.get("facts") or "", "reasons": v.get("reasons") or "", "category": v.get("category") or "",
            "domain": v.get("domain") or "", "confidential": v.get("category") == "检举控告" or bool(v.get("confidential")),
            "handling_unit": orgchart.unit_name(str(v.get("handling_unit") or "")) if v.get("handling_unit") else "",
            "review_unit": orgchart.unit_name(str(v.get("review_unit"))) if v.get("review_unit") else "",
            "recheck_unit": orgchart.unit_name(str(v.get("recheck_unit"))) if v.get("recheck_unit") else "",
            "outcome": OUTCOMES.get(str(outcome), str(outcome or "")),
            "opinion_facts": v.get("opinion_facts") or "", "opinion_basis": v.get("opinion_basis") or "",
            "opinion_text": v.get("opinion_text") or "",
            "review_findings": v.get("review_findings") or "", "recheck_findings": v.get("recheck_findings") or "",
            "recheck_basis": v.get("recheck_basis") or "",
            "assignment_days": v.get("assignment_days") or "",
            "reply_summary": v.get("reply_summary") or "", "reply_result": v.get("reply_result") or "",
        },
        "notice": {"title": notice.get("title") or kind.name, "to": orgchart.unit_name(str(to)) if to else "",
                   "unit": orgchart.unit_name(str(notice["unit"])) if notice.get("unit") else "",
                   "due": _due_text(notice.get("due"))},
    }


def _due_text(value: Any) -> str:
    if not value:
        return ""
    try:
        return china_date(dt.datetime.fromisoformat(str(value)).astimezone(SHANGHAI).date())
    except ValueError:
        return ""


@functools.lru_cache(maxsize=64)
def _compiled(text: str):
    # Templates are compiled once per distinct text (a saved version never changes).
    return _env.from_string(text)


def render_html(body: str, context: dict[str, Any]) -> str:
    """The whole document page: the kind's template inside the GB/T 9704 layout."""
    inner = _compiled(body).render(**context)
    layout = _compiled((TEMPLATE_DIR / "_layout.html").read_text(encoding="utf-8"))
    return layout.render(body=Markup(inner), **context)


def html_to_pdf(html: str) -> bytes:
    """Draw the HTML as PDF (WeasyPrint; fonts from fontconfig, Noto CJK installed by the scripts)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(TEMPLATE_DIR)).write_pdf()


# ---------------------------------------------------------------------- issuing
def _organ_for(kind: DocKind, variables: dict[str, Any], notice: dict[str, Any]) -> str:
    if kind.organ_variable == "_notice_unit":
        code = notice.get("unit")
    elif kind.organ_variable:
        code = notice.get("unit") or variables.get(kind.organ_variable)
    else:
        code = None
    return str(code) if code else "xfj"


def issue_document(session: Session, case: Case, variables: dict[str, Any], kind: DocKind,
                   notice: dict[str, Any], *, at: dt.datetime, actor: str | None,
                   notice_event_id: int | None = None, query_code: str | None = None) -> Document:
    """Take the next 文号 and freeze the filled template as a new document of the case."""
    organ = _organ_for(kind, variables, notice)
    year = at.astimezone(SHANGHAI).year
    seq = next_number(session, _counter_key(organ, kind, year))
    doc_no = doc_number(organ, kind, year, seq)
    version, body = current_template(session, kind.key)
    context = _context(kind, variables, notice, organ, doc_no, at.astimezone(SHANGHAI).date(), query_code)
    try:
        html = render_html(body, context)
    except TemplateError as exc:  # a saved template that fails on this case: fall back to the shipped one
        log.warning("document template %s v%s failed on case %s: %s", kind.key, version, case.id, exc)
        version, html = 0, render_html(shipped_template(kind.key), context)
    doc = Document(
        id=str(uuid.uuid4()), case_id=case.id, kind=kind.key, title=str(notice.get("title") or kind.name)[:200],
        organ=organ, year=year, seq=seq, doc_no=doc_no, addressee=context["doc"]["addressee"][:200],
        to_petitioner=kind.to_petitioner, issued_at=at, issued_by=actor, notice_event_id=notice_event_id,
        template_version=version, html=html, html_sha256=_sha256(html.encode("utf-8")),
    )
    session.add(doc)
    session.add(Event(case_id=case.id, at=at, actor=actor or "system", kind="document_issued",
                      data={"document": doc.id, "doc_no": doc_no, "kind": kind.name, "title": doc.title,
                            "sha256": doc.html_sha256, "template_version": version}))
    if kind.served_variables:
        _record_served_from_process(session, doc, variables, kind, at)
    session.flush()
    return doc


def _record_served_from_process(session: Session, doc: Document, variables: dict[str, Any], kind: DocKind,
                                at: dt.datetime) -> None:
    # The serve task's form gave the 送达 date that started the request window; the
    # document is served on that same date, so the two never disagree.
    date_var, method_var = kind.served_variables
    served = _as_date(variables.get(date_var))
    if served is None:
        return
    doc.served_on = served
    # The 答复 task records no method: the document says so rather than guessing one.
    doc.service_method = _TASK_METHODS.get(str(variables.get(method_var)), "未注明") if method_var else "未注明"
    doc.service_recorded_by = "system"
    doc.service_recorded_at = at
    session.add(Event(case_id=doc.case_id, at=at, actor="system", kind="document_served",
                      data={"document": doc.id, "doc_no": doc.doc_no, "method": doc.service_method,
                            "served_on": served.isoformat()}))


def result_notice(kind: DocKind, variables: dict[str, Any]) -> dict[str, Any]:
    """What the procedure's notice will say about a result, from the case's variables."""
    prefix = {"opinion": "opinion", "review": "review", "recheck": "recheck"}[kind.key]
    return {"kind": kind.name, "title": kind.name, "to": variables.get("petitioner_name"),
            "outcome": variables.get(f"{prefix}_outcome"), "decision": variables.get(f"{prefix}_decision"),
            "unit": variables.get(kind.organ_variable) if kind.organ_variable else None}


def _counter_key(organ: str, kind: DocKind, year: int) -> str:
    key = f"doc:{organ}:{kind.key}:{year}"
    if len(key) > 32:  # number_counters.prefix is 32 characters: long organ codes are hashed
        key = f"doc:{hashlib.sha1(organ.encode()).hexdigest()[:10]}:{kind.key}:{year}"
    return key


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(SHANGHAI).date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _issued_before_notice(session: Session, case_id: str, kind_key: str) -> Document | None:
    return session.scalars(select(Document).where(
        Document.case_id == case_id, Document.kind == kind_key, Document.notice_event_id.is_(None))
        .order_by(Document.issued_at).limit(1)).first()


def pending_notices(session: Session, case_id: str | None = None, limit: int = 500) -> list[Event]:
    """Notice events of a document kind that no document has been issued for yet, oldest first."""
    issued = select(Document.notice_event_id).where(Document.notice_event_id.is_not(None))
    # The notice's kind is read inside the JSON by the database, so notices that never
    # become documents (催办函, 备案报告 …) are not loaded again on every call.
    query = (select(Event).where(Event.kind == "notice", Event.id.not_in(issued), Event.case_id.is_not(None),
                                 Event.data["kind"].as_string().in_(list(NOTICE_KINDS)))
             .order_by(Event.id).limit(limit))
    if case_id is not None:
        query = query.where(Event.case_id == case_id)
    return list(session.scalars(query))


def sync_documents(engine, case_id: str | None = None, limit: int = 500) -> int:
    """Issue a document for each pending notice (each in its own transaction); returns how many.

    Safe to run from several workers at once: a notice another worker already issued
    fails on the unique ``notice_event_id`` and rolls back with its number.
    """
    from engine import petitioner

    with engine.unit_of_work(read_only=True) as s:
        pending = [(e.id, e.case_id) for e in pending_notices(s, case_id, limit)]
    issued = 0
    variables_of: dict[str, dict[str, Any]] = {}
    for event_id, event_case_id in pending:
        if event_case_id not in variables_of:  # read before the write transaction takes its lock
            try:
                variables_of[event_case_id] = engine.get_case(event_case_id).variables
            except NotFound:
                continue
        variables = variables_of[event_case_id]
        try:
            with engine.unit_of_work() as s:
                event = s.get(Event, event_id)
                case = s.get(Case, event_case_id)
                kind = KINDS[NOTICE_KINDS[event.data["kind"]]]
                early = _issued_before_notice(s, event_case_id, kind.key)
                if early is not None:  # issued from the serve task before the procedure logged it
                    early.notice_event_id = event.id
                    continue
                code = petitioner.query_code_for(s, case.id) if kind.key == "acceptance" else None
                issue_document(s, case, variables, kind, event.data, at=event.at, actor=event.actor,
                               notice_event_id=event.id, query_code=code)
            issued += 1
        except IntegrityError:
            continue  # another worker issued it first
    return issued


# ---------------------------------------------------------------------- reading and service
def case_documents(session: Session, case_id: str) -> list[Document]:
    """The documents of a case, in the order they were issued."""
    return list(session.scalars(select(Document).where(Document.case_id == case_id)
                                .order_by(Document.issued_at, Document.notice_event_id, Document.seq)))


def get_document(session: Session, case_id: str, document_id: str) -> Document:
    """One document of a case; NotFound when it belongs to another case."""
    doc = session.get(Document, document_id)
    if doc is None or doc.case_id != case_id:
        raise NotFound("document not found")
    return doc


def document_pdf(session: Session, doc: Document) -> bytes:
    """The document's PDF, drawn once from its frozen HTML and kept (its SHA-256 logged)."""
    if doc.pdf is None:
        pdf = html_to_pdf(doc.html)
        doc.pdf = pdf
        doc.pdf_sha256 = _sha256(pdf)
        session.add(Event(case_id=doc.case_id, actor="system", kind="document_rendered",
                          data={"document": doc.id, "doc_no": doc.doc_no, "sha256": doc.pdf_sha256}))
    return doc.pdf


def record_service(session: Session, doc: Document, method: str, served_on: str | dt.date | None,
                   receipt_id: str | None, actor: str, now: dt.datetime | None = None) -> Document:
    """Record how and when a document was served; the date is checked against issue and today."""
    now = now or utcnow()
    day = check_service(doc, method, served_on, now)
    doc.served_on, doc.service_method, doc.service_receipt = day, method, receipt_id
    doc.service_recorded_by, doc.service_recorded_at = actor, now
    session.add(Event(case_id=doc.case_id, at=now, actor=actor, kind="document_served",
                      data={"document": doc.id, "doc_no": doc.doc_no, "method": method,
                            "served_on": day.isoformat(), "receipt": receipt_id}))
    return doc


def check_service(doc: Document, method: str, served_on: str | dt.date | None, now: dt.datetime) -> dt.date:
    """The 送达 date if method and date are acceptable for this document; InvalidInput otherwise."""
    errors = {}
    if doc.served_on is not None:
        raise Conflict("该文书已记录送达")
    if method not in SERVICE_METHODS:
        errors["method"] = "请选择送达方式（当面、邮寄或电子）"
    day = _as_date(served_on) if not isinstance(served_on, dt.date) else served_on
    if day is None:
        errors["served_on"] = "请填写送达日期（如 2026-12-04）"
    elif day < doc.issued_at.astimezone(SHANGHAI).date():
        errors["served_on"] = "送达日期不能早于发文日期"
    elif day > now.astimezone(SHANGHAI).date():
        errors["served_on"] = "送达日期不能晚于今天"
    if errors:
        raise InvalidInput("送达信息有误", errors)
    return day
