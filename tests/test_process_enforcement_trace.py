"""行政执法倒查 (process key ``enforcement_trace``): tracing a corrected or lost enforcement act back.

Paths: no fault found; a fault handled at this level (批评教育 / 约谈 / 通报); a fault referred
to 纪检监察; the trace deadline's reminder and report; and after closing, on-site
supervision (驻点监督) when the unit's enforcement petitions reach the standard, from a
count passed in at start or entered by the assessor.
"""
from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from engine.errors import InvalidInput
from tests.process_driver import Case, due, start

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday; no holiday within the periods used

OPENED = {"trigger": "review_corrected", "decision_no": "郓政复决字〔2026〕7号", "decision_date": "2026-02-20",
          "enforcement_act": "对某商户作出的罚款五万元行政处罚决定", "act_type": "行政处罚",
          "correction_reason": "认定事实不清、证据不足，复议机关决定撤销。", "trace_days": 20}
STATEMENT = {"enforcement_staff": "刘某（执法证号 37001234）、陈某（执法证号 37005678）",
             "unit_statement": "执法人员未调取进货凭证即作出处罚决定。"}
FAULT = {"investigation_findings": "执法人员未全面调查取证，主要证据不足。", "fault_found": True,
         "fault_type": "facts_unclear", "fault_degree": "ordinary", "responsible_staff": "刘某（执法中队长）"}


@pytest.fixture
def traveller():
    with time_machine.travel(START, tick=True) as t:
        yield t


def _investigating(engine, unit="zrzyj", **variables) -> Case:
    case = start(engine, "enforcement_trace", {"unit_code": unit, **variables})
    open_task = case.task("Task_open_trace")
    assert open_task.name == "立案倒查" and open_task.candidate_groups == ["sfj:supervisor"]
    case.complete("Task_open_trace", OPENED)  # unit_code came with the start
    v = case.variables
    clock = v["clock_trace"]
    assert clock["kind"] == "assignment" and clock["days"] == 20 and clock["unit"] == "sfj"
    assert clock["due"] == "2026-03-23T23:59:59+08:00"  # 22 March is a Sunday: rolled to Monday
    letter = case.notices()[0]
    assert letter["kind"] == "倒查立案通知书" and letter["to"] == unit and letter["due"] == clock["due"]

    statement = case.task("Task_unit_statement")
    assert statement.name == "说明执法情况" and statement.candidate_groups == [f"{unit}:head"]
    assert statement.due == due(clock)
    case.complete("Task_unit_statement", STATEMENT)
    investigate = case.task("Task_investigate_fault")
    assert investigate.candidate_groups == ["sfj:supervisor"] and investigate.due == due(clock)
    return case


def _closed_and_assessed(case: Case, values: dict):
    assess = case.task("Task_assess_onsite")
    assert assess.name == "研判是否驻点监督" and assess.candidate_groups == ["sfj:supervisor"]
    v = case.variables
    assert v["clock_trace"]["stopped_at"] and v["clock_trace"]["on_time"] is True
    report = case.notices()[-1]
    assert report["kind"] == "倒查情况报告" and report["to"] == "xfj"
    case.complete("Task_assess_onsite", values)


def test_no_fault_found_closes_the_trace_without_accountability_or_supervision(deployed_engine, traveller):
    case = _investigating(deployed_engine, enforcement_petition_count=3)
    case.complete("Task_investigate_fault", {"investigation_findings": "执法程序合法，复议纠错系法律适用分歧。",
                                             "fault_found": False})
    _closed_and_assessed(case, {})  # the count came with the start; the standard defaults to 10
    info = case.info
    assert info.status == "completed"
    v = info.variables
    assert v["trace_outcome"] == "no_fault"
    assert v["accountability"] is None and v["onsite_supervision"] is False
    assert v["enforcement_petition_count"] == 3 and v["onsite_threshold"] == 10
    assert case.notice_kinds() == ["倒查立案通知书", "倒查情况报告"]
    assert case.notices()[-1]["outcome"] == "no_fault"


