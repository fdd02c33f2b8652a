"""The helper functions BPMN authors may call, as pure code that runs inside the worker.

``now()``, ``due()``, ``warn_before()``, ``days_after()``, ``superior()``,
``unit_name()`` and the ``clock_*()`` functions of :mod:`engine.clocks` only compute on
their arguments, the statutory calendar and the org chart.  They run in the evaluation
worker, under its limits, rather than being called back in the server: a designer
chooses their arguments (``days_after(start, 10**9, True)`` counts working days one by
one), so they are designer-driven computation like any other.

What they read besides their arguments is shipped with each request:

* the current time (``now``), so every helper in one request agrees, and a clock
  pinned in the server (tests, simulations) is the clock the worker uses;
* the reference data: the holiday calendar and deadline rules (``engine.calendar``)
  and the org chart (``engine.orgchart``), sent again only when the server's copy is
  a different object than the one the worker last received.
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone
from typing import Any

from engine import calendar, clocks, orgchart

# China has kept UTC+8 without daylight saving since 1991; engine.clocks writes its ISO
# texts in this offset too, so texts from now(), due() and clock_due() compare correctly.
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")

_pinned: list[datetime | None] = [None]


def current_time() -> datetime:
    """The time of the request being evaluated (the server's clock), else the real time."""
    return _pinned[0] or datetime.now(timezone.utc)


def pin_time(moment: datetime | None) -> None:
    """Use ``moment`` as "now" until the next call (the worker, per request)."""
    _pinned[0] = moment


def _iso(moment: datetime) -> str:
    return moment.astimezone(CHINA).isoformat()


def now() -> str:
    """The current time as ISO 8601 text (+08:00, whole seconds)."""
    return _iso(current_time().replace(microsecond=0))


def due(kind: str, start: str | None = None) -> str:
    """ISO due instant of the statutory period ``kind`` from ``start`` (default now)."""
    return clocks.due_date_of(start if start is not None else now(), kind)


def warn_before(due_iso: str, days: int | float) -> str:
    """ISO instant ``days`` × 24 h before ``due_iso`` (for warning timers)."""
    return _iso(datetime.fromisoformat(due_iso) - timedelta(days=days))


def days_after(start_iso: str, n: int, working: bool = False) -> str:
    """ISO instant ``n`` calendar (or working) days after ``start_iso``, off rest days."""
    return _iso(calendar.days_after(start_iso, n, working=working).due)


def script_functions() -> dict[str, object]:
    """The functions of docs/architecture.md ("Expressions available to BPMN authors")."""
    functions: dict[str, object] = {
        "now": now,
        "due": due,
        "warn_before": warn_before,
        "days_after": days_after,
        "superior": orgchart.superior,
        "legal_channel": orgchart.legal_channel,
        "unit_name": orgchart.unit_name,
    }
    functions.update(getattr(clocks, "SCRIPT_FUNCTIONS", {}) or {})
    return functions


def use_pinned_time_in_clocks() -> None:
    """Make engine.clocks read the request's time (called once in the worker)."""
    clocks._now = current_time


# --------------------------------------------------------------------------- reference data

def reference_objects() -> tuple:
    """The server's current calendar, rules and org chart (compared by identity)."""
    return calendar.default_calendar(), calendar.current_rules(), orgchart.current()


def export_reference(objects: tuple) -> dict[str, Any]:
    """The reference data as JSON-able data for the worker."""
    business_calendar, rules, chart = objects
    return {
        "years": {str(year): {"holidays": sorted(d.isoformat() for d in data.holidays),
                              "workdays": sorted(d.isoformat() for d in data.workdays)}
                  for year, data in business_calendar.extra_years().items()},
        "rules": {kind: dataclasses.asdict(rule) for kind, rule in rules.items()},
        "units": [dataclasses.asdict(unit) for unit in chart.units],
        "source": chart.source,
    }


def install_reference(data: dict[str, Any]) -> None:
    """Install reference data received from the server (the worker may not open files)."""
    years = {int(year): calendar.year_data([date.fromisoformat(d) for d in entry["holidays"]],
                                           [date.fromisoformat(d) for d in entry["workdays"]])
             for year, entry in data["years"].items()}
    rules = {kind: calendar.PeriodRule(**fields) for kind, fields in data["rules"].items()}
    calendar.install(calendar.BusinessCalendar(years), rules)
    orgchart.install(orgchart.OrgChart(tuple(orgchart.Unit(**fields) for fields in data["units"]),
                                       source=data["source"]))
