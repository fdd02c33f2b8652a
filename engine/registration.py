"""新信访登记: checking the registrar's form and turning it into the case's variables.

The petition names its petitioner(s) — name, address, request, facts and reasons
(第十九条) — and the channel it came through (第十七条).  Several petitioners may sign
one petition (联名); the first is the one the case is filed under.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine import orgchart
from forms import clean_text

CHANNELS = ("来信", "来访", "网上", "电话", "传真")
CATEGORIES = ("申诉求决", "建议意见", "检举控告")
DOMAINS = (*orgchart.KEY_DOMAINS, "其他")
MAX_PETITIONERS = 5
PETITIONER_FIELDS = ("name", "id_number", "phone", "address")
TEXT_LIMITS = {"request": 2000, "facts": 5000, "reasons": 5000}
NAME_LIMIT, ADDRESS_LIMIT = 50, 200

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_PHONE = re.compile(r"^[0-9+\-() ]{7,20}$")


def valid_id_number(text: str) -> bool:
    """True for an 18-character 居民身份证号码 whose check digit is right (GB 11643)."""
    if not re.fullmatch(r"\d{17}[\dX]", text):
        return False
    total = sum(int(d) * w for d, w in zip(text[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == text[17]


def mask_id_number(text: str | None) -> str:
    """An id number with all but the first four and last four characters hidden."""
    if not text:
        return ""
    text = str(text)
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


@dataclass
class RegistrationForm:
    """The registrar's input as entered (for redisplay) and, when valid, as variables."""

    shown: dict[str, Any] = field(default_factory=dict)
    petitioners: list[dict[str, str]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        return not self.errors


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    return clean_text(value) if isinstance(value, str) else ""


def parse_registration(raw: Mapping[str, Any]) -> RegistrationForm:
    """Check the submitted registration form; errors are keyed by form field name."""
    form = RegistrationForm()
    errors = form.errors
    for i in range(MAX_PETITIONERS):
        person = {f: _text(raw, f"petitioner-{i}-{f}") for f in PETITIONER_FIELDS}
        person["id_number"] = person["id_number"].upper().replace(" ", "")
        form.petitioners.append(person)
        if i > 0 and not any(person.values()):
            continue
        prefix = f"petitioner-{i}-"
        if not person["name"]:
            errors[prefix + "name"] = "请填写信访人姓名（名称）"
        elif len(person["name"]) > NAME_LIMIT:
            errors[prefix + "name"] = f"姓名不超过 {NAME_LIMIT} 字"
        if person["id_number"] and not valid_id_number(person["id_number"]):
            errors[prefix + "id_number"] = "身份证号码不正确（应为18位，末位校验码须正确）"
        if person["phone"] and not _PHONE.match(person["phone"]):
            errors[prefix + "phone"] = "联系电话格式不正确"
        if i == 0 and not person["address"]:
            errors[prefix + "address"] = "请填写信访人住址或联系地址"
        elif len(person["address"]) > ADDRESS_LIMIT:
            errors[prefix + "address"] = f"地址不超过 {ADDRESS_LIMIT} 字"

    for key, choices, label in (("channel", CHANNELS, "信访形式"), ("category", CATEGORIES, "事项类别"),
                                ("domain", DOMAINS, "所属领域")):
        value = _text(raw, key)
        form.shown[key] = value
        if value not in choices:
            errors[key] = f"请选择{label}"
    for key, limit in TEXT_LIMITS.items():
        value = _text(raw, key)
        form.shown[key] = value
        if len(value) > limit:
            errors[key] = f"不超过 {limit} 字（现有 {len(value)} 字）"
    if not form.shown["request"]:
        errors["request"] = "请填写信访诉求"
    if not form.shown["facts"]:
        errors["facts"] = "请填写事实经过"

    accused = _text(raw, "accused_unit")
    form.shown["accused_unit"] = accused
    if accused:
        try:
            orgchart.unit(accused)
        except KeyError:
            errors["accused_unit"] = "单位不存在"
        if form.shown["category"] != "检举控告":
            errors["accused_unit"] = "只有检举控告类事项填写被检举控告单位"
    return form


def petition_variables(form: RegistrationForm, registrar) -> dict[str, Any]:
    """The variables a new ``petition`` case starts with (names per docs/architecture.md)."""
    people = [p for p in form.petitioners if any(p.values())]
    first = people[0]
    shown = form.shown
    variables: dict[str, Any] = {
        "petitioner_name": first["name"],
        "petitioner_id_number": first["id_number"] or None,
        "petitioner_phone": first["phone"] or None,
        "petitioner_address": first["address"],
        "petitioners": people,
        "channel": shown["channel"],
        "category": shown["category"],
        "domain": shown["domain"],
        "request": shown["request"],
        "facts": shown["facts"],
        "reasons": shown["reasons"],
        "title": _title(first["name"], shown["request"]),
        "registered_by": registrar.username,
        "registered_unit": registrar.unit_code,
    }
    if shown.get("accused_unit"):
        variables["accused_unit"] = shown["accused_unit"]
        variables["confidential"] = True
    return variables


def _title(name: str, request: str) -> str:
    line = request.splitlines()[0] if request else ""
    return f"{name}：{line[:40]}{'…' if len(line) > 40 else ''}"
