"""DMN tables as Camunda Modeler 5 writes them, and the Camunda business rule task."""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS
from SpiffWorkflow.util.task import TaskState

from engine import dmn
from engine.dmn import (
    CamundaDecisionEngine, CamundaDmnParserMixin, DecisionError, compile_input_entry, dmn_problems,
    map_decision_result,
)
from engine.expressions import feel_unary_tests
from engine.sandbox import Sandbox
from engine.scripting import make_script_engine

FIXTURES = Path(__file__).parent / "fixtures" / "expressions"
DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def engine_for(xml: bytes) -> CamundaDecisionEngine:
    root = etree.fromstring(xml)
    table, problems = dmn.read_decision(dmn.decision_elements(root)[0], "test.dmn")
    assert problems == []
    return CamundaDecisionEngine(table)


def decide(name: str, data: dict) -> list[dict]:
    return engine_for((FIXTURES / name).read_bytes()).evaluate_data(data)


# --------------------------------------------------------------------------- FEEL input entries

@pytest.mark.parametrize(("entry", "value", "matches"), [
    ('"申诉求决"', "申诉求决", True),
    ('"申诉求决"', "建议意见", False),
    ('"a","b"', "b", True),
    ('"a","b"', "c", False),
    ("-", "anything", True),
    ("", None, True),
    ("true", True, True),
    ("false", True, False),
    ("< 10", 9, True),
    ("< 10", 10, False),
    (">= 3", 3, True),
    ("[1..5]", 5, True),
    ("[1..5]", 0, False),
    ("]1..5[", 1, False),
    ("]1..5[", 4.5, True),
    ("(1..5)", 5, False),
    ("[1..5],> 10", 11, True),
    ('not("a")', "b", True),
    ('not("a","b")', "b", False),
    ("null", None, True),
    ("-3", -3, True),
    ('"他说\\"好\\""', '他说"好"', True),
    ("? > 3 and ? < 5", 4, True),
    ("${cellInput > limit}", 7, True),
])
def test_feel_input_entry_matches_like_camunda(entry, value, matches):
    box = Sandbox()
    python = feel_unary_tests(entry)
    if python is None:
        assert matches
        return
    ns = box.namespace({"cellInput": value, "limit": 5})
    assert bool(box.run(compile_input_entry(entry), ns)) is matches, python


@pytest.mark.parametrize(("entry", "received", "matches"), [
    ('< date and time("2026-05-01T00:00:00")', "2026-04-30T23:59:00+08:00", True),
    ('< date and time("2026-05-01T00:00:00")', "2026-04-30T16:00:00Z", False),  # 00:00 in China
    ('[date("2026-01-01")..date("2026-12-31")]', "2026-03-02", True),
    ('[date("2026-01-01")..date("2026-12-31")]', "2027-01-02T08:00:00+08:00", False),
])
def test_feel_date_entry_compares_dates_of_a_date_typed_input(entry, received, matches):
    box = Sandbox()
    ns = box.namespace({"cellInput": dmn._coerce(received, "date", "received")})
    assert bool(box.run(compile_input_entry(entry), ns)) is matches


# --------------------------------------------------------------------------- hit policies

@pytest.mark.parametrize(("data", "unit"), [
    # `-` and empty for any, true, >= 5
    (dict(category="申诉求决", domain="城乡建设", urgent=True, people=7), "xfj"),
    # "a","b" with Chinese text, false, [1..4]
    (dict(category="检举控告", domain="劳动社保", urgent=False, people=4), "rsj"),
    # not("建议意见"), ]0..5[
    (dict(category="申诉求决", domain="城乡建设", urgent=True, people=1), "zjj"),
    # < 5
    (dict(category="建议意见", domain="教育", urgent=False, people=1), "xfj"),
])
def test_unique_table_picks_the_one_matching_rule(data, unit):
    assert decide("route.dmn", data) == [{"handling_unit": unit}]


def test_unique_table_without_a_match_gives_no_result():
    assert decide("route.dmn", dict(category="申诉求决", domain="教育", urgent=False, people=2)) == []


def test_inputs_are_converted_by_their_type():
    # forms deliver text; typeRef integer makes "3" a number for [1..4]
    data = dict(category="申诉求决", domain="劳动社保", urgent="false", people="3")
    assert decide("route.dmn", data) == [{"handling_unit": "rsj"}]


