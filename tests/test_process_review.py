"""复查 (process ``review``, 第三十五条) and 复核 (process ``recheck``, 第三十六条).

Each is started on its own (as ``handling`` calls it) and through ``handling`` for the
复核 request window: in time, late (refused with a notice) and lapsed (terminated).
"""
from __future__ import annotations

import datetime as dt

from engine.clocks import clock_start
from tests.handling_driver import (HEARD, INVESTIGATED, OPINION, PETITION, clock_at, fire, iso_due,
                                   iso_warn, sh, start)

START = sh(2026, 3, 2, 10, 0)
REVIEW = {**PETITION, "handling_unit": "town-chengguan", "review_received_at": None, "notices": []}
RECHECK = {**PETITION, "handling_unit": "zjj", "review_unit": "city-zjj", "recheck_received_at": None,
           "notices": []}


def _decide(case, prefix: str, served_on: str, outcome: str = "reject", send_back: bool = False):
    draft = {f"{prefix}_findings": "原处理意见认定事实清楚", f"{prefix}_decision": "uphold",
             f"{prefix}_outcome": outcome, f"{prefix}_basis": "《信访工作条例》第三十五条"}
    case.complete(f"Task_{prefix}_draft", draft)
    if send_back:
        case.complete(f"Task_{prefix}_approve", {f"{prefix}_approval": "return",
                                                  f"{prefix}_approval_comment": "补充依据"}, actor="head")
        case.complete(f"Task_{prefix}_draft", draft)
    case.complete(f"Task_{prefix}_approve", {f"{prefix}_approval": "approve"}, actor="head")
    case.complete(f"Task_{prefix}_serve", {f"{prefix}_served_on": served_on, f"{prefix}_service_method": "direct"})


def test_review_is_decided_by_the_organ_above_the_handling_unit_within_thirty_days(deployed_engine):
    with clock_at(START):
        case = start(deployed_engine, "review", REVIEW)
        v = case.variables
        assert v["review_unit"] == "county-gov"  # 城关镇 → 县人民政府
        assert v["clock_review"]["kind"] == "review" and v["clock_review"]["due"] == "2026-04-01T23:59:59+08:00"
        assert case.notice_kinds() == ["受理告知书"]
        draft = case.task("Task_review_draft")
        assert draft.name == "起草复查意见书"
        assert draft.candidate_groups == ["county-gov:handler"] and draft.due == iso_due(v["clock_review"])
        case.complete("Task_review_draft", {"review_findings": "事实清楚", "review_decision": "revise",
                                            "review_outcome": "support", "review_basis": "第三十五条"})
        approve = case.task("Task_review_approve")
        assert approve.candidate_groups == ["county-gov:head"]
        case.complete("Task_review_approve", {"review_approval": "return"}, actor="head")  # sent back once
        assert case.ready_ids() == ["Task_review_draft"]
        _decide(case, "review", "2026-03-25", outcome="support")

        info = case.info
        assert info.status == "completed"
        v = info.variables
        assert v["outcome"] == "support"
        assert v["clock_review"]["stopped_at"] and v["clock_review"]["on_time"] is True
        assert v["clock_recheck_window"]["due"] == clock_start("recheck_window", "2026-03-25")["due"]
        opinion = case.notices()[-1]
        assert opinion["kind"] == "复查意见书" and opinion["unit"] == "county-gov" and opinion["decision"] == "uphold"
        assert case.notice_kinds() == ["受理告知书", "复查意见书"]


def test_the_review_period_counts_from_the_day_the_request_was_received(deployed_engine):
    with clock_at(sh(2026, 3, 10, 9, 0)):
        case = start(deployed_engine, "review", {**REVIEW, "handling_unit": "zjj",
                                                 "review_received_at": "2026-03-05T16:00:00+08:00"})
        v = case.variables
        assert v["review_unit"] == "city-zjj"
        assert v["clock_review"]["due"] == clock_start("review", "2026-03-05T16:00:00+08:00")["due"]
        assert case.task("Task_review_draft").candidate_groups == ["city-zjj:handler"]


