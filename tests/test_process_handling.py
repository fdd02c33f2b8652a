"""办理 (process ``handling``, route 6): every path through the 60-day handling stage.

第三十一条第（六）项 (investigate, hear, hearing), 第三十二条 (three outcomes, execution of a
supported one), 第三十三条 (mediation ends the matter), 第三十四条 (60 days, one extension of
at most 30 days approved by the head, with a notice), 第三十五条 (the 复查 request window).
"""
from __future__ import annotations

import datetime as dt

import pytest

from engine.clocks import clock_start
from engine.errors import InvalidInput
from tests.handling_driver import (HEARD, INVESTIGATED, OPINION, PETITION, clock_at, fire, iso_due,
                                   iso_warn, sh, start)

START = sh(2026, 3, 2, 10, 0)  # a Monday; 60 days end on 1 May (劳动节), so the period rolls to 6 May


def _start(engine):
    return start(engine, "handling", {**PETITION, "handling_unit": "zjj"})


def _investigate(case, **heard):
    case.complete("Task_investigate", INVESTIGATED)
    case.complete("Task_hear_petitioner", {**HEARD, **heard})


def _opinion(case, outcome, served_on="2026-03-20"):
    case.complete("Task_draft_opinion", {**OPINION, "opinion_outcome": outcome})
    case.complete("Task_approve_opinion", {"opinion_approval": "approve"}, actor="head")
    case.complete("Task_serve_opinion", {"served_on": served_on, "service_method": "direct"})


def test_the_sixty_day_clock_starts_and_every_handling_task_goes_to_the_handling_unit(deployed_engine):
    with clock_at(START):
        case = _start(deployed_engine)
        v = case.variables
        assert v["clock_handling"]["kind"] == "handling" and v["clock_handling"]["days"] == 60
        assert v["clock_handling"]["due"] == "2026-05-06T23:59:59+08:00"
        assert case.info.matter_status == "in_handling"

        investigate = case.task("Task_investigate")
        assert investigate.name == "调查核实"
        assert investigate.candidate_groups == ["zjj:handler"]
        assert investigate.due == iso_due(v["clock_handling"])
        case.complete("Task_investigate", INVESTIGATED)
        hear = case.task("Task_hear_petitioner")
        assert hear.candidate_groups == ["zjj:handler"] and hear.due == investigate.due
        # the warning 7 days before the due is the next timer
        assert case.info.next_timer_at == iso_warn(v["clock_handling"], 7)


def test_a_mediation_agreement_settles_the_matter_which_is_terminated_and_filed(deployed_engine):
    with clock_at(START):
        case = _start(deployed_engine)
        _investigate(case, try_mediation=True)
        mediate = case.task("Task_mediate")
        assert mediate.name == "组织调解" and mediate.candidate_groups == ["zjj:handler"]
        case.complete("Task_mediate", {"mediation_result": "agreement", "agreement_type": "settlement",
                                       "agreement_no": "郓调〔2026〕15号", "mediation_summary": "双方达成和解"})

        filing = case.task("Task_filing")  # 调解结案 → 终结 → 报省信访局备案
        assert filing.candidate_groups == ["xfj:registrar"]
        info = case.info
        assert info.matter_status == "terminated"
        v = info.variables
        assert v["mediation_settled"] is True and v["outcome"] == "settled"
        assert v["termination_reason"] == "settled"
        assert v["clock_handling"]["stopped_at"] and v["clock_handling"]["on_time"] is True
        assert case.notice_kinds() == ["和解协议书"]
        assert case.notices()[0]["to"] == "李四"

        case.complete("Task_filing", {"filing_summary": "调解结案，报省信访局备案", "filing_no": "鲁信备〔2026〕9号"})
        assert case.info.status == "completed"
        assert case.notice_kinds() == ["和解协议书", "备案报告"]
        assert case.notices()[-1]["to"] == "province-xfj"
        assert "Task_draft_opinion" not in [e.data.get("activity_id") for e in case.history()]


