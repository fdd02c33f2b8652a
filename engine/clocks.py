"""Case clocks: statutory periods as plain data that BPMN scripts create and move.

A clock is a JSON-serialisable dict kept in a case variable named ``clock_<kind>``.
The functions in ``SCRIPT_FUNCTIONS`` are pure (no I/O; "now" is
``datetime.now(timezone.utc)``) and always return a *new* dict:

``clock_start(kind, start=None, days=None, unit=None)``
    Period ``kind`` from ``start`` (default now) with the rule's length, or ``days``.
``clock_extend(clock, days, reason='')``
    The one extension a period may get (第三十四条: once, at most 30 days, approved
    before the period ends). The extension runs from the end of the current period
    (the original due day is its uncounted start day) and is counted by the
    ``extension`` rule (calendar days, rolled off rest days).
``clock_pause(clock, at=None)`` / ``clock_resume(clock, at=None)``
    Time between them is not counted (复核 hearings, 第三十六条). Rounding: the *total*
    paused time of a clock is rounded **up to whole days**
    (``paused_days = ceil(paused_seconds / 86400)``), and those days are added to the
    length of the last segment (the extension if there is one, else the base period)
    before rolling forward — a one-hour hearing gives the organ one more day, a
    25-hour one two. While a clock is paused its ``due`` stays where it was; it moves
    when the clock resumes.
``clock_stop(clock, at=None)``
    Completed; ``on_time`` is ``stopped_at <= due``. Stopping a stopped clock returns it
    unchanged (a process may reach two end paths that both stop it).
``clock_due(clock)`` / ``clock_warn(clock, days_before)``
    ISO datetimes (+08:00) for timeDate timers: the due instant, and exactly
    ``days_before`` × 24 h before it.

``sync_clocks`` (called by the engine core after each step) mirrors the clock variables
into the ``clocks`` table and the event log.
"""
from __future__ import annotations

import logging
import math
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

from engine.calendar import SHANGHAI, current_rules, default_calendar, local_date, rule_for, to_aware

log = logging.getLogger(__name__)

CLOCK_PREFIX = "clock_"
MAX_EXTENSION_DAYS_DEFAULT = 30

# Which case variable names the unit that owes a clock's period, when the clock itself
# carries no unit. Petitioner windows belong to the unit whose answer may be reviewed.
UNIT_VARIABLES: dict[str, tuple[str, ...]] = {
    "acceptance": ("registering_unit", "registered_unit"),
    "handling": ("handling_unit",),
    "assignment": ("assigned_unit", "handling_unit"),
    "review_window": ("handling_unit",),
    "review": ("review_unit",),
    "recheck_window": ("review_unit",),
    "recheck": ("recheck_unit",),
    "objection": ("handling_unit",),
    "supervision_answer": ("target_unit",),
    "risk_reminder_answer": ("target_unit",),
}


