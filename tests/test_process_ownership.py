"""无头事项 (ownership): 主动认领 → 会议确定 → 批示指定 → 案例推定, each with its own limit."""
from __future__ import annotations

import pytest

from tests.process_driver import PETITIONER, after, start

PUBLISH = {"claim_units": "zjj, town-chengguan", "ownership_summary": "小区公共设施维修责任不明"}


def _published(engine):
    case = start(engine, "ownership", PETITIONER)
    assert case.task("Task_publish").candidate_groups == ["xfj:registrar"]
    case.complete("Task_publish", PUBLISH)
    return case


def _assigned(case, unit: str, method: str):
    info = case.info
    assert info.status == "completed"
    v = info.variables
    assert v["handling_unit"] == unit
    assert v["ownership_method"] == method
    assert v["owner_unknown"] is False
    assert v["clock_ownership"]["stopped_at"]
    assert case.notice_kinds()[-1] == "责任单位认定通知书"


def test_a_unit_that_claims_the_matter_becomes_its_owner(deployed_engine):
    case = _published(deployed_engine)
    claim = case.task("Task_claim")
    assert sorted(claim.candidate_groups) == ["town-chengguan:head", "zjj:head"]
    clock = case.variables["clock_ownership"]
    assert clock["kind"] == "ownership_claim" and clock["working_days"] is True
    assert claim.due.isoformat()[:10] == clock["due"][:10]
    case.complete("Task_claim", {"claimed": True, "handling_unit": "zjj", "claim_reason": "属物业监管职责"})
    _assigned(case, "zjj", "主动认领")


def test_unclaimed_matter_goes_to_the_joint_meeting(deployed_engine):
    case = _published(deployed_engine)
    case.complete("Task_claim", {"claimed": False, "claim_reason": "不属本单位职责"})
    meeting = case.task("Task_meeting")
    assert meeting.candidate_groups == ["xfj:head"]
    assert case.variables["clock_ownership"]["kind"] == "ownership_decision"
    case.complete("Task_meeting", {"meeting_decided": True, "handling_unit": "town-chengguan",
                                   "meeting_minutes_no": "联席〔2025〕3号"})
    _assigned(case, "town-chengguan", "会议确定")


def test_each_lapsed_step_escalates_until_a_precedent_decides(deployed_engine):
    case = _published(deployed_engine)
    # 主动认领 lapses: nobody claimed within the 5 working days
    assert case.fire_at(after(case.variables["clock_ownership"]["due"])) == 1
    assert case.ready_ids() == ["Task_meeting"]
    # the meeting cannot decide
    case.complete("Task_meeting", {"meeting_decided": False})
    instruct = case.task("Task_instruct")
    assert instruct.candidate_groups == ["county-lead:leader"]
    # 批示指定 lapses as well
    assert case.fire_at(after(case.variables["clock_ownership"]["due"])) == 1
    precedent = case.task("Task_precedent")
    assert precedent.candidate_groups == ["xfj:head"]
    assert case.variables["ownership_step"] == "案例推定"
    case.complete("Task_precedent", {"handling_unit": "zjj", "precedent_case_no": "2024-XF-118",
                                     "precedent_reason": "同类小区维修历来由住建局牵头"})
    _assigned(case, "zjj", "案例推定")


def test_meeting_that_lapses_goes_to_leader_designation(deployed_engine):
    case = _published(deployed_engine)
    case.complete("Task_claim", {"claimed": False, "claim_reason": "不属本单位职责"})
    assert case.fire_at(after(case.variables["clock_ownership"]["due"])) == 1
    case.complete("Task_instruct", {"handling_unit": "rsj", "lead_instruction": "由人社局牵头办理"})
    _assigned(case, "rsj", "批示指定")


def test_overdue_precedent_step_is_supervised(deployed_engine):
    case = _published(deployed_engine)
    case.complete("Task_claim", {"claimed": False, "claim_reason": "不属本单位职责"})
    case.complete("Task_meeting", {"meeting_decided": False})
    assert case.fire_at(after(case.variables["clock_ownership"]["due"])) == 1
    assert case.ready_ids() == ["Task_precedent"]
    assert case.fire_at(after(case.variables["clock_ownership"]["due"])) == 1
    assert case.ready_ids() == ["Task_precedent"]  # the supervision does not take the task away
    fired = [e.data["activity_id"] for e in deployed_engine.history(case.id) if e.kind == "timer_fired"]
    assert fired[-1] == "Timer_precedent_due"


def test_supervision_letter_of_an_overdue_precedent_step_is_logged(deployed_engine):
    case = _published(deployed_engine)
    case.complete("Task_claim", {"claimed": False, "claim_reason": "不属本单位职责"})
    case.complete("Task_meeting", {"meeting_decided": False})
    case.fire_at(after(case.variables["clock_ownership"]["due"]))
    case.fire_at(after(case.variables["clock_ownership"]["due"]))
    assert case.notice_kinds() == ["督办函"]