def test_failed_mediation_and_a_hearing_then_an_explanation_end_when_the_review_window_lapses(deployed_engine):
    with clock_at(START) as tm:
        case = _start(deployed_engine)
        _investigate(case, try_mediation=True, hold_hearing=True)
        case.complete("Task_mediate", {"mediation_result": "no_agreement", "mediation_summary": "未达成一致"})
        hearing = case.task("Task_hearing")
        assert hearing.name == "组织听证" and hearing.candidate_groups == ["zjj:handler"]
        case.complete("Task_hearing", {"hearing_date": "2026-03-12", "hearing_participants": "信访人、住建局、律师",
                                       "hearing_conclusion": "补偿标准符合规定"})
        assert case.ready_ids() == ["Task_draft_opinion"]  # no extension asked: straight to the opinion
        _opinion(case, "explain")

        info = case.info
        assert case.ready_ids() == []  # waiting for a 复查 request or the end of its window
        v = info.variables
        assert v["outcome"] == "explain" and v["matter_status"] == "in_handling"
        assert v["clock_handling"]["stopped_at"] and v["clock_handling"]["on_time"] is True
        assert v["clock_review_window"]["due"] == clock_start("review_window", "2026-03-20")["due"]
        assert v["clock_review_window"]["due"] == "2026-04-20T23:59:59+08:00"  # 19 April is a Sunday
        assert info.next_timer_at == iso_due(v["clock_review_window"])
        assert [n["kind"] for n in case.notices()] == ["信访处理意见书"]
        assert case.notices()[0]["outcome"] == "explain"

        assert fire(deployed_engine, tm, iso_due(v["clock_review_window"]) + dt.timedelta(seconds=1)) == 1
        assert case.fired_timers() == ["Timer_review_window"]
        assert case.info.matter_status == "terminated"
        assert case.variables["termination_reason"] == "review_window_lapsed"
        case.complete("Task_filing", {"filing_summary": "期限内未申请复查，终结备案"})
        assert case.info.status == "completed"
        assert case.notice_kinds() == ["信访处理意见书", "备案报告"]


def test_one_extension_moves_the_deadline_and_a_supported_opinion_is_followed_up_until_executed(deployed_engine):
    with clock_at(START):
        case = _start(deployed_engine)
        original_due = case.variables["clock_handling"]["due"]
        _investigate(case, request_extension=True)
        approve = case.task("Task_approve_extension")
        assert approve.name == "审批延长办理期限" and approve.candidate_groups == ["zjj:head"]
        case.complete("Task_approve_extension", {"extension_approved": True, "extension_days": 30,
                                                 "extension_reason": "涉及多户安置，需会同街道核算"}, actor="head")
        clock = case.variables["clock_handling"]
        assert clock["extended_days"] == 30 and clock["original_due"] == original_due
        assert clock["due"] == "2026-06-05T23:59:59+08:00"
        assert "clock_extended" in [e.kind for e in case.history()]
        (extension,) = case.notices()
        assert extension["kind"] == "延长办理期限告知书" and extension["due"] == clock["due"]
        assert extension["reason"] == "涉及多户安置，需会同街道核算"
        draft = case.task("Task_draft_opinion")
        assert draft.due == iso_due(clock)
        # the opinion stage's timers are armed on the extended period
        assert case.info.next_timer_at == iso_warn(clock, 7)

        # the head sends the draft back once
        case.complete("Task_draft_opinion", {**OPINION, "opinion_outcome": "support"})
        assert case.task("Task_approve_opinion").candidate_groups == ["zjj:head"]
        case.complete("Task_approve_opinion", {"opinion_approval": "return", "approval_comment": "依据不全"})
        case.complete("Task_draft_opinion", {**OPINION, "opinion_outcome": "support"})
        case.complete("Task_approve_opinion", {"opinion_approval": "approve"})
        case.complete("Task_serve_opinion", {"served_on": "2026-03-25", "service_method": "mail"})

        # 第三十二条: a supported request is executed under the 信访部门's supervision
        execute = case.task("Task_execute_opinion")
        assert execute.candidate_groups == ["zjj:handler"]
        case.complete("Task_execute_opinion", {"execution_measures": "已拨付部分补偿款"})
        check = case.task("Task_check_execution")
        assert check.candidate_groups == ["xfj:supervisor"]
        case.complete("Task_check_execution", {"execution_verified": "not_done"})
        assert case.notice_kinds()[-1] == "督促执行通知书" and case.notices()[-1]["to"] == "zjj"
        case.complete("Task_execute_opinion", {"execution_measures": "补偿款已全部拨付", "execution_completed": True})
        case.complete("Task_check_execution", {"execution_verified": "done"})
        assert case.ready_ids() == []

        case.message("review_request", {"review_reasons": "对补偿标准仍有异议"})
        review = case.task("Task_review_draft")
        assert review.candidate_groups == ["city-zjj:handler"]
        v = case.variables
        assert v["review_unit"] == "city-zjj"
        assert v["clock_review_window"]["stopped_at"]
        assert case.notice_kinds() == ["延长办理期限告知书", "信访处理意见书", "督促执行通知书", "受理告知书"]


