"""The supervisor dashboard (督查督办) as a service: what each page and button needs.

Routes stay thin: they hand the raw query string or form to one method here. Every
method asks ``engine.access`` first (only 督查员/领导/管理员; a non-county-wide seat sees
its own unit only; another unit's ids answer NotFound) and then composes the read
queries of ``engine.supervision_queries``, ``engine.metrics`` and the Engine API.

Issuing a letter starts the ``supervision`` process (第四十条: the 信访部门 supervises late
or irregular handling and the unit answers in writing) with ``target_case_id``,
``target_unit``, ``supervision_reason`` and ``supervision_detail``, then records a
``supervision_issued`` event on the supervised case so its timeline shows the letter.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine import access, orgchart
from engine import supervision_queries as queries
from engine.calendar import SHANGHAI, due_for, local_date
from engine.errors import Conflict, InvalidInput, NotFound
from engine.metrics import MetricsReport, compute_metrics
from engine.registration import DOMAINS
from persistence.db import utcnow

DEFAULT_WEEKS = 12
MAX_RANGE_DAYS = 366
DETAIL_LIMIT = 2000
# What a supervisor may say about a row: late (督办函), irregular (督办函), about to be late (风险提醒函).
REASONS = {"overdue": "逾期未办结", "irregular": "受理办理不规范", "due_soon": "即将逾期"}
LETTER_OF_REASON = {"overdue": "督办函", "irregular": "督办函", "due_soon": "风险提醒函"}


@dataclass
class Filters:
    """The dashboard's date range (Asia/Shanghai days, both ends included) and unit."""

    date_from: dt.date
    date_to: dt.date
    unit: str | None = None

    def query_args(self) -> dict[str, str]:
        """The filters as query-string arguments."""
        args = {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat()}
        if self.unit:
            args["unit"] = self.unit
        return args


def default_filters(today: dt.date, unit: str | None = None) -> Filters:
    """The last twelve weeks: from the Monday eleven weeks ago to today."""
    monday = today - dt.timedelta(days=today.weekday())
    return Filters(monday - dt.timedelta(weeks=DEFAULT_WEEKS - 1), today, unit)