@pytest.mark.parametrize("outcome,label", [("criticism", "批评教育"), ("interview", "约谈"), ("circular", "通报")])
def test_a_fault_handled_at_this_level_is_counted_against_the_unit(deployed_engine, traveller, outcome, label):
    case = _investigating(deployed_engine, unit="zjj")
    case.complete("Task_investigate_fault", FAULT)
    decide = case.task("Task_decide_accountability")
    assert decide.name == "作出责任追究决定" and decide.candidate_groups == ["sfj:head"]
    case.complete("Task_decide_accountability", {"accountability_outcome": outcome,
                                                 "decision_reason": "未全面调查取证导致复议被纠错。"})
    v = case.variables
    acc = v["accountability"]
    assert acc["unit"] == "zjj" and v["unit_code"] == "zjj"
    assert acc["outcome"] == outcome and acc["outcome_label"] == label
    assert acc["situation"] == "abuse_causing_petition" and acc["article"].startswith("第四十二条")
    assert acc["staff"] == "刘某（执法中队长）" and acc["fault_type"] == "facts_unclear"
    assert acc["trigger"] == "review_corrected" and acc["discipline"] is None
    assert v["trace_outcome"] == "accountable"
    record = [n for n in case.notices() if n["kind"] == "追责问责记录"]
    assert len(record) == 1
    assert record[0]["to"] == "zjj" and record[0]["unit"] == "zjj" and record[0]["outcome"] == outcome
    assert record[0]["title"] == f"行政执法过错责任追究：{label}"
    _closed_and_assessed(case, {"enforcement_petition_count": 2})
    assert case.info.status == "completed"
    assert case.notice_kinds() == ["倒查立案通知书", "追责问责记录", "倒查情况报告"]


def test_a_fault_referred_to_discipline_inspection_records_its_result(deployed_engine, traveller):
    case = _investigating(deployed_engine)
    case.complete("Task_investigate_fault", {**FAULT, "fault_degree": "serious"})
    case.complete("Task_decide_accountability", {"accountability_outcome": "discipline_referral",
                                                 "decision_reason": "涉嫌滥用职权，移送纪委监委。"})
    referral = case.notices()[-1]
    assert referral["kind"] == "问题线索移送函" and referral["to"] == "jw"
    assert referral["staff"] == "刘某（执法中队长）" and referral["unit"] == "zrzyj"
    review = case.task("Task_discipline_review")
    assert review.name == "审查处理并反馈" and review.candidate_groups == ["jw:handler"]
    case.complete("Task_discipline_review", {"discipline_result": "government_sanction",
                                             "discipline_doc_no": "郓纪〔2026〕3号",
                                             "discipline_note": "给予刘某政务警告处分。"})
    acc = case.variables["accountability"]
    assert acc["outcome"] == "discipline_referral" and acc["discipline"] == "government_sanction"
    assert acc["unit"] == "zrzyj" and acc["fault_degree"] == "serious"
    _closed_and_assessed(case, {"enforcement_petition_count": 0})
    assert case.info.status == "completed"
    assert case.notice_kinds() == ["倒查立案通知书", "问题线索移送函", "追责问责记录", "倒查情况报告"]