def test_comparing_a_missing_value_is_no_match_rather_than_an_error():
    assert decide("route.dmn", dict(category="建议意见", domain="教育", urgent=False, people=None)) == []


def test_unique_table_with_two_matching_rules_is_an_error():
    engine = engine_for((FIXTURES / "units.dmn").read_bytes().replace(b'hitPolicy="COLLECT"',
                                                                      b'hitPolicy="UNIQUE"'))
    with pytest.raises(DecisionError) as caught:
        engine.evaluate_data({"topic": "拖欠工资", "amount": 120})
    assert caught.value.message == ("decision 'joint_units': hit policy UNIQUE allows one matching rule, "
                                    "but rules 1, 2, 3 all match")


UNITS = {"topic": "拖欠工资", "amount": 120}


@pytest.mark.parametrize(("policy", "expected"), [
    ('hitPolicy="FIRST"', [{"days": 15}]),
    ('hitPolicy="RULE ORDER"', [{"days": 15}, {"days": 30}, {"days": 60}]),
    ('hitPolicy="COLLECT"', [{"days": 15}, {"days": 30}, {"days": 60}]),
    ('hitPolicy="COLLECT" aggregation="SUM"', [{"days": 105}]),
    ('hitPolicy="COLLECT" aggregation="MIN"', [{"days": 15}]),
    ('hitPolicy="COLLECT" aggregation="MAX"', [{"days": 60}]),
    ('hitPolicy="COLLECT" aggregation="COUNT"', [{"days": 3}]),
])
def test_multi_match_hit_policy_combines_rules(policy, expected):
    xml = (FIXTURES / "units.dmn").read_bytes().replace(b'hitPolicy="COLLECT"', policy.encode())
    assert engine_for(xml).evaluate_data(UNITS) == expected


def test_collect_aggregation_without_matches():
    xml = (FIXTURES / "units.dmn").read_bytes()
    count = xml.replace(b'hitPolicy="COLLECT"', b'hitPolicy="COLLECT" aggregation="COUNT"')
    total = xml.replace(b'hitPolicy="COLLECT"', b'hitPolicy="COLLECT" aggregation="SUM"')
    nothing = {"topic": "其他", "amount": 1}
    assert engine_for(count).evaluate_data(nothing) == [{"days": 0}]
    assert engine_for(total).evaluate_data(nothing) == [{"days": None}]


@pytest.mark.parametrize(("overdue", "repeat", "level"), [
    (12, True, "县领导督办"),   # rules 1, 2, 3 match: the first output value wins
    (7, True, "局长督办"),      # rules 1 and 3
    (2, False, "提醒"),
])
def test_priority_table_returns_the_highest_ranked_output(overdue, repeat, level):
    assert decide("priority.dmn", {"overdue_days": overdue, "repeat": repeat}) == [{"level": level}]


def test_any_table_accepts_agreeing_rules():
    assert decide("hearing.dmn", {"stage": "复核", "disputed": True}) == [{"hearing": True}]


def test_any_table_with_disagreeing_rules_is_an_error():
    with pytest.raises(DecisionError) as caught:
        decide("hearing.dmn", {"stage": "复查", "disputed": True})
    assert "hit policy ANY needs matching rules to agree, but rules 2, 3 give different outputs" \
        in caught.value.message


def test_modeler_files_validate_against_the_dmn_13_schema_with_dmndi():
    validator = BpmnValidator(SCHEMAS[DMN13])
    for name in ("route.dmn", "priority.dmn", "units.dmn", "hearing.dmn"):
        validator.validate(etree.parse(str(FIXTURES / name)).getroot(), name)


def test_dmn_11_file_from_an_older_modeler_runs_too():
    xml = (FIXTURES / "hearing.dmn").read_text(encoding="utf-8")
    xml = xml[:xml.index("  <dmndi:DMNDI>")] + "</definitions>\n"
    xml = xml.replace(DMN13, "http://www.omg.org/spec/DMN/20151101/dmn.xsd")
    assert engine_for(xml.encode()).evaluate_data({"stage": "复核", "disputed": True}) == [{"hearing": True}]


# --------------------------------------------------------------------------- deploy-time problems

