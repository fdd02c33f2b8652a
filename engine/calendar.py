"""Statutory periods: the one place where xinfang counts days.

How a period is counted (REGULATION.md, "Counting periods"; 民法典 第二百零一、二百零三条,
民事诉讼法 第八十五条 applied to the 《信访工作条例》's plain 日):

* **Local dates.** Days are Asia/Shanghai calendar days. China has kept UTC+08:00
  without daylight saving since 1991, so ``SHANGHAI`` is a fixed +08:00 offset and needs
  no tz database. An aware datetime is converted to +08:00 before its date is taken; a
  naive datetime or a bare ``YYYY-MM-DD`` is read as Shanghai wall time (what a
  caseworker types).
* **Start day not counted.** A period of *n* days starting on day S (any time of day)
  counts S+1 … S+n; S+n is its *last day*.
* **Calendar or working days.** Calendar days by default (the 条例 writes plain 日);
  working days where the rule says so (5 working days to object to a misrouted matter,
  第二十三条). In working-day counting only working days are counted.
* **Roll forward.** When the last day is a rest day, the period ends on the next working
  day. A rest day is an official public holiday, or a Saturday/Sunday that the State
  Council has not made a working day (调休上班). A 调休 Saturday is a working day.
* **Due instant.** ``due`` is the end of the last day: 23:59:59 +08:00 on that day (an
  aware ``datetime``; whole seconds, so ISO strings stay short). Anything done at or
  before that instant is on time.

Holiday data: the ``chinesecalendar`` package (2004–2026) plus an administrator
maintained JSON file (``engine/holidays.json``, or the file named by the setting
``holiday_file``, env ``XINFANG_HOLIDAY_FILE``; see ``configure``). A year present in the file replaces the package's data for
that year entirely. A year with no data in either is counted with weekends only, and
every period that looks at a day of that year carries the warning
``"no official holiday data for YYYY"`` (``PeriodEnd.missing_years``); it never raises.

Holiday file format::

    {"years": {"2027": {"holidays": ["2027-01-01", "2027-10-01/2027-10-07"],
                         "workdays": ["2027-09-26"],
                         "source": "国务院办公厅关于2027年部分节假日安排的通知"}}}

``holidays`` are rest days (ranges ``A/B`` inclusive), ``workdays`` are 调休 weekend days
worked.

Rules per deadline kind (``RULES``) can be overridden by a JSON file named by the
setting ``deadline_rules_file`` (env ``XINFANG_DEADLINE_RULES``): ``{"acceptance": {"days": 15}, "objection":
{"days": 5, "working_days": true}}`` — fields left out keep their default.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import chinese_calendar

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
DEFAULT_HOLIDAY_FILE = Path(__file__).with_name("holidays.json")
END_OF_DAY = time(23, 59, 59)


@dataclass(frozen=True)
class PeriodRule:
    """How one kind of deadline is counted; ``days=None`` means set per case."""

    days: int | None
    working_days: bool = False
    roll_forward: bool = True
    extendable: bool = False
    label: str = ""


# Defaults per kind. Article numbers are the 条例's; county kinds are local practice
# (the 条例 requires a written answer to a 督办 but sets no period, 第四十条).
RULES: dict[str, PeriodRule] = {
    "acceptance": PeriodRule(15, label="受理告知 (第二十二、二十三条)"),
    "assignment": PeriodRule(None, extendable=True, label="交办反馈 (第二十二条, limit set per case)"),
    "handling": PeriodRule(60, extendable=True, label="办理 (第三十四条)"),
    "extension": PeriodRule(30, label="延长办理期限, at most 30 days, once (第三十四条)"),
    "review_window": PeriodRule(30, label="复查申请期限 (第三十五条)"),
    "review": PeriodRule(30, label="复查 (第三十五条)"),
    "recheck_window": PeriodRule(30, label="复核申请期限 (第三十六条)"),
    "recheck": PeriodRule(30, label="复核 (第三十六条; hearing time excluded)"),
    "objection": PeriodRule(5, working_days=True, label="异议 (第二十三条, working days)"),
    "ownership_claim": PeriodRule(5, working_days=True, label="无头事项 主动认领 (county)"),
    "ownership_decision": PeriodRule(10, label="无头事项 会议确定/批示指定 (county)"),
    "supervision_answer": PeriodRule(10, label="督办函 书面答复 (第四十条, county limit)"),
    "risk_reminder_answer": PeriodRule(5, working_days=True, label="风险提醒函 反馈 (county)"),
}


class HolidayFileError(ValueError):
    """The administrator's holiday or rules file cannot be used as written."""


@dataclass(frozen=True)
class PeriodEnd:
    """Result of counting a period: the due instant and how it was reached."""

    start_day: date
    last_day: date
    due: datetime
    rolled_from: date | None = None
    missing_years: tuple[int, ...] = ()

    @property
    def warnings(self) -> list[str]:
        """Human-readable warnings, one per year counted without official data."""
        return [f"no official holiday data for {y}" for y in self.missing_years]


@dataclass
class _YearData:
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)


