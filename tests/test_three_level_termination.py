"""三级终结 end to end: 登记受理 (petition) → 办理 → 复查 → 复核 → 终结与备案 → 不再受理.

第三十一条第（六）项, 第三十二、三十四、三十五、三十六条; a petition on the same facts and
reasons after 复核 is not accepted again (第三十六条第三款).
"""
from __future__ import annotations

from tests.handling_driver import HEARD, INVESTIGATED, OPINION, PETITION, clock_at, sh, start

CLASSIFIED = {"category": "申诉求决", "domain": "城乡建设", "demand_type": "其他", "routing": "forward",
              "handling_unit": "zjj"}


def _accepted(engine):
    case = start(engine, "petition", PETITION)
    assert case.task("Task_register").candidate_groups == ["xfj:head"]
    case.complete("Task_register", {}, actor="head")
    case.complete("Task_classify", CLASSIFIED, actor="registrar")
    case.complete("Task_receive", {"objection": False, "receipt_note": "签收"}, actor="zjj-registrar")
    assert case.variables["route"] == 6
    return case


def _decide(case, prefix, served_on, **draft):
    case.complete(f"Task_{prefix}_draft", {f"{prefix}_findings": "事实清楚", f"{prefix}_decision": "uphold",
                                           f"{prefix}_outcome": "reject", f"{prefix}_basis": "依据充分", **draft})
    case.complete(f"Task_{prefix}_approve", {f"{prefix}_approval": "approve"}, actor="head")
    case.complete(f"Task_{prefix}_serve", {f"{prefix}_served_on": served_on, f"{prefix}_service_method": "direct"})


def test_handling_review_recheck_then_termination_and_a_repeat_petition_is_refused(deployed_engine):
    with clock_at(sh(2026, 3, 2, 9, 0)) as tm:
        case = _accepted(deployed_engine)

        # 办理 by the 县住建局 (route 6)
        assert case.task("Task_investigate").candidate_groups == ["zjj:handler"]
        assert case.info.matter_status == "in_handling"
        case.complete("Task_investigate", INVESTIGATED)
        case.complete("Task_hear_petitioner", HEARD)
        case.complete("Task_draft_opinion", {**OPINION, "opinion_outcome": "reject"})
        assert case.task("Task_approve_opinion").candidate_groups == ["zjj:head"]
        case.complete("Task_approve_opinion", {"opinion_approval": "approve"}, actor="head")
        case.complete("Task_serve_opinion", {"served_on": "2026-03-10", "service_method": "direct"})
        assert case.ready_ids() == []
        assert case.variables["clock_handling"]["on_time"] is True

        # 复查 by the organ above it, the 市住建局 (第三十五条)
        tm.move_to(sh(2026, 3, 20, 9, 0))
        case.message("review_request", {"review_reasons": "不服处理意见"})
        assert case.task("Task_review_draft").candidate_groups == ["city-zjj:handler"]
        _decide(case, "review", "2026-04-01")
        v = case.variables
        assert v["review_unit"] == "city-zjj" and v["clock_review"]["on_time"] is True
        assert case.info.matter_status == "in_handling"

        # 复核 by the organ above the 复查 organ, the 市人民政府, with a hearing (第三十六条)
        tm.move_to(sh(2026, 4, 15, 9, 0))
        case.message("recheck_request", {"recheck_reasons": "不服复查意见"})
        assert case.task("Task_recheck_examine").candidate_groups == ["city-gov:handler"]
        case.complete("Task_recheck_examine", {"recheck_examination": "组织听证", "hold_recheck_hearing": True})
        tm.move_to(sh(2026, 4, 17, 15, 0))
        case.complete("Task_recheck_hearing", {"recheck_hearing_date": "2026-04-17", "recheck_hearing_participants":
                                               "信访人、听证员", "recheck_hearing_conclusion": "维持复查意见"})
        assert case.variables["clock_recheck"]["paused_days"] == 3
        assert case.task("Task_recheck_draft").candidate_groups == ["city-gov:handler"]
        _decide(case, "recheck", "2026-05-08")

        # 终结: marked at once, then filed with the provincial 信访局
        info = case.info
        assert info.matter_status == "terminated"
        v = info.variables
        assert v["termination_reason"] == "three_level" and v["recheck_unit"] == "city-gov"
        assert v["clock_recheck"]["on_time"] is True
        filing = case.task("Task_filing")
        assert filing.candidate_groups == ["xfj:registrar"]
        case.complete("Task_filing", {"filing_summary": "经办理、复查、复核三级终结", "filing_no": "鲁信备〔2026〕21号"})
        info = case.info
        assert info.status == "completed" and info.matter_status == "terminated"
        assert info.next_timer_at is None
        kinds = case.notice_kinds()
        assert kinds[kinds.index("信访处理意见书"):] == [
            "信访处理意见书", "受理告知书", "复查意见书", "受理告知书", "听证通知书", "复核意见书", "备案报告"]
        assert case.notices()[-1]["to"] == "province-xfj"

        # the same petitioner, the same facts: not accepted again (第三十六条第三款)
        tm.move_to(sh(2026, 6, 1, 9, 0))
        again = start(deployed_engine, "petition", PETITION)
        info = again.info
        assert info.status == "completed"
        assert info.variables["repeat_status"] == "terminated" and info.variables["repeat_of"] == case.id
        assert info.variables["intake_outcome"] == "refused_terminated"
        assert again.notice_kinds() == ["不再受理告知书"]
        assert again.ready_ids() == []

        # another matter of the same petitioner is a new petition
        other = start(deployed_engine, "petition", {**PETITION, "facts": "小区供暖管网漏水无人维修。"})
        assert other.variables["repeat_status"] == "none"
        assert other.ready_ids() == ["Task_register"]
