"""登记受理 (process key ``petition``): registration, repeats, classification and routing in 15 days."""
from __future__ import annotations

import datetime as dt

from tests.process_driver import PETITIONER, after, due, start

REGISTER = {k: PETITIONER[k] for k in ("channel", "petitioner_name", "petitioner_id_number", "petitioner_phone",
                                      "petitioner_address", "request", "facts", "reasons")}
REGISTER["case_no"] = "郓信〔2025〕101号"


def classify(**values):
    base = {"category": "建议意见", "domain": "城乡建设", "routing": "forward", "handling_unit": "zjj",
            "major_urgent": False, "concerns_officials": False, "owner_unknown": False}
    base.update(values)
    return base


def _registered(engine, **variables):
    case = start(engine, "petition", {**PETITIONER, **variables})
    register = case.task("Task_register")
    assert register.candidate_groups == ["xfj:head"]  # a second person checks the registrar's entry
    clock = case.variables["clock_acceptance"]
    assert clock["kind"] == "acceptance" and clock["days"] == 15
    assert register.due == due(clock)
    case.complete("Task_register", REGISTER)
    assert case.task("Task_classify").candidate_groups == ["xfj:registrar"]
    return case


def _received(case, unit):
    receive = case.task("Task_receive")
    assert receive.candidate_groups == [f"{unit}:registrar"]
    assert receive.due == due(case.variables["clock_objection"])
    case.complete("Task_receive", {"objection": False, "receipt_note": "已签收"})


def test_forwarded_suggestion_is_accepted_and_answered(deployed_engine):
    case = _registered(deployed_engine, category="建议意见")
    case.complete("Task_classify", classify())
    assert case.variables["clock_objection"]["working_days"] is True
    _received(case, "zjj")
    v = case.variables
    assert v["intake_outcome"] == "accepted"
    assert v["clock_acceptance"]["on_time"] is True
    assert case.notice_kinds() == ["转送函", "受理告知书"]
    reply = case.task("Task_reply")
    assert reply.candidate_groups == ["zjj:handler"]
    assert reply.due == due(case.variables["clock_handling"])
    case.complete("Task_reply", {"reply_result": "部分采纳", "reply_summary": "纳入明年计划", "reply_served_date": "2025-07-01"})
    assert case.status == "completed"
    assert case.notice_kinds()[-1] == "答复意见书"


def test_objection_returns_the_matter_for_rerouting_and_a_lapsed_objection_period_accepts(deployed_engine):
    case = _registered(deployed_engine)
    case.complete("Task_classify", classify(handling_unit="rsj"))
    case.complete("Task_receive", {"objection": True, "objection_reason": "住建领域，不属人社职责"})
    assert case.ready_ids() == ["Task_classify"]
    assert case.variables["objections"][0]["unit"] == "rsj"
    case.complete("Task_classify", classify(handling_unit="zjj"))
    assert case.fire_at(after(case.variables["clock_objection"]["due"])) == 1
    assert case.ready_ids() == ["Task_reply"]
    # read through the waiting task: CaseInfo.variables may come from a task with no data yet
    reply = case.task("Task_reply")
    assert deployed_engine.task_variables(reply.id)["intake_outcome"] == "accepted"


def test_assigned_accusation_needs_an_accepted_completion_report(deployed_engine):
    case = _registered(deployed_engine, category="检举控告")
    case.complete("Task_classify", classify(category="检举控告", routing="assign_with_feedback",
                                            handling_unit="zjj", assignment_days=20))
    assert case.variables["clock_assignment"]["days"] == 20
    assert case.notice_kinds() == ["交办函"]
    _received(case, "zjj")
    assert case.ready_ids() == ["Task_reply", "Task_report"]
    report = case.task("Task_report")
    assert report.candidate_groups == ["zjj:handler"]
    assert report.due == due(case.variables["clock_assignment"])
    case.complete("Task_report", {"report_summary": "经调查，举报的违规施工问题属实，已责令整改。", "report_date": "2025-06-20"})
    assert case.task("Task_review_report").candidate_groups == ["xfj:handler"]
    case.complete("Task_review_report", {"report_accepted": False, "review_opinion": "缺少整改材料"})
    case.complete("Task_report", {"report_summary": "补充整改验收材料，违规施工已停止并罚款。", "report_date": "2025-06-25"})
    case.complete("Task_review_report", {"report_accepted": True, "review_opinion": "同意办结"})
    assert case.ready_ids() == ["Task_reply"]
    case.complete("Task_reply", {"reply_result": "已查处", "reply_summary": "已依法处理", "reply_served_date": "2025-06-28"})
    info = case.info
    assert info.status == "completed"


def test_matter_outside_the_petition_system_is_not_accepted_with_a_notice(deployed_engine):
    case = _registered(deployed_engine)
    case.complete("Task_classify", classify(routing="not_accepted", not_accepted_reason="已进入诉讼程序"))
    info = case.info
    assert info.status == "completed"
    assert info.variables["intake_outcome"] == "not_accepted"
    assert case.notice_kinds() == ["不予受理告知书"]


def test_major_urgent_matter_is_decided_by_county_leadership(deployed_engine):
    case = _registered(deployed_engine)
    case.complete("Task_classify", classify(major_urgent=True, handling_unit=None))
    lead = case.task("Task_lead_decide")
    assert lead.candidate_groups == ["county-lead:leader"]
    case.complete("Task_lead_decide", {"lead_instruction": "住建局牵头，三日内答复", "handling_unit": "zjj",
                                       "routing": "forward"})
    assert case.variables["leadership_decided"] is True
    _received(case, "zjj")


