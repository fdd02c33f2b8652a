"""维护信访秩序 (process key ``order_maintenance``): 第二十六条 conduct, 第四十七条 responses.

Every path: persuasion that works, persuasion that fails and goes to the police, conduct
the police must handle at once, the police's feedback deadline (reminder before, report
at due).  Each scenario runs next to a live petition case and proves that the order case
never touches it: the petition's tasks, clocks, timers and history stay exactly as they
were (the petitioner's matter keeps its course).
"""
from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from engine.errors import ScriptError
from persistence.models_clocks import Clock
from tests.process_driver import PETITIONER, Case, due, start

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
START = dt.datetime(2026, 3, 2, 9, 30, tzinfo=SHANGHAI)  # a Monday with no holiday for weeks

RECORD = {"conduct_kind": "staying", "incident_date": "2026-03-02", "incident_place": "县信访局接待大厅",
          "participants_count": 1, "incident_description": "信访人在接待大厅滞留并大声吵闹，拒不离开，影响其他群众来访。",
          "evidence_refs": "执法记录仪 20260302-01"}
PERSUADED = {"persuasion_staff": "王五、赵六", "persuasion_record": "宣讲第二十六条规定，指出其行为违法，耐心劝导其依法反映诉求。"}
HANDOVER = {"handover_materials": "现场记录、劝阻记录、执法记录仪视频", "police_contact": "城关派出所 李警官",
            "police_feedback_days": 3}
DISPOSED = {"police_disposition": "warning", "disposition_date": "2026-03-03",
            "disposition_details": "依法对信访人予以训诫，信访人已离开接待场所。"}


@pytest.fixture
def traveller():
    with time_machine.travel(START, tick=True) as t:
        yield t


@pytest.fixture
def petition(deployed_engine, traveller):
    """A petition registered and forwarded to 住建局: two clocks running, a task waiting."""
    case = start(deployed_engine, "petition", PETITIONER)
    case.complete("Task_register", {k: PETITIONER[k] for k in (
        "channel", "petitioner_name", "petitioner_id_number", "petitioner_phone", "petitioner_address",
        "request", "facts", "reasons")})
    case.complete("Task_classify", {"category": "建议意见", "domain": "城乡建设", "routing": "forward",
                                    "handling_unit": "zjj", "major_urgent": False, "concerns_officials": False,
                                    "owner_unknown": False})
    assert case.ready_ids() == ["Task_receive"]
    return case


def snapshot(engine, case_id: str) -> dict:
    """Everything of a case the order process must leave alone."""
    engine.evict_cache()
    info = engine.get_case(case_id)
    with engine.sessions() as s:
        clocks = sorted((c.name, c.kind, c.due, c.stopped_at, c.paused_at, c.paused_seconds, c.extended_days)
                        for c in s.scalars(select(Clock).where(Clock.case_id == case_id)))
    return {
        "status": info.status,
        "matter_status": info.matter_status,
        "next_timer_at": info.next_timer_at,
        "tasks": sorted((t.id, t.activity_id, t.state, tuple(t.candidate_groups), t.due, t.assignee)
                        for t in engine.list_tasks(case_id=case_id)),
        "clock_variables": {k: v for k, v in info.variables.items() if k.startswith("clock_")},
        "clock_rows": clocks,
        "history": [(e.id, e.kind) for e in engine.history(case_id)],
    }


def _order(engine, petition: Case, **extra) -> Case:
    order = start(engine, "order_maintenance", {"petition_case_id": petition.id,
                                                "petitioner_name": PETITIONER["petitioner_name"], **extra})
    info = order.info
    # the order case is not a petition: no matter key, so it is never a repeat of the petition
    assert info.matter_key is None and "repeat_status" not in info.variables
    record = order.task("Task_record_incident")
    assert record.name == "记录违反信访秩序行为"
    assert record.candidate_groups == [f"{extra.get('order_unit', 'xfj')}:handler"]
    assert deployed_variables(engine, record)["petition_case_id"] == petition.id
    return order


def deployed_variables(engine, task) -> dict:
    engine.evict_cache()
    return engine.task_variables(task.id)