def _parse_day_list(year: int, items: Any, what: str) -> set[date]:
    if not isinstance(items, list):
        raise HolidayFileError(f"{year}: '{what}' must be a list of dates")
    days: set[date] = set()
    for item in items:
        try:
            if isinstance(item, str) and "/" in item:
                a, b = (date.fromisoformat(p.strip()) for p in item.split("/", 1))
            else:
                a = b = date.fromisoformat(str(item).strip())
        except ValueError as exc:
            raise HolidayFileError(f"{year}: bad date {item!r} in '{what}' ({exc})") from exc
        if b < a:
            raise HolidayFileError(f"{year}: range {item!r} ends before it starts")
        while a <= b:
            if a.year != year:
                raise HolidayFileError(f"{year}: {a} in '{what}' is not in year {year}")
            days.add(a)
            a += timedelta(days=1)
    return days


def load_holiday_file(path: str | os.PathLike[str] | None) -> dict[int, _YearData]:
    """Read an administrator's holiday file; a missing file means no extra years."""
    if path is None:
        return {}
    p = Path(path)
    if not p.exists():
        return {}
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise HolidayFileError(f"{p}: cannot read holiday file ({exc})") from exc
    years = raw.get("years", {}) if isinstance(raw, dict) else None
    if not isinstance(years, dict):
        raise HolidayFileError(f"{p}: expected an object with a 'years' object")
    out: dict[int, _YearData] = {}
    for key, entry in years.items():
        try:
            year = int(key)
        except ValueError as exc:
            raise HolidayFileError(f"{p}: year key {key!r} is not a number") from exc
        if not isinstance(entry, dict):
            raise HolidayFileError(f"{p}: year {year} must be an object")
        hol = _parse_day_list(year, entry.get("holidays", []), "holidays")
        work = _parse_day_list(year, entry.get("workdays", []), "workdays")
        both = hol & work
        if both:
            raise HolidayFileError(f"{p}: {min(both)} is listed as holiday and workday")
        out[year] = _YearData(frozenset(hol), frozenset(work))
    return out


def _package_has_year(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class BusinessCalendar:
    """Working days and rest days of mainland China, by year."""

    def __init__(self, extra_years: dict[int, _YearData] | None = None):
        self._extra = dict(extra_years or {})
        self._package_years: dict[int, bool] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str | os.PathLike[str] | None) -> "BusinessCalendar":
        """Build a calendar from the package plus the given holiday file."""
        return cls(load_holiday_file(path))

    def extra_years(self) -> dict[int, _YearData]:
        """The years the holiday file gives (they replace the package's data)."""
        return dict(self._extra)

    def has_official_data(self, year: int) -> bool:
        """True when the holiday file or the package knows ``year``."""
        if year in self._extra:
            return True
        with self._lock:
            if year not in self._package_years:
                self._package_years[year] = _package_has_year(year)
            return self._package_years[year]

    def is_workday(self, day: date) -> bool:
        """True when ``day`` is a working day (weekday not a holiday, or a 调休 day)."""
        extra = self._extra.get(day.year)
        if extra is not None:
            if day in extra.workdays:
                return True
            return day.weekday() < 5 and day not in extra.holidays
        if self.has_official_data(day.year):
            return bool(chinese_calendar.is_workday(day))
        # No data for this year: weekends only; callers flag it via missing_years.
        return day.weekday() < 5

    def period_end(
        self, start: date | datetime | str, days: int, *, working_days: bool = False,
        roll_forward: bool = True,
    ) -> PeriodEnd:
        """Count ``days`` from ``start`` (start day excluded) and return the due instant."""
        if days < 0:
            raise ValueError(f"a period cannot have negative length ({days} days)")
        start_day = local_date(start)
        looked_at: set[int] = set()
        day = start_day
        if working_days:
            counted = 0
            while counted < days:
                day += timedelta(days=1)
                looked_at.add(day.year)
                if self.is_workday(day):
                    counted += 1
        else:
            day = start_day + timedelta(days=days)
        rolled_from = None
        if roll_forward:
            looked_at.add(day.year)
            if not self.is_workday(day):
                rolled_from = day
                while not self.is_workday(day):
                    day += timedelta(days=1)
                    looked_at.add(day.year)
        missing = tuple(sorted(y for y in looked_at if not self.has_official_data(y)))
        return PeriodEnd(start_day, day, end_of_day(day), rolled_from, missing)


def local_date(value: date | datetime | str) -> date:
    """The Asia/Shanghai calendar date of an instant, date or ISO string."""
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10:
            return date.fromisoformat(text)
        value = datetime.fromisoformat(text)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.date()  # naive = Shanghai wall time, see module docstring
        return value.astimezone(SHANGHAI).date()
    return value


def to_aware(value: date | datetime | str) -> datetime:
    """An aware datetime for an instant, date (its 00:00 +08:00) or ISO string."""
    if isinstance(value, str):
        text = value.strip()
        value = date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI)
    return datetime.combine(value, time(0, 0), tzinfo=SHANGHAI)


def end_of_day(day: date) -> datetime:
    """23:59:59 +08:00 on ``day``: the due instant of a period ending that day."""
    return datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI)


