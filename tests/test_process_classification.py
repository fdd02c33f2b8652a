"""依法分类处理信访诉求清单 (classification.dmn): each demand lands on its route of 第三十一条."""
from __future__ import annotations

import pytest

from tests.process_driver import PETITIONER, start
from tests.test_process_intake import REGISTER, classify

CASES = [
    ("不服法院生效裁判", "城乡建设", 1, "Task_forward"),
    ("刑事案件报案控告", "其他", 1, "Task_forward"),
    ("合同纠纷", "城乡建设", 1, "Task_forward"),
    ("合同纠纷", "农村农业", 2, "Task_channel_record"),
    ("劳动人事争议", "劳动社保", 2, "Task_channel_record"),
    ("党员申诉", "其他", 3, "Task_channel_record"),
    ("不服行政行为", "国土资源", 4, "Task_channel_record"),
    ("请求行政确认", "劳动社保", 4, "Task_channel_record"),
    ("拖欠工资", "劳动社保", 5, "Task_channel_record"),
    ("拖欠工资", "城乡建设", 6, "Task_receive"),
    ("举报违法要求查处", "卫生健康", 5, "Task_channel_record"),
    ("其他", "教育", 6, "Task_receive"),
]


@pytest.mark.parametrize(("demand_type", "domain", "route", "next_task"), CASES,
                         ids=[f"{d}-{m}" for d, m, _, _ in CASES])
def test_demand_is_routed_by_the_classification_list(deployed_engine, demand_type, domain, route, next_task):
    case = start(deployed_engine, "petition", {**PETITIONER, "domain": domain})
    case.complete("Task_register", REGISTER)
    case.complete("Task_classify", classify(category="申诉求决", domain=domain, demand_type=demand_type))
    task = case.task(next_task)
    assert deployed_engine.task_variables(task.id)["route"] == route
    if route != 6:
        assert case.notice_kinds() == ["依法分类处理告知书"]


def test_classification_list_is_a_decision_table_designers_can_edit():
    from pathlib import Path

    from lxml import etree

    root = etree.parse(str(Path(__file__).resolve().parents[1] / "processes" / "classification.dmn")).getroot()
    ns = {"dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/",
          "dmndi": "https://www.omg.org/spec/DMN/20191111/DMNDI/"}
    table = root.find("dmn:decision[@id='petition_classification']/dmn:decisionTable", ns)
    assert table.get("hitPolicy") == "FIRST"
    outputs = [r.findtext("dmn:outputEntry/dmn:text", namespaces=ns) for r in table.findall("dmn:rule", ns)]
    assert set(outputs) == {"1", "2", "3", "4", "5", "6"}
    last = table.findall("dmn:rule", ns)[-1]
    assert [e.findtext("dmn:text", namespaces=ns) for e in last.findall("dmn:inputEntry", ns)] == ["-", "-"]
    assert root.find("dmndi:DMNDI/dmndi:DMNDiagram/dmndi:DMNShape", ns) is not None