class ClockError(ValueError):
    """A clock operation the rules forbid (second extension, resume without pause …)."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(SHANGHAI).isoformat() if value is not None else None


def _instant(value: Any, default_now: bool = True) -> datetime:
    if value is None:
        if not default_now:
            raise ClockError("a time is required")
        return _now()
    try:
        return to_aware(value)
    except (TypeError, ValueError) as exc:
        raise ClockError(f"not a date or datetime: {value!r}") from exc


def _check(clock: Any) -> dict[str, Any]:
    if not isinstance(clock, dict) or "kind" not in clock or "start" not in clock or "days" not in clock:
        raise ClockError("not a clock (expected the dict made by clock_start)")
    return dict(clock)


def _recompute(clock: dict[str, Any]) -> dict[str, Any]:
    """Fill ``original_due``, ``due``, ``no_holiday_data`` and ``warnings`` from the fields."""
    cal = default_calendar()
    working, roll = clock["working_days"], clock["roll_forward"]
    paused_days = math.ceil(clock["paused_seconds"] / 86400) if clock["paused_seconds"] else 0
    extended = clock["extended_days"]
    base = cal.period_end(clock["start"], clock["days"], working_days=working, roll_forward=roll)
    missing = set(base.missing_years)
    if extended:
        # The extension starts where the original period ends (its due day not counted).
        ext_rule = current_rules().get("extension")
        ext_working = ext_rule.working_days if ext_rule else False
        ext_roll = ext_rule.roll_forward if ext_rule else True
        end = cal.period_end(base.last_day, extended + paused_days, working_days=ext_working,
                             roll_forward=ext_roll)
    else:
        end = cal.period_end(clock["start"], clock["days"] + paused_days, working_days=working,
                             roll_forward=roll)
    missing |= set(end.missing_years)
    clock["original_due"] = _iso(base.due)
    clock["due"] = _iso(end.due)
    clock["paused_days"] = paused_days
    clock["no_holiday_data"] = bool(missing)
    clock["warnings"] = [f"no official holiday data for {y}" for y in sorted(missing)]
    return clock


def clock_start(kind: str, start: Any = None, days: int | None = None, unit: str | None = None) -> dict[str, Any]:
    """Start the statutory period ``kind`` at ``start`` (default now)."""
    try:
        rule = rule_for(kind)
    except ValueError as exc:
        raise ClockError(str(exc)) from None
    n = days if days is not None else rule.days
    if n is None:
        raise ClockError(f"clock {kind!r} has no statutory length; give days= (e.g. the 交办 limit)")
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ClockError(f"days must be a whole number >= 0, not {n!r}")
    began = _instant(start)
    clock = {
        "kind": kind,
        "unit": unit,
        "start": _iso(began),
        "days": n,
        "working_days": rule.working_days,
        "roll_forward": rule.roll_forward,
        "extended_days": 0,
        "extension_reason": "",
        "extended_at": None,
        "paused_at": None,
        "paused_seconds": 0,
        "stopped_at": None,
        "on_time": None,
    }
    return _recompute(clock)


def clock_extend(clock: dict[str, Any], days: int, reason: str = "") -> dict[str, Any]:
    """Extend the period once by at most 30 days (第三十四条); ClockError otherwise."""
    c = _check(clock)
    rule = rule_for(c["kind"])
    ext_rule = current_rules().get("extension")
    limit = ext_rule.days if ext_rule and ext_rule.days is not None else MAX_EXTENSION_DAYS_DEFAULT
    if not rule.extendable:
        raise ClockError(f"the {c['kind']} period cannot be extended")
    if c["stopped_at"]:
        raise ClockError("the period is already completed; it cannot be extended")
    if c["extended_days"]:
        raise ClockError(f"the period was already extended by {c['extended_days']} days; "
                         "the 条例 allows one extension only (第三十四条)")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= limit:
        raise ClockError(f"an extension is 1 to {limit} days, not {days!r} (第三十四条)")
    now = _now()
    if now > datetime.fromisoformat(c["due"]):
        raise ClockError("the period has already expired; an extension must be approved before it ends")
    c["extended_days"] = days
    c["extension_reason"] = str(reason or "")
    c["extended_at"] = _iso(now)
    return _recompute(c)


def clock_pause(clock: dict[str, Any], at: Any = None) -> dict[str, Any]:
    """Stop counting from ``at`` (default now), e.g. while a 复核 hearing runs."""
    c = _check(clock)
    if c["stopped_at"]:
        raise ClockError("the period is completed; it cannot be paused")
    if c["paused_at"]:
        raise ClockError("the clock is already paused")
    when = _instant(at)
    if when < datetime.fromisoformat(c["start"]):
        raise ClockError("a clock cannot be paused before it started")
    c["paused_at"] = _iso(when)
    return c


def clock_resume(clock: dict[str, Any], at: Any = None) -> dict[str, Any]:
    """Count again from ``at``; the due moves by the paused time (rounded up to days)."""
    c = _check(clock)
    if not c["paused_at"]:
        raise ClockError("the clock is not paused")
    when = _instant(at)
    began = datetime.fromisoformat(c["paused_at"])
    if when < began:
        raise ClockError("a clock cannot resume before it was paused")
    c["paused_seconds"] = int(c["paused_seconds"]) + math.ceil((when - began).total_seconds())
    c["paused_at"] = None
    return _recompute(c)


def clock_stop(clock: dict[str, Any], at: Any = None) -> dict[str, Any]:
    """Mark the period completed at ``at`` (default now) and record whether on time."""
    c = _check(clock)
    if c["stopped_at"]:
        return c
    when = _instant(at)
    if c["paused_at"]:
        c = clock_resume(c, when)
    c["stopped_at"] = _iso(when)
    c["on_time"] = when <= datetime.fromisoformat(c["due"])
    return c


def clock_due(clock: dict[str, Any]) -> str:
    """The due instant as an ISO string (+08:00), for timeDate timers."""
    return _check(clock)["due"]


def clock_warn(clock: dict[str, Any], days_before: int | float) -> str:
    """ISO instant exactly ``days_before`` days (of 24 h) before the due."""
    due = datetime.fromisoformat(_check(clock)["due"])
    return _iso(due - timedelta(days=days_before))


def clock_remaining_days(clock: dict[str, Any], now: Any = None) -> int:
    """Whole calendar days from today (Shanghai) to the due day; negative when overdue."""
    c = _check(clock)
    today = local_date(_instant(now))
    return (local_date(c["due"]) - today).days


SCRIPT_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "clock_start": clock_start,
    "clock_extend": clock_extend,
    "clock_pause": clock_pause,
    "clock_resume": clock_resume,
    "clock_stop": clock_stop,
    "clock_due": clock_due,
    "clock_warn": clock_warn,
    "clock_remaining_days": clock_remaining_days,
}


# ---------------------------------------------------------------------------
# Mirroring clock variables into the database (called by the engine core).

def _clock_vars(variables: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    out = {}
    for name, value in (variables or {}).items():
        if name.startswith(CLOCK_PREFIX) and isinstance(value, dict) and "kind" in value and "due" in value:
            out[name] = value
    return out


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(timezone.utc) if value else None


def _transitions(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Event kinds implied by going from ``old`` to ``new`` (same variable)."""
    kinds = []
    if old is None or old.get("start") != new.get("start") or old.get("kind") != new.get("kind"):
        kinds.append("clock_started")
        old = {}
    if new.get("extended_days") and new.get("extended_days") != old.get("extended_days"):
        kinds.append("clock_extended")
    was_paused, is_paused = bool(old.get("paused_at")), bool(new.get("paused_at"))
    more_paused = (new.get("paused_seconds") or 0) > (old.get("paused_seconds") or 0)
    if not was_paused and (is_paused or more_paused):
        kinds.append("clock_paused")
    if (was_paused and not is_paused) or (not is_paused and more_paused and not was_paused):
        kinds.append("clock_resumed")
    if new.get("stopped_at") and not old.get("stopped_at"):
        kinds.append("clock_stopped")
    return kinds


