"""涉法涉诉 hand-off (litigation_handoff): forward to the 政法部门, track, record 依法终结."""
from __future__ import annotations

import pytest

from engine.errors import InvalidInput
from tests.process_driver import PETITIONER, after, start

JUDGMENT = {"judicial_outcome": "依法终结", "judicial_document_no": "（2025）鲁1725民申12号",
            "judicial_summary": "再审申请经审查驳回，依法终结。"}


def _forwarded(engine, unit="fy", days=30):
    case = start(engine, "litigation_handoff", PETITIONER)
    forward = case.task("Task_forward")
    assert forward.candidate_groups == ["xfj:handler"]
    case.complete("Task_forward", {"judicial_unit": unit, "transfer_summary": "不服生效判决，转法院依法处理",
                                   "followup_days": days})
    assert case.notice_kinds() == ["转送函", "涉法涉诉告知书"]
    receipt = case.task("Task_receipt")
    assert receipt.candidate_groups == [f"{unit}:registrar"]
    case.complete("Task_receipt", {"receipt_date": "2025-06-03", "receipt_no": "法收〔2025〕8号"})
    return case


def test_judicial_report_of_termination_closes_the_matter_for_good(deployed_engine):
    case = _forwarded(deployed_engine)
    v = case.variables
    assert v["handling_unit"] == "fy"
    assert v["clock_judicial"]["kind"] == "assignment" and v["clock_judicial"]["days"] == 30

    track = case.task("Task_track")
    assert track.candidate_groups == ["xfj:handler"]
    assert track.due.isoformat().startswith(v["clock_judicial"]["due"][:10])
    case.message("judicial_report", JUDGMENT)
    assert case.ready_ids() == ["Task_record"]  # the report interrupts the tracking task
    assert case.task("Task_record").candidate_groups == ["xfj:handler"]
    case.complete("Task_record", JUDGMENT)

    info = case.info
    assert info.status == "completed"
    assert info.matter_status == "terminated"
    assert info.variables["clock_judicial"]["stopped_at"]
    assert case.notice_kinds()[-1] == "依法终结告知书"


def test_overdue_feedback_is_chased_and_the_clock_restarts(deployed_engine):
    case = _forwarded(deployed_engine, unit="gaj", days=10)
    first_due = case.variables["clock_judicial"]["due"]
    assert case.fire_at(after(first_due)) == 1
    assert case.notice_kinds()[-1] == "催办函"
    v = case.variables
    assert v["reminders"] == 1
    assert v["clock_judicial"]["due"] > first_due  # a new period from the reminder
    assert case.ready_ids() == ["Task_track"]


def test_matter_still_in_progress_keeps_being_tracked_until_resolved(deployed_engine):
    case = _forwarded(deployed_engine, unit="jcy")
    # a written reply recorded by the 信访局 itself, then a report through the interface
    case.complete("Task_track", {"judicial_outcome": "仍在办理", "judicial_summary": "已立案审查"})
    assert case.variables["litigation_status"] == "in_progress"
    assert case.ready_ids() == ["Task_track"]

    case.message("judicial_report", {"judicial_outcome": "已化解", "judicial_summary": "检察和解"})
    case.complete("Task_record", {"judicial_outcome": "已化解", "judicial_summary": "检察和解"})
    info = case.info
    assert info.status == "completed"
    assert info.matter_status == "resolved"
    assert "依法终结告知书" not in case.notice_kinds()


def test_forwarding_requires_a_judicial_unit_and_a_feedback_limit(deployed_engine):
    case = start(deployed_engine, "litigation_handoff", PETITIONER)
    task = case.task("Task_forward")
    with pytest.raises(InvalidInput) as refused:
        deployed_engine.complete_task(task.id, {"judicial_unit": "zjj", "transfer_summary": "x",
                                                "followup_days": 0}, "tester")
    assert {"judicial_unit", "followup_days"} <= set(refused.value.errors)
