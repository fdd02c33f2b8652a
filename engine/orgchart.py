"""The county's organisation: units, their kinds and the organ above each one.

Candidate groups in the BPMN files are written ``<unit>:<role>`` (for example
``xfj:registrar`` or ``${handling_unit}:handler``); a user of unit U holding role R
is a member of group ``U:R``.  The organ above a unit decides 复查 (review,
第三十五条) and the organ above that one 复核 (recheck, 第三十六条).
"""
from __future__ import annotations

from dataclasses import dataclass

ROLES: dict[str, str] = {
    "registrar": "登记员",
    "handler": "承办人",
    "head": "单位负责人",
    "supervisor": "督查员",
    "leader": "领导",
    "designer": "流程设计员",
    "admin": "管理员",
}


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    kind: str  # bureau | department | township | judicial | discipline | leadership | municipal | provincial
    superior: str | None = None  # the organ that reviews this unit's handling (复查)
    domain: str | None = None  # key domain (重点领域) this department leads, if any


# The demo county (modelled on the seed's 郓城县) and the organs above it.
UNITS: tuple[Unit, ...] = (
    Unit("province-xfj", "省信访局", "provincial"),
    Unit("city-gov", "市人民政府", "municipal", "province-xfj"),
    Unit("city-xfj", "市信访局", "municipal", "city-gov"),
    Unit("city-rsj", "市人力资源和社会保障局", "municipal", "city-gov"),
    Unit("city-zjj", "市住房和城乡建设局", "municipal", "city-gov"),
    Unit("city-zrzyj", "市自然资源和规划局", "municipal", "city-gov"),
    Unit("city-nyncj", "市农业农村局", "municipal", "city-gov"),
    Unit("city-jyj", "市教育局", "municipal", "city-gov"),
    Unit("city-wjw", "市卫生健康委员会", "municipal", "city-gov"),
    Unit("county-gov", "县人民政府", "leadership", "city-gov"),
    Unit("county-lead", "县委县政府领导", "leadership", "city-gov"),
    Unit("xfj", "县信访局", "bureau", "city-xfj"),
    Unit("rsj", "县人力资源和社会保障局", "department", "city-rsj", "劳动社保"),
    Unit("zjj", "县住房和城乡建设局", "department", "city-zjj", "城乡建设"),
    Unit("zrzyj", "县自然资源局", "department", "city-zrzyj", "国土资源"),
    Unit("nyncj", "县农业农村局", "department", "city-nyncj", "农村农业"),
    Unit("jyj", "县教育和体育局", "department", "city-jyj", "教育"),
    Unit("wjj", "县卫生健康局", "department", "city-wjw", "卫生健康"),
    Unit("gaj", "县公安局", "judicial", "county-gov"),
    Unit("fy", "县人民法院", "judicial", None),
    Unit("jcy", "县人民检察院", "judicial", None),
    Unit("sfj", "县司法局", "judicial", "county-gov"),
    Unit("jw", "县纪委监委", "discipline", None),
    Unit("town-chengguan", "城关镇人民政府", "township", "county-gov"),
    Unit("town-huanggang", "黄集镇人民政府", "township", "county-gov"),
    Unit("town-zhangying", "张营镇人民政府", "township", "county-gov"),
    Unit("town-yunhe", "运河街道办事处", "township", "county-gov"),
)

_BY_CODE = {u.code: u for u in UNITS}

# 政法部门 that take litigation-related matters (涉法涉诉, 第二十八条).
JUDICIAL_UNITS = ("fy", "jcy", "gaj", "sfj")
KEY_DOMAINS = tuple(u.domain for u in UNITS if u.domain)


def units() -> tuple[Unit, ...]:
    """Every unit of the installed chart, in file order."""
    return UNITS


def roles() -> dict[str, str]:
    """Role code -> Chinese name."""
    return dict(ROLES)


def unit(code: str) -> Unit:
    """Return the unit with this code; KeyError names the unknown code."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise KeyError(f"unknown unit code {code!r}") from None


def unit_name(code: str) -> str:
    """The Chinese name of a unit, or the code itself when unknown."""
    u = _BY_CODE.get(code)
    return u.name if u else code


def superior(code: str) -> str:
    """The organ above ``code`` that decides 复查 of its handling (第三十五条)."""
    sup = unit(code).superior
    if sup is None:
        raise KeyError(f"unit {code!r} has no superior organ for review")
    return sup


def group(unit_code: str, role: str) -> str:
    """The candidate-group name for a role in a unit."""
    return f"{unit_code}:{role}"


def split_group(group_name: str) -> tuple[str | None, str]:
    """Split ``unit:role`` into its parts; a bare role has no unit."""
    if ":" in group_name:
        u, r = group_name.split(":", 1)
        return u, r
    return None, group_name
