"""Jinja filters of the UI: local times, masked id numbers, due-date states, labels."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import Flask

from engine import orgchart
from engine.calendar import SHANGHAI, local_date
from engine.casework import DUE_SOON_DAYS
from engine.registration import mask_id_number
from persistence.db import utcnow
from web.ui import labels


@dataclass(frozen=True)
class DueState:
    """How a due date looks in a list: css class, short label, tooltip."""

    css: str  # normal | soon | overdue | done
    label: str
    title: str
    date: str = ""  # the due day, shown beside the label (not only in a tooltip)


def due_state(due: dt.datetime | None, now: dt.datetime | None = None,
              completed_at: dt.datetime | None = None) -> DueState | None:
    """Normal, due soon (≤ 3 days) or overdue by N days; for finished work, on time or late."""
    if due is None:
        return None
    shown = local_time(due)
    day = local_time(due, "%Y-%m-%d")
    if completed_at is not None:
        late = (local_date(completed_at) - local_date(due)).days
        if completed_at <= due:
            return DueState("done", "按期办结", f"期限 {shown}", day)
        return DueState("overdue", f"超期 {max(1, late)} 天办结", f"期限 {shown}", day)
    now = now or utcnow()
    days = (local_date(due) - local_date(now)).days
    if due < now:
        return DueState("overdue", f"超期 {max(1, -days)} 天", f"期限 {shown}", day)
    if days == 0:
        return DueState("soon", "今日到期", f"期限 {shown}", day)
    if days <= DUE_SOON_DAYS:
        return DueState("soon", f"{days} 天后到期", f"期限 {shown}", day)
    return DueState("normal", f"剩 {days} 天", f"期限 {shown}", day)


def local_time(value: dt.datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant shown in Asia/Shanghai time."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(SHANGHAI).strftime(fmt)


def local_date_text(value) -> str:
    return local_time(value, "%Y-%m-%d")


def file_size(n: int | None) -> str:
    if not n:
        return "0 B"
    for unit in ("B", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} MB"


def init_app(app: Flask) -> None:
    """Register the filters and globals the templates use."""
    app.jinja_env.filters.update(
        local_time=local_time,
        local_date=local_date_text,
        mask_id=mask_id_number,
        unit_name=orgchart.unit_name,
        file_size=file_size,
        event_label=labels.event_label,
        event_lines=labels.event_lines,
        variable_label=labels.variable_label,
        clock_label=labels.clock_label,
        role_name=lambda r: orgchart.ROLES.get(r, r),
    )
    app.jinja_env.globals.update(due_state=due_state, labels=labels)
