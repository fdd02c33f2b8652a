"""案件查询: find a petition by number, petitioner, id number, phone, text, unit, status,
registration date or overdue state; page through the result; export it.

Reads only the short indexed rows of ``case_search`` (kept by ``sync_row`` after each
step), the ``cases`` row for status and the access policy, and ``clocks`` for the
overdue state. Pages are keyset pages (a cursor of the last row's sort value and id),
so page 50 costs what page 1 costs. Only cases the user may see are ever returned
(``engine.access.case_filter_for``).
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine import access, orgchart
from engine.calendar import SHANGHAI, end_of_day
from engine.errors import Forbidden, InvalidInput
from engine.registration import mask_id_number
from persistence.case_search import CaseSearchRow
from persistence.db import utcnow
from persistence.models import Case, CaseUnit
from persistence.models_clocks import Clock

PAGE_SIZE = 20
# An export is the result of one search, not a dump of the database.
EXPORT_LIMIT = 5000
EXPORT_ROLES = frozenset({"supervisor", "leader", "admin"})
TEXT_LIMIT = 200
# Periods that are nobody's duty (the petitioner's request windows, the objection
# window), left out of "overdue" as on the supervisor dashboard.
NOT_DUTIES = ("review_window", "recheck_window", "objection")
STATUSES = {"running": "办理中", "completed": "已办结", "cancelled": "已撤销"}
SORTS = {
    "new": "登记时间（新→旧）",
    "old": "登记时间（旧→新）",
    "no": "案件编号（小→大）",
    "no_desc": "案件编号（大→小）",
}
EXPORT_COLUMNS = ("案件编号", "登记时间", "信访人", "身份证号码", "联系电话", "标题", "承办单位", "状态", "是否超期")


# ---------------------------------------------------------------- the index rows

def row_from_summary(summary: Mapping[str, Any]) -> dict[str, Any] | None:
    """The searchable fields of a case summary, or None when it is not a petition."""
    case_no = summary.get("case_no")
    name = summary.get("petitioner_name")
    if not case_no and not name:
        return None
    text = " ".join(str(summary.get(k) or "") for k in ("title", "request")).strip()

    def short(key: str, n: int) -> str | None:
        value = summary.get(key)
        return str(value)[:n] if value not in (None, "") else None

    return {"case_no": short("case_no", 64), "petitioner_name": short("petitioner_name", 100),
            "id_number": (short("petitioner_id_number", 32) or "").upper() or None,
            "phone": short("petitioner_phone", 32), "handling_unit": short("handling_unit", 64),
            "title": short("title", 200), "text": text[: 2 * TEXT_LIMIT + 1] or None}


def sync_row(session: Session, case_id: str, received_at: dt.datetime, before: Mapping[str, Any],
             after: Mapping[str, Any]) -> None:
    """Write the case's search row when a searchable field changed between two summaries."""
    row = row_from_summary(after)
    if row is None or row == row_from_summary(before):
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(CaseSearchRow).values(case_id=case_id, received_at=received_at, **row)
    session.execute(statement.on_conflict_do_update(index_elements=[CaseSearchRow.case_id], set_=row))


# ---------------------------------------------------------------- the query

@dataclass
class CaseQuery:
    """What the search form asked for, checked."""

    number: str = ""
    name: str = ""
    id_number: str = ""
    phone: str = ""
    text: str = ""
    unit: str = ""
    status: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    overdue: bool = False
    sort: str = "new"
    after: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not any((self.number, self.name, self.id_number, self.phone, self.text, self.unit, self.status,
                        self.date_from, self.date_to, self.overdue))

    def args(self, **changes: Any) -> dict[str, str]:
        """The query as URL parameters (for the next page and the export links)."""
        out = {"number": self.number, "name": self.name, "id_number": self.id_number, "phone": self.phone,
               "text": self.text, "unit": self.unit, "status": self.status,
               "date_from": self.date_from.isoformat() if self.date_from else "",
               "date_to": self.date_to.isoformat() if self.date_to else "",
               "overdue": "1" if self.overdue else "", "sort": self.sort if self.sort != "new" else ""}
        out.update(changes)
        return {k: v for k, v in out.items() if v}


def _date(raw: str, label: str, errors: dict[str, str], key: str) -> dt.date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[key] = f"{label}格式不对，请写成 2026-01-31"
        return None