def test_review_timers_warn_five_days_before_and_escalate_at_the_due(deployed_engine):
    with clock_at(START) as tm:
        case = start(deployed_engine, "review", REVIEW)
        clock = case.variables["clock_review"]
        assert fire(deployed_engine, tm, iso_warn(clock, 5) + dt.timedelta(seconds=1)) == 1
        assert case.fired_timers() == ["Timer_Sub_review_warn"]
        warning = case.notices()[-1]
        assert warning["kind"] == "风险提醒函" and warning["to"] == "county-gov"
        assert fire(deployed_engine, tm, iso_due(clock) + dt.timedelta(seconds=1)) == 1
        assert case.notices()[-1]["kind"] == "逾期督办提请" and case.notices()[-1]["to"] == "xfj"
        assert case.ready_ids() == ["Task_review_draft"]


def test_recheck_hearing_time_does_not_count_toward_its_thirty_days(deployed_engine):
    with clock_at(START) as tm:
        case = start(deployed_engine, "recheck", RECHECK)
        v = case.variables
        assert v["recheck_unit"] == "city-gov"  # 市住建局 → 市人民政府
        before = v["clock_recheck"]
        examine = case.task("Task_recheck_examine")
        assert examine.name == "复核审查"
        assert examine.candidate_groups == ["city-gov:handler"] and examine.due == iso_due(before)
        case.complete("Task_recheck_examine", {"recheck_examination": "需听证", "hold_recheck_hearing": True})

        assert case.variables["clock_recheck"]["paused_at"]
        assert case.notice_kinds() == ["受理告知书", "听证通知书"]
        hearing = case.task("Task_recheck_hearing")
        assert hearing.candidate_groups == ["city-gov:handler"]
        tm.move_to(START + dt.timedelta(days=3))  # the hearing takes three days
        case.complete("Task_recheck_hearing", {"recheck_hearing_date": "2026-03-04", "recheck_hearing_participants":
                                               "信访人、市住建局、县住建局", "recheck_hearing_conclusion": "维持"})
        after = case.variables["clock_recheck"]
        assert after["paused_at"] is None and after["paused_days"] == 3
        assert after["due"] == clock_start("recheck", before["start"], days=33)["due"]
        assert "clock_paused" in [e.kind for e in case.history()] and "clock_resumed" in [e.kind for e in case.history()]
        draft = case.task("Task_recheck_draft")
        assert draft.due == iso_due(after) and draft.candidate_groups == ["city-gov:handler"]
        assert case.task("Task_recheck_draft").due > iso_due(before)
        _decide(case, "recheck", "2026-03-20", send_back=True)

        info = case.info
        assert info.status == "completed"
        v = info.variables
        assert v["termination_reason"] == "three_level"
        assert v["clock_recheck"]["stopped_at"] and v["clock_recheck"]["on_time"] is True
        assert case.notice_kinds() == ["受理告知书", "听证通知书", "复核意见书"]


def test_recheck_without_a_hearing_keeps_its_thirty_days(deployed_engine):
    with clock_at(START):
        case = start(deployed_engine, "recheck", RECHECK)
        due = case.variables["clock_recheck"]["due"]
        case.complete("Task_recheck_examine", {"recheck_examination": "书面审查"})
        assert case.variables["clock_recheck"]["due"] == due
        assert case.task("Task_recheck_draft").due == iso_due(case.variables["clock_recheck"])
        _decide(case, "recheck", "2026-03-16")
        assert case.info.status == "completed"
        assert case.notice_kinds() == ["受理告知书", "复核意见书"]


