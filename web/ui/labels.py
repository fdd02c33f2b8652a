"""Chinese words for the engine's codes: event kinds, variables, clocks, statuses.

Also turns an event into the lines the timeline shows (what happened and what
changed), so templates stay free of branching on event internals.
"""
from __future__ import annotations

import re
from typing import Any

from engine import orgchart

EVENT_LABELS = {
    "case_started": "登记立案",
    "case_completed": "案件办结",
    "case_cancelled": "案件撤销",
    "task_claimed": "认领任务",
    "task_unclaimed": "退回任务",
    "task_assigned": "转交任务",
    "task_completed": "办理完成",
    "message_received": "收到申请/反馈",
    "timer_fired": "时限触发",
    "notice": "发出文书",
    "clock_started": "开始计时",
    "clock_extended": "延长期限",
    "clock_paused": "暂停计时",
    "clock_resumed": "恢复计时",
    "clock_stopped": "停止计时",
    "migrated": "迁移流程版本",
}

CLOCK_LABELS = {
    "acceptance": "受理告知期限",
    "assignment": "交办反馈期限",
    "handling": "办理期限",
    "extension": "延长办理期限",
    "review_window": "复查申请期限",
    "review": "复查期限",
    "recheck_window": "复核申请期限",
    "recheck": "复核期限",
    "objection": "异议期限",
    "ownership_claim": "主动认领期限",
    "ownership_decision": "责任单位确定期限",
    "supervision_answer": "督办答复期限",
    "risk_reminder_answer": "风险提醒反馈期限",
}

VARIABLE_LABELS = {
    "case_no": "案件编号",
    "title": "标题",
    "petitioner_name": "信访人",
    "petitioner_id_number": "身份证号码",
    "petitioner_phone": "联系电话",
    "petitioner_address": "住址",
    "petitioners": "信访人",
    "channel": "信访形式",
    "category": "事项类别",
    "domain": "所属领域",
    "request": "信访诉求",
    "facts": "事实经过",
    "reasons": "理由",
    "handling_unit": "承办单位",
    "review_unit": "复查机关",
    "recheck_unit": "复核机关",
    "assigned_unit": "交办单位",
    "accused_unit": "被检举控告单位",
    "outcome": "处理结果",
    "route": "处理途径",
    "accepted": "是否受理",
    "opinion": "意见",
    "comment": "备注",
    "reply": "答复意见",
    "attachments": "附件",
    "repeat_status": "重复信访",
    "registered_by": "登记人",
    "registered_unit": "登记单位",
}

# Variables the timeline does not list under "what changed": shown elsewhere on the
# page (clocks, notices, attachments) or internal bookkeeping.
HIDDEN_VARIABLES = {"notices", "matter_key", "repeat_of", "repeat_status", "message_payload", "confidential",
                    "petitioners", "petitioner_id_number", "title", "registered_by"}

CASE_STATUS = {"running": "办理中", "completed": "已办结", "cancelled": "已撤销"}
REPEAT_STATUS = {
    "in_handling": "该信访人的同一事项正在办理中（第十九条：属于重复信访）",
    "terminated": "同一事项已经三级终结或依法终结（第三十六条第三款：不再受理）",
}
UNIT_VARIABLES = {"handling_unit", "review_unit", "recheck_unit", "assigned_unit", "accused_unit",
                  "registered_unit", "leader_unit"}


def event_label(kind: str) -> str:
    return EVENT_LABELS.get(kind, kind)


def clock_label(kind: str) -> str:
    return CLOCK_LABELS.get(kind, kind)


def variable_label(name: str) -> str:
    return VARIABLE_LABELS.get(name, name)


