"""The petitioner's side: 查询码 (query codes), the public progress view and ratings.

第二十一条 asks that petitioners can query and evaluate the handling of their matter.
Each registered matter gets a random 查询码 (printed on the 受理告知书); with it, and
nothing else, anyone can read the matter's public progress — never staff names, other
people's data or, for a 检举控告 matter, the accused unit.
"""
from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.calendar import SHANGHAI
from engine.errors import Conflict, InvalidInput, NotFound
from persistence.documents import QueryCode

log = logging.getLogger(__name__)

# No 0/O, 1/I/L: a code read aloud or typed from paper is not mistaken.  12 symbols of
# 31 give about 2^59 codes, so guessing one is hopeless within any rate limit.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 12


def new_code() -> str:
    """A fresh random 查询码, grouped by four: ABCD-EFGH-JKMN."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(text: str) -> str:
    """What the petitioner typed, as stored (upper case, dashes where they belong)."""
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())[:CODE_LENGTH]
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def query_code_for(session: Session, case_id: str) -> str:
    """The case's 查询码, created on first use (in the caller's transaction)."""
    code = session.scalar(select(QueryCode.code).where(QueryCode.case_id == case_id))
    if code:
        return code
    for _ in range(5):
        candidate = new_code()
        try:
            with session.begin_nested():
                session.add(QueryCode(code=candidate, case_id=case_id))
            return candidate
        except IntegrityError:  # the same code drawn twice, or another worker made this case's code
            code = session.scalar(select(QueryCode.code).where(QueryCode.case_id == case_id))
            if code:
                return code
    raise RuntimeError("could not draw a unique query code")


def existing_code(session: Session, case_id: str) -> str | None:
    """The case's 查询码 if it has one."""
    return session.scalar(select(QueryCode.code).where(QueryCode.case_id == case_id))


# ---------------------------------------------------------------------- the public view
# A code stops working this long after its matter closed for good: long enough for the
# petitioner to look back at the result, not forever.
CODE_VALID_DAYS_AFTER_END = 365
# A served result can be rated within this many days of its 送达 (the same 30 days the
# petitioner has to ask for 复查/复核, 第三十五、三十六条).
RATING_WINDOW_DAYS = 30
RATINGS = ("满意", "基本满意", "不满意")
SATISFIED = ("满意", "基本满意")  # 满意率 counts 满意 and 基本满意 as satisfied

# Public names of the statutory periods; other clocks (objection, internal traces) are not shown.
STAGES = {
    "acceptance": "登记受理",
    "assignment": "交办办理",
    "handling": "调查办理",
    "review_window": "可申请复查",
    "review": "复查",
    "recheck_window": "可申请复核",
    "recheck": "复核",
}
CATEGORIES = ("建议意见", "检举控告", "申诉求决")


@dataclass
class Stage:
    """One stage of the matter as the petitioner sees it."""

    name: str
    started: dt.date
    finished: dt.date | None
    due: dt.date | None
    organ: str  # empty for a 检举控告 matter


@dataclass
class ServedDocument:
    """A document served on the petitioner, and whether it can be rated now."""

    id: str
    title: str
    doc_no: str
    served_on: dt.date
    rateable: bool
    rating: str | None
    rate_until: dt.date | None


@dataclass
class PublicView:
    """Everything the public 查询 page shows: nothing internal, nothing about others."""

    case_no: str
    petitioner: str  # masked: 张*
    category: str
    registered_on: dt.date
    finished_on: dt.date | None
    status: str
    stages: list[Stage] = field(default_factory=list)
    documents: list[ServedDocument] = field(default_factory=list)

    @property
    def current(self) -> list[Stage]:
        return [s for s in self.stages if s.finished is None]


def mask_name(name: str) -> str:
    """The petitioner's name with all but the first character hidden."""
    name = (name or "").strip()
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def _local(value: dt.datetime | None) -> dt.date | None:
    return value.astimezone(SHANGHAI).date() if value else None


def case_for_code(session: Session, code: str, now: dt.datetime):
    """The case a 查询码 opens; NotFound for an unknown code or one past its validity."""
    from persistence.models import Case

    row = session.get(QueryCode, normalise_code(code)) if code else None
    case = session.get(Case, row.case_id) if row else None
    if case is None:
        raise NotFound("unknown query code")
    if case.ended_at is not None and now - case.ended_at > dt.timedelta(days=CODE_VALID_DAYS_AFTER_END):
        raise NotFound("query code expired")
    return case


