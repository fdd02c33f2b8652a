"""The county's figures, computed from the ``clocks`` table and the event log.

Every figure is computed for a **date range** ``[date_from, date_to]`` of Asia/Shanghai
calendar days (both ends included: from 00:00 +08:00 on ``date_from`` up to, not
including, 00:00 +08:00 on the day after ``date_to``), county-wide and per unit, at an
instant ``as_of`` (default now). A rate is ``numerator / denominator``; with a zero
denominator its value is ``None`` (shown as "—", never as 100%).

A clock is **decided in the range** when it was stopped in the range (on time when
``stopped_at <= due``), or when it is still running, not paused, and its due instant
lies in the range and before ``as_of`` (it can no longer be on time, so it counts as
late). Running clocks not yet due are undecided and left out. ``due`` includes an
approved extension and excluded hearing time, so an extended matter finished within
its extension is on time.

* **及时受理率 (timely_acceptance)** — ``acceptance`` clocks decided in the range that
  were stopped on time / all ``acceptance`` clocks decided in the range (受理告知 within
  15 days, 第二十二、二十三条). Unit: the clock's unit.
* **按期办理率 (on_time_handling)** — the same over the clocks of the organs' answering
  periods: ``handling`` (办理, 第三十四条), ``review`` (复查, 第三十五条) and ``recheck``
  (复核, 第三十六条). Each organ is measured on its own period.
* **一次性化解率 (first_time_resolution)** — cases whose ``handling`` clock was stopped in
  the range; resolved at first pass when, as of ``as_of``, the case has no ``review``
  or ``recheck`` clock (no 复查/复核 request was received) and no later case carries
  the same ``matter_key`` (no repeat petition, 第十九条). Recent matters can still drop
  out of the numerator while their 30-day request window is open. Unit: the handling
  clock's unit.
* **访前化解率 (pre_petition_resolution)** — events of kind ``screening_result``
  (``data = {"settled": bool, "unit": code?}``, one per dispute found in 矛盾纠纷排查 and
  closed) dated in the range: settled before any petition / all.
* **满意率 (satisfaction)** — events of kind ``evaluation`` (``data = {"satisfied": bool,
  "unit": code?}``, the petitioner's evaluation, 第二十一条) dated in the range:
  satisfied / all.
  For both event figures the unit is ``data["unit"]``, else the unit of the case's
  ``handling`` clock.
* **overdue** — snapshot at ``as_of``: running, unpaused clocks whose due has passed.
  **due_soon** — running clocks due by the end of the China calendar day
  ``due_soon_days`` days after ``as_of`` (``engine.calendar.due_soon_until``; the inbox
  colours use the same rule). The petitioner's own request windows (``review_window``,
  ``recheck_window``) and the 5-working-day objection window are not an organ's duty,
  and clocks of cancelled cases owe nothing: all are left out of both.
* **no_holiday_data** — running clocks whose due was counted without official holiday
  data (weekends only); their dates need checking once the year's notice is out.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable

from sqlalchemy import and_, case, exists, func, literal, select, true
from sqlalchemy.orm import aliased

from engine.calendar import SHANGHAI, due_soon_until
from persistence.models_clocks import Clock

_FOLLOW = aliased(Clock)

ACCEPTANCE_KINDS = ("acceptance",)
HANDLING_KINDS = ("handling", "review", "recheck")
FOLLOW_UP_KINDS = ("review", "recheck")
WINDOW_KINDS = ("review_window", "recheck_window")
# Left out of the overdue / due-soon snapshot: the petitioner's request windows and a
# unit's 5-working-day objection window (第二十三条: when it lapses the matter stands).
SNAPSHOT_EXCLUDED = (*WINDOW_KINDS, "objection")
COUNTY = "county"


@dataclass
class Rate:
    """numerator / denominator; value is None when nothing was decided."""

    numerator: int = 0
    denominator: int = 0

    @property
    def value(self) -> float | None:
        """The rate as a fraction in [0, 1], or None without a denominator."""
        return round(self.numerator / self.denominator, 4) if self.denominator else None

    def add(self, success: bool) -> None:
        """Count one decided item."""
        self.denominator += 1
        self.numerator += 1 if success else 0

    def add_many(self, decided: int, successes: int) -> None:
        """Count ``decided`` items of which ``successes`` succeeded."""
        self.denominator += decided
        self.numerator += successes

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"numerator": self.numerator, "denominator": self.denominator, "value": self.value}


@dataclass
class UnitMetrics:
    """All figures for one unit (or the county)."""

    unit: str
    timely_acceptance: Rate = field(default_factory=Rate)
    on_time_handling: Rate = field(default_factory=Rate)
    first_time_resolution: Rate = field(default_factory=Rate)
    pre_petition_resolution: Rate = field(default_factory=Rate)
    satisfaction: Rate = field(default_factory=Rate)
    overdue: int = 0
    due_soon: int = 0
    no_holiday_data: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        out = asdict(self)
        for name, value in vars(self).items():
            if isinstance(value, Rate):
                out[name] = value.to_dict()
        return out


@dataclass
class MetricsReport:
    """County-wide and per-unit figures for one date range."""

    date_from: date
    date_to: date
    as_of: datetime
    county: UnitMetrics
    units: dict[str, UnitMetrics]

    def to_dict(self) -> dict[str, Any]:
        """JSON form (dates as ISO strings)."""
        return {
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "as_of": self.as_of.astimezone(SHANGHAI).isoformat(),
            "county": self.county.to_dict(),
            "units": {code: m.to_dict() for code, m in sorted(self.units.items())},
        }


def range_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """UTC instants [start, end) of the Shanghai days date_from..date_to inclusive."""
    if date_to < date_from:
        raise ValueError("date_to is before date_from")
    start = datetime.combine(date_from, time(0), tzinfo=SHANGHAI)
    end = datetime.combine(date_to + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


class _Tally:
    def __init__(self, only_unit: str | None):
        self.only_unit = only_unit
        self.county = UnitMetrics(COUNTY)
        self.units: dict[str, UnitMetrics] = {}

    def targets(self, unit: str | None) -> Iterable[UnitMetrics]:
        if self.only_unit is not None and unit != self.only_unit:
            return []
        out = [self.county]
        if unit:
            out.append(self.units.setdefault(unit, UnitMetrics(unit)))
        return out


def _snapshot_clocks(as_of: datetime):
    """Conditions on clocks running at ``as_of`` that owe a duty (see the module doc)."""
    from persistence.models import Case
    from persistence.models_clocks import Clock

    cancelled = exists().where(Case.id == Clock.case_id, Case.status == "cancelled")
    return (Clock.kind.not_in(SNAPSHOT_EXCLUDED), Clock.start <= as_of, ~cancelled)


def running_at(session, as_of: datetime) -> list:
    """Conditions selecting the clocks running at ``as_of``, each an index range on stopped_at.

    Still running, or stopped only after ``as_of``; the second is left out when no clock
    stopped after ``as_of`` (the usual case, as_of = now: one index probe for the max).
    """
    last_stop = session.scalar(select(func.max(Clock.stopped_at)))
    if last_stop is not None and last_stop > as_of:
        return [Clock.stopped_at.is_(None), Clock.stopped_at > as_of]
    return [Clock.stopped_at.is_(None)]


def compute_metrics(session, date_from: date, date_to: date, *, as_of: datetime | None = None,
                    unit: str | None = None, due_soon_days: int = 3) -> MetricsReport:
    """Figures for ``[date_from, date_to]`` county-wide and per unit (see module doc).

    Every query is bounded by the range or by the deadline: clocks decided in the range
    (index kind/stopped_at, or open clocks by due), handling periods finished in the
    range, events in the range, and for the snapshot only open clocks due before the
    end of the due-soon window. Counting happens in SQL (GROUP BY); nothing scales
    with the number of open cases that are not yet due.
    """
    from persistence.models import Case, Event
    from persistence.models_clocks import Clock

    as_of = (as_of or datetime.now(timezone.utc)).astimezone(timezone.utc)
    start, end = range_bounds(date_from, date_to)
    tally = _Tally(unit)

    def scoped(query, column):
        return query.where(column == unit) if unit is not None else query

    # Rates on clocks decided in the range: stopped in it (known by as_of), or running,
    # unpaused and past due within it. Two index ranges, counted by unit and outcome.
    on_time = case((and_(Clock.stopped_at.is_not(None), Clock.stopped_at <= Clock.due), 1), else_=0)
    kinds = ACCEPTANCE_KINDS + HANDLING_KINDS
    stopped = select(Clock.unit_code, Clock.kind, func.sum(on_time), func.count()).where(
        Clock.kind.in_(kinds), Clock.stopped_at >= start, Clock.stopped_at < end, Clock.stopped_at <= as_of)
    late_open = select(Clock.unit_code, Clock.kind, literal(0), func.count()).where(
        Clock.stopped_at.is_(None), Clock.due >= start, Clock.due < end, Clock.due < as_of,
        Clock.kind.in_(kinds), Clock.paused_at.is_(None))
    for query in (stopped, late_open):
        for unit_code, kind, successes, n in session.execute(
                scoped(query, Clock.unit_code).group_by(Clock.unit_code, Clock.kind)):
            for m in tally.targets(unit_code):
                rate = m.timely_acceptance if kind in ACCEPTANCE_KINDS else m.on_time_handling
                rate.add_many(n, int(successes or 0))

    # 一次性化解率: cases whose handling period ended in the range, without a 复查/复核
    # clock started by as_of and without a later case of the same matter by as_of.
    other = aliased(Case)
    followed = exists().where(_FOLLOW.case_id == Clock.case_id, _FOLLOW.kind.in_(FOLLOW_UP_KINDS),
                              _FOLLOW.start <= as_of)
    repeated = exists().where(other.matter_key == Case.matter_key, other.id != Case.id,
                              other.started_at > Case.started_at, other.started_at <= as_of)
    handled = scoped(select(Clock.case_id, Clock.unit_code, followed, Case.matter_key.is_not(None) & repeated)
                     .join(Case, Case.id == Clock.case_id).where(
        Clock.kind == "handling", Clock.stopped_at.is_not(None), Clock.stopped_at >= start,
        Clock.stopped_at < end, Clock.stopped_at <= as_of), Clock.unit_code)
    first_time: dict[str, tuple[str | None, bool]] = {}
    for case_id, unit_code, was_followed, was_repeated in session.execute(handled):
        first_time[case_id] = (unit_code, not was_followed and not was_repeated)
    for unit_code, resolved in first_time.values():
        for m in tally.targets(unit_code):
            m.first_time_resolution.add(resolved)

    # Event figures: 访前化解率 and 满意率.
    events = list(session.execute(select(Event.case_id, Event.kind, Event.data).where(
        Event.kind.in_(("screening_result", "evaluation")), Event.at >= start, Event.at < end,
        Event.at <= as_of)))
    case_units = _handling_units(session, {case_id for case_id, _, _ in events if case_id})
    for case_id, kind, data in events:
        data = data or {}
        unit_code = data.get("unit") or case_units.get(case_id)
        for m in tally.targets(unit_code):
            if kind == "evaluation" and "satisfied" in data:
                m.satisfaction.add(bool(data["satisfied"]))
            elif kind == "screening_result" and "settled" in data:
                m.pre_petition_resolution.add(bool(data["settled"]))

    # Snapshot at as_of: overdue and due soon. "Running at as_of" so that a past as_of
    # gives the list as it stood then; only clocks due before the window's end matter.
    soon = due_soon_until(as_of, due_soon_days)
    paused = and_(Clock.paused_at.is_not(None), Clock.paused_at <= as_of)
    overdue = func.sum(case((and_(~paused, Clock.due < as_of), 1), else_=0))
    due_soon = func.sum(case((Clock.due >= as_of, 1), else_=0))
    conditions = _snapshot_clocks(as_of)
    for running in running_at(session, as_of):
        query = scoped(select(Clock.unit_code, overdue, due_soon).where(running, Clock.due < soon, *conditions),
                       Clock.unit_code).group_by(Clock.unit_code)
        for unit_code, n_overdue, n_soon in session.execute(query):
            for m in tally.targets(unit_code):
                m.overdue += int(n_overdue or 0)
                m.due_soon += int(n_soon or 0)
        flagged = scoped(select(Clock.unit_code, func.count()).where(
            running, Clock.no_holiday_data == true(), *conditions), Clock.unit_code).group_by(Clock.unit_code)
        for unit_code, n in session.execute(flagged):
            for m in tally.targets(unit_code):
                m.no_holiday_data += n

    return MetricsReport(date_from, date_to, as_of, tally.county, tally.units)


def _handling_units(session, case_ids: set[str]) -> dict[str, str]:
    from persistence.models_clocks import Clock

    if not case_ids:
        return {}
    rows = session.execute(select(Clock.case_id, Clock.unit_code).where(
        Clock.case_id.in_(case_ids), Clock.kind == "handling", Clock.unit_code.is_not(None)))
    return {case_id: unit for case_id, unit in rows}
