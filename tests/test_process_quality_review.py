"""规范化评查 (process key ``quality_review``): "一案一组、一案一研" over a chosen set of cases.

One multi-instance branch per case: a team and reviewer, the checklist score, problems
sent back to the responsible unit's head as rectification with a deadline clock (reminder
before, report at due), verification (returned or accepted), and 推动化解 for a case that
can still be resolved; the round ends with its figures computed into variables.
"""
from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from engine.errors import InvalidInput
from persistence.models_clocks import Clock
from tests.process_driver import Case, due, start

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday; no holiday within the periods used

CHECKS = ("registration_complete", "notices_on_time", "handled_on_time", "legal_basis_cited", "reply_served",
          "petitioner_evaluated", "file_complete")
SCOPE = {"round_name": "2026年第一季度住建领域评查", "selection_mode": "domain", "selected_domain": "城乡建设",
         "period_from": "2026-01-01", "period_to": "2026-03-01", "rectification_days": 10, "resolution_days": 30}


def checklist(*failed: str) -> dict:
    assert set(failed) <= set(CHECKS)
    return {f"chk_{k}": k not in failed for k in CHECKS}


@pytest.fixture
def traveller():
    with time_machine.travel(START, tick=True) as t:
        yield t


def instance_task(case: Case, activity_id: str, case_id: str):
    """The ready ``activity_id`` task of the branch reviewing ``case_id``."""
    found = []
    for t in case.ready():
        if t.activity_id == activity_id:
            case.fresh()
            if case.engine.task_variables(t.id)["review_item"]["case_id"] == case_id:
                found.append(t)
    assert len(found) == 1, f"{activity_id} for {case_id}: {len(found)} ready; ready are {case.ready_ids()}"
    return found[0]


def complete_for(case: Case, activity_id: str, case_id: str, values: dict, actor: str = "tester"):
    t = instance_task(case, activity_id, case_id)
    case.fresh()
    case.engine.complete_task(t.id, values, actor)
    case.fresh()
    return t


def data_of(case: Case, task) -> dict:
    case.fresh()
    return case.engine.task_variables(task.id)


def _opened(engine, case_ids: list[str], **scope) -> Case:
    case = start(engine, "quality_review", {"case_ids": case_ids})
    define = case.task("Task_define_scope")
    assert define.name == "确定评查范围与标准" and define.candidate_groups == ["xfj:supervisor"]
    assert data_of(case, define)["candidate_count"] == len(case_ids)
    case.complete("Task_define_scope", {**SCOPE, **scope})
    return case


def _scored(case: Case, case_id: str, reviewer: str, unit: str, failed=(), can_resolve=False):
    assign = instance_task(case, "Task_assign_team", case_id)
    assert assign.name == "组建评查组" and assign.candidate_groups == ["xfj:supervisor"]
    complete_for(case, "Task_assign_team", case_id, {"reviewer": reviewer, "review_team": f"{reviewer}、法律顾问",
                                                     "responsible_unit": unit, "case_no": f"郓信〔2026〕{case_id}号"})
    score = instance_task(case, "Task_score_case", case_id)
    assert score.assignee == reviewer and score.candidate_groups == ["xfj:supervisor"]
    complete_for(case, "Task_score_case", case_id, {**checklist(*failed), "review_findings": "对照清单逐项评查。",
                                                    "can_resolve": can_resolve})


def _rectification_ordered(case: Case, case_id: str, unit: str, failed: tuple[str, ...]):
    rectify = instance_task(case, "Task_rectify", case_id)
    assert rectify.name == "限期整改" and rectify.candidate_groups == [f"{unit}:head"]
    v = data_of(case, rectify)
    clock = v["clock_rectification"]
    assert clock["kind"] == "assignment" and clock["days"] == 10 and clock["unit"] == unit
    assert rectify.due == due(clock)
    assert v["problems"] == list(failed) and v["has_problems"] is True
    letter = [n for n in case.notices() if n["kind"] == "整改通知书" and n["case_id"] == case_id]
    assert len(letter) == 1
    assert letter[0]["to"] == unit and letter[0]["problems"] == list(failed) and letter[0]["due"] == clock["due"]
    return clock


RECTIFIED = {"rectification_measures": "补充法律依据，重新送达并回访信访人。", "rectification_date": "2026-03-06"}