def public_view(engine, code: str, now: dt.datetime) -> PublicView:
    """The matter behind a 查询码 as its petitioner may see it (no staff, no accused unit)."""
    from engine import documents, orgchart
    from persistence.documents import Document, Rating
    from persistence.models_clocks import Clock

    documents.sync_documents(engine)
    with engine.unit_of_work(read_only=True) as s:
        case = case_for_code(s, code, now)
        variables = engine.get_case(case.id).variables
        category = str(variables.get("category") or "")
        accusation = category == "检举控告" or bool(variables.get("confidential"))
        view = PublicView(
            case_no=str(variables.get("case_no") or case.business_key or ""),
            petitioner=mask_name(str(variables.get("petitioner_name") or "")),
            category=category if category in CATEGORIES else "",
            registered_on=_local(case.started_at), finished_on=_local(case.ended_at),
            status={"completed": "已办结", "cancelled": "已撤销"}.get(case.status, "办理中"),
        )
        clocks = s.scalars(select(Clock).where(Clock.case_id == case.id, Clock.kind.in_(STAGES))
                           .order_by(Clock.start, Clock.id))
        for c in clocks:
            view.stages.append(Stage(
                name=STAGES[c.kind], started=_local(c.start), finished=_local(c.stopped_at),
                due=None if c.stopped_at else _local(c.due),
                organ="" if accusation or not c.unit_code else orgchart.unit_name(c.unit_code)))
        rated = dict(s.execute(select(Rating.document_id, Rating.rating).where(Rating.case_id == case.id)).all())
        served = s.scalars(select(Document).where(Document.case_id == case.id, Document.to_petitioner.is_(True),
                                                  Document.served_on.is_not(None))
                           .order_by(Document.served_on, Document.seq))
        today = _local(now)
        for d in served:
            result = documents.KINDS[d.kind].result
            until = d.served_on + dt.timedelta(days=RATING_WINDOW_DAYS) if result else None
            view.documents.append(ServedDocument(
                id=d.id, title=d.title, doc_no=d.doc_no, served_on=d.served_on,
                rateable=bool(result and d.id not in rated and today <= until), rating=rated.get(d.id),
                rate_until=until))
    return view


def served_pdf(engine, code: str, document_id: str, now: dt.datetime) -> tuple[bytes, str]:
    """The PDF of a document served on the petitioner of this 查询码."""
    from engine import documents
    from persistence.documents import Document

    with engine.unit_of_work() as s:
        case = case_for_code(s, code, now)
        doc = s.get(Document, document_id)
        if doc is None or doc.case_id != case.id or not doc.to_petitioner or doc.served_on is None:
            raise NotFound("document not found")
        return documents.document_pdf(s, doc), f"{doc.title}-{doc.doc_no}.pdf"


def latest_served_result(engine, case_id: str) -> str | None:
    """The id of the case's most recently served result document, if any."""
    from engine import documents
    from persistence.documents import Document

    results = [k.key for k in documents.KINDS.values() if k.result]
    with engine.unit_of_work(read_only=True) as s:
        return s.scalar(select(Document.id).where(Document.case_id == case_id, Document.kind.in_(results),
                                                  Document.served_on.is_not(None))
                        .order_by(Document.served_on.desc(), Document.issued_at.desc()).limit(1))


def rate_by_code(engine, code: str, document_id: str, rating: str, comment: str, now: dt.datetime) -> None:
    """The petitioner rates a served result, identified by the 查询码 (the public page)."""
    with engine.unit_of_work(read_only=True) as s:
        case_id = case_for_code(s, code, now).id
    rate_result(engine, case_id, document_id, rating, comment, now)


def rate_result(engine, case_id: str, document_id: str, rating: str, comment: str, now: dt.datetime) -> None:
    """Record the evaluation of one served result, once, within its window (第二十一条).

    The rating is an ``evaluation`` event (what 满意率 counts, engine/metrics.py) and a
    ``ratings`` row whose unique document id makes a second rating of the same result
    impossible, even from two requests at once.  不满意 starts a 回访 (return visit)
    task for the 信访局 (processes/return_visit.bpmn).
    """
    from engine import documents
    from persistence.documents import Document, Rating
    from persistence.models import Event

    comment = (comment or "").strip()
    errors = {}
    if rating not in RATINGS:
        errors["rating"] = "请选择满意、基本满意或不满意"
    if len(comment) > 500:
        errors["comment"] = f"意见不超过 500 字（现有 {len(comment)} 字）"
    if errors:
        raise InvalidInput("评价有误", errors)
    try:
        with engine.unit_of_work() as s:
            doc = s.get(Document, document_id)
            if doc is None or doc.case_id != case_id or not documents.KINDS[doc.kind].result or doc.served_on is None:
                raise NotFound("no such result")
            if s.scalar(select(Rating.id).where(Rating.document_id == document_id)) is not None:
                raise Conflict("该结果已评价，每份结果只能评价一次")
            if _local(now) > doc.served_on + dt.timedelta(days=RATING_WINDOW_DAYS):
                raise Conflict(f"已超过评价期限（送达之日起 {RATING_WINDOW_DAYS} 日内）")
            s.add(Rating(case_id=case_id, document_id=document_id, rating=rating, comment=comment,
                         unit=doc.organ, at=now))
            s.add(Event(case_id=case_id, at=now, actor="petitioner", kind="evaluation",
                        data={"satisfied": rating in SATISFIED, "rating": rating, "unit": doc.organ,
                              "document": doc.id, "doc_no": doc.doc_no}))
            doc_no, organ = doc.doc_no, doc.organ
    except IntegrityError:
        raise Conflict("该结果已评价，每份结果只能评价一次") from None
    if rating == "不满意":
        _start_return_visit(engine, case_id, doc_no, organ, comment, now)


def _start_return_visit(engine, case_id: str, doc_no: str, organ: str, comment: str, now: dt.datetime) -> None:
    from engine.errors import EngineError

    petition = engine.get_case(case_id)
    variables = {
        "petition_case_id": case_id, "case_no": petition.variables.get("case_no") or petition.business_key,
        "document_no": doc_no, "evaluated_unit": organ, "rating_comment": comment,
        "rated_at": now.isoformat(), "handling_unit": "xfj",
    }
    try:
        engine.start_case(process_key="return_visit", variables=variables, actor="petitioner")
    except EngineError:  # e.g. the process not deployed: the rating stands, the log says why
        log.exception("could not start the return visit for case %s", case_id)