def test_recheck_timers_warn_and_escalate_in_examination_and_in_the_opinion_stage(deployed_engine):
    with clock_at(START) as tm:
        case = start(deployed_engine, "recheck", RECHECK)
        clock = case.variables["clock_recheck"]
        assert fire(deployed_engine, tm, iso_warn(clock, 5) + dt.timedelta(seconds=1)) == 1
        assert case.fired_timers() == ["Timer_recheck_examine_warn"]
        tm.move_to(iso_warn(clock, 4))
        case.complete("Task_recheck_examine", {"recheck_examination": "书面审查"})
        # the opinion stage starts inside the warning period: its own warning goes out at once
        assert case.notice_kinds() == ["受理告知书", "风险提醒函", "风险提醒函"]
        assert case.info.next_timer_at == iso_due(clock)
        assert fire(deployed_engine, tm, iso_due(clock) + dt.timedelta(seconds=1)) == 1
        assert case.fired_timers() == ["Timer_recheck_examine_warn", "Timer_Sub_recheck_opinion_due"]
        assert case.notice_kinds() == ["受理告知书", "风险提醒函", "风险提醒函", "逾期督办提请"]
        assert case.ready_ids() == ["Task_recheck_draft"]


# ---------------------------------------------------------------- the 复核 window, through handling
def _reviewed(engine, tm):
    case = start(engine, "handling", {**PETITION, "handling_unit": "zjj"})
    case.complete("Task_investigate", INVESTIGATED)
    case.complete("Task_hear_petitioner", HEARD)
    case.complete("Task_draft_opinion", {**OPINION, "opinion_outcome": "reject"})
    case.complete("Task_approve_opinion", {"opinion_approval": "approve"})
    case.complete("Task_serve_opinion", {"served_on": "2026-03-06", "service_method": "direct"})
    tm.move_to(sh(2026, 3, 20, 9, 0))
    case.message("review_request", {"review_reasons": "不服处理意见"})
    _decide(case, "review", "2026-03-27")
    assert case.ready_ids() == []  # waiting for a 复核 request
    return case


def test_a_recheck_request_in_time_goes_to_the_organ_above_the_review_organ(deployed_engine):
    with clock_at(START) as tm:
        case = _reviewed(deployed_engine, tm)
        tm.move_to(sh(2026, 4, 10, 9, 0))
        case.message("recheck_request", {"recheck_reasons": "不服复查意见"})
        v = case.variables
        assert v["recheck_late"] is False and v["recheck_unit"] == "city-gov"
        assert v["clock_recheck_window"]["stopped_at"]
        assert case.task("Task_recheck_examine").candidate_groups == ["city-gov:handler"]


def test_a_recheck_request_after_its_window_is_refused_and_the_matter_terminates(deployed_engine):
    with clock_at(START) as tm:
        case = _reviewed(deployed_engine, tm)
        window = case.variables["clock_recheck_window"]
        assert window["due"] == clock_start("recheck_window", "2026-03-27")["due"]
        tm.move_to(iso_due(window) + dt.timedelta(days=1))
        case.message("recheck_request", {"recheck_reasons": "不服复查意见"})
        v = case.variables
        assert v["recheck_late"] is True and v["termination_reason"] == "recheck_request_late"
        assert case.notices()[-1]["title"] == "复核申请逾期不予受理告知书"
        assert case.ready_ids() == ["Task_filing"]
        assert case.info.matter_status == "terminated"


def test_when_the_recheck_window_lapses_the_matter_terminates(deployed_engine):
    with clock_at(START) as tm:
        case = _reviewed(deployed_engine, tm)
        window = case.variables["clock_recheck_window"]
        assert case.info.next_timer_at == iso_due(window)
        assert fire(deployed_engine, tm, iso_due(window) + dt.timedelta(seconds=1)) == 1
        assert case.fired_timers()[-1] == "Timer_recheck_window"
        assert case.variables["termination_reason"] == "recheck_window_lapsed"
        assert case.info.matter_status == "terminated"
        case.complete("Task_filing", {"filing_summary": "复查后未申请复核，终结备案"})
        assert case.info.status == "completed"
        assert case.notice_kinds() == ["信访处理意见书", "受理告知书", "复查意见书", "备案报告"]