def test_a_round_reviews_each_case_with_its_own_team_and_reports_the_figures(deployed_engine, traveller):
    case = _opened(deployed_engine, ["c-101", "c-102", "c-103"])
    v = case.variables
    assert [i["case_id"] for i in v["review_items"]] == ["c-101", "c-102", "c-103"]
    assert v["selection"]["mode"] == "domain" and v["selection"]["domain"] == "城乡建设"
    assert sorted(t.activity_id for t in case.ready()) == ["Task_assign_team"] * 3  # one team per case

    # c-101: clean; c-102: two problems and still resolvable; c-103: one problem, resolvable
    _scored(case, "c-101", "reviewer.a", "zjj")
    _scored(case, "c-102", "reviewer.b", "rsj", failed=("legal_basis_cited", "petitioner_evaluated"),
            can_resolve=True)
    _scored(case, "c-103", "reviewer.c", "town-yunhe", failed=("notices_on_time",), can_resolve=True)
    assert sorted(case.ready_ids()) == ["Task_rectify", "Task_rectify"]
    _rectification_ordered(case, "c-102", "rsj", ("legal_basis_cited", "petitioner_evaluated"))
    _rectification_ordered(case, "c-103", "town-yunhe", ("notices_on_time",))

    # c-102: the reviewer returns the first rectification, accepts the second
    traveller.move_to(START + dt.timedelta(days=4, hours=8))  # 6 March: the rectification's date is today
    complete_for(case, "Task_rectify", "c-102", RECTIFIED)
    verify = instance_task(case, "Task_verify", "c-102")
    assert verify.assignee == "reviewer.b"
    complete_for(case, "Task_verify", "c-102", {"rectification_accepted": "returned", "verification_note": "未回访"})
    again = instance_task(case, "Task_rectify", "c-102")
    assert again.candidate_groups == ["rsj:head"]
    complete_for(case, "Task_rectify", "c-102", {**RECTIFIED, "rectification_materials": "回访记录"})
    complete_for(case, "Task_verify", "c-102", {"rectification_accepted": "accepted"})
    push = instance_task(case, "Task_push_resolution", "c-102")
    assert push.name == "推动化解" and push.candidate_groups == ["rsj:head"]
    resolution_clock = data_of(case, push)["clock_resolution"]
    assert resolution_clock["days"] == 30 and resolution_clock["unit"] == "rsj"
    assert push.due == due(resolution_clock)
    complete_for(case, "Task_push_resolution", "c-102", {"resolution_result": "resolved",
                                                          "resolution_summary": "补发补偿款，信访人息诉罢访。"})

    complete_for(case, "Task_rectify", "c-103", RECTIFIED)
    complete_for(case, "Task_verify", "c-103", {"rectification_accepted": "accepted"})
    assert case.info.status == "running"
    complete_for(case, "Task_push_resolution", "c-103", {"resolution_result": "unresolved",
                                                          "resolution_summary": "信访人诉求超出政策规定。"})

    info = case.info
    assert info.status == "completed"
    v = info.variables
    assert v["reviewed_count"] == 3
    assert v["problem_case_count"] == 2 and v["problem_count"] == 3
    assert v["problems_by_kind"] == {"registration_complete": 0, "notices_on_time": 1, "handled_on_time": 0,
                                     "legal_basis_cited": 1, "reply_served": 0, "petitioner_evaluated": 1,
                                     "file_complete": 0}
    assert v["rectified_count"] == 2 and v["rectified_on_time_count"] == 2
    assert v["resolution_pushed_count"] == 2 and v["resolved_count"] == 1
    assert v["average_score"] == round((100 + 71 + 86) / 3, 1)
    items = {i["case_id"]: i for i in v["review_items"]}
    assert items["c-101"] == {"case_id": "c-101", "seq": 1, "reviewer": "reviewer.a", "unit": "zjj",
                              "case_no": "郓信〔2026〕c-101号", "score": 100, "problems": [], "rectified": None,
                              "rectified_on_time": None, "resolution_pushed": False, "resolved": None}
    assert items["c-102"]["problems"] == ["legal_basis_cited", "petitioner_evaluated"]
    assert items["c-102"]["rectified"] is True and items["c-102"]["resolved"] is True
    assert items["c-103"]["resolved"] is False and items["c-103"]["unit"] == "town-yunhe"

    kinds = case.notice_kinds()
    assert sorted(kinds) == sorted(["整改通知书", "整改通知书", "推动化解交办函", "推动化解交办函", "评查情况通报"])
    report = case.notices()[-1]
    assert report["kind"] == "评查情况通报" and report["to"] == "xfj"
    assert report["title"] == "规范化评查情况通报：2026年第一季度住建领域评查"
    assert report["figures"] == v["review_figures"]
    assert report["figures"]["reviewed"] == 3 and report["figures"]["resolved"] == 1