def instance_of(clock: dict[str, Any]) -> str:
    """Which period a clock dict is: its start instant and its explicit unit, if any."""
    return f"{clock.get('start') or ''}|{clock.get('unit') or ''}"[:120]


def _row_state(row, clock: dict[str, Any]) -> dict[str, Any]:
    """The fields of a stored clock that _transitions compares (same instance: same start)."""
    return {"start": clock.get("start"), "kind": row.kind,
            "extended_days": row.extended_days, "paused_at": row.paused_at, "paused_seconds": row.paused_seconds,
            "stopped_at": row.stopped_at}


def sync_clocks(session, case_id: Any, old_vars: dict[str, Any] | None, new_vars: dict[str, Any] | None,
                actor: str, now: datetime, branches: list[dict[str, Any]] | None = None) -> bool:
    """Upsert one ``clocks`` row per clock period and log clock events.

    ``new_vars`` are the case's variables; ``branches`` the data of its active tasks,
    where parallel branches (multi-instance) each hold their own clock under the same
    variable name. A row is keyed by case, variable and instance (start + unit), so a
    restarted period keeps the earlier one's row. Returns True when any clock's due
    instant changed (or a clock appeared), so the core re-arms waiting timeDate timers.
    """
    from sqlalchemy import select

    from persistence.models import Event
    from persistence.models_clocks import Clock

    found: dict[tuple[str, str], tuple[dict[str, Any], dict[str, Any]]] = {}
    for variables in [new_vars or {}, *(branches or [])]:
        for name, clock in _clock_vars(variables).items():
            found.setdefault((name, instance_of(clock)), (clock, variables))
    if not found:
        return False
    old_clocks = _clock_vars(old_vars)
    rows = {(row.name, row.instance): row
            for row in session.scalars(select(Clock).where(Clock.case_id == case_id))}
    changed = False
    for (name, instance), (clock, variables) in found.items():
        row = rows.get((name, instance))
        before = old_clocks.get(name)
        if before is not None and instance_of(before) != instance:
            before = None
        if row is not None:
            if before == clock and row.unit_code == _unit_of(clock, variables):
                continue  # most steps leave the clocks alone: no UPDATE, no event
            before = before if before is not None else _row_state(row, clock)
        else:
            row = Clock(case_id=case_id, name=name, instance=instance)
            session.add(row)
            before = None
        # The row may be ahead of old_vars (e.g. a retried step); trust the row's due.
        old_due = row.due
        _fill_row(row, clock, variables)
        if old_due != row.due:
            changed = True
        for kind in _transitions(before, clock):
            session.add(Event(case_id=case_id, at=now, actor=actor, kind=kind,
                              data=_event_data(name, kind, clock)))
    session.flush()
    return changed