def load_rules(path: str | os.PathLike[str] | None = None) -> dict[str, PeriodRule]:
    """Default rules overlaid with the JSON rules file (default: the configured one)."""
    path = path if path is not None else _files["rules_file"]
    rules = dict(RULES)
    if not path:
        return rules
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise HolidayFileError(f"{path}: cannot read deadline rules ({exc})") from exc
    if not isinstance(raw, dict):
        raise HolidayFileError(f"{path}: expected an object mapping kind -> rule")
    allowed = {"days", "working_days", "roll_forward", "extendable", "label"}
    for kind, spec in raw.items():
        if not isinstance(spec, dict) or not set(spec) <= allowed:
            raise HolidayFileError(f"{path}: rule {kind!r} must be an object with keys {sorted(allowed)}")
        days = spec.get("days", rules[kind].days if kind in rules else None)
        if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 0):
            raise HolidayFileError(f"{path}: rule {kind!r}: days must be a whole number >= 0")
        base = rules.get(kind, PeriodRule(None))
        rules[kind] = replace(base, **{**spec, "days": days})
    return rules


_cache_lock = threading.Lock()
_cached: dict[str, Any] = {}
_files: dict[str, Path | None] = {"holiday_file": None, "rules_file": None}


def configure(holiday_file: str | os.PathLike[str] | None = None,
              rules_file: str | os.PathLike[str] | None = None) -> None:
    """Point the process-wide calendar at the settings' holiday and rules files.

    ``None`` means the shipped holiday file and the built-in rules.  Called once at start
    by ``engine.bootstrap.build_engine``; the files are re-read when they change on disk.
    """
    with _cache_lock:
        _files["holiday_file"] = Path(holiday_file) if holiday_file else None
        _files["rules_file"] = Path(rules_file) if rules_file else None


def year_data(holidays, workdays) -> _YearData:
    """One year of a holiday file, from its rest days and 调休 working days."""
    return _YearData(frozenset(holidays), frozenset(workdays))


def install(calendar: BusinessCalendar, rules: dict[str, PeriodRule]) -> None:
    """Use this calendar and these rules whatever the files say.

    The evaluation worker (engine.evaluation) may not open files; the server sends it
    its own calendar and rules instead.
    """
    with _cache_lock:
        _cached["installed"] = (calendar, dict(rules))


def default_calendar() -> BusinessCalendar:
    """The process-wide calendar (package + holiday file), rebuilt if the file changes."""
    if "installed" in _cached:
        return _cached["installed"][0]
    path = _files["holiday_file"] or DEFAULT_HOLIDAY_FILE
    try:
        stamp = (str(path), path.stat().st_mtime_ns)
    except OSError:
        stamp = (str(path), None)
    with _cache_lock:
        if _cached.get("calendar_stamp") != stamp:
            _cached["calendar"] = BusinessCalendar.from_file(path)
            _cached["calendar_stamp"] = stamp
        return _cached["calendar"]


def current_rules() -> dict[str, PeriodRule]:
    """The rules in force (defaults + settings file), rebuilt if the file changes."""
    if "installed" in _cached:
        return _cached["installed"][1]
    path = _files["rules_file"]
    try:
        stamp = (path, Path(path).stat().st_mtime_ns if path else None)
    except OSError:
        stamp = (path, None)
    with _cache_lock:
        if _cached.get("rules_stamp") != stamp:
            _cached["rules"] = load_rules(path) if path else dict(RULES)
            _cached["rules_stamp"] = stamp
        return _cached["rules"]


def rule_for(kind: str) -> PeriodRule:
    """The rule for one deadline kind; ValueError names the known kinds."""
    rules = current_rules()
    try:
        return rules[kind]
    except KeyError:
        raise ValueError(f"unknown deadline kind {kind!r}; known: {', '.join(sorted(rules))}") from None


def due_for(kind: str, start: date | datetime | str | None = None, days: int | None = None) -> PeriodEnd:
    """Due of the statutory period ``kind`` from ``start`` (default now) by the rules."""
    rule = rule_for(kind)
    n = days if days is not None else rule.days
    if n is None:
        raise ValueError(f"deadline kind {kind!r} has no default length; pass days=")
    begin = start if start is not None else datetime.now(timezone.utc)
    return default_calendar().period_end(
        begin, n, working_days=rule.working_days, roll_forward=rule.roll_forward)


def days_after(start: date | datetime | str, n: int, working: bool = False) -> PeriodEnd:
    """``n`` calendar (or working) days after ``start``, rolled forward off rest days."""
    return default_calendar().period_end(start, n, working_days=working, roll_forward=True)


DUE_SOON_DAYS = 3  # "临期": due today or within the next three days


def due_soon_until(as_of: datetime, days: int = DUE_SOON_DAYS) -> datetime:
    """Exclusive upper bound of "due soon": the end of the China calendar day ``days`` days after ``as_of``.

    Inbox colours, dashboard lists and the 临期 count all use this one rule ("due within
    3 days" = due on today's date or one of the next three), so they never disagree.
    """
    return datetime.combine(local_date(as_of) + timedelta(days=days + 1), time(0), tzinfo=SHANGHAI)
