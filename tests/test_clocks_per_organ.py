"""Each organ owns its own clock (第二十二条, 第二十三条): the 信访局 has 15 days to route a
matter, the organ it is sent to has its own 15 days to decide acceptance; the 政法
forward and receipt and the check of 政法 feedback have deadlines too."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.handling_driver import clock_at, fire, sh
from tests.process_driver import PETITIONER, start
from tests.test_process_intake import REGISTER, classify

START = sh(2026, 3, 2, 9, 0)  # a Monday


def _clock_rows(engine, case_id):
    from persistence.models_clocks import Clock

    with engine.unit_of_work() as s:
        return sorted(((c.name, c.unit_code, c.stopped_at is not None and c.stopped_at <= c.due)
                       for c in s.scalars(select(Clock).where(Clock.case_id == case_id, Clock.kind == "acceptance"))))


def test_routing_on_day_fourteen_and_signing_on_the_third_working_day_are_on_time_for_both(deployed_engine):
    with clock_at(START) as tm:
        case = start(deployed_engine, "petition", PETITIONER)
        case.complete("Task_register", REGISTER)
        fire(deployed_engine, tm, START + dt.timedelta(days=14))  # day 14 (the warning went out): forwarded
        assert case.notice_kinds() == ["风险提醒函"]
        case.complete("Task_classify", classify(handling_unit="zjj"))
        v = case.variables
        assert v["clock_acceptance"]["unit"] == "xfj" and v["clock_acceptance"]["on_time"] is True
        unit_clock = v["clock_unit_acceptance"]
        assert unit_clock["unit"] == "zjj" and unit_clock["start"].startswith("2026-03-16")
        assert unit_clock["stopped_at"] is None
        fire(deployed_engine, tm, sh(2026, 3, 19, 10, 0))  # the unit's third working day
        # the bureau's period ended when it forwarded: its due passing is no 督办 any more
        assert case.notice_kinds() == ["风险提醒函", "转送函"]
        case.complete("Task_receive", {"objection": False, "receipt_note": "已签收"})
        v = case.variables
        assert v["clock_unit_acceptance"]["on_time"] is True
        assert _clock_rows(deployed_engine, case.id) == [("clock_acceptance", "xfj", True),
                                                         ("clock_unit_acceptance", "zjj", True)]
        figures = deployed_engine.metrics(dt.date(2026, 3, 1), dt.date(2026, 3, 31), as_of=sh(2026, 3, 20, 0, 0))
        assert figures["units"]["xfj"]["timely_acceptance"]["numerator"] == 1
        assert figures["units"]["xfj"]["timely_acceptance"]["denominator"] == 1
        assert figures["units"]["zjj"]["timely_acceptance"]["numerator"] == 1
        assert figures["units"]["zjj"]["timely_acceptance"]["denominator"] == 1


def test_late_routing_is_late_for_the_bureau_only(deployed_engine):
    with clock_at(START) as tm:
        case = start(deployed_engine, "petition", PETITIONER)
        case.complete("Task_register", REGISTER)
        fire(deployed_engine, tm, START + dt.timedelta(days=20))
        assert case.notice_kinds() == ["风险提醒函", "督办函"]
        case.complete("Task_classify", classify(handling_unit="zjj"))
        case.complete("Task_receive", {"objection": False, "receipt_note": "已签收"})
        assert _clock_rows(deployed_engine, case.id) == [("clock_acceptance", "xfj", False),
                                                         ("clock_unit_acceptance", "zjj", True)]


def test_an_objection_stops_the_first_organs_clock_and_rerouting_starts_the_next_organs(deployed_engine):
    with clock_at(START) as tm:
        case = start(deployed_engine, "petition", PETITIONER)
        case.complete("Task_register", REGISTER)
        case.complete("Task_classify", classify(handling_unit="rsj"))
        tm.move_to(START + dt.timedelta(days=2))
        case.complete("Task_receive", {"objection": True, "objection_reason": "住建领域，不属人社职责"})
        case.complete("Task_classify", classify(handling_unit="zjj"))
        case.complete("Task_receive", {"objection": False, "receipt_note": "已签收"})
        rows = _clock_rows(deployed_engine, case.id)
        assert ("clock_unit_acceptance", "rsj", True) in rows and ("clock_unit_acceptance", "zjj", True) in rows


def test_forwarding_to_a_judicial_organ_and_its_receipt_have_their_own_deadlines(deployed_engine):
    with clock_at(START) as tm:
        case = start(deployed_engine, "litigation_handoff", PETITIONER)
        forward = case.task("Task_forward")
        acceptance = case.variables["clock_acceptance"]
        assert acceptance["unit"] == "xfj" and forward.due == dt.datetime.fromisoformat(acceptance["due"])
        tm.move_to(START + dt.timedelta(days=3))
        case.complete("Task_forward", {"judicial_unit": "fy", "transfer_summary": "不服生效判决，转法院依法处理",
                                       "followup_days": 30})
        receipt = case.task("Task_receipt")
        unit_clock = case.variables["clock_unit_acceptance"]
        assert unit_clock["unit"] == "fy" and receipt.due == dt.datetime.fromisoformat(unit_clock["due"])
        assert case.variables["clock_acceptance"]["on_time"] is True
        case.complete("Task_receipt", {"receipt_date": "2026-03-05", "receipt_no": "法收〔2026〕8号"})
        assert case.variables["clock_unit_acceptance"]["on_time"] is True
        tm.move_to(sh(2026, 3, 20, 9, 0))  # a Friday: five working days end on Friday 27 March
        case.message("judicial_report", {"judicial_feedback": "已裁定驳回再审申请"})
        check = case.task("Task_record")
        assert check.name == "核对政法部门反馈"
        assert check.due.astimezone(dt.timezone(dt.timedelta(hours=8))).date() == dt.date(2026, 3, 27)


def test_a_forward_that_sits_past_fifteen_days_counts_as_late_for_the_bureau(deployed_engine):
    with clock_at(START) as tm:
        case = start(deployed_engine, "litigation_handoff", PETITIONER)
        tm.move_to(START + dt.timedelta(days=59))
        case.complete("Task_forward", {"judicial_unit": "fy", "transfer_summary": "转法院依法处理", "followup_days": 30})
        assert case.variables["clock_acceptance"]["on_time"] is False
