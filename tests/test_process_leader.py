"""领导接访 / 包案化解 (leader_case): the leader's tasks and the team's tasks route by expression."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.process_driver import PETITIONER, after, due, start

TEAM = {"leader_user": "li.xianzhang", "leader_unit": "county-lead", "team_unit": "zjj",
        "town_unit": "town-yunhe", "resolve_days": 30}


def _planned(engine):
    case = start(engine, "leader_case", PETITIONER)
    assert case.task("Task_assign_leader").candidate_groups == ["xfj:head"]
    case.complete("Task_assign_leader", TEAM)
    v = case.variables
    assert v["clock_leader_case"]["days"] == 30 and v["clock_leader_case"]["unit"] == "zjj"
    assert case.notice_kinds() == ["包案通知书"]
    visit = case.task("Task_visit")
    assert visit.assignee == "li.xianzhang"
    assert visit.candidate_groups == ["county-lead:leader"]
    case.complete("Task_visit", {"visit_date": "2025-06-10", "visit_record": "信访人反映安置房延期交付",
                                 "leader_instruction": "住建局牵头，运河街道配合，一月内化解"})
    plan = case.task("Task_plan")
    assert sorted(plan.candidate_groups) == ["town-yunhe:handler", "zjj:handler"]
    case.complete("Task_plan", {"resolution_plan": "督促开发企业制定交房计划并支付违约金"})
    return case


def test_leader_signs_off_a_resolved_case(deployed_engine):
    case = _planned(deployed_engine)
    implement = case.task("Task_implement")
    assert sorted(implement.candidate_groups) == ["town-yunhe:handler", "zjj:handler"]
    case.complete("Task_implement", {"progress_report": "已签订补充协议", "petitioner_satisfied": True})
    assert case.task("Task_review").assignee == "li.xianzhang"
    case.complete("Task_review", {"resolved": True, "review_opinion": "同意销号"})
    info = case.info
    assert info.status == "completed"
    assert info.variables["case_resolved"] is True
    assert info.variables["clock_leader_case"]["stopped_at"]
    assert case.notice_kinds()[-1] == "化解情况报告"


def test_unresolved_case_goes_back_to_the_team(deployed_engine):
    case = _planned(deployed_engine)
    case.complete("Task_implement", {"progress_report": "信访人不接受方案"})
    case.complete("Task_review", {"resolved": False, "review_opinion": "继续做工作"})
    assert case.ready_ids() == ["Task_implement"]
    assert case.status == "running"


def test_team_is_warned_before_and_supervised_at_the_deadline(deployed_engine):
    case = _planned(deployed_engine)
    clock = case.variables["clock_leader_case"]
    assert case.fire_at(due(clock) - dt.timedelta(days=5) + dt.timedelta(seconds=1)) == 1
    assert case.fire_at(after(clock["due"])) == 1
    assert case.ready_ids() == ["Task_implement"]
    fired = [e.data["activity_id"] for e in deployed_engine.history(case.id) if e.kind == "timer_fired"]
    assert fired == ["Timer_implement_warn", "Timer_implement_due"]


def test_risk_reminder_and_supervision_letters_are_logged(deployed_engine):
    case = _planned(deployed_engine)
    clock = case.variables["clock_leader_case"]
    case.fire_at(due(clock) - dt.timedelta(days=5) + dt.timedelta(seconds=1))
    case.fire_at(after(clock["due"]))
    assert case.notice_kinds() == ["包案通知书", "风险提醒函", "督办函"]