def broken(replace_from: str, replace_to: str, name: str = "route.dmn") -> list:
    xml = (FIXTURES / name).read_text(encoding="utf-8")
    assert replace_from in xml
    root = etree.fromstring(xml.replace(replace_from, replace_to, 1).encode())
    return dmn_problems(root, name)


def test_broken_input_entry_is_a_problem_naming_rule_and_line():
    problems = broken("<text>[1..4]</text>", "<text>[1..4</text>")
    assert len(problems) == 1
    problem = problems[0]
    assert problem.element_id == "DecisionRule_labour"
    assert problem.file == "route.dmn"
    assert problem.line == 54  # the <inputEntry>
    assert problem.message.startswith("input entry '[1..4' of rule 2 (column '人数') does not compile")


def test_broken_output_entry_is_a_problem():
    problems = broken('<text>"rsj"</text>', '<text>"rsj</text>')
    assert [p.element_id for p in problems] == ["DecisionRule_labour"]
    assert "output entry '\"rsj' of rule 2 (column 'handling_unit') does not compile" in problems[0].message


def test_forbidden_construct_in_a_cell_is_a_problem():
    problems = broken('<text>"rsj"</text>', "<text>__import__('os')</text>")
    assert "'__import__' is not allowed" in problems[0].message


@pytest.mark.parametrize(("old", "new", "message"), [
    ('hitPolicy="COLLECT"', 'hitPolicy="OUTPUT ORDER"', "hit policy OUTPUT ORDER of decision 'joint_units' "
                                                         "is not supported"),
    ('hitPolicy="COLLECT"', 'hitPolicy="FIRST" aggregation="SUM"', "aggregation SUM of decision 'joint_units' "
                                                                   "is not supported with hit policy FIRST"),
    ('name="days"', 'name=""', "output column '会办天数' has no name"),
    ("<text>topic</text>", "<text></text>", "input column '涉及事项' has no expression"),
])
def test_table_level_problem_is_reported(old, new, message):
    assert [p.message for p in broken(old, new, "units.dmn")] == [message]


def test_priority_without_output_values_is_a_problem():
    xml = (FIXTURES / "priority.dmn").read_text(encoding="utf-8")
    start, end = xml.index("        <outputValues"), xml.index("</outputValues>") + len("</outputValues>\n")
    problems = dmn_problems(etree.fromstring((xml[:start] + xml[end:]).encode()), "priority.dmn")
    assert [p.message for p in problems] == [
        "decision 'supervision_level' has hit policy PRIORITY but no output values to rank by"]


def test_literal_expression_decision_is_reported_as_unsupported():
    root = etree.fromstring(f"""<definitions xmlns="{DMN13}" id="d" name="d" namespace="x">
      <decision id="fee" name="费用"><literalExpression id="le"><text>amount * 2</text></literalExpression></decision>
    </definitions>""".encode())
    assert [p.message for p in dmn_problems(root, "fee.dmn")] == [
        "decision 'fee' is a literal expression; only decision tables are supported"]


# --------------------------------------------------------------------------- result mapping

RESULTS = [{"days": 15}, {"days": 30}]


@pytest.mark.parametrize(("results", "mapping", "expected"), [
    ([{"unit": "rsj"}], "singleEntry", "rsj"),
    ([], "singleEntry", None),
    ([{"unit": "rsj", "days": 15}], "singleResult", {"unit": "rsj", "days": 15}),
    ([], "singleResult", None),
    (RESULTS, "collectEntries", [15, 30]),
    ([], "collectEntries", []),
    (RESULTS, "resultList", RESULTS),
])
def test_decision_result_is_mapped_as_camunda_does(results, mapping, expected):
    assert map_decision_result(results, mapping, "d") == expected


@pytest.mark.parametrize(("results", "mapping", "message"), [
    (RESULTS, "singleEntry", "singleEntry needs at most one result, got 2"),
    (RESULTS, "singleResult", "singleResult needs at most one result, got 2"),
    ([{"unit": "rsj", "days": 15}], "singleEntry", "singleEntry needs exactly one output"),
    ([{"unit": "rsj", "days": 15}], "collectEntries", "collectEntries needs one output per result"),
])
def test_result_that_does_not_fit_the_mapping_is_an_error(results, mapping, message):
    with pytest.raises(DecisionError) as caught:
        map_decision_result(results, mapping, "d")
    assert message in caught.value.message


