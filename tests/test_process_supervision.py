"""督查督办 (process ``supervision``): 风险提醒函, 督办函 with a written answer (第四十条),
再次督办, and an accountability record naming one of the county's 14 追责 situations
(第四十二–四十六条)."""
from __future__ import annotations

import datetime as dt

import pytest

from engine.errors import InvalidInput
from tests.handling_driver import clock_at, fire, iso_due, iso_warn, sh, start

START = sh(2026, 3, 2, 10, 0)
TARGET = {"target_case_id": "case-0301", "target_unit": "zjj", "supervision_detail": "办理期限将届满仍未出具意见"}
ANSWER = {"answer_text": "已成立专班，三日内出具处理意见", "rectified": True, "rectification_measures": "专班办理"}


def test_a_case_about_to_be_overdue_gets_a_risk_reminder_and_the_unit_answers(deployed_engine):
    with clock_at(START):
        case = start(deployed_engine, "supervision", {**TARGET, "supervision_reason": "due_soon"})
        (letter,) = case.notices()
        assert letter["kind"] == "风险提醒函" and letter["to"] == "zjj" and letter["case"] == "case-0301"
        clock = case.variables["clock_risk_reminder_answer"]
        assert clock["kind"] == "risk_reminder_answer" and clock["working_days"] is True
        feedback = case.task("Task_risk_feedback")
        assert feedback.name == "反馈风险防范措施"
        assert feedback.candidate_groups == ["zjj:head"] and feedback.due == iso_due(clock)
        case.complete("Task_risk_feedback", {"risk_measures": "加派人手，限期办结", "expected_finish": "2026-03-06"},
                      actor="head")
        info = case.info
        assert info.status == "completed"
        assert info.variables["clock_risk_reminder_answer"]["on_time"] is True
        assert case.notice_kinds() == ["风险提醒函"]


def test_an_unanswered_risk_reminder_turns_into_a_supervision_letter(deployed_engine):
    with clock_at(START) as tm:
        case = start(deployed_engine, "supervision", {**TARGET, "supervision_reason": "due_soon"})
        clock = case.variables["clock_risk_reminder_answer"]
        assert fire(deployed_engine, tm, iso_due(clock) + dt.timedelta(seconds=1)) == 1
        assert case.fired_timers() == ["Timer_risk_feedback_due"]
        assert case.ready_ids() == ["Task_answer_letter"]
        v = case.variables
        assert v["clock_risk_reminder_answer"]["on_time"] is False
        assert v["supervision_letters"] == 1
        assert case.notice_kinds() == ["风险提醒函", "督办函"]


def test_an_overdue_case_gets_a_supervision_letter_answered_in_writing_and_closed(deployed_engine):
    with clock_at(START):
        case = start(deployed_engine, "supervision", {**TARGET, "supervision_reason": "overdue"})
        (letter,) = case.notices()
        assert letter["kind"] == "督办函" and letter["title"] == "信访督办函" and letter["round"] == 1
        clock = case.variables["clock_supervision_answer"]
        assert clock["kind"] == "supervision_answer" and letter["due"] == clock["due"]
        answer = case.task("Task_answer_letter")
        assert answer.name == "书面答复督办函"
        assert answer.candidate_groups == ["zjj:head"] and answer.due == iso_due(clock)
        case.complete("Task_answer_letter", ANSWER, actor="head")
        assert case.variables["clock_supervision_answer"]["on_time"] is True
        check = case.task("Task_check_answer")
        assert check.candidate_groups == ["xfj:supervisor"]
        case.complete("Task_check_answer", {"answer_accepted": "accepted"}, actor="supervisor")
        info = case.info
        assert info.status == "completed" and info.variables["supervision_closed"] is True
        assert info.variables["accountability_record"] is None
        assert case.notice_kinds() == ["督办函", "督办办结通知"]


def test_the_answer_deadline_is_chased_two_days_before_it_ends(deployed_engine):
    with clock_at(START) as tm:
        case = start(deployed_engine, "supervision", {**TARGET, "supervision_reason": "irregular"})
        clock = case.variables["clock_supervision_answer"]
        assert case.info.next_timer_at == iso_warn(clock, 2)
        assert fire(deployed_engine, tm, iso_warn(clock, 2) + dt.timedelta(seconds=1)) == 1
        assert case.fired_timers() == ["Timer_answer_warn"]
        assert case.notice_kinds() == ["督办函", "催办函"]
        assert case.ready_ids() == ["Task_answer_letter"]  # chasing does not take the task away


