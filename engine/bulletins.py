"""The county's rhythm of dispatch and reporting: 日调度、周通报、月分析 and 《每日信访》.

Each bulletin is computed for a **date** (Asia/Shanghai) as the database stood at 08:30
that morning (``as_of``), so regenerating it later for a past date gives the same
figures as on the day (rows recorded after ``as_of`` are left out).  The figures are
plain JSON, archived in ``bulletins`` (one row per kind and date, replaced when
regenerated); the UI draws them as a page, a PDF (WeasyPrint) and an Excel workbook
(openpyxl).  Working days come from the statutory calendar (``engine.calendar``).

* **daily** (日调度, every working day): petitions registered since the previous
  working day began; duty clocks due that day; overdue duty clocks; 督办 still open
  (supervision cases started from the dashboard and not finished); all per unit.
* **weekly** (周通报, Mondays, for the Monday-to-Sunday week before): 及时受理率 and
  按期办理率 per unit (``engine.metrics``), repeat petitions registered in the week,
  the units with most overdue clocks, and 积案 (petitions running over 90 days).
* **monthly** (月分析, first working day, for the month before): new petitions by
  domain and unit against the month before, figures per unit, repeat petitions by
  domain and the matters brought most often.
* **leaders** (《每日信访》, every working day): the day's headline numbers for the
  county's leaders.

"Duty clocks" are the organs' periods: the petitioner's request windows and the
objection window are nobody's duty (as in ``engine.metrics``) and are left out, as are
clocks of cancelled cases.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine import orgchart
from engine.calendar import SHANGHAI, default_calendar
from engine.errors import InvalidInput
from engine.metrics import SNAPSHOT_EXCLUDED, compute_metrics, range_bounds
from persistence.db import utcnow
from persistence.models import Case, Event

log = logging.getLogger(__name__)

KINDS = {"daily": "日调度", "weekly": "周通报", "monthly": "月分析", "leaders": "每日信访"}
ISSUE_TIME = dt.time(8, 30)
BACKLOG_DAYS = 90  # 积案: a petition still running this many days after registration
TOP_UNITS = 5
PETITION = "petition"
SUPERVISION = "supervision"
LETTER_EVENT = "supervision_issued"


def as_of_for(day: dt.date) -> dt.datetime:
    """08:30 China time on ``day``, in UTC: the instant a bulletin of that date describes."""
    return dt.datetime.combine(day, ISSUE_TIME, tzinfo=SHANGHAI).astimezone(dt.timezone.utc)


def previous_workday(day: dt.date) -> dt.date:
    """The last working day before ``day``."""
    cal = default_calendar()
    d = day - dt.timedelta(days=1)
    while not cal.is_workday(d):
        d -= dt.timedelta(days=1)
    return d


def first_workday_of_month(day: dt.date) -> dt.date:
    """The first working day of ``day``'s month."""
    cal = default_calendar()
    d = day.replace(day=1)
    while not cal.is_workday(d):
        d += dt.timedelta(days=1)
    return d


def due_kinds(day: dt.date) -> list[str]:
    """The bulletins the scheduler issues on ``day`` (none on rest days)."""
    if not default_calendar().is_workday(day):
        return ["weekly"] if day.weekday() == 0 else []
    kinds = ["daily", "leaders"]
    if day.weekday() == 0:
        kinds.append("weekly")
    if day == first_workday_of_month(day):
        kinds.append("monthly")
    return kinds


def _unit_name(code: str | None) -> str:
    return orgchart.unit_name(code) if code else "未指定单位"


def _local_day(value: dt.datetime) -> str:
    return value.astimezone(SHANGHAI).date().isoformat()


# ---------------------------------------------------------------------- shared queries
def _duty_clocks_running(session: Session, as_of: dt.datetime):
    from persistence.models_clocks import Clock

    return list(session.scalars(select(Clock).where(
        Clock.kind.not_in(SNAPSHOT_EXCLUDED), Clock.start <= as_of,
        or_(Clock.stopped_at.is_(None), Clock.stopped_at > as_of),
        Clock.case_id.not_in(select(Case.id).where(Case.status == "cancelled")))
        .order_by(Clock.due, Clock.id)))