# --------------------------------------------------------------------------- business rule task

class ExtendedCamundaParser(CamundaParser):
    """SpiffWorkflow's Camunda parser with the business rule task of engine.dmn (as engine/parser.py)."""

    OVERRIDE_PARSER_CLASSES = {**CamundaParser.OVERRIDE_PARSER_CLASSES, **dmn.PARSER_OVERRIDES}


BUSINESS_RULE_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_decide" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="decide" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_decide" />
    <bpmn:businessRuleTask id="Task_decide" name="会办期限" {attributes}>
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_decide" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


def business_rule_spec(attributes: str, dmn_xml: bytes | None = None, parser_class=ExtendedCamundaParser):
    parser = parser_class()
    parser.add_dmn_str(dmn_xml if dmn_xml is not None else (FIXTURES / "units.dmn").read_bytes(), "units.dmn")
    parser.add_bpmn_str(BUSINESS_RULE_PROCESS.format(attributes=attributes).encode(), "decide.bpmn")
    return parser.get_spec("decide")


def run_decision(spec, data: dict, serialize: bool = False) -> dict:
    engine = make_script_engine()
    wf = BpmnWorkflow(spec, script_engine=engine)
    wf.get_tasks(state=TaskState.READY)[0].data.update(data)
    if serialize:
        serializer = BpmnWorkflowSerializer(
            BpmnWorkflowSerializer.configure({**CAMUNDA_CONFIG, **dmn.SERIALIZER_CONFIG}))
        wf = serializer.deserialize_json(serializer.serialize_json(wf))
        wf.script_engine = engine
    wf.do_engine_steps()
    assert wf.is_completed()
    return wf.last_task.data


@pytest.mark.parametrize(("attributes", "expected"), [
    ('camunda:decisionRef="joint_units" camunda:resultVariable="days" camunda:mapDecisionResult="collectEntries"',
     {"days": [15, 30, 60]}),
    ('camunda:decisionRef="joint_units" camunda:resultVariable="result"',
     {"result": [{"days": 15}, {"days": 30}, {"days": 60}]}),
    ('camunda:decisionRef="joint_units"', {"days": [15, 30, 60]}),
])
def test_business_rule_task_stores_the_mapped_result(attributes, expected):
    data = run_decision(business_rule_spec(attributes), dict(UNITS))
    assert {k: v for k, v in data.items() if k not in UNITS} == expected


def test_business_rule_task_with_single_entry_and_aggregation():
    xml = (FIXTURES / "units.dmn").read_bytes().replace(b'hitPolicy="COLLECT"',
                                                         b'hitPolicy="COLLECT" aggregation="MAX"')
    spec = business_rule_spec('camunda:decisionRef="joint_units" camunda:resultVariable="days" '
                              'camunda:mapDecisionResult="singleEntry"', xml)
    assert run_decision(spec, dict(UNITS))["days"] == 60


def test_business_rule_task_survives_serialization_with_camunda_extras():
    xml = (FIXTURES / "priority.dmn").read_bytes()
    spec = business_rule_spec('camunda:decisionRef="supervision_level" camunda:resultVariable="level" '
                              'camunda:mapDecisionResult="singleEntry"', xml)
    data = run_decision(spec, {"overdue_days": 7, "repeat": True}, serialize=True)
    assert data["level"] == "局长督办"


def test_result_that_does_not_fit_names_the_business_rule_task():
    spec = business_rule_spec('camunda:decisionRef="joint_units" camunda:resultVariable="days" '
                              'camunda:mapDecisionResult="singleResult"')
    wf = BpmnWorkflow(spec, script_engine=make_script_engine())
    wf.get_tasks(state=TaskState.READY)[0].data.update(UNITS)
    with pytest.raises(DecisionError) as caught:
        wf.do_engine_steps()
    assert caught.value.message.startswith(
        "business rule task '会办期限' (Task_decide): decision 'joint_units': singleResult needs at most one "
        "result, got 3")


