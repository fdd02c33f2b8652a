"""Bulletins as Excel workbooks (openpyxl): one sheet per table of the bulletin."""
from __future__ import annotations

import io
from typing import Any

from engine.bulletins import KINDS

# (sheet title, key in the bulletin's data, [(column title, field), ...])
_TABLES: dict[str, list[tuple[str, str, list[tuple[str, str]]]]] = {
    "daily": [
        ("按单位", "units", [("单位", "unit_name"), ("新增", "new"), ("今日到期", "due_today"), ("超期", "overdue"),
                          ("督办未结", "supervision")]),
        ("新增事项", "new", [("登记编号", "case_no"), ("登记日期", "registered"), ("渠道", "channel"),
                         ("类别", "category"), ("领域", "domain"), ("办理单位", "unit_name")]),
        ("今日到期", "due_today", [("登记编号", "case_no"), ("期限", "kind"), ("单位", "unit_name"), ("到期日", "due")]),
        ("超期", "overdue", [("登记编号", "case_no"), ("期限", "kind"), ("单位", "unit_name"), ("到期日", "due"),
                           ("超期天数", "days_overdue")]),
        ("督办未结", "supervision", [("登记编号", "case_no"), ("文书", "letter"), ("单位", "unit_name"),
                                  ("发出日期", "issued")]),
    ],
    "weekly": [
        ("按期率", "units", [("单位", "unit_name"), ("及时受理率", "timely_acceptance"),
                          ("按期办理率", "on_time_handling"), ("超期", "overdue")]),
        ("重复信访", "repeats", [("登记编号", "case_no"), ("登记日期", "registered"), ("领域", "domain"),
                             ("办理单位", "unit_name")]),
        ("超期较多单位", "top_overdue", [("单位", "unit_name"), ("超期", "overdue")]),
        ("积案", "backlog", [("登记编号", "case_no"), ("登记日期", "registered"), ("已历天数", "days"),
                           ("领域", "domain"), ("办理单位", "unit_name")]),
    ],
    "monthly": [
        ("按领域", "domains", [("领域", "domain"), ("本月", "count"), ("上月", "before")]),
        ("按单位", "units", [("单位", "unit_name"), ("本月", "count"), ("上月", "before")]),
        ("单位指标", "rates", [("单位", "unit_name"), ("及时受理率", "timely_acceptance"),
                           ("按期办理率", "on_time_handling"), ("满意率", "satisfaction")]),
        ("重复信访", "repeats_by_domain", [("领域", "domain"), ("件数", "count")]),
    ],
    "leaders": [
        ("超期较多单位", "top_overdue", [("单位", "unit_name"), ("超期", "overdue")]),
    ],
}


def _cell(value: Any) -> Any:
    if isinstance(value, dict) and "denominator" in value:  # a rate: shown as a percentage, or —
        return "—" if value.get("value") is None else f"{value['value'] * 100:.1f}%（{value['numerator']}/{value['denominator']}）"
    if isinstance(value, list):
        return "、".join(map(str, value))
    return value


def to_xlsx(data: dict[str, Any]) -> bytes:
    """The bulletin as an .xlsx workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    summary = wb.active
    summary.title = "概况"
    summary.append([f"《{KINDS[data['kind']]}》", data["date"]])
    summary["A1"].font = Font(bold=True, size=14)
    for key in ("totals", "county"):
        for name, value in (data.get(key) or {}).items():
            summary.append([_LABELS.get(name, name), _cell(value)])
    for label, key in (("本月新增", "total"), ("上月新增", "total_before"), ("重复信访", "repeats")):
        if isinstance(data.get(key), int):
            summary.append([label, data[key]])
    for title, key, columns in _TABLES[data["kind"]]:
        sheet = wb.create_sheet(title)
        sheet.append([c for c, _ in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in data.get(key) or []:
            sheet.append([_cell(row.get(f)) for _, f in columns])
        for column, (name, _) in zip(sheet.columns, columns):
            sheet.column_dimensions[column[0].column_letter].width = max(10, len(name) * 2 + 4)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


_LABELS = {"new": "新增事项", "due_today": "今日到期", "overdue": "超期", "supervision": "督办未结",
           "timely_acceptance": "及时受理率", "on_time_handling": "按期办理率", "first_time_resolution": "一次性化解率",
           "satisfaction": "满意率"}