def _case_numbers(session: Session, case_ids: set[str]) -> dict[str, dict[str, Any]]:
    if not case_ids:
        return {}
    rows = session.execute(select(Case.id, Case.business_key, Case.summary).where(Case.id.in_(case_ids)))
    return {cid: {"case_no": (summary or {}).get("case_no") or key or cid[:8], **(summary or {})}
            for cid, key, summary in rows}


def _clock_row(c, cases: dict[str, dict[str, Any]], as_of: dt.datetime) -> dict[str, Any]:
    info = cases.get(c.case_id, {})
    due_day = c.due.astimezone(SHANGHAI).date()
    return {"case_no": info.get("case_no", c.case_id[:8]), "kind": c.kind, "unit": c.unit_code or "",
            "unit_name": _unit_name(c.unit_code), "due": due_day.isoformat(),
            "days_overdue": max(0, (as_of.astimezone(SHANGHAI).date() - due_day).days),
            "domain": info.get("domain") or ""}


def _new_petitions(session: Session, start: dt.datetime, end: dt.datetime) -> list[Case]:
    return list(session.scalars(select(Case).where(
        Case.process_key == PETITION, Case.started_at >= start, Case.started_at < end).order_by(Case.started_at)))


def _open_supervision(session: Session, as_of: dt.datetime) -> list[dict[str, Any]]:
    """督办 letters issued by as_of whose supervision case had not finished by then."""
    events = list(session.execute(select(Event.case_id, Event.at, Event.data).where(
        Event.kind == LETTER_EVENT, Event.at <= as_of).order_by(Event.at, Event.id)))
    sup_ids = {(d or {}).get("supervision_case_id") for *_, d in events} - {None}
    open_ids = set(session.scalars(select(Case.id).where(
        Case.id.in_(sup_ids), Case.started_at <= as_of,
        or_(Case.ended_at.is_(None), Case.ended_at > as_of), Case.status != "cancelled"))) if sup_ids else set()
    cases = _case_numbers(session, {cid for cid, *_ in events})
    out = []
    for case_id, at, data in events:
        data = data or {}
        if data.get("supervision_case_id") in open_ids:
            out.append({"case_no": cases.get(case_id, {}).get("case_no", ""), "letter": data.get("letter") or "督办函",
                        "unit": data.get("unit") or "", "unit_name": _unit_name(data.get("unit")),
                        "issued": _local_day(at)})
    return out


def _petition_row(c: Case) -> dict[str, Any]:
    s = c.summary or {}
    return {"case_no": s.get("case_no") or c.business_key or c.id[:8], "registered": _local_day(c.started_at),
            "channel": s.get("channel") or "", "category": s.get("category") or "", "domain": s.get("domain") or "",
            "unit": s.get("handling_unit") or "", "unit_name": _unit_name(s.get("handling_unit"))}


def _is_repeat(session: Session, c: Case) -> bool:
    if not c.matter_key:
        return False
    return session.scalar(select(Case.id).where(
        Case.matter_key == c.matter_key, Case.id != c.id, Case.started_at < c.started_at).limit(1)) is not None