def show_value(name: str, value: Any) -> str:
    """A variable's value as one line of text."""
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if name in UNIT_VARIABLES and isinstance(value, str):
        return orgchart.unit_name(value)
    if name == "attachments" and isinstance(value, list):
        return "、".join(str(a.get("name")) for a in value if isinstance(a, dict)) or "（无）"
    if isinstance(value, list):
        return "、".join(show_value(name, v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{variable_label(k)}：{show_value(k, v)}" for k, v in value.items())
    text = str(value)
    return text if len(text) <= 300 else text[:300] + "…"


def event_lines(event, field_labels: dict[str, tuple[str, dict[str, str]]] | None = None
                ) -> tuple[str, list[tuple[str, str]]]:
    """(headline, [(label, value), …]) for one history event.

    ``field_labels`` maps a variable to the label and enum option names its form gave it.
    """
    field_labels = field_labels or {}
    data = event.data or {}
    kind = event.kind
    title = event_label(kind)
    details: list[tuple[str, str]] = []
    if kind in ("task_claimed", "task_unclaimed", "task_completed", "task_assigned"):
        title = f"{title}：{data.get('task') or ''}".rstrip("：")
    if kind == "task_assigned":
        details.append(("转交给", str(data.get("to") or "（无人）")))
    if kind == "notice":
        title = f"{title}：{data.get('title') or data.get('kind') or data.get('text') or ''}"
        if data.get("to"):
            details.append(("送达", orgchart.unit_name(str(data["to"]))))
    if kind.startswith("clock_"):
        title = f"{title}：{clock_label(str(data.get('kind', '')))}"
        if data.get("due"):
            from web.ui.filters import local_time

            details.append(("期限至", local_time(data["due"])))
        if kind == "clock_extended":
            details.append(("延长", f"{data.get('extended_days')} 天"))
            if data.get("reason"):
                details.append(("理由", str(data["reason"])))
        if kind == "clock_stopped":
            details.append(("是否按期", "按期" if data.get("on_time") else "超期"))
    if kind == "timer_fired" and data.get("name"):
        title = f"{title}：{data['name']}"
    if kind == "message_received" and data.get("message"):
        title = f"{title}：{data['message']}"
    if kind in ("case_cancelled",) and data.get("reason"):
        details.append(("原因", str(data["reason"])))
    changes = data.get("changes") or {}
    if kind == "case_started":
        changes = {"set": data.get("variables") or {}}
    for name, value in (changes.get("set") or {}).items():
        if name in HIDDEN_VARIABLES or name.startswith("clock_") or value in (None, "", []):
            continue
        # Only what can be said in words: a variable no form or list names, or a code
        # value nobody named, stays in the designers' technical section.
        label = plain_label(name, field_labels)
        if label is None:
            continue
        options = field_labels.get(name, ("", {}))[1]
        if isinstance(value, dict):
            shown = show_value(name, value)
        else:
            shown = plain_value(name, value, options)
        if shown:
            details.append((label, shown))
    return title, details


# --- the case page header and its facts in plain words ----------------------------

# Code values that processes set by script or decision table (no form names them).
VALUE_LABELS: dict[str, dict[str, str]] = {
    "routing": {"forward": "转送", "assign_with_feedback": "交办", "not_accepted": "不予受理",
                "litigation": "涉法涉诉", "legal_channel": "依法通过其他途径解决", "ownership": "确定责任单位"},
    "outcome": {"support": "予以支持", "explain": "作出解释说明", "reject": "不予支持"},
    "opinion_outcome": {"support": "予以支持", "explain": "作出解释说明", "reject": "不予支持"},
    "review_outcome": {"support": "予以支持", "explain": "作出解释说明", "reject": "不予支持"},
    "recheck_outcome": {"support": "予以支持", "explain": "作出解释说明", "reject": "不予支持"},
    "review_decision": {"uphold": "维持", "revise": "撤销或变更", "redo": "责令重新处理"},
    "recheck_decision": {"uphold": "维持", "revise": "撤销或变更", "redo": "责令重新处理"},
    "matter_status": {"in_handling": "办理中", "terminated": "已终结"},
    "termination_reason": {"review_window_lapsed": "复查申请期限届满未申请", "recheck_window_lapsed": "复核申请期限届满未申请",
                           "recheck_decided": "复核意见已作出（三级终结）"},
    "intake_outcome": {"accepted": "已受理", "legal_channel": "引导通过法定途径解决", "linked": "并入在办事项",
                       "registering": "登记中", "not_accepted": "不予受理"},
    "service_method": {"direct": "直接送达", "mail": "邮寄送达", "electronic": "电子送达"},
    "review_service_method": {"direct": "直接送达", "mail": "邮寄送达", "electronic": "电子送达"},
    "hearing_method": {"in_person": "当面听证", "phone": "电话听证", "video": "视频听证"},
}
EXTRA_VARIABLE_LABELS = {
    "routing": "处理方式", "intake_outcome": "登记结果", "matter_status": "事项状态", "termination_reason": "终结原因",
    "terminated_at": "终结时间", "served_on": "送达日期", "service_method": "送达方式", "not_accepted_reason": "不予受理理由",
    "legal_channel": "法定途径", "filing_no": "备案编号", "major_urgent": "是否重大紧急", "opinion_text": "处理意见书正文",
    "opinion_basis": "处理依据", "opinion_outcome": "处理意见", "review_decision": "复查决定",
    "review_outcome": "复查结果", "review_reasons": "复查理由", "review_findings": "复查认定", "review_served_on": "复查意见送达日期",
    "reply_result": "答复结果", "reply_summary": "答复内容", "report_summary": "办结报告", "report_date": "办结报告日期",
    "petitioner_opinion": "信访人意见", "link_note": "并案说明", "investigation_findings": "调查情况",
}
# Variables the plain list leaves out: shown elsewhere on the page or bookkeeping.
NOT_FACTS = HIDDEN_VARIABLES | {"case_no", "petitioner_name", "petitioner_phone", "petitioner_address", "channel",
                                "category", "domain", "request", "facts", "reasons", "handling_unit", "attachments",
                                "registered_unit", "registering_unit", "linked_case", "payload", "result_var",
                                "matter_status", "route"}
_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def plain_label(name: str, field_labels: dict[str, tuple[str, dict[str, str]]] | None = None) -> str | None:
    """The Chinese label of a variable, or None when nothing names it in words."""
    if field_labels and name in field_labels and field_labels[name][0] != name:
        return field_labels[name][0]
    return VARIABLE_LABELS.get(name) or EXTRA_VARIABLE_LABELS.get(name)


def plain_value(name: str, value: Any, options: dict[str, str] | None = None) -> str | None:
    """A value in plain Chinese (是/否, option names, unit names, dates), or None when it
    would only be a code nobody has named."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, str):
        named = (options or {}).get(value) or VALUE_LABELS.get(name, {}).get(value)
        if named:
            return named
        if name in UNIT_VARIABLES or name.endswith("_unit"):
            shown = orgchart.unit_name(value)
            return shown if shown != value else None
        if _DATETIME.match(value):
            from web.ui.filters import local_time

            return local_time(value)
        if _DATE.fullmatch(value):
            return value
        if _CODE.fullmatch(value):
            return None  # an unnamed code (e.g. ``in_person``) is not for caseworkers
        return show_value(name, value)
    if isinstance(value, (int, float)):
        named = VALUE_LABELS.get(name, {}).get(str(value))
        return named or (str(value) if name in VARIABLE_LABELS or name in EXTRA_VARIABLE_LABELS else None)
    if isinstance(value, list):
        parts = [plain_value(name, v, options) for v in value]
        return "、".join(p for p in parts if p) or None
    return None


def case_facts(variables: dict[str, Any], field_labels: dict[str, tuple[str, dict[str, str]]]
               ) -> list[tuple[str, str]]:
    """(label, value) of every case variable that can be said in plain words."""
    out = []
    for name, value in variables.items():
        if name in NOT_FACTS or name.startswith("clock_"):
            continue
        label = plain_label(name, field_labels)
        shown = plain_value(name, value, field_labels.get(name, ("", {}))[1]) if label else None
        if label and shown:
            out.append((label, shown))
    return out


def technical_variables(variables: dict[str, Any]) -> list[tuple[str, str]]:
    """(raw name, JSON value) of every variable, for the designers' technical section."""
    import json

    return [(k, json.dumps(v, ensure_ascii=False, default=str)[:500]) for k, v in sorted(variables.items())]


def holder_of(task, names: dict[str, str]) -> str:
    """Who has a task now: the person, or the unit's post that may claim it."""
    if task.assignee:
        return names.get(task.assignee, task.assignee)
    posts = []
    for group in task.candidate_groups or ():
        unit, role = orgchart.split_group(group)
        posts.append(orgchart.ROLES.get(role, role))
    return ("、".join(dict.fromkeys(posts)) + "岗位（待认领）") if posts else "待认领"


def next_deadline(clocks: list) -> Any:
    """The running, unpaused statutory clock that falls due first, or None."""
    running = [c for c in clocks if c.stopped_at is None and not c.paused]
    return min(running, key=lambda c: c.due) if running else None