def test_repeated_failure_creates_an_accountability_record_naming_the_situation(deployed_engine):
    with clock_at(START):
        case = start(deployed_engine, "supervision", {**TARGET, "supervision_reason": "overdue"})
        # first letter: answered, but the answer is rejected → a second letter (再次督办)
        case.complete("Task_answer_letter", {**ANSWER, "rectified": False}, actor="head")
        case.complete("Task_check_answer", {"answer_accepted": "rejected", "answer_check_note": "未整改"})
        v = case.variables
        assert v["supervision_failures"] == 1 and v["supervision_letters"] == 2
        second = case.notices()[-1]
        assert second["kind"] == "督办函" and second["title"] == "信访督办函（再次督办）" and second["round"] == 2
        assert case.ready_ids() == ["Task_answer_letter"]
        case.complete("Task_answer_letter", {**ANSWER, "rectified": False}, actor="head")
        case.complete("Task_check_answer", {"answer_accepted": "rejected", "answer_check_note": "仍未整改"})
        assert case.variables["supervision_failures"] == 2

        decide = case.task("Task_accountability")
        assert decide.name == "认定追责情形" and decide.candidate_groups == ["xfj:head"]
        form = deployed_engine.task_form(decide.id)
        situations = next(f for f in form.fields if f.id == "accountability_situation")
        assert len(situations.options) == 14
        case.complete("Task_accountability", {"accountability_situation": "overdue_handling",
                                              "accountable_persons": "县住建局信访科负责人",
                                              "accountability_facts": "两次督办仍未按期办结",
                                              "accountability_measure": "interview"}, actor="xfj-head")
        info = case.info
        assert info.status == "completed"
        record = info.variables["accountability_record"]
        assert record["situation"] == "overdue_handling"
        assert record["situation_label"] == "未在规定期限内办结信访事项"
        assert record["article"] == "第四十五条第（一）项"
        assert record["unit"] == "zjj" and record["case"] == "case-0301" and record["failures"] == 2
        referral = case.notices()[-1]
        assert referral["kind"] == "追责建议函" and referral["to"] == "jw"
        assert referral["situation_label"] == "未在规定期限内办结信访事项"
        assert case.notice_kinds() == ["督办函", "督办函", "追责建议函"]


def test_an_unanswered_letter_counts_as_a_failure_and_is_chased_first(deployed_engine):
    with clock_at(START) as tm:
        case = start(deployed_engine, "supervision", {**TARGET, "supervision_reason": "irregular"})
        case.complete("Task_answer_letter", {**ANSWER, "rectified": False}, actor="head")
        case.complete("Task_check_answer", {"answer_accepted": "rejected"})
        clock = case.variables["clock_supervision_answer"]
        assert fire(deployed_engine, tm, iso_warn(clock, 2) + dt.timedelta(seconds=1)) == 1  # 催办
        assert fire(deployed_engine, tm, iso_due(clock) + dt.timedelta(seconds=1)) == 1
        assert case.fired_timers() == ["Timer_answer_warn", "Timer_answer_due"]
        v = case.variables
        assert v["supervision_failures"] == 2
        assert v["clock_supervision_answer"]["on_time"] is False
        assert case.ready_ids() == ["Task_accountability"]
        assert case.notice_kinds() == ["督办函", "督办函", "催办函"]


def test_a_chased_supervision_keeps_every_notice_when_it_ends(deployed_engine):
    with clock_at(START) as tm:
        case = start(deployed_engine, "supervision", {**TARGET, "supervision_reason": "overdue"})
        clock = case.variables["clock_supervision_answer"]
        fire(deployed_engine, tm, iso_warn(clock, 2) + dt.timedelta(seconds=1))
        case.complete("Task_answer_letter", ANSWER, actor="head")
        case.complete("Task_check_answer", {"answer_accepted": "accepted"})
        assert case.info.status == "completed"
        assert case.notice_kinds() == ["督办函", "催办函", "督办办结通知"]
        # The joined variable holds every letter once, in time order; the 催办函 and the
        # closing notice carry the same frozen instant here, so only their set is fixed.
        kinds = [n["kind"] for n in case.variables["notices"]]
        assert kinds[0] == "督办函" and sorted(kinds[1:]) == sorted(["催办函", "督办办结通知"])


def test_an_accountability_situation_outside_the_fourteen_is_refused(deployed_engine):
    with clock_at(START):
        case = start(deployed_engine, "supervision", {**TARGET, "supervision_reason": "overdue"})
        for _ in range(2):
            case.complete("Task_answer_letter", {**ANSWER, "rectified": False}, actor="head")
            case.complete("Task_check_answer", {"answer_accepted": "rejected"})
        task = case.task("Task_accountability")
        with pytest.raises(InvalidInput) as refused:
            deployed_engine.complete_task(task.id, {"accountability_situation": "bad_mood", "accountable_persons": "x",
                                                    "accountability_facts": "x", "accountability_measure": "interview"},
                                          "xfj-head")
        assert "accountability_situation" in refused.value.errors