def test_accusation_against_officials_goes_to_discipline_inspection(deployed_engine):
    case = _registered(deployed_engine, category="检举控告")
    case.complete("Task_classify", classify(category="检举控告", concerns_officials=True, handling_unit="zjj"))
    v = case.variables
    assert v["handling_unit"] == "jw" and v["confidential"] is True
    _received(case, "jw")
    assert case.task("Task_reply").candidate_groups == ["jw:handler"]


def test_matter_nobody_owns_calls_ownership_first(deployed_engine):
    case = _registered(deployed_engine)
    case.complete("Task_classify", classify(owner_unknown=True, handling_unit=None))
    case.complete("Task_publish", {"claim_units": "town-yunhe", "ownership_summary": "无主小区路灯"})
    case.complete("Task_claim", {"claimed": True, "handling_unit": "town-yunhe", "claim_reason": "属地管理"})
    assert case.variables["ownership_method"] == "主动认领"
    _received(case, "town-yunhe")


def test_complaint_of_route_six_enters_handling(deployed_engine):
    case = _registered(deployed_engine, category="申诉求决")
    case.complete("Task_classify", classify(category="申诉求决", demand_type="其他"))
    assert case.variables["route"] == 6
    _received(case, "zjj")
    assert case.status == "running"
    handling = [t for t in case.ready() if t.activity_id not in ("Task_reply", "Task_report")]
    assert handling, "handling has a task for the handling unit"
    assert deployed_engine.task_variables(handling[0].id)["intake_outcome"] == "accepted"
    assert deployed_engine.task_variables(handling[0].id)["handling_unit"] == "zjj"


def test_complaint_for_arbitration_is_handed_to_its_channel_and_tracked(deployed_engine):
    case = _registered(deployed_engine, category="申诉求决", domain="劳动社保")
    case.complete("Task_classify", classify(category="申诉求决", domain="劳动社保", demand_type="劳动人事争议",
                                            handling_unit="rsj"))
    assert case.variables["route"] == 2
    assert case.notice_kinds() == ["依法分类处理告知书"]
    case.complete("Task_channel_record", {"legal_channel": "仲裁", "channel_organ": "县劳动人事争议仲裁委员会",
                                          "channel_handover_date": "2025-06-05", "channel_report_days": 45})
    result = case.task("Task_channel_result")
    assert result.due == due(case.variables["clock_channel"])
    assert case.fire_at(after(case.variables["clock_channel"]["due"])) == 1  # reminder, task stays
    case.complete("Task_channel_result", {"channel_result": "已依法处理", "channel_result_summary": "仲裁调解结案"})
    assert case.status == "completed"


def test_litigation_end_to_end_then_a_new_petition_on_the_same_facts_is_refused(deployed_engine):
    case = _registered(deployed_engine, category="申诉求决")
    case.complete("Task_classify", classify(category="申诉求决", demand_type="不服法院生效裁判"))
    assert case.variables["route"] == 1
    case.complete("Task_forward", {"judicial_unit": "fy", "transfer_summary": "不服生效判决", "followup_days": 30})
    case.complete("Task_receipt", {"receipt_date": "2025-06-03"})
    case.message("judicial_report", {"judicial_outcome": "依法终结", "judicial_summary": "再审申请驳回"})
    case.complete("Task_record", {"judicial_outcome": "依法终结", "judicial_summary": "再审申请驳回"})
    info = case.info
    assert info.status == "completed" and info.matter_status == "terminated"

    again = start(deployed_engine, "petition", PETITIONER)
    info = again.info
    assert info.variables["repeat_status"] == "terminated"
    assert info.status == "completed"
    assert info.variables["intake_outcome"] == "refused_terminated"
    assert again.notice_kinds() == ["不再受理告知书"]


def test_repeat_of_a_matter_in_handling_is_linked_not_duplicated(deployed_engine):
    first = start(deployed_engine, "petition", PETITIONER)
    second = start(deployed_engine, "petition", PETITIONER)
    assert second.variables["repeat_status"] == "in_handling"
    link = second.task("Task_link_repeat")
    assert link.candidate_groups == ["xfj:registrar"]
    second.complete("Task_link_repeat", {"link_note": "同一安置房问题，已在办"})
    info = second.info
    assert info.status == "completed"
    assert info.variables["linked_case"] == first.id
    assert second.notice_kinds() == ["重复信访告知书"]


def test_acceptance_period_warns_three_days_before_and_escalates_at_due(deployed_engine):
    case = start(deployed_engine, "petition", PETITIONER)
    clock = case.variables["clock_acceptance"]
    assert case.fire_at(due(clock) - dt.timedelta(days=3) + dt.timedelta(seconds=1)) == 1
    assert case.fire_at(after(clock["due"])) == 1
    assert case.variables.get("acceptance_overdue") is None or case.ready_ids() == ["Task_register"]
    fired = [e.data["activity_id"] for e in deployed_engine.history(case.id) if e.kind == "timer_fired"]
    assert fired == ["Timer_acceptance_warn", "Timer_acceptance_due"]
    assert case.ready_ids() == ["Task_register"]