def _handed_over(order: Case, petition: Case):
    handover = order.task("Task_handover")
    assert handover.candidate_groups == ["xfj:handler"]
    order.complete("Task_handover", HANDOVER)
    v = order.variables
    clock = v["clock_police_disposition"]
    assert clock["kind"] == "assignment" and clock["days"] == 3 and clock["unit"] == "gaj"
    assert clock["due"] == "2026-03-05T23:59:59+08:00"
    assert v["order_outcome"] == "handed_over"
    assert v["handover_record"]["petition_case_id"] == petition.id
    letter = order.notices()[-1]
    assert letter["kind"] == "移交处置函" and letter["to"] == "gaj"
    assert letter["petition_case_id"] == petition.id and letter["due"] == clock["due"]
    police = order.task("Task_police_disposition")
    assert police.name == "依法处置并反馈"
    assert police.candidate_groups == ["gaj:handler"]
    assert police.due == due(clock)
    return clock


def test_persuasion_ends_the_conduct_and_the_petition_keeps_its_course(deployed_engine, petition):
    before = snapshot(deployed_engine, petition.id)
    assert [t[1] for t in before["tasks"] if t[2] == "ready"] == ["Task_receive"]
    assert [row[0] for row in before["clock_rows"]] == ["clock_acceptance", "clock_objection", "clock_unit_acceptance"]
    order = _order(deployed_engine, petition)
    order.complete("Task_record_incident", RECORD)
    persuade = order.task("Task_persuade")
    assert persuade.name == "劝阻、批评、教育" and persuade.candidate_groups == ["xfj:handler"]
    order.complete("Task_persuade", {**PERSUADED, "conduct_after_persuasion": "stopped"})

    info = order.info
    assert info.status == "completed"
    v = info.variables
    assert v["order_outcome"] == "stopped_after_persuasion"
    assert v["order_record"] == {"petition_case_id": petition.id, "conduct": "staying",
                                 "conduct_label": v["order_record"]["conduct_label"], "place": "县信访局接待大厅",
                                 "date": "2026-03-02", "persuaded_by": "王五、赵六", "handed_to_police": False}
    assert "第二十六条第（四）项" in v["order_record"]["conduct_label"]
    assert order.notice_kinds() == ["依法信访告知书"]
    assert order.notices()[0]["to"] == "张三"
    assert "Task_handover" not in [e.data.get("activity_id") for e in deployed_engine.history(order.id)]
    assert snapshot(deployed_engine, petition.id) == before


def test_conduct_continuing_after_persuasion_is_handed_to_the_police_who_report_back(deployed_engine, petition,
                                                                                   traveller):
    before = snapshot(deployed_engine, petition.id)
    order = _order(deployed_engine, petition)
    order.complete("Task_record_incident", {**RECORD, "conduct_kind": "blocking", "participants_count": 12})
    order.complete("Task_persuade", {**PERSUADED, "conduct_after_persuasion": "continued"})
    assert order.notice_kinds() == ["依法信访告知书"]
    _handed_over(order, petition)
    assert order.variables["handover_record"]["reason"] == "persuasion_failed"
    assert snapshot(deployed_engine, petition.id) == before

    traveller.move_to(START + dt.timedelta(days=1))  # the police report the next day (a date is never ahead of today)
    order.complete("Task_police_disposition", DISPOSED)
    info = order.info
    assert info.status == "completed"
    v = info.variables
    assert v["order_outcome"] == "police_disposed"
    assert v["clock_police_disposition"]["stopped_at"] and v["clock_police_disposition"]["on_time"] is True
    assert v["order_record"]["handed_to_police"] is True
    assert v["order_record"]["disposition"] == "warning" and v["order_record"]["feedback_on_time"] is True
    assert order.notice_kinds() == ["依法信访告知书", "移交处置函", "处置情况反馈"]
    assert order.notices()[-1]["to"] == "xfj"
    assert snapshot(deployed_engine, petition.id) == before


def test_dangerous_articles_go_to_the_police_at_once_without_persuasion(deployed_engine, petition, traveller):
    before = snapshot(deployed_engine, petition.id)
    order = _order(deployed_engine, petition, order_unit="zjj")
    order.complete("Task_record_incident", {**RECORD, "conduct_kind": "dangerous_articles",
                                            "incident_place": "县住建局门前", "immediate_police": True})
    assert order.ready_ids() == ["Task_handover"]
    assert order.task("Task_handover").candidate_groups == ["zjj:handler"]
    order.complete("Task_handover", HANDOVER)
    assert order.variables["handover_record"]["reason"] == "immediate"
    assert order.ready_ids() == ["Task_police_disposition"]
    traveller.move_to(START + dt.timedelta(days=1))
    order.complete("Task_police_disposition", {**DISPOSED, "police_disposition": "public_security_penalty",
                                               "disposition_doc_no": "郓公（城）行罚决字〔2026〕12号"})
    assert order.info.status == "completed"
    assert order.notice_kinds() == ["移交处置函", "处置情况反馈"]
    assert order.notices()[-1]["to"] == "zjj"
    activities = [e.data.get("activity_id") for e in deployed_engine.history(order.id)]
    assert "Task_persuade" not in activities
    assert snapshot(deployed_engine, petition.id) == before


