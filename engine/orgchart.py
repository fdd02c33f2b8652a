"""The county's organisation: units, their kinds and the organ above each one.

The units are data, not code: one CSV file per county under ``engine/data/orgcharts/``
(the demo county is ``demo-county.csv``; its columns are described in the README beside
it).  This module is the only reader of those files.  ``load(path)`` parses and checks
one; ``install(chart)`` makes it the chart the engine uses (the demo county is installed
at import).  The rest of the code asks through the functions below: ``units()``,
``unit(code)``, ``unit_name(code)``, ``superior(code)``, ``legal_channel(code)``,
``roles()``.

Candidate groups in the BPMN files are written ``<unit>:<role>`` (for example
``xfj:registrar`` or ``${handling_unit}:handler``); a user of unit U holding role R
is a member of group ``U:R``.  The organ above a unit decides 复查 (review,
第三十五条) and the organ above that one 复核 (recheck, 第三十六条).  Where no organ
above takes a 复查 — courts and procuratorates (诉讼与信访分离, 第二十八条第二款),
纪检监察机关, organs whose superior is outside the county's system — the unit names the
statutory channel (``legal_channel``) that the petitioner is told of instead.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).with_name("data") / "orgcharts"
DEMO_COUNTY = DATA_DIR / "demo-county.csv"

ROLES: dict[str, str] = {
    "registrar": "登记员",
    "handler": "承办人",
    "head": "单位负责人",
    "supervisor": "督查员",
    "leader": "领导",
    "designer": "流程设计员",
    "admin": "管理员",
}

KINDS: dict[str, str] = {
    "provincial": "省级机关",
    "municipal": "市级机关",
    "leadership": "县委县政府",
    "bureau": "信访部门",
    "department": "县直部门",
    "township": "乡镇（街道）",
    "judicial": "政法部门",
    "discipline": "纪检监察机关",
}
COLUMNS = ("code", "name", "kind", "superior", "domain", "legal_channel")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    kind: str  # one of KINDS
    superior: str | None = None  # the organ that reviews this unit's handling (复查, 第三十五条)
    domain: str | None = None  # key domain (重点领域) this department leads, if any
    legal_channel: str = ""  # where no organ above takes a 复查: the statutory channel instead

    @property
    def judicial(self) -> bool:
        """A 政法部门 that takes litigation-related matters (涉法涉诉, 第二十八条)."""
        return self.kind == "judicial"


class OrgChartError(ValueError):
    """An org-chart file that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class OrgChart:
    """One county's units, checked: codes unique, superiors known, no cycle, no dead end."""

    units: tuple[Unit, ...]
    source: str = ""

    def __post_init__(self):
        by_code: dict[str, Unit] = {}
        for u in self.units:
            if u.code in by_code:
                raise OrgChartError(f"{self.source}: unit {u.code!r} is listed twice")
            by_code[u.code] = u
        for u in self.units:
            if u.superior and u.superior not in by_code:
                raise OrgChartError(f"{self.source}: unit {u.code!r} names an unknown superior {u.superior!r}")
            if not u.superior and not u.legal_channel:
                raise OrgChartError(f"{self.source}: unit {u.code!r} needs a superior or a legal_channel "
                                    "(what a petitioner asking for 复查 is told)")
            seen, at = {u.code}, u.superior
            while at:
                if at in seen:
                    raise OrgChartError(f"{self.source}: superiors of {u.code!r} form a cycle")
                seen.add(at)
                at = by_code[at].superior
        object.__setattr__(self, "_by_code", by_code)

    def unit(self, code: str) -> Unit:
        """The unit with this code; KeyError names the unknown code."""
        try:
            return self._by_code[code]  # type: ignore[attr-defined]
        except KeyError:
            raise KeyError(f"unknown unit code {code!r}") from None

    def get(self, code: str | None) -> Unit | None:
        """The unit with this code, or None."""
        return self._by_code.get(code) if code else None  # type: ignore[attr-defined]


def load(path: Path | str = DEMO_COUNTY) -> OrgChart:
    """Read and check one org-chart CSV file (UTF-8, header row of COLUMNS)."""
    path = Path(path)
    units = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ("code", "name", "kind") if c not in (reader.fieldnames or ())]
        if missing:
            raise OrgChartError(f"{path.name}: missing column(s) {', '.join(missing)}")
        for row in reader:
            cells = {k: (row.get(k) or "").strip() for k in COLUMNS}
            if not cells["code"] or not cells["name"]:
                raise OrgChartError(f"{path.name}:{reader.line_num}: code and name are required")
            if cells["kind"] not in KINDS:
                raise OrgChartError(f"{path.name}:{reader.line_num}: unknown kind {cells['kind']!r} "
                                    f"(one of {', '.join(KINDS)})")
            units.append(Unit(cells["code"], cells["name"], cells["kind"], cells["superior"] or None,
                              cells["domain"] or None, cells["legal_channel"]))
    return OrgChart(tuple(units), source=path.name)


_chart: OrgChart = load()


def install(chart: OrgChart) -> OrgChart:
    """Make ``chart`` the one the engine uses; returns the chart it replaces."""
    global _chart
    previous, _chart = _chart, chart
    return previous


def current() -> OrgChart:
    """The installed chart."""
    return _chart


def units() -> tuple[Unit, ...]:
    """Every unit of the installed chart, in file order."""
    return _chart.units


def roles() -> dict[str, str]:
    """Role code -> Chinese name."""
    return dict(ROLES)


def unit(code: str) -> Unit:
    """Return the unit with this code; KeyError names the unknown code."""
    return _chart.unit(code)


def unit_name(code: str) -> str:
    """The Chinese name of a unit, or the code itself when unknown."""
    u = _chart.get(code)
    return u.name if u else code


def superior(code: str) -> str | None:
    """The organ above ``code`` that decides 复查 of its handling (第三十五条), or None.

    None means 复查 does not apply to this unit's decisions; ``legal_channel(code)``
    says what the petitioner is told instead.  An unknown code is a KeyError.
    """
    return unit(code).superior


def legal_channel(code: str) -> str:
    """The statutory channel for a unit with no organ above it for 复查 ('' otherwise)."""
    u = unit(code)
    return "" if u.superior else u.legal_channel


def group(unit_code: str, role: str) -> str:
    """The candidate-group name for a role in a unit."""
    return f"{unit_code}:{role}"


def split_group(group_name: str) -> tuple[str | None, str]:
    """Split ``unit:role`` into its parts; a bare role has no unit."""
    if ":" in group_name:
        u, r = group_name.split(":", 1)
        return u, r
    return None, group_name


def __getattr__(name: str):
    # The old constants follow the installed chart (PEP 562), so callers keep working.
    if name == "UNITS":
        return _chart.units
    if name == "JUDICIAL_UNITS":  # 政法部门 that take litigation-related matters (第二十八条)
        return tuple(u.code for u in _chart.units if u.judicial)
    if name == "KEY_DOMAINS":
        return tuple(u.domain for u in _chart.units if u.domain)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
