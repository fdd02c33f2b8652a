"""矛盾纠纷排查 (process ``screening``): one screening round, each potential dispute mediated
("司法+信访") and either settled before any petition (访前化解) or turned into a petition."""
from __future__ import annotations

from tests.handling_driver import clock_at, sh, start

START = sh(2026, 3, 2, 10, 0)
DISPUTES = [
    {"title": "城关镇幸福小区物业费纠纷", "parties": "业主委员会、物业公司", "unit": "town-chengguan",
     "domain": "城乡建设", "description": "物业费上调引发争议"},
    {"title": "黄集镇土地承包边界纠纷", "parties": "王某、赵某", "unit": "town-huanggang",
     "domain": "农村农业", "description": "承包地边界不清"},
    {"title": "某建筑公司拖欠农民工工资", "parties": "农民工12人、建筑公司", "domain": "劳动社保",
     "description": "工程款结算争议"},
]
ROUND = {"round_name": "2026年第1轮起底式摸排", "screening_unit": "town-chengguan", "disputes": DISPUTES}


def _results(case) -> list[dict]:
    return [e.data for e in case.history() if e.kind == "screening_result"]


def _mediations(case):
    tasks = [t for t in case.ready() if t.activity_id == "Task_mediate_dispute"]
    return sorted(tasks, key=lambda t: t.created_at)


def test_a_round_settles_most_disputes_before_any_petition_and_turns_the_rest_into_petitions(deployed_engine):
    with clock_at(START):
        case = start(deployed_engine, "screening", ROUND)
        v = case.variables
        assert v["disputes_found"] == 3
        assert [d["seq"] for d in v["disputes"]] == [1, 2, 3]

        tasks = _mediations(case)
        assert len(tasks) == 3  # one mediation per dispute, in parallel
        for t in tasks:
            assert t.name == "联合调处矛盾纠纷"
            assert t.candidate_groups == ["sfj:handler", "town-chengguan:handler"]
        seen = {}
        for t in tasks:
            seen[deployed_engine.task_variables(t.id)["dispute"]["seq"]] = t
        case.fresh()
        deployed_engine.complete_task(seen[1].id, {"mediation_result": "settled", "mediation_summary": "降低涨幅，签订协议",
                                                   "agreement_no": "城司调〔2026〕3号"}, "mediator")
        case.fresh()
        deployed_engine.complete_task(seen[2].id, {"mediation_result": "settled",
                                                   "mediation_summary": "重新测量确界"}, "mediator")
        case.fresh()
        deployed_engine.complete_task(seen[3].id, {"mediation_result": "unsettled",
                                                   "mediation_summary": "双方分歧较大"}, "mediator")

        register = case.task("Task_register_petition")
        assert register.name == "转为信访事项登记" and register.candidate_groups == ["xfj:registrar"]
        assert _results(case) == []  # results are reported when the round closes
        case.complete("Task_register_petition", {"petition_case_no": "郓信〔2026〕0412号",
                                                 "petition_note": "转县人社局办理"}, actor="registrar")

        info = case.info
        assert info.status == "completed"
        v = info.variables
        by_seq = {d["seq"]: d for d in v["disputes"]}
        assert by_seq[1]["presettled"] is True and by_seq[1]["outcome"] == "presettled"
        assert by_seq[1]["agreement_no"] == "城司调〔2026〕3号"
        assert by_seq[2]["presettled"] is True and by_seq[2]["agreement_no"] == ""
        assert by_seq[3]["presettled"] is False and by_seq[3]["outcome"] == "petition"
        assert by_seq[3]["petition_case_no"] == "郓信〔2026〕0412号"
        assert v["presettled_count"] == 2 and v["petition_count"] == 1 and v["presettle_rate"] == 66.7

        reports = _results(case)  # one screening_result event per dispute: the 访前化解率 counts them
        assert [n["kind"] for n in reports] == ["矛盾纠纷化解情况报告"] * 3
        assert {n["dispute"]: (n["settled"], n["unit"]) for n in reports} == {
            1: (True, "town-chengguan"), 2: (True, "town-huanggang"), 3: (False, "town-chengguan")}
        assert all(n["to"] == "xfj" for n in reports)


def test_a_round_where_every_dispute_is_settled_has_no_petition_to_register(deployed_engine):
    with clock_at(START):
        case = start(deployed_engine, "screening", {**ROUND, "disputes": DISPUTES[:1]})
        case.complete("Task_mediate_dispute", {"mediation_result": "settled", "mediation_summary": "当场化解"})
        info = case.info
        assert info.status == "completed"
        assert info.variables["presettle_rate"] == 100.0
        assert [n["settled"] for n in _results(case)] == [True]
        assert "Task_register_petition" not in [e.data.get("activity_id") for e in case.history()]


def test_a_round_that_finds_no_dispute_closes_at_once(deployed_engine):
    with clock_at(START):
        case = start(deployed_engine, "screening", {**ROUND, "disputes": []})
        info = case.info
        assert info.status == "completed"
        assert info.variables["disputes_found"] == 0 and info.variables["presettle_rate"] is None
        assert _results(case) == [] and case.notices() == []
