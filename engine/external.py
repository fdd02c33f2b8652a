"""What arrives from outside a case and a caseworker records on the case page.

A petitioner's 复查 (review, 第三十五条) or 复核 (recheck, 第三十六条) request and a 政法
organ's written feedback (第二十八条第二款) reach the office on paper or in person; the
case waits for them as BPMN messages (``review_request``, ``recheck_request``,
``judicial_report``).  Each kind here names its message, the form the caseworker fills
in, who may record it, the payload the process reads, and the legal consequence the
page shows afterwards.  REST ``/message`` stays a second door to the same messages.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any, Callable

from engine import orgchart
from engine.calendar import SHANGHAI, local_date
from forms import Form
from forms.model import Field

RECORDING_ROLES = ("registrar", "handler")


@dataclass(frozen=True)
class Outcome:
    """What recording the event led to, as the page says it."""

    level: str  # success | warning
    message: str


@dataclass(frozen=True)
class ExternalEvent:
    """One kind of outside event a case can wait for."""

    key: str  # also the BPMN message name
    title: str
    date_field: str  # the form's date of receipt
    fields: tuple[Field, ...]
    units: Callable[[dict[str, Any]], set[str | None]]  # who may record it, from the case variables
    payload: Callable[[dict[str, Any], dt.datetime], dict[str, Any]]
    outcome: Callable[[dict[str, Any]], Outcome]

    def form(self) -> Form:
        """A fresh form model (the UI renders it like a task form)."""
        return Form(key=None, fields=[replace(f, properties=dict(f.properties)) for f in self.fields])

    def may_record(self, user, variables: dict[str, Any]) -> bool:
        """A registrar or handler of one of the units concerned (or of the 信访局)."""
        allowed = {u for u in self.units(variables) if u}
        return user.unit_code in allowed and any(r in user.roles for r in RECORDING_ROLES)


def _superior(code: Any) -> str | None:
    u = orgchart.current().get(code) if isinstance(code, str) else None
    return u.superior if u else None


def _received_at(day: str, now: dt.datetime) -> str:
    """The instant of receipt: now when it is today, else the start of that day (China time)."""
    if day == local_date(now).isoformat():
        return now.astimezone(SHANGHAI).isoformat()
    return dt.datetime.fromisoformat(day).replace(tzinfo=SHANGHAI).isoformat()


def _day(iso: Any) -> str:
    return str(iso or "")[:10]


def _date_field(field_id: str, label: str, not_before: str) -> Field:
    return Field(id=field_id, label=label, type="date", required=True, widget="date",
                 properties={"notBefore": not_before})


def _text_field(field_id: str, label: str) -> Field:
    return Field(id=field_id, label=label, type="string", required=True, max_length=2000, widget="textarea")


# ---------------------------------------------------------------- 复查 request (第三十五条)
def _review_outcome(v: dict[str, Any]) -> Outcome:
    window = v.get("clock_review_window") or {}
    if v.get("review_late"):
        return Outcome("warning", f"已登记。复查申请逾期：处理意见书于 {_day(v.get('served_on'))} 送达，复查申请应在 "
                                  f"{_day(window.get('due'))} 前提出（第三十五条），不予受理，已出具不予受理告知书。")
    if not v.get("review_unit"):
        return Outcome("warning", f"已登记。{orgchart.unit_name(v.get('handling_unit'))}的处理不适用信访复查："
                                  f"{v.get('review_channel') or ''}已出具依法途径告知书。")
    due = _day((v.get("clock_review") or {}).get("due"))
    return Outcome("success", f"复查申请已受理（第三十五条）：由{orgchart.unit_name(v['review_unit'])}复查，"
                              f"应在 {due} 前作出复查意见并书面答复。")


# ---------------------------------------------------------------- 复核 request (第三十六条)
def _recheck_outcome(v: dict[str, Any]) -> Outcome:
    window = v.get("clock_recheck_window") or {}
    if v.get("recheck_late"):
        return Outcome("warning", f"已登记。复核申请逾期：复查意见书于 {_day(v.get('review_served_on'))} 送达，复核申请应在 "
                                  f"{_day(window.get('due'))} 前提出（第三十六条），不予受理，已出具不予受理告知书。")
    if not v.get("recheck_unit"):
        return Outcome("warning", f"已登记。复核机关不在本系统：{v.get('recheck_channel') or ''}已出具依法途径告知书。")
    due = _day((v.get("clock_recheck") or {}).get("due"))
    return Outcome("success", f"复核申请已受理（第三十六条）：由{orgchart.unit_name(v['recheck_unit'])}复核，"
                              f"应在 {due} 前作出复核意见（听证时间不计入）。")


# ---------------------------------------------------------------- 政法 feedback (第二十八条)
def _judicial_outcome(v: dict[str, Any]) -> Outcome:
    return Outcome("success", f"已登记{orgchart.unit_name(v.get('judicial_unit'))}的书面反馈，"
                              "请在“核对政法部门反馈”任务中核对办理结果。")


EVENTS: dict[str, ExternalEvent] = {e.key: e for e in (
    ExternalEvent(
        key="review_request", title="登记复查申请", date_field="review_received_on",
        fields=(_date_field("review_received_on", "收到复查申请日期", "served_on"),
                _text_field("review_reasons", "复查请求及理由")),
        units=lambda v: {"xfj", v.get("handling_unit"), _superior(v.get("handling_unit"))},
        payload=lambda values, now: {"review_received_on": values["review_received_on"],
                                     "review_received_at": _received_at(values["review_received_on"], now),
                                     "review_reasons": values["review_reasons"]},
        outcome=_review_outcome),
    ExternalEvent(
        key="recheck_request", title="登记复核申请", date_field="recheck_received_on",
        fields=(_date_field("recheck_received_on", "收到复核申请日期", "review_served_on"),
                _text_field("recheck_reasons", "复核请求及理由")),
        units=lambda v: {"xfj", v.get("handling_unit"), v.get("review_unit"), _superior(v.get("review_unit"))},
        payload=lambda values, now: {"recheck_received_on": values["recheck_received_on"],
                                     "recheck_received_at": _received_at(values["recheck_received_on"], now),
                                     "recheck_reasons": values["recheck_reasons"]},
        outcome=_recheck_outcome),
    ExternalEvent(
        key="judicial_report", title="登记政法部门反馈", date_field="judicial_feedback_on",
        fields=(_date_field("judicial_feedback_on", "收到反馈日期", "receipt_date"),
                _text_field("judicial_feedback", "反馈内容")),
        units=lambda v: {"xfj", v.get("judicial_unit")},
        payload=lambda values, now: dict(values),
        outcome=_judicial_outcome),
)}
