"""Read queries behind the supervisor dashboard (督查督办): late and nearly late work by unit,
letters already issued, and the county's figures by week and by domain.

Every function takes a SQLAlchemy session and never commits. "Overdue" and "due soon"
use the definitions of ``engine.metrics`` (running, unpaused statutory clocks, due soon
by the end of the day ``DUE_SOON_DAYS`` days ahead (``engine.calendar.due_soon_until``); the petitioner's own request windows are not an organ's
duty and are left out) and, in addition, leave out the objection window (``NOT_DUTIES``)
and periods of cases no longer running. Visibility is the access policy's
``case_filter_for(user)``: a row of a case the user may not see is never returned.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import Session

from engine import access, orgchart
from engine.calendar import DUE_SOON_DAYS, due_soon_until, local_date
from engine.metrics import HANDLING_KINDS, WINDOW_KINDS, Rate, compute_metrics, range_bounds, running_at
from persistence.models import Case, CaseUnit, Event, Task
from persistence.models_clocks import Clock

# Periods that are nobody's duty to finish, left out of the lists: the petitioner's own
# request windows (as in engine.metrics) and a unit's 5-working-day objection window
# (第二十三条: when it lapses the matter is simply taken as accepted).
NOT_DUTIES = (*WINDOW_KINDS, "objection")
# The event written on the supervised case when a letter is issued from the dashboard.
LETTER_EVENT = "supervision_issued"
SUPERVISION_PROCESS = "supervision"
NO_DOMAIN = "未分类"


@dataclass
class LetterInfo:
    """The latest 督办函 / 风险提醒函 issued about one case and unit."""

    supervision_case_id: str
    letter: str
    at: datetime
    by: str | None
    open: bool  # the supervision case is still running


@dataclass
class ClockRow:
    """One overdue or nearly due statutory period, with its case and what is pending."""

    clock_id: int
    case_id: str
    process_key: str
    kind: str
    unit_code: str | None
    start: datetime
    due: datetime
    extended_days: int
    overdue: bool
    days: int  # calendar days overdue (>= 1) or left (>= 0), Asia/Shanghai dates
    summary: dict[str, Any]
    business_key: str | None
    pending_tasks: list[str] = field(default_factory=list)
    letter: LetterInfo | None = None

    @property
    def unit_name(self) -> str:
        return orgchart.unit_name(self.unit_code) if self.unit_code else "未指定单位"

    @property
    def case_no(self) -> str:
        return self.summary.get("case_no") or self.business_key or self.case_id[:8]

    @property
    def can_supervise(self) -> bool:
        """A letter may be issued: the period belongs to a unit and is not itself a supervision."""
        return bool(self.unit_code) and self.process_key != SUPERVISION_PROCESS


def _open_clock_conditions(as_of: datetime):
    # Running at ``as_of`` exactly as engine.metrics counts it, and of a case still running
    # (a cancelled case's periods are nobody's duty any more).
    return (Clock.kind.not_in(NOT_DUTIES), Clock.start <= as_of,
            or_(Clock.stopped_at.is_(None), Clock.stopped_at > as_of), Case.status == "running")


def _row(clock: Clock, case: Case, as_of: datetime) -> ClockRow | None:
    """The clock as a list row, or None when it is neither overdue nor due soon (paused)."""
    paused = clock.paused_at is not None and clock.paused_at <= as_of
    overdue = not paused and clock.due < as_of
    if not overdue and clock.due < as_of:
        return None  # paused past its old due: the due moves when it resumes
    today = local_date(as_of)
    days = (today - local_date(clock.due)).days if overdue else (local_date(clock.due) - today).days
    return ClockRow(
        clock_id=clock.id, case_id=case.id, process_key=case.process_key, kind=clock.kind,
        unit_code=clock.unit_code, start=clock.start, due=clock.due, extended_days=clock.extended_days or 0,
        overdue=overdue, days=max(1, days) if overdue else max(0, days), summary=dict(case.summary or {}),
        business_key=case.business_key)


LIST_PAGE_SIZE = 50  # rows per page of the dashboard's late and due-soon lists


def _list_conditions(which: str, as_of: datetime, soon: datetime):
    paused = and_(Clock.paused_at.is_not(None), Clock.paused_at <= as_of)
    if which == "late":
        return (~paused, Clock.due < as_of)
    return (Clock.due >= as_of, Clock.due < soon)


def clock_page(session: Session, user, which: str, *, as_of: datetime, unit: str | None = None,
               offset: int = 0, limit: int | None = LIST_PAGE_SIZE,
               due_soon_days: int = DUE_SOON_DAYS) -> tuple[list[ClockRow], int]:
    """One page of the overdue (``which="late"``, most overdue first) or due-soon rows
    (soonest first) visible to ``user``, and how many there are in all.

    Open clocks are read by due through the (stopped_at, due) index in two parts (still
    running; stopped only after ``as_of``), each cut at ``offset + limit``, so a page costs
    its own rows and the count, not the number of open cases.
    """
    soon = due_soon_until(as_of, due_soon_days)
    found: list[tuple[Clock, Case]] = []
    total = 0
    for running in running_at(session, as_of):
        conditions = (running, Clock.kind.not_in(NOT_DUTIES), Clock.start <= as_of, Case.status == "running",
                      *_list_conditions(which, as_of, soon), access.case_filter_for(user),
                      *((Clock.unit_code == unit,) if unit else ()))
        query = (select(Clock, Case).join(Case, Case.id == Clock.case_id).where(*conditions)
                 .order_by(Clock.due, Clock.id))
        if limit is not None:
            query = query.limit(offset + limit)
        found.extend(tuple(r) for r in session.execute(query))
        total += session.scalar(select(func.count()).select_from(Clock).join(Case, Case.id == Clock.case_id)
                                .where(*conditions)) or 0
    found.sort(key=lambda pair: (pair[0].due, pair[0].id))
    page = found[offset:offset + limit] if limit is not None else found[offset:]
    rows = [r for r in (_row(clock, case, as_of) for clock, case in page) if r is not None]
    _attach_pending_tasks(session, rows)
    _attach_letters(session, rows)
    return rows, total


def late_and_due_soon(session: Session, user, *, as_of: datetime, unit: str | None = None,
                      due_soon_days: int = DUE_SOON_DAYS) -> tuple[list[ClockRow], list[ClockRow]]:
    """(every overdue row, most overdue first; every due-soon row, soonest first) visible to ``user``."""
    late, _ = clock_page(session, user, "late", as_of=as_of, unit=unit, limit=None, due_soon_days=due_soon_days)
    soon, _ = clock_page(session, user, "soon", as_of=as_of, unit=unit, limit=None, due_soon_days=due_soon_days)
    return late, soon


def group_by_unit(rows: list[ClockRow]) -> list[tuple[str | None, list[ClockRow]]]:
    """Rows grouped by unit, the unit with most rows first (then by name)."""
    groups: dict[str | None, list[ClockRow]] = defaultdict(list)
    for r in rows:
        groups[r.unit_code].append(r)
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), orgchart.unit_name(kv[0] or "")))


def _attach_pending_tasks(session: Session, rows: list[ClockRow]) -> None:
    ids = {r.case_id for r in rows}
    if not ids:
        return
    names: dict[str, list[str]] = defaultdict(list)
    for case_id, name in session.execute(select(Task.case_id, Task.name).where(
            Task.case_id.in_(ids), Task.state == "ready").order_by(Task.created_at)):
        if name and name not in names[case_id]:
            names[case_id].append(name)
    for r in rows:
        r.pending_tasks = names.get(r.case_id, [])


def letters_for(session: Session, case_ids: set[str]) -> dict[tuple[str, str | None], LetterInfo]:
    """The latest letter per (supervised case, unit) among ``case_ids``."""
    if not case_ids:
        return {}
    found: dict[tuple[str, str | None], LetterInfo] = {}
    events = list(session.execute(select(Event.case_id, Event.at, Event.actor, Event.data).where(
        Event.case_id.in_(case_ids), Event.kind == LETTER_EVENT).order_by(Event.at, Event.id)))
    sup_ids = {(d or {}).get("supervision_case_id") for *_, d in events} - {None}
    running = set(session.scalars(select(Case.id).where(Case.id.in_(sup_ids), Case.status == "running"))) \
        if sup_ids else set()
    for case_id, at, actor, data in events:
        data = data or {}
        sup = data.get("supervision_case_id")
        found[(case_id, data.get("unit"))] = LetterInfo(
            supervision_case_id=sup, letter=data.get("letter") or "督办函", at=at, by=actor, open=sup in running)
    return found


def _attach_letters(session: Session, rows: list[ClockRow]) -> None:
    letters = letters_for(session, {r.case_id for r in rows})
    for r in rows:
        r.letter = letters.get((r.case_id, r.unit_code))


def clock_for_letter(session: Session, user, clock_id: int, as_of: datetime) -> ClockRow | None:
    """The open clock ``clock_id`` as a row, or None when it is missing, closed or not visible."""
    query = (select(Clock, Case).join(Case, Case.id == Clock.case_id)
             .where(Clock.id == clock_id, *_open_clock_conditions(as_of), access.case_filter_for(user)))
    found = session.execute(query).first()
    if found is None:
        return None
    row = _row(*found, as_of)
    if row is not None:
        _attach_letters(session, [row])
    return row


# ---------------------------------------------------------------------- figures
@dataclass
class WeekFigures:
    """The metrics of one week (Monday to Sunday, clipped to the chosen range)."""

    week_start: date
    week_end: date
    metrics: Any  # engine.metrics.UnitMetrics of the scope

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"week_start": self.week_start.isoformat(), "week_end": self.week_end.isoformat(),
                **self.metrics.to_dict()}


def weeks_in(date_from: date, date_to: date) -> list[tuple[date, date]]:
    """Monday-to-Sunday weeks covering the range, the first and last clipped to it."""
    out = []
    start = date_from
    while start <= date_to:
        end = min(start + timedelta(days=6 - start.weekday()), date_to)
        out.append((start, end))
        start = end + timedelta(days=1)
    return out


def weekly_figures(session: Session, date_from: date, date_to: date, *, as_of: datetime,
                   unit: str | None = None) -> list[WeekFigures]:
    """Each week's rates, and its overdue / due-soon counts as they stood at the week's end."""
    out = []
    for start, end in weeks_in(date_from, date_to):
        _, week_end = range_bounds(start, end)
        at = min(as_of, week_end - timedelta(seconds=1))
        report = compute_metrics(session, start, end, as_of=at, unit=unit, due_soon_days=DUE_SOON_DAYS)
        out.append(WeekFigures(start, end, report.county))
    return out


@dataclass
class DomainFigures:
    """Petitions and deadlines of one domain (重点领域) in the range."""

    domain: str
    received: int = 0  # petitions registered in the range
    on_time_handling: Rate = field(default_factory=Rate)
    overdue: int = 0
    due_soon: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"domain": self.domain, "received": self.received,
                "on_time_handling": self.on_time_handling.to_dict(),
                "overdue": self.overdue, "due_soon": self.due_soon}


def domain_figures(session: Session, date_from: date, date_to: date, *, as_of: datetime,
                   unit: str | None = None, domains: tuple[str, ...] = ()) -> list[DomainFigures]:
    """Per domain: petitions received, 按期办理率 and overdue / due-soon counts.

    按期办理率 and the snapshot counts follow ``engine.metrics`` exactly, grouped by the
    case's ``domain`` instead of the clock's unit; ``received`` counts ``petition`` cases
    started in the range (of ``unit`` when given: the unit is involved in the case).
    """
    start, end = range_bounds(date_from, date_to)
    out = {d: DomainFigures(d) for d in domains}
    domain = Case.summary["domain"].as_string()

    def row(name) -> DomainFigures:
        d = name or NO_DOMAIN
        return out.setdefault(d, DomainFigures(d))

    # Counted in SQL by domain: the rows read are the range's petitions and decided
    # clocks and the open clocks due before the window's end, never every open case.
    received = select(domain, func.count()).where(Case.process_key == "petition", Case.started_at >= start,
                                                  Case.started_at < end, Case.started_at <= as_of)
    if unit:
        received = received.where(exists().where(CaseUnit.case_id == Case.id, CaseUnit.unit_code == unit))
    for name, n in session.execute(received.group_by(domain)):
        row(name).received += n

    on_time = func.sum(case((and_(Clock.stopped_at.is_not(None), Clock.stopped_at <= Clock.due), 1), else_=0))
    for decided in (
            select(domain, on_time, func.count()).join(Case, Case.id == Clock.case_id).where(
                Clock.kind.in_(HANDLING_KINDS), Clock.stopped_at >= start, Clock.stopped_at < end,
                Clock.stopped_at <= as_of),
            select(domain, on_time, func.count()).join(Case, Case.id == Clock.case_id).where(
                Clock.kind.in_(HANDLING_KINDS), Clock.stopped_at.is_(None), Clock.paused_at.is_(None),
                Clock.due >= start, Clock.due < end, Clock.due < as_of)):
        if unit:
            decided = decided.where(Clock.unit_code == unit)
        for name, successes, n in session.execute(decided.group_by(domain)):
            row(name).on_time_handling.add_many(n, int(successes or 0))

    soon = due_soon_until(as_of, DUE_SOON_DAYS)
    paused = and_(Clock.paused_at.is_not(None), Clock.paused_at <= as_of)
    overdue = func.sum(case((and_(~paused, Clock.due < as_of), 1), else_=0))
    due_soon = func.sum(case((Clock.due >= as_of, 1), else_=0))
    for running in running_at(session, as_of):
        query = select(domain, overdue, due_soon).join(Case, Case.id == Clock.case_id).where(
            running, Clock.kind.not_in(NOT_DUTIES), Clock.start <= as_of, Case.status == "running", Clock.due < soon)
        if unit:
            query = query.where(Clock.unit_code == unit)
        for name, n_overdue, n_soon in session.execute(query.group_by(domain)):
            row(name).overdue += int(n_overdue or 0)
            row(name).due_soon += int(n_soon or 0)
    order = {d: i for i, d in enumerate(domains)}
    return sorted(out.values(), key=lambda f: (order.get(f.domain, len(order)), f.domain))


# ---------------------------------------------------------------------- one row per matter
REPLY_STATES = {"Task_answer_letter": "待书面答复", "Task_check_answer": "已答复，待审核",
                "Task_risk_feedback": "待反馈防范措施"}


@dataclass
class MatterRow:
    """One matter on the overdue/due-soon lists with all its running clocks, its own and
    those of the 督办 about it (a 督办 is never a row of its own)."""

    case_id: str
    case_no: str
    summary: dict[str, Any]
    clocks: list[ClockRow]
    lead: ClockRow  # the matter's own clock a letter is about (most overdue, else soonest)
    pending_tasks: list[str] = field(default_factory=list)
    letter: LetterInfo | None = None
    reply_state: str | None = None  # where the reply to the letter stands
    reply_due: datetime | None = None

    @property
    def overdue(self) -> bool:
        return any(c.overdue for c in self.clocks)

    @property
    def unit_code(self) -> str | None:
        return self.lead.unit_code

    @property
    def unit_name(self) -> str:
        return self.lead.unit_name

    @property
    def can_supervise(self) -> bool:
        return self.lead.can_supervise

    @property
    def clock_id(self) -> int:
        return self.lead.clock_id

    @property
    def days(self) -> int:
        return self.lead.days


def _targets_of(session: Session, supervision_ids: set[str]) -> dict[str, str]:
    """Supervision case id -> the case it supervises (from the letter events)."""
    if not supervision_ids:
        return {}
    found = {}
    query = select(Event.case_id, Event.data).where(
        Event.kind == LETTER_EVENT, Event.data["supervision_case_id"].as_string().in_(supervision_ids))
    for case_id, data in session.execute(query):
        found[(data or {}).get("supervision_case_id")] = case_id
    return found


def matters_of(session: Session, rows: list[ClockRow]) -> list[MatterRow]:
    """Fold clock rows into one row per matter: a 督办's answer clock joins the supervised case."""
    sup_ids = {r.case_id for r in rows if r.process_key == SUPERVISION_PROCESS}
    target = _targets_of(session, sup_ids)
    groups: dict[str, list[ClockRow]] = defaultdict(list)
    for r in rows:
        groups[target.get(r.case_id, r.case_id)].append(r)
    missing = [cid for cid, rs in groups.items() if all(r.process_key == SUPERVISION_PROCESS for r in rs)
               and cid not in sup_ids]
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(missing)))} if missing else {}
    matters = []
    for case_id, clocks in groups.items():
        clocks.sort(key=lambda c: (not c.overdue, c.due, c.clock_id))
        own = [c for c in clocks if c.process_key != SUPERVISION_PROCESS]
        lead = own[0] if own else clocks[0]
        summary, case_no = lead.summary, lead.case_no
        if not own and case_id in cases:
            summary = dict(cases[case_id].summary or {})
            case_no = summary.get("case_no") or cases[case_id].business_key or case_id[:8]
        matters.append(MatterRow(case_id=case_id, case_no=case_no, summary=summary, clocks=clocks, lead=lead,
                                 pending_tasks=list(lead.pending_tasks) if own else []))
    _attach_replies(session, matters)
    return matters