def parse_query(args: Mapping[str, str]) -> CaseQuery:
    """The search form's fields, trimmed and checked; mistakes go to ``errors`` in Chinese."""
    def text(key: str, n: int = 100) -> str:
        return (args.get(key) or "").strip()[:n]

    errors: dict[str, str] = {}
    q = CaseQuery(number=text("number", 64).upper(), name=text("name"), id_number=text("id_number", 32).upper(),
                  phone=text("phone", 32), text=text("text"), unit=text("unit", 64), status=text("status", 20),
                  overdue=(args.get("overdue") or "") in ("1", "on", "true", "yes"),
                  sort=text("sort", 10) or "new", after=text("after", 200), errors=errors)
    q.date_from = _date(args.get("date_from", ""), "登记日期（起）", errors, "date_from")
    q.date_to = _date(args.get("date_to", ""), "登记日期（止）", errors, "date_to")
    if q.date_from and q.date_to and q.date_from > q.date_to:
        errors["date_to"] = "登记日期（止）不能早于（起）"
    if q.id_number and not re.fullmatch(r"[0-9X]{4,18}", q.id_number):
        errors["id_number"] = "身份证号码只能是数字和 X（可只输入前几位）"
    if q.phone and not re.fullmatch(r"[0-9+\- ]{3,32}", q.phone):
        errors["phone"] = "联系电话只能是数字"
    if q.unit and orgchart.unit_name(q.unit) == q.unit:
        errors["unit"] = "没有这个单位"
    if q.status and q.status not in STATUSES:
        errors["status"] = "没有这个状态"
    if q.sort not in SORTS:
        q.sort = "new"
    return q


def _prefix(column, value: str):
    # A range instead of LIKE 'x%': uses the index on both SQLite and PostgreSQL.
    return and_(column >= value, column < value + "\uffff")


def _overdue_clause(as_of: dt.datetime):
    return exists().where(Clock.case_id == CaseSearchRow.case_id, Clock.stopped_at.is_(None),
                          Clock.paused_at.is_(None), Clock.due < as_of, Clock.kind.not_in(NOT_DUTIES))


def _conditions(user, q: CaseQuery, as_of: dt.datetime) -> list:
    where = [access.case_filter_for(user)]
    if q.number:
        where.append(_prefix(CaseSearchRow.case_no, q.number))
    if q.name:
        where.append(_prefix(CaseSearchRow.petitioner_name, q.name))
    if q.id_number:
        where.append(CaseSearchRow.id_number == q.id_number if len(q.id_number) == 18
                     else _prefix(CaseSearchRow.id_number, q.id_number))
    if q.phone:
        where.append(CaseSearchRow.phone == q.phone.replace(" ", ""))
    if q.text:
        escaped = q.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(CaseSearchRow.text.like(f"%{escaped}%", escape="\\"))
    if q.unit:
        where.append(exists().where(CaseUnit.case_id == CaseSearchRow.case_id, CaseUnit.unit_code == q.unit,
                                    or_(CaseUnit.role.is_(None), CaseUnit.role != access.ACCUSED)))
    if q.status:
        where.append(Case.status == q.status)
    if q.date_from:
        where.append(CaseSearchRow.received_at >= end_of_day(q.date_from - dt.timedelta(days=1)))
    if q.date_to:
        where.append(CaseSearchRow.received_at <= end_of_day(q.date_to))
    if q.overdue:
        where.append(_overdue_clause(as_of))
    return where


def _sort(q: CaseQuery):
    column = CaseSearchRow.received_at if q.sort in ("new", "old") else CaseSearchRow.case_no
    descending = q.sort in ("new", "no_desc")
    return column, descending


def _cursor_of(q: CaseQuery, hit: CaseHit) -> str:
    value = hit.received_at.isoformat() if q.sort in ("new", "old") else (hit.case_no or "")
    return f"{value}~{hit.case_id}"


def _after(q: CaseQuery):
    """The keyset condition 'after the row the cursor names', or None for the first page."""
    value, sep, case_id = q.after.rpartition("~")
    if not sep or not case_id:
        return None
    column, descending = _sort(q)
    if column is CaseSearchRow.received_at:
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        if value.tzinfo is None:
            return None
    beyond = column < value if descending else column > value
    tie = CaseSearchRow.case_id < case_id if descending else CaseSearchRow.case_id > case_id
    return or_(beyond, and_(column == value, tie))


@dataclass
class CaseHit:
    """One case in the result list."""

    case_id: str
    case_no: str | None
    received_at: dt.datetime
    petitioner_name: str | None
    id_masked: str
    phone: str | None
    title: str
    handling_unit: str | None
    status: str
    overdue: bool = False

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def unit_name(self) -> str:
        return orgchart.unit_name(self.handling_unit) if self.handling_unit else "—"