def test_missing_decision_ref_is_a_validation_error_naming_the_element():
    with pytest.raises(ValidationException) as caught:
        business_rule_spec('camunda:resultVariable="days"')
    error = caught.value
    assert str(error).startswith("business rule task '会办期限' (Task_decide) has no camunda:decisionRef")
    assert error.id == "Task_decide"
    assert error.file_name == "decide.bpmn"
    assert error.line_number == 7


def test_raw_spiffworkflow_answers_a_missing_decision_ref_with_a_key_error():
    # the behaviour this module replaces: a KeyError naming an XML attribute
    with pytest.raises(KeyError, match="decisionRef"):
        business_rule_spec('camunda:resultVariable="days"', parser_class=CamundaParser)


def test_unknown_decision_is_a_validation_error_naming_the_element():
    with pytest.raises(ValidationException) as caught:
        business_rule_spec('camunda:decisionRef="no_such_decision"')
    assert caught.value.args[0] == ("business rule task '会办期限' (Task_decide) refers to decision "
                                    "'no_such_decision', which is not deployed (decisions available: joint_units)")
    assert caught.value.id == "Task_decide"


def test_single_entry_on_a_table_with_two_outputs_is_a_validation_error():
    xml = (FIXTURES / "hearing.dmn").read_bytes().replace(
        b'<output id="Output_hearing" label="&#21548;&#35777;" name="hearing" typeRef="boolean" />',
        b"").replace(
        b'<output id="Output_hearing"', b'<output id="Output_extra" name="extra" typeRef="string" />\n'
                                        b'      <output id="Output_hearing"')
    root = etree.fromstring(xml)
    for rule in root.iter(f"{{{DMN13}}}rule"):
        entry = etree.SubElement(rule, f"{{{DMN13}}}outputEntry", id=rule.get("id") + "_extra")
        etree.SubElement(entry, f"{{{DMN13}}}text").text = '"x"'
        rule.insert(len(rule) - 2, entry)  # outputs keep column order: extra, hearing
    with pytest.raises(ValidationException) as caught:
        business_rule_spec('camunda:decisionRef="needs_hearing" camunda:resultVariable="h" '
                           'camunda:mapDecisionResult="singleEntry"', etree.tostring(root))
    assert "maps the result with singleEntry, but decision 'needs_hearing' has 2 outputs" in str(caught.value)


class MixinParser(CamundaDmnParserMixin, ExtendedCamundaParser):
    """A parser that registers every decision of a DMN file."""


def test_parser_mixin_registers_every_decision_of_a_file():
    first = etree.fromstring((FIXTURES / "units.dmn").read_bytes())
    second = etree.fromstring((FIXTURES / "hearing.dmn").read_bytes())
    ns = f"{{{DMN13}}}"
    first.insert(1, second.find(f"{ns}decision"))
    parser = MixinParser()
    parser.add_dmn_xml(first, "both.dmn")
    assert sorted(parser.dmn_parsers) == ["joint_units", "needs_hearing"]
    assert sorted(dmn.decisions_of(parser)) == [("joint_units", "会办单位与期限"), ("needs_hearing", "是否听证")]


def test_parser_mixin_refuses_a_broken_table_when_the_file_is_added():
    xml = (FIXTURES / "units.dmn").read_bytes().replace(b"<text>[100..1000]</text>", b"<text>[100..</text>")
    with pytest.raises(ValidationException) as caught:
        MixinParser().add_dmn_str(xml, "units.dmn")
    assert "input entry '[100..' of rule 3" in str(caught.value)
    assert caught.value.line_number == 42


class ValidatingMixinParser(CamundaDmnParserMixin, ExtendedCamundaParser):
    """The mixin parser with SpiffWorkflow's schema validation switched on."""

    def __init__(self):
        from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
        super().__init__(validator=BpmnValidator())


def test_parser_mixin_validates_modeler_files_against_the_schema():
    parser = ValidatingMixinParser()
    parser.add_dmn_str((FIXTURES / "route.dmn").read_bytes(), "route.dmn")
    broken = (FIXTURES / "hearing.dmn").read_bytes().replace(b"<inputEntry ", b"<inputEntryX ", 1) \
        .replace(b"</inputEntry>", b"</inputEntryX>", 1)
    with pytest.raises(ValidationException):
        parser.add_dmn_str(broken, "hearing.dmn")
    assert sorted(parser.dmn_parsers) == ["route"]