def _unit_of(clock: dict[str, Any], variables: dict[str, Any]) -> str | None:
    unit = clock.get("unit") or next(
        (variables[v] for v in UNIT_VARIABLES.get(clock["kind"], ()) if variables.get(v)), None)
    return str(unit) if unit else None


def _fill_row(row, clock: dict[str, Any], variables: dict[str, Any]) -> None:
    row.kind = clock["kind"]
    row.unit_code = _unit_of(clock, variables)
    row.start = _parse(clock["start"])
    row.due = _parse(clock["due"])
    row.original_due = _parse(clock.get("original_due")) or row.due
    row.days = int(clock.get("days") or 0)
    row.working_days = bool(clock.get("working_days"))
    row.extended_days = int(clock.get("extended_days") or 0)
    row.extension_reason = clock.get("extension_reason") or None
    row.paused_at = _parse(clock.get("paused_at"))
    row.paused_seconds = int(clock.get("paused_seconds") or 0)
    row.stopped_at = _parse(clock.get("stopped_at"))
    row.on_time = clock.get("on_time")
    row.no_holiday_data = bool(clock.get("no_holiday_data"))


def _event_data(name: str, kind: str, clock: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"clock": name, "kind": clock["kind"], "due": clock["due"]}
    if kind == "clock_started":
        data.update(start=clock["start"], days=clock["days"], working_days=clock["working_days"])
        if clock.get("warnings"):
            data["warnings"] = list(clock["warnings"])
    elif kind == "clock_extended":
        data.update(extended_days=clock["extended_days"], reason=clock.get("extension_reason", ""),
                    original_due=clock.get("original_due"))
    elif kind == "clock_paused":
        data["paused_at"] = clock["paused_at"]
    elif kind == "clock_resumed":
        data["paused_seconds"] = clock.get("paused_seconds", 0)
    elif kind == "clock_stopped":
        data.update(stopped_at=clock["stopped_at"], on_time=clock.get("on_time"))
    return data


def due_date_of(start: date | datetime | str, kind: str, days: int | None = None) -> str:
    """ISO due instant of a fresh ``kind`` clock from ``start`` (for ``due()`` in expressions)."""
    return clock_start(kind, start, days)["due"]