def test_a_refused_extension_keeps_the_sixty_day_deadline(deployed_engine):
    with clock_at(START):
        case = _start(deployed_engine)
        due = case.variables["clock_handling"]["due"]
        _investigate(case, request_extension=True)
        case.complete("Task_approve_extension", {"extension_approved": False, "extension_days": 30,
                                                 "extension_reason": "不属于复杂情形"}, actor="head")
        assert case.variables["clock_handling"]["due"] == due
        assert case.variables["clock_handling"]["extended_days"] == 0
        assert case.task("Task_draft_opinion").due == iso_due(case.variables["clock_handling"])
        assert case.notice_kinds() == []


def test_an_extension_of_more_than_thirty_days_is_refused_by_the_form(deployed_engine):
    with clock_at(START):
        case = _start(deployed_engine)
        _investigate(case, request_extension=True)
        task = case.task("Task_approve_extension")
        with pytest.raises(InvalidInput) as refused:
            deployed_engine.complete_task(task.id, {"extension_approved": True, "extension_days": 31,
                                                    "extension_reason": "复杂"}, "head")
        assert "extension_days" in refused.value.errors
        assert case.ready_ids() == ["Task_approve_extension"]


def test_a_review_request_during_execution_follow_up_moves_the_case_into_review(deployed_engine):
    with clock_at(START):
        case = _start(deployed_engine)
        _investigate(case)
        _opinion(case, "support")
        assert case.ready_ids() == ["Task_execute_opinion"]
        case.message("review_request", {"review_reasons": "支持不到位"})
        assert case.ready_ids() == ["Task_review_draft"]
        assert case.variables["review_late"] is False


def test_a_review_request_after_the_window_is_refused_with_a_notice_and_the_matter_ends(deployed_engine):
    with clock_at(START) as tm:
        case = _start(deployed_engine)
        _investigate(case)
        _opinion(case, "reject")
        window_due = iso_due(case.variables["clock_review_window"])
        tm.move_to(window_due + dt.timedelta(days=2))  # the scheduler has not run yet
        case.message("review_request", {"review_reasons": "不服"})
        v = case.variables
        assert v["review_late"] is True
        assert v["termination_reason"] == "review_request_late"
        late = case.notices()[-1]
        assert late["kind"] == "不予受理告知书" and late["title"] == "复查申请逾期不予受理告知书"
        assert case.ready_ids() == ["Task_filing"]
        assert case.info.matter_status == "terminated"


def test_a_review_request_received_in_time_but_entered_late_is_accepted(deployed_engine):
    with clock_at(START) as tm:
        case = _start(deployed_engine)
        _investigate(case)
        _opinion(case, "reject")
        window_due = iso_due(case.variables["clock_review_window"])
        tm.move_to(window_due + dt.timedelta(hours=1))
        case.message("review_request", {"review_reasons": "不服", "review_received_at": "2026-04-15T09:00:00+08:00"})
        v = case.variables
        assert v["review_late"] is False
        assert v["clock_review"]["start"].startswith("2026-04-15T09:00")
        assert case.ready_ids() == ["Task_review_draft"]


def test_handling_timers_warn_seven_days_before_and_escalate_at_the_due(deployed_engine):
    with clock_at(START) as tm:
        case = _start(deployed_engine)
        clock = case.variables["clock_handling"]
        assert fire(deployed_engine, tm, iso_warn(clock, 7) + dt.timedelta(seconds=1)) == 1
        assert case.fired_timers() == ["Timer_Sub_investigation_warn"]
        assert case.info.next_timer_at == iso_due(clock)
        assert fire(deployed_engine, tm, iso_due(clock) + dt.timedelta(seconds=1)) == 1
        assert case.fired_timers() == ["Timer_Sub_investigation_warn", "Timer_Sub_investigation_due"]
        assert case.ready_ids() == ["Task_investigate"]  # the work goes on; the escalation is parallel