# ---------------------------------------------------------------------- the bulletins
def daily(session: Session, day: dt.date) -> dict[str, Any]:
    """日调度 for ``day`` (see module doc)."""
    as_of = as_of_for(day)
    since = previous_workday(day)
    start, _ = range_bounds(since, since)
    _, end = range_bounds(day - dt.timedelta(days=1), day - dt.timedelta(days=1))
    new = [_petition_row(c) for c in _new_petitions(session, start, end)]
    running = _duty_clocks_running(session, as_of)
    cases = _case_numbers(session, {c.case_id for c in running})
    due_today = [_clock_row(c, cases, as_of) for c in running
                 if c.due.astimezone(SHANGHAI).date() == day and c.due >= as_of]
    overdue = [_clock_row(c, cases, as_of) for c in running
               if c.due < as_of and not (c.paused_at is not None and c.paused_at <= as_of)]
    supervision = _open_supervision(session, as_of)
    per_unit: dict[str, Counter] = defaultdict(Counter)
    for rows, key in ((new, "new"), (due_today, "due_today"), (overdue, "overdue"), (supervision, "supervision")):
        for r in rows:
            per_unit[r["unit"]][key] += 1
    return {
        "kind": "daily", "date": day.isoformat(), "as_of": as_of.isoformat(),
        "new_since": since.isoformat(),
        "totals": {"new": len(new), "due_today": len(due_today), "overdue": len(overdue),
                   "supervision": len(supervision)},
        "new": new, "due_today": due_today, "overdue": overdue, "supervision": supervision,
        "units": [{"unit": u, "unit_name": _unit_name(u), **{k: per_unit[u][k] for k in
                   ("new", "due_today", "overdue", "supervision")}} for u in sorted(per_unit)],
    }


def _rate(rate) -> dict[str, Any]:
    return {"numerator": rate.numerator, "denominator": rate.denominator, "value": rate.value}


def weekly(session: Session, day: dt.date) -> dict[str, Any]:
    """周通报 for the Monday-to-Sunday week before ``day``'s week (see module doc)."""
    as_of = as_of_for(day)
    week_start = day - dt.timedelta(days=day.weekday() + 7)
    week_end = week_start + dt.timedelta(days=6)
    m = compute_metrics(session, week_start, week_end, as_of=as_of)
    rates = [{"unit": code, "unit_name": _unit_name(code), "timely_acceptance": _rate(u.timely_acceptance),
              "on_time_handling": _rate(u.on_time_handling), "overdue": u.overdue}
             for code, u in sorted(m.units.items())]
    start, end = range_bounds(week_start, week_end)
    repeats = [_petition_row(c) for c in _new_petitions(session, start, end) if _is_repeat(session, c)]
    overdue_by_unit = Counter()
    for c in _duty_clocks_running(session, as_of):
        if c.due < as_of and not (c.paused_at is not None and c.paused_at <= as_of):
            overdue_by_unit[c.unit_code or ""] += 1
    top = [{"unit": u, "unit_name": _unit_name(u), "overdue": n}
           for u, n in sorted(overdue_by_unit.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_UNITS]]
    backlog = [dict(_petition_row(c), days=(as_of - c.started_at).days) for c in session.scalars(select(Case).where(
        Case.process_key == PETITION, Case.started_at <= as_of - dt.timedelta(days=BACKLOG_DAYS),
        or_(Case.ended_at.is_(None), Case.ended_at > as_of), Case.status != "cancelled").order_by(Case.started_at))]
    return {
        "kind": "weekly", "date": day.isoformat(), "as_of": as_of.isoformat(),
        "week_start": week_start.isoformat(), "week_end": week_end.isoformat(),
        "county": {"timely_acceptance": _rate(m.county.timely_acceptance),
                   "on_time_handling": _rate(m.county.on_time_handling), "overdue": m.county.overdue},
        "units": rates, "repeats": repeats, "top_overdue": top, "backlog": backlog,
    }


