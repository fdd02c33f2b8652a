"""The valid range of a date a person enters: not before the case's earlier events,
not after today unless the field is a planned date.

A designer states the range on the form field, as Camunda Modeler writes field
properties (``camunda:properties`` inside ``camunda:formField``):

- ``notBefore``: comma-separated case variables holding earlier dates of the case
  (``served_on``, ``review_served_on``, …), or ``case_start`` for the day the case was
  registered; the entered date may not precede any of them.
- ``planned`` = ``true``: a planned date (a hearing to come, an execution limit); it may
  lie in the future but not before today.

Every date field, with or without properties, may not lie after today unless it is
planned (a 送达 date of next year would move a statutory window).  A date of an outside
fact (the date of a decision the case is about) may precede the case, so the floor is
what the designer names.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from forms.convert import ConversionError, to_date
from forms.model import Field

# What the error says about a variable named in ``notBefore``; others show their own name.
EVENT_NAMES: dict[str, str] = {
    "served_on": "处理意见书送达日期",
    "review_served_on": "复查意见书送达日期",
    "recheck_served_on": "复核意见书送达日期",
    "review_received_at": "收到复查申请日期",
    "recheck_received_at": "收到复核申请日期",
    "receipt_date": "政法部门签收日期",
    "forwarded_on": "转送日期",
    "registered_on": "登记日期",
    "judicial_feedback_on": "收到政法部门反馈日期",
}
REGISTERED = "登记日期"


def _day(value: Any) -> str | None:
    if value in (None, ""):
        return None
    try:
        return to_date(value)
    except ConversionError:
        return None


def _truthy(text: str | None) -> bool:
    return str(text or "").strip().lower() in ("true", "1", "yes")


def date_error(f: Field, value: str | None, variables: Mapping[str, Any], *, today: dt.date,
               registered: dt.date | None = None) -> str | None:
    """The Chinese message for a date outside its range, or None when it is fine."""
    if f.type != "date" or not value:
        return None
    today_iso = today.isoformat()
    planned = _truthy(f.properties.get("planned"))
    if planned and value < today_iso:
        return f"计划日期不能早于今天（{today_iso}）"
    if not planned and value > today_iso:
        return f"不能晚于今天（{today_iso}）"
    floors: list[tuple[str, str]] = []
    for name in _names(f.properties.get("notBefore")):
        if name == "case_start":
            if registered is not None:
                floors.append((registered.isoformat(), REGISTERED))
            continue
        day = _day(variables.get(name))
        if day:
            floors.append((day, EVENT_NAMES.get(name, name)))
    for floor, label in sorted(floors, reverse=True):
        if value < floor:
            return f"不能早于{label}（{floor}）"
    return None


def date_errors(fields: Iterable[Field], values: Mapping[str, Any], variables: Mapping[str, Any], *,
                today: dt.date, registered: dt.date | None = None) -> dict[str, str]:
    """``date_error`` for every date field of a submission, keyed by field id."""
    errors = {}
    for f in fields:
        if f.readonly:
            continue
        message = date_error(f, values.get(f.id), variables, today=today, registered=registered)
        if message:
            errors[f.id] = message
    return errors


def _names(text: str | None) -> list[str]:
    return [n.strip() for n in (text or "").split(",") if n.strip()]