def test_police_are_reminded_a_day_before_and_reported_at_the_feedback_deadline(deployed_engine, petition,
                                                                               traveller):
    order = _order(deployed_engine, petition)
    order.complete("Task_record_incident", RECORD)
    order.complete("Task_persuade", {**PERSUADED, "conduct_after_persuasion": "continued"})
    clock = _handed_over(order, petition)
    before = snapshot(deployed_engine, petition.id)
    assert before["next_timer_at"] > due(clock) + dt.timedelta(seconds=1)  # nothing of the petition is due

    # the scheduler's own entry point, for every case: only the order case has a timer due
    reminder_at = due(clock) - dt.timedelta(days=1) + dt.timedelta(seconds=1)
    traveller.move_to(reminder_at)
    deployed_engine.evict_cache()
    assert deployed_engine.fire_due(now=reminder_at) == 1
    reminder = order.notices()[-1]
    assert reminder["kind"] == "催办函" and reminder["to"] == "gaj"
    assert order.ready_ids() == ["Task_police_disposition"]

    overdue_at = due(clock) + dt.timedelta(seconds=1)
    traveller.move_to(overdue_at)
    deployed_engine.evict_cache()
    assert deployed_engine.fire_due(now=overdue_at) == 1
    report = order.notices()[-1]
    assert report["kind"] == "逾期督办提请" and report["to"] == "xfj" and report["unit"] == "gaj"
    fired = [e.data["activity_id"] for e in deployed_engine.history(order.id) if e.kind == "timer_fired"]
    assert fired == ["Timer_Task_police_disposition_warn", "Timer_Task_police_disposition_due"]
    assert order.ready_ids() == ["Task_police_disposition"]  # the police still owe their report

    order.complete("Task_police_disposition", DISPOSED)
    v = order.variables
    assert v["clock_police_disposition"]["on_time"] is False
    assert v["order_record"]["feedback_on_time"] is False
    assert snapshot(deployed_engine, petition.id) == before


def test_an_order_case_needs_the_petition_case_id(deployed_engine):
    deployed_engine.evict_cache()
    with pytest.raises(ScriptError) as raised:
        deployed_engine.start_case(process_key="order_maintenance", variables={"petitioner_name": "张三"})
    assert "petition_case_id" in str(raised.value)


def test_record_form_refuses_missing_and_invalid_values(deployed_engine, petition):
    from engine.errors import InvalidInput

    order = _order(deployed_engine, petition)
    task = order.task("Task_record_incident")
    deployed_engine.evict_cache()
    with pytest.raises(InvalidInput) as raised:
        deployed_engine.complete_task(task.id, {**RECORD, "conduct_kind": "shouting", "participants_count": 0,
                                                "incident_description": "太短"}, "tester")
    assert set(raised.value.errors) == {"conduct_kind", "participants_count", "incident_description"}
    assert order.ready_ids() == ["Task_record_incident"]



def test_the_disposition_notice_is_logged_after_both_deadline_timers_fired(deployed_engine, petition, traveller):
    # the reminder branches end before the main path: their notices must not garble its last letter
    order = _order(deployed_engine, petition)
    order.complete("Task_record_incident", RECORD)
    order.complete("Task_persuade", {**PERSUADED, "conduct_after_persuasion": "continued"})
    clock = _handed_over(order, petition)
    for when in (due(clock) - dt.timedelta(days=1) + dt.timedelta(seconds=1), due(clock) + dt.timedelta(seconds=1)):
        traveller.move_to(when)
        assert order.fire_at(when) == 1
    traveller.shift(dt.timedelta(hours=2))
    order.complete("Task_police_disposition", DISPOSED)
    kinds = ["依法信访告知书", "移交处置函", "催办函", "逾期督办提请", "处置情况反馈"]
    assert order.notice_kinds() == kinds
    assert [n["kind"] for n in order.variables["notices"]] == kinds