def _month_before(day: dt.date) -> tuple[dt.date, dt.date]:
    last = day.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def monthly(session: Session, day: dt.date) -> dict[str, Any]:
    """月分析 for the calendar month before ``day``'s month (see module doc)."""
    as_of = as_of_for(day)
    first, last = _month_before(day)
    prev_first, prev_last = _month_before(first)
    this = _new_petitions(session, *range_bounds(first, last))
    before = _new_petitions(session, *range_bounds(prev_first, prev_last))

    def by(cases: list[Case], key: str) -> Counter:
        return Counter((c.summary or {}).get(key) or "" for c in cases)

    domains_now, domains_before = by(this, "domain"), by(before, "domain")
    units_now, units_before = by(this, "handling_unit"), by(before, "handling_unit")
    m = compute_metrics(session, first, last, as_of=as_of)
    repeats = [c for c in this if _is_repeat(session, c)]
    matters = Counter(c.matter_key for c in this if c.matter_key)
    repeated_matters = []
    for key, n in matters.most_common():
        if n < 2:
            break
        rows = [_petition_row(c) for c in this if c.matter_key == key]
        repeated_matters.append({"count": n, "domain": rows[0]["domain"], "case_nos": [r["case_no"] for r in rows]})
    return {
        "kind": "monthly", "date": day.isoformat(), "as_of": as_of.isoformat(),
        "month": first.strftime("%Y-%m"), "month_start": first.isoformat(), "month_end": last.isoformat(),
        "total": len(this), "total_before": len(before),
        "domains": [{"domain": d or "未分类", "count": domains_now[d], "before": domains_before[d]}
                    for d in sorted(set(domains_now) | set(domains_before), key=lambda d: (-domains_now[d], d))],
        "units": [{"unit": u, "unit_name": _unit_name(u), "count": units_now[u], "before": units_before[u]}
                  for u in sorted(set(units_now) | set(units_before), key=lambda u: (-units_now[u], u))],
        "rates": [{"unit": code, "unit_name": _unit_name(code), "timely_acceptance": _rate(u.timely_acceptance),
                   "on_time_handling": _rate(u.on_time_handling), "satisfaction": _rate(u.satisfaction)}
                  for code, u in sorted(m.units.items())],
        "county": {"timely_acceptance": _rate(m.county.timely_acceptance),
                   "on_time_handling": _rate(m.county.on_time_handling),
                   "first_time_resolution": _rate(m.county.first_time_resolution),
                   "satisfaction": _rate(m.county.satisfaction)},
        "repeats": len(repeats),
        "repeats_by_domain": [{"domain": d or "未分类", "count": n}
                              for d, n in sorted(by(repeats, "domain").items(), key=lambda kv: (-kv[1], kv[0]))],
        "repeated_matters": repeated_matters[:10],
    }


def leaders(session: Session, day: dt.date) -> dict[str, Any]:
    """《每日信访》 for ``day``: the headline numbers for the county's leaders."""
    d = daily(session, day)
    as_of = as_of_for(day)
    month_start = (day - dt.timedelta(days=1)).replace(day=1)
    m = compute_metrics(session, month_start, day - dt.timedelta(days=1), as_of=as_of)
    overdue_units = Counter(r["unit"] for r in d["overdue"])
    return {
        "kind": "leaders", "date": day.isoformat(), "as_of": as_of.isoformat(), "new_since": d["new_since"],
        "totals": d["totals"],
        "by_channel": dict(sorted(Counter(r["channel"] or "其他" for r in d["new"]).items())),
        "by_category": dict(sorted(Counter(r["category"] or "未分类" for r in d["new"]).items())),
        "by_domain": dict(sorted(Counter(r["domain"] or "未分类" for r in d["new"]).items())),
        "month_start": month_start.isoformat(),
        "county": {"timely_acceptance": _rate(m.county.timely_acceptance),
                   "on_time_handling": _rate(m.county.on_time_handling),
                   "satisfaction": _rate(m.county.satisfaction)},
        "top_overdue": [{"unit": u, "unit_name": _unit_name(u), "overdue": n}
                        for u, n in sorted(overdue_units.items(), key=lambda kv: (-kv[1], kv[0]))[:3]],
    }


BUILDERS = {"daily": daily, "weekly": weekly, "monthly": monthly, "leaders": leaders}


# ---------------------------------------------------------------------- archive
def parse_request(kind: str, day_text: str, today: dt.date) -> tuple[str, dt.date]:
    """Check a bulletin kind and date typed into the UI; InvalidInput in Chinese otherwise."""
    errors = {}
    if kind not in KINDS:
        errors["kind"] = "请选择通报类型"
    try:
        day = dt.date.fromisoformat(day_text) if day_text else today
    except ValueError:
        errors["date"] = "日期格式应为 2026-12-04"
        day = today
    if day > today:
        errors["date"] = "不能生成今天以后的通报"
    if errors:
        raise InvalidInput("通报参数有误", errors)
    return kind, day