@dataclass
class SearchPage:
    """One page of results; ``next_after`` is the cursor of the next page (None on the last)."""

    query: CaseQuery
    hits: list[CaseHit]
    next_after: str | None
    searched: bool
    can_export: bool


def _hits(session: Session, user, q: CaseQuery, as_of: dt.datetime, limit: int) -> list[CaseHit]:
    column, descending = _sort(q)
    order = (column.desc(), CaseSearchRow.case_id.desc()) if descending else (column.asc(), CaseSearchRow.case_id)
    query = (select(CaseSearchRow, Case.status).join(Case, Case.id == CaseSearchRow.case_id)
             .where(*_conditions(user, q, as_of)).order_by(*order).limit(limit))
    after = _after(q)
    if after is not None:
        query = query.where(after)
    hits = []
    for row, status in session.execute(query):
        title = row.title or (row.text or "")[:60]
        hits.append(CaseHit(case_id=row.case_id, case_no=row.case_no, received_at=row.received_at,
                            petitioner_name=row.petitioner_name, id_masked=mask_id_number(row.id_number),
                            phone=row.phone, title=title, handling_unit=row.handling_unit, status=status))
    if hits:
        late = set(session.scalars(select(Clock.case_id).where(
            Clock.case_id.in_([h.case_id for h in hits]), Clock.stopped_at.is_(None), Clock.paused_at.is_(None),
            Clock.due < as_of, Clock.kind.not_in(NOT_DUTIES))))
        for h in hits:
            h.overdue = h.case_id in late and h.status == "running"
    return hits


def can_export(user) -> bool:
    """True when the user may export a search result (督查员, 领导, 管理员)."""
    return user.has_role(*EXPORT_ROLES)


def search_cases(engine, user, args: Mapping[str, str], *, as_of: dt.datetime | None = None,
                 page_size: int = PAGE_SIZE) -> SearchPage:
    """One page of the cases ``user`` may see that match the search form ``args``.

    An empty form lists the newest cases; a form with mistakes lists nothing and names them.
    """
    q = parse_query(args)
    if q.errors:
        return SearchPage(q, [], None, searched=False, can_export=can_export(user))
    as_of = as_of or utcnow()
    with engine.unit_of_work(read_only=True) as s:
        hits = _hits(s, user, q, as_of, page_size + 1)
    more = len(hits) > page_size
    hits = hits[:page_size]
    return SearchPage(q, hits, _cursor_of(q, hits[-1]) if more else None, searched=True,
                      can_export=can_export(user))


# ---------------------------------------------------------------- export

def _export_rows(engine, user, q: CaseQuery, as_of: dt.datetime) -> list[list[str]]:
    q.after = ""
    with engine.unit_of_work(read_only=True) as s:
        hits = _hits(s, user, q, as_of, EXPORT_LIMIT)
    return [[h.case_no or "", h.received_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M"),
             h.petitioner_name or "", h.id_masked, h.phone or "", h.title, h.unit_name if h.handling_unit else "",
             h.status_label, "是" if h.overdue else "否"] for h in hits]


def _safe_cell(value: str) -> str:
    # A cell starting with = + - @ would be a formula to a spreadsheet program.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def export_cases(engine, user, args: Mapping[str, str], fmt: str, *,
                 as_of: dt.datetime | None = None) -> tuple[str, str, bytes]:
    """The whole result of a search (at most ``EXPORT_LIMIT`` rows) as (file name, MIME type, bytes).

    ``fmt`` is ``csv`` (UTF-8 with BOM, which Excel opens in Chinese) or ``xlsx``.
    """
    if not can_export(user):
        raise Forbidden("只有督查员、领导和管理员可以导出查询结果")
    q = parse_query(args)
    if q.errors:
        raise InvalidInput("查询条件有误", errors=q.errors)
    as_of = as_of or utcnow()
    rows = [[_safe_cell(v) for v in row] for row in _export_rows(engine, user, q, as_of)]
    stamp = as_of.astimezone(SHANGHAI).strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("案件查询")
        sheet.append(list(EXPORT_COLUMNS))
        for row in rows:
            sheet.append(row)
        out = io.BytesIO()
        book.save(out)
        return (f"案件查询-{stamp}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                out.getvalue())
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(rows)
    return f"案件查询-{stamp}.csv", "text/csv; charset=utf-8", ("\ufeff" + text.getvalue()).encode("utf-8")