def test_a_unit_with_many_enforcement_petitions_is_put_under_onsite_supervision(deployed_engine, traveller):
    case = _investigating(deployed_engine, unit="zjj")
    case.complete("Task_investigate_fault", FAULT)
    case.complete("Task_decide_accountability", {"accountability_outcome": "circular",
                                                 "decision_reason": "通报全县执法单位。"})
    _closed_and_assessed(case, {"enforcement_petition_count": 14, "onsite_threshold": 10,
                                "assessment_note": "本季度执法类信访14件，列为重点执法单位。"})
    plan = case.task("Task_onsite_plan")
    assert plan.name == "制定驻点监督方案" and plan.candidate_groups == ["sfj:head"]
    case.complete("Task_onsite_plan", {"onsite_team": "司法局执法监督科二人", "onsite_focus": "行政处罚取证程序",
                                       "onsite_days": 30})
    v = case.variables
    assert v["onsite_supervision"] is True
    clock = v["clock_onsite"]
    assert clock["kind"] == "assignment" and clock["days"] == 30 and clock["unit"] == "sfj"
    letter = case.notices()[-1]
    assert letter["kind"] == "驻点监督通知书" and letter["to"] == "zjj" and letter["petitions"] == 14
    report = case.task("Task_onsite_report")
    assert report.candidate_groups == ["sfj:supervisor"] and report.due == due(clock)
    case.complete("Task_onsite_report", {"onsite_findings": "两起处罚未告知陈述申辩权利。", "onsite_rectified": True,
                                         "onsite_report": "已督促整改并建立法制审核台账。"})
    info = case.info
    assert info.status == "completed"
    assert info.variables["clock_onsite"]["on_time"] is True
    assert case.notices()[-1]["kind"] == "驻点监督报告" and case.notices()[-1]["rectified"] is True
    ended = [e.data.get("activity_id") for e in deployed_engine.history(case.id) if e.kind == "task_completed"]
    assert ended[-1] == "Task_onsite_report"


def test_the_trace_deadline_is_reminded_and_reported(deployed_engine, traveller):
    case = _investigating(deployed_engine)
    clock = case.variables["clock_trace"]
    warn_at = due(clock) - dt.timedelta(days=3) + dt.timedelta(seconds=1)
    traveller.move_to(warn_at)
    assert case.fire_at(warn_at) == 1
    reminder = case.notices()[-1]
    assert reminder["kind"] == "风险提醒函" and reminder["to"] == "sfj" and reminder["unit"] == "zrzyj"
    late = due(clock) + dt.timedelta(seconds=1)
    traveller.move_to(late)
    assert case.fire_at(late) == 1
    report = case.notices()[-1]
    assert report["kind"] == "逾期督办提请" and report["to"] == "xfj"
    assert case.ready_ids() == ["Task_investigate_fault"]
    case.complete("Task_investigate_fault", {"investigation_findings": "无执法过错。", "fault_found": False})
    assert case.variables["clock_trace"]["on_time"] is False
    fired = [e.data["activity_id"] for e in deployed_engine.history(case.id) if e.kind == "timer_fired"]
    assert fired == ["Timer_Task_investigate_fault_warn", "Timer_Task_investigate_fault_due"]


def test_accountability_needs_the_responsible_staff_and_a_valid_outcome(deployed_engine, traveller):
    case = _investigating(deployed_engine)
    case.complete("Task_investigate_fault", {**FAULT, "responsible_staff": ""})
    decide = case.task("Task_decide_accountability")
    case.fresh()
    with pytest.raises(InvalidInput) as raised:
        deployed_engine.complete_task(decide.id, {"responsible_staff": "", "accountability_outcome": "dismissal",
                                                  "decision_reason": "理由"}, "head")
    assert set(raised.value.errors) == {"responsible_staff", "accountability_outcome", "decision_reason"}
    assert case.ready_ids() == ["Task_decide_accountability"]


def test_the_final_notices_variable_matches_the_logged_notices_after_the_deadline_timers(deployed_engine, traveller):
    # the reminder branches end before the main path: the case keeps every letter, in order
    case = _investigating(deployed_engine)
    clock = case.variables["clock_trace"]
    for when in (due(clock) - dt.timedelta(days=3) + dt.timedelta(seconds=1), due(clock) + dt.timedelta(seconds=1)):
        traveller.move_to(when)
        assert case.fire_at(when) == 1
    traveller.shift(dt.timedelta(hours=2))
    case.complete("Task_investigate_fault", FAULT)
    case.complete("Task_decide_accountability", {"accountability_outcome": "criticism",
                                                 "decision_reason": "未全面调查取证导致复议被纠错。"})
    case.complete("Task_assess_onsite", {"enforcement_petition_count": 1})
    logged = case.notice_kinds()
    assert logged == ["倒查立案通知书", "风险提醒函", "逾期督办提请", "追责问责记录", "倒查情况报告"]
    assert [n["kind"] for n in case.variables["notices"]] == logged