def test_a_random_sample_takes_evenly_spaced_distinct_cases(deployed_engine, traveller):
    ids = [f"c-{n}" for n in range(1, 11)] + ["c-1"]  # a duplicate is reviewed once
    case = _opened(deployed_engine, ids, selection_mode="random", sample_size=3)
    v = case.variables
    assert v["selected_case_ids"] == ["c-1", "c-4", "c-7"]
    assert v["case_ids"] == ids  # the starter's list stays as given
    assert [t.activity_id for t in case.ready()] == ["Task_assign_team"] * 3


def test_a_sample_size_is_ignored_unless_the_round_is_sampled(deployed_engine, traveller):
    case = _opened(deployed_engine, ["c-1", "c-2"], selection_mode="unit", selected_unit="zjj", sample_size=1)
    assert case.variables["selected_case_ids"] == ["c-1", "c-2"]


def test_a_round_without_cases_ends_with_zero_figures(deployed_engine, traveller):
    case = _opened(deployed_engine, [])
    info = case.info
    assert info.status == "completed"
    v = info.variables
    assert v["reviewed_count"] == 0 and v["problem_case_count"] == 0 and v["average_score"] is None
    assert set(v["problems_by_kind"].values()) == {0}
    assert case.notice_kinds() == ["评查情况通报"]


def test_late_rectification_is_reminded_and_reported_and_counted_late(deployed_engine, traveller):
    case = _opened(deployed_engine, ["c-201"])
    _scored(case, "c-201", "reviewer.a", "zjj", failed=("file_complete",))
    clock = _rectification_ordered(case, "c-201", "zjj", ("file_complete",))
    assert clock["due"] == "2026-03-12T23:59:59+08:00"

    warn_at = due(clock) - dt.timedelta(days=3) + dt.timedelta(seconds=1)
    traveller.move_to(warn_at)
    assert case.fire_at(warn_at) == 1
    reminder = case.notices()[-1]
    assert reminder["kind"] == "风险提醒函" and reminder["to"] == "zjj" and reminder["case_id"] == "c-201"

    late = due(clock) + dt.timedelta(seconds=1)
    traveller.move_to(late)
    assert case.fire_at(late) == 1
    report = case.notices()[-1]
    assert report["kind"] == "逾期督办提请" and report["to"] == "xfj" and report["unit"] == "zjj"
    assert case.ready_ids() == ["Task_rectify"]  # the unit still owes the rectification

    complete_for(case, "Task_rectify", "c-201", RECTIFIED)
    complete_for(case, "Task_verify", "c-201", {"rectification_accepted": "accepted"})
    v = case.variables
    assert case.info.status == "completed"
    assert v["rectified_count"] == 1 and v["rectified_on_time_count"] == 0
    assert v["review_items"][0]["rectified_on_time"] is False
    assert v["resolution_pushed_count"] == 0


def test_the_checklist_form_needs_the_findings(deployed_engine, traveller):
    case = _opened(deployed_engine, ["c-301"])
    complete_for(case, "Task_assign_team", "c-301", {"reviewer": "reviewer.a", "responsible_unit": "zjj"})
    score = instance_task(case, "Task_score_case", "c-301")
    case.fresh()
    with pytest.raises(InvalidInput) as raised:
        deployed_engine.complete_task(score.id, {**checklist(), "review_findings": ""}, "reviewer.a")
    assert set(raised.value.errors) == {"review_findings"}
    assert case.ready_ids() == ["Task_score_case"]


def test_each_running_rectification_clock_has_its_own_row(deployed_engine, traveller):
    case = _opened(deployed_engine, ["c-401", "c-402"])
    _scored(case, "c-401", "reviewer.a", "zjj", failed=("file_complete",))
    _scored(case, "c-402", "reviewer.b", "rsj", failed=("reply_served",))
    assert sorted(case.ready_ids()) == ["Task_rectify", "Task_rectify"]
    with deployed_engine.sessions() as s:
        units = sorted(c.unit_code for c in s.scalars(select(Clock).where(Clock.case_id == case.id,
                                                                          Clock.name == "clock_rectification")))
    assert units == ["rsj", "zjj"]