def _attach_replies(session: Session, matters: list[MatterRow]) -> None:
    letters = letters_for(session, {m.case_id for m in matters})
    latest: dict[str, LetterInfo] = {}
    for (case_id, _unit), info in letters.items():
        if case_id not in latest or info.at > latest[case_id].at:
            latest[case_id] = info
    open_ids = {i.supervision_case_id for i in latest.values() if i.open}
    states: dict[str, tuple[str, datetime | None]] = {}
    if open_ids:
        for case_id, activity, due in session.execute(select(Task.case_id, Task.activity_id, Task.due_at).where(
                Task.case_id.in_(open_ids), Task.state == "ready")):
            if activity in REPLY_STATES:
                states[case_id] = (REPLY_STATES[activity], due)
    for m in matters:
        m.letter = latest.get(m.case_id)
        if m.letter is None:
            continue
        if not m.letter.open:
            m.reply_state = "督办已办结"
        else:
            m.reply_state, m.reply_due = states.get(m.letter.supervision_case_id, ("督办处理中", None))


def late_and_due_soon_matters(session: Session, user, *, as_of: datetime, unit: str | None = None,
                              due_soon_days: int = DUE_SOON_DAYS) -> tuple[list[MatterRow], list[MatterRow]]:
    """(matters with an overdue clock, most overdue first; the other matters due soon, soonest first)."""
    late, soon = late_and_due_soon(session, user, as_of=as_of, unit=unit, due_soon_days=due_soon_days)
    matters = matters_of(session, late + soon)
    late_m = sorted((m for m in matters if m.overdue), key=lambda m: (m.clocks[0].due, m.case_id))
    soon_m = sorted((m for m in matters if not m.overdue), key=lambda m: (m.clocks[0].due, m.case_id))
    return late_m, soon_m