def test_handling_warning_and_escalation_are_recorded_as_notices(deployed_engine):
    with clock_at(START) as tm:
        case = _start(deployed_engine)
        clock = case.variables["clock_handling"]
        fire(deployed_engine, tm, iso_warn(clock, 7) + dt.timedelta(seconds=1))
        assert case.variables["clock_handling"]["due"] == clock["due"]
        assert case.notice_kinds() == ["风险提醒函"]
        assert case.notices()[0]["to"] == "zjj"
        fire(deployed_engine, tm, iso_due(clock) + dt.timedelta(seconds=1))
        assert case.notice_kinds() == ["风险提醒函", "逾期督办提请"]
        assert case.notices()[1]["to"] == "xfj"
        # the work goes on with the case's data intact, and nothing is logged twice
        case.complete("Task_investigate", INVESTIGATED)
        assert case.variables["investigation_findings"] == INVESTIGATED["investigation_findings"]
        assert case.notice_kinds() == ["风险提醒函", "逾期督办提请"]



def test_the_opinion_stage_has_its_own_warning_and_escalation_timers(deployed_engine):
    with clock_at(START) as tm:
        case = _start(deployed_engine)
        _investigate(case)
        clock = case.variables["clock_handling"]
        assert case.task("Task_draft_opinion").due == iso_due(clock)
        assert fire(deployed_engine, tm, iso_warn(clock, 7) + dt.timedelta(seconds=1)) == 1
        assert fire(deployed_engine, tm, iso_due(clock) + dt.timedelta(seconds=1)) == 1
        assert case.fired_timers() == ["Timer_Sub_opinion_warn", "Timer_Sub_opinion_due"]
        assert case.notice_kinds() == ["风险提醒函", "逾期督办提请"]
        assert case.notices()[1]["title"] == "办理超期提请督办" and case.notices()[1]["unit"] == "zjj"
        # an overdue handling is still finished, and its clock records it as late
        _opinion(case, "explain", served_on="2026-05-08")
        assert case.variables["clock_handling"]["on_time"] is False

def test_a_warned_case_keeps_every_notice_when_it_ends(deployed_engine):
    with clock_at(START) as tm:
        case = _start(deployed_engine)
        fire(deployed_engine, tm, iso_warn(case.variables["clock_handling"], 7) + dt.timedelta(seconds=1))
        _investigate(case, try_mediation=True)
        case.complete("Task_mediate", {"mediation_result": "agreement", "mediation_summary": "达成调解协议"})
        case.complete("Task_filing", {"filing_summary": "调解结案"})
        assert case.info.status == "completed"
        assert case.notice_kinds() == ["风险提醒函", "调解协议书", "备案报告"]
        assert case.notices()[-1]["to"] == "province-xfj"


@pytest.mark.parametrize(("unit", "channel_words"), [("fy", "上诉、申请再审"), ("jcy", "申诉"), ("jw", "复审、复核")])
def test_a_review_request_on_a_court_procuratorate_or_discipline_matter_is_answered_with_the_legal_channel(
        deployed_engine, unit, channel_words):
    # 第二十八条第二款 / 第三十一条: no organ above these units takes a 信访 复查; the
    # petitioner is told the statutory channel in writing and the matter ends (no crash).
    with clock_at(START) as tm:
        case = start(deployed_engine, "handling", {**PETITION, "handling_unit": unit})
        _investigate(case)
        _opinion(case, "reject")
        tm.move_to(sh(2026, 3, 25, 9, 0))
        case.message("review_request", {"review_reasons": "不服处理意见"})
        v = case.variables
        assert v["review_late"] is False and v["review_unit"] is None
        assert v["termination_reason"] == "review_not_applicable"
        told = case.notices()[-1]
        assert told["kind"] == "依法途径告知书" and channel_words in told["channel"]
        assert case.ready_ids() == ["Task_filing"]
        assert case.info.matter_status == "terminated"