def generate(engine, kind: str, day: dt.date, actor: str = "system") -> dict[str, Any]:
    """Compute a bulletin and archive it (replacing an earlier one of the same kind and date)."""
    from persistence.bulletins import Bulletin

    with engine.unit_of_work(read_only=True) as s:
        data = BUILDERS[kind](s, day)
    with engine.unit_of_work() as s:
        row = s.scalar(select(Bulletin).where(Bulletin.kind == kind, Bulletin.day == day))
        if row is None:
            row = Bulletin(kind=kind, day=day)
            s.add(row)
        row.data, row.generated_at, row.generated_by = data, utcnow(), actor
    return data


def archived(engine, kind: str, day: dt.date) -> dict[str, Any] | None:
    """The archived bulletin of this kind and date, if one was made."""
    from persistence.bulletins import Bulletin

    with engine.unit_of_work(read_only=True) as s:
        row = s.scalar(select(Bulletin).where(Bulletin.kind == kind, Bulletin.day == day))
        return dict(row.data, generated_at=row.generated_at.isoformat(), generated_by=row.generated_by) if row else None


def archive_list(engine, limit: int = 60) -> list[dict[str, Any]]:
    """The newest archived bulletins."""
    from persistence.bulletins import Bulletin

    with engine.unit_of_work(read_only=True) as s:
        rows = s.scalars(select(Bulletin).order_by(Bulletin.day.desc(), Bulletin.kind).limit(limit))
        return [{"kind": r.kind, "name": KINDS[r.kind], "date": r.day.isoformat(), "generated_at": r.generated_at}
                for r in rows]


def issue_due(engine, now: dt.datetime | None = None) -> list[str]:
    """Generate today's bulletins that are not archived yet (what the scheduler runs); returns their kinds."""
    now = now or utcnow()
    day = now.astimezone(SHANGHAI).date()
    if now < as_of_for(day):
        return []  # before 08:30 the day's figures are not final yet
    done = []
    for kind in due_kinds(day):
        if archived(engine, kind, day) is None:
            try:
                generate(engine, kind, day)
                done.append(kind)
            except Exception:  # one failing bulletin must not stop the others
                log.exception("bulletin %s for %s failed", kind, day)
    return done


class BulletinScheduler:
    """APScheduler jobs: bulletins at 08:30 China time (``issue_due`` decides what is due),
    and every minute the documents of new notices."""

    def __init__(self, engine):
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.triggers.cron import CronTrigger

        self.engine = engine
        self.scheduler = BackgroundScheduler(timezone=SHANGHAI)
        self.scheduler.add_job(self.run, CronTrigger(hour=ISSUE_TIME.hour, minute=ISSUE_TIME.minute, timezone=SHANGHAI),
                               id="bulletins", coalesce=True, misfire_grace_time=6 * 3600)
        # Documents of new notices are issued within a minute even if nobody opens the case.
        self.scheduler.add_job(self.sync_documents, "interval", seconds=60, id="documents", coalesce=True,
                               max_instances=1)

    def sync_documents(self) -> int:
        """Issue the documents of pending notices (engine.documents.sync_documents)."""
        from engine.documents import sync_documents

        try:
            return sync_documents(self.engine)
        except Exception:  # the next run tries again; a page view also syncs
            log.exception("document sync failed")
            return 0

    def run(self) -> list[str]:
        """Issue what is due now (also called at start, so a late start catches up)."""
        return issue_due(self.engine)

    def start(self) -> None:
        """Start the background thread and catch up at once on anything due earlier today."""
        self.scheduler.start()
        self.scheduler.add_job(self.run, id="bulletins-catch-up")

    def shutdown(self, wait: bool = True) -> None:
        """Stop the background thread."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)