def preset_ranges(today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """Ranges offered as one-click links: (label, from, to)."""
    monday = today - dt.timedelta(days=today.weekday())
    return [
        ("本周", monday, today),
        ("近4周", monday - dt.timedelta(weeks=3), today),
        ("近12周", monday - dt.timedelta(weeks=DEFAULT_WEEKS - 1), today),
        ("本月", today.replace(day=1), today),
        ("本年", today.replace(month=1, day=1), today),
    ]


def parse_filters(raw: Mapping[str, Any], today: dt.date) -> Filters:
    """Filters from a query string; InvalidInput names each bad field."""
    default = default_filters(today)
    errors: dict[str, str] = {}
    values: dict[str, dt.date] = {}
    for key, fallback in (("date_from", default.date_from), ("date_to", default.date_to)):
        text = str(raw.get(key) or "").strip()
        try:
            values[key] = dt.date.fromisoformat(text) if text else fallback
        except ValueError:
            errors[key] = "日期格式应为 YYYY-MM-DD"
    unit = str(raw.get("unit") or "").strip() or None
    if unit is not None:
        try:
            orgchart.unit(unit)
        except KeyError:
            errors["unit"] = "单位不存在"
    if not errors:
        if values["date_to"] < values["date_from"]:
            errors["date_to"] = "截止日期不能早于起始日期"
        elif (values["date_to"] - values["date_from"]).days >= MAX_RANGE_DAYS:
            errors["date_to"] = f"统计区间不超过 {MAX_RANGE_DAYS} 天"
    if errors:
        raise InvalidInput("统计条件有误", errors)
    return Filters(values["date_from"], values["date_to"], unit)


@dataclass
class Overview:
    """Everything the dashboard page shows."""

    filters: Filters
    as_of: dt.datetime
    report: MetricsReport
    weeks: list[queries.WeekFigures]
    domains: list[queries.DomainFigures]
    late: list[tuple[str | None, list[queries.MatterRow]]]  # one row per matter
    due_soon: list[tuple[str | None, list[queries.MatterRow]]]
    units: list[orgchart.Unit]  # the units the user may pick
    can_issue: bool
    late_count: int = 0
    due_soon_count: int = 0
    presets: list[tuple[str, dt.date, dt.date]] = field(default_factory=list)
    late_page: int = 1
    soon_page: int = 1
    page_size: int = queries.LIST_PAGE_SIZE

    @property
    def late_pages(self) -> int:
        return max(1, -(-self.late_count // self.page_size))

    @property
    def soon_pages(self) -> int:
        return max(1, -(-self.due_soon_count // self.page_size))

    @property
    def scope_name(self) -> str:
        return orgchart.unit_name(self.filters.unit) if self.filters.unit else "全县"


@dataclass
class LetterPreview:
    """A letter shown for confirmation before it is issued."""

    row: queries.ClockRow
    letter: str
    reason: str
    reason_label: str
    detail: str
    reply_due: dt.datetime
    reply_kind: str
    issued_by: Any


@dataclass
class IssuedLetter:
    """A letter just issued: the supervision case and what it was about."""

    supervision_case_id: str
    case_id: str
    case_no: str
    unit: str
    letter: str
    reason: str
    extra: dict[str, Any] = field(default_factory=dict)


class Dashboard:
    """The supervisor dashboard over one Engine."""

    def __init__(self, engine):
        self.engine = engine

    # ------------------------------------------------------------------ reading
    def filters_for(self, user, raw: Mapping[str, Any], now: dt.datetime | None = None) -> Filters:
        """Parsed filters with the unit narrowed to what ``user`` may see."""
        access.check_dashboard(user)
        filters = parse_filters(raw, local_date(now or utcnow()))
        filters.unit = access.dashboard_unit(user, filters.unit)
        return filters

    def overview(self, user, filters: Filters, now: dt.datetime | None = None, *, late_page: int = 1,
                 soon_page: int = 1) -> Overview:
        """The page: figures, weekly/domain/unit series and one page of each of the late and due-soon lists."""
        access.check_dashboard(user)
        as_of = now or utcnow()
        size = queries.LIST_PAGE_SIZE
        late_page, soon_page = max(1, int(late_page)), max(1, int(soon_page))
        with self.engine.unit_of_work() as s:
            report = compute_metrics(s, filters.date_from, filters.date_to, as_of=as_of, unit=filters.unit,
                                     due_soon_days=queries.DUE_SOON_DAYS)
            weeks = queries.weekly_figures(s, filters.date_from, filters.date_to, as_of=as_of, unit=filters.unit)
            domains = queries.domain_figures(s, filters.date_from, filters.date_to, as_of=as_of,
                                             unit=filters.unit, domains=DOMAINS)
            late, late_count = queries.clock_page(s, user, "late", as_of=as_of, unit=filters.unit,
                                                  offset=(late_page - 1) * size, limit=size)
            soon, soon_count = queries.clock_page(s, user, "soon", as_of=as_of, unit=filters.unit,
                                                  offset=(soon_page - 1) * size, limit=size)
            # one row per matter: a 督办's answer clock joins the supervised case's row
            late_m, soon_m = queries.matters_of(s, late), queries.matters_of(s, soon)
            # the headings count matters: clocks folded into a row on this page are not counted twice
            late_count -= len(late) - len(late_m)
            soon_count -= len(soon) - len(soon_m)
            late, soon = late_m, soon_m
        units = list(orgchart.UNITS) if user.county_wide else [orgchart.unit(user.unit_code)]
        return Overview(filters=filters, as_of=as_of, report=report, weeks=weeks, domains=domains,
                        late=queries.group_by_unit(late), due_soon=queries.group_by_unit(soon), units=units,
                        can_issue=user.has_role(*access.LETTER_ROLES), late_count=late_count,
                        due_soon_count=soon_count, presets=preset_ranges(local_date(as_of)),
                        late_page=late_page, soon_page=soon_page, page_size=size)

    def metrics(self, user, filters: Filters, now: dt.datetime | None = None) -> dict[str, Any]:
        """The figures as JSON: totals of the scope, per unit, per week and per domain."""
        access.check_dashboard(user)
        as_of = now or utcnow()
        with self.engine.unit_of_work() as s:
            report = compute_metrics(s, filters.date_from, filters.date_to, as_of=as_of, unit=filters.unit,
                                     due_soon_days=queries.DUE_SOON_DAYS)
            weeks = queries.weekly_figures(s, filters.date_from, filters.date_to, as_of=as_of, unit=filters.unit)
            domains = queries.domain_figures(s, filters.date_from, filters.date_to, as_of=as_of,
                                             unit=filters.unit, domains=DOMAINS)
        return {
            "date_from": filters.date_from.isoformat(),
            "date_to": filters.date_to.isoformat(),
            "as_of": as_of.astimezone(SHANGHAI).isoformat(),
            "scope": filters.unit or "county",
            "scope_name": orgchart.unit_name(filters.unit) if filters.unit else "全县",
            "due_soon_days": queries.DUE_SOON_DAYS,
            "totals": report.county.to_dict(),
            "units": {code: m.to_dict() for code, m in sorted(report.units.items())},
            "weeks": [w.to_dict() for w in weeks],
            "domains": [d.to_dict() for d in domains],
        }

    # ------------------------------------------------------------------ acting
    def _letter_request(self, user, clock_id: int | str, raw: Mapping[str, Any], as_of: dt.datetime):
        """(clock row, reason, detail) of a letter request, checked; the errors a form shows."""
        access.check_dashboard(user)
        access.check_issue_letter(user)
        try:
            clock_id = int(clock_id)
        except (TypeError, ValueError):
            raise NotFound(f"clock {clock_id!r} not found") from None
        with self.engine.unit_of_work() as s:
            row = queries.clock_for_letter(s, user, clock_id, as_of)
        if row is None or not row.can_supervise:
            raise NotFound(f"clock {clock_id} not found")
        reason = str(raw.get("reason") or ("overdue" if row.overdue else "due_soon")).strip()
        detail = " ".join(str(raw.get("detail") or "").split())
        errors = {}
        if reason not in REASONS:
            errors["reason"] = "请选择督办事由"
        elif row.overdue and reason == "due_soon":
            errors["reason"] = "期限已届满，应发督办函"
        elif not row.overdue and reason == "overdue":
            errors["reason"] = "期限尚未届满，可发风险提醒函"
        if not detail:
            errors["detail"] = "请填写情况说明"
        elif len(detail) > DETAIL_LIMIT:
            errors["detail"] = f"情况说明不超过 {DETAIL_LIMIT} 字"
        if errors:
            raise InvalidInput("督办信息有误", errors)
        return row, reason, detail

    def preview_letter(self, user, clock_id: int | str, raw: Mapping[str, Any],
                       now: dt.datetime | None = None) -> LetterPreview:
        """The letter as it would be issued now (nothing is issued): to whom, why, until when."""
        as_of = now or utcnow()
        row, reason, detail = self._letter_request(user, clock_id, raw, as_of)
        letter = LETTER_OF_REASON[reason]
        answer_kind = "risk_reminder_answer" if reason == "due_soon" else "supervision_answer"
        return LetterPreview(row=row, letter=letter, reason=reason, reason_label=REASONS[reason], detail=detail,
                             reply_due=due_for(answer_kind, as_of).due, reply_kind=answer_kind, issued_by=user)

    def issue_letter(self, user, clock_id: int | str, raw: Mapping[str, Any],
                     now: dt.datetime | None = None) -> IssuedLetter:
        """Start the ``supervision`` process for the unit and case of one open clock, in one step.

        ``raw`` holds ``reason`` (overdue | irregular for a late period, due_soon for one
        about to end) and ``detail`` (情况说明). NotFound for a clock the user may not see or
        that is no longer running; Conflict while a letter to that unit about that case is
        still being handled.
        """
        as_of = now or utcnow()
        row, reason, detail = self._letter_request(user, clock_id, raw, as_of)
        if row.letter is not None and row.letter.open:
            raise Conflict(f"已于 {row.letter.at.astimezone(SHANGHAI):%Y-%m-%d} 向{row.unit_name}发出"
                           f"{row.letter.letter}，督办尚未办结")
        letter = LETTER_OF_REASON[reason]
        supervision = self.engine.start_case(
            process_key=queries.SUPERVISION_PROCESS, business_key=f"督-{row.case_no}",
            variables={"target_case_id": row.case_id, "target_case_no": row.case_no, "target_unit": row.unit_code,
                       "target_clock": row.kind, "target_due": row.due.astimezone(SHANGHAI).isoformat(),
                       "supervision_reason": reason, "supervision_detail": detail,
                       "title": f"{letter}：{row.unit_name} {row.case_no}", "issued_by": user.username},
            actor=user.username)
        data = {"supervision_case_id": supervision.id, "letter": letter, "unit": row.unit_code, "reason": reason,
                "detail": detail, "clock": row.kind, "due": row.due.astimezone(SHANGHAI).isoformat(),
                "days_overdue": row.days if row.overdue else 0}
        self.engine.record_event(row.case_id, user.username, queries.LETTER_EVENT, data)
        return IssuedLetter(supervision_case_id=supervision.id, case_id=row.case_id, case_no=row.case_no,
                            unit=row.unit_code, letter=letter, reason=reason, extra=data)
