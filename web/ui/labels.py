"""Chinese words for the engine's codes: event kinds, variables, clocks, statuses.

Also turns an event into the lines the timeline shows (what happened and what
changed), so templates stay free of branching on event internals.
"""
from __future__ import annotations

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
        label, options = field_labels.get(name) or (variable_label(name), {})
        shown = options.get(value, value) if isinstance(value, str) else value
        details.append((label, show_value(name, shown)))
    return title, details
