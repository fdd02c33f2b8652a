"""Camunda-style expressions: JUEL, plain Python, timer literals, and a workflow that uses them."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine import dmn, orgchart
from engine.errors import ScriptError
from engine.expressions import (
    ExpressionError, check_expression, compile_expression, juel_to_python, split_template,
    timer_literal_kind, timer_value, translate,
)
from engine.sandbox import Sandbox
from engine.scripting import SandboxScriptEngine, make_script_engine

FIXTURES = Path(__file__).parent / "fixtures" / "expressions"


def run(text: str, data: dict | None = None, kind: str = "expression"):
    """Evaluate what a designer wrote the way the script engine does."""
    return Sandbox().run(compile_expression(text, kind), Sandbox().namespace(data or {}))


# --------------------------------------------------------------------------- JUEL operators

@pytest.mark.parametrize(("juel", "python"), [
    ("accepted", "accepted"),
    ("category == '申诉求决'", "category == '申诉求决'"),
    ("a && !b", "a and (not b)"),
    ("a || b", "a or b"),
    ("a and not b", "a and (not b)"),
    ("x != null", "x != None"),
    ("x == null", "x == None"),
    ("empty x", "_sb_empty(x)"),
    ("not empty x", "not _sb_empty(x)"),
    ("!empty x", "not _sb_empty(x)"),
    ("a eq b", "a == b"),
    ("a ne b", "a != b"),
    ("a lt 3", "a < 3"),
    ("a gt 3", "a > 3"),
    ("a le 3", "a <= 3"),
    ("a ge 3", "a >= 3"),
    ("a div b", "a / b"),
    ("a mod b", "a % b"),
    ("true || false", "True or False"),
    ("a ? 'x' : 'y'", "'x' if a else 'y'"),
    ("a ? b ? 1 : 2 : 3", "(1 if b else 2) if a else 3"),
    ("petition.domain", "_sb_attr(petition, 'domain')"),
    ("petition.get('domain')", "petition.get('domain')"),
    ("x not in items", "x not in items"),
    ("x is not null", "x is not None"),
    ("note == 'a && b || !c'", "note == 'a && b || !c'"),
    ('title == "他说：\\"不\\""', "title == '他说：\"不\"'"),
])
def test_juel_operator_translates_to_python(juel, python):
    assert juel_to_python(juel) == python


def test_juel_not_binds_tighter_than_equality_as_in_juel():
    # JUEL reads `!a == b` as `(!a) == b`; Python's `not` would negate the comparison
    assert run("${!a == b}", {"a": False, "b": True}) is True
    assert run("${!a == b}", {"a": True, "b": True}) is False


@pytest.mark.parametrize(("text", "data", "expected"), [
    ("${accepted}", {"accepted": True}, True),
    ("${category == '申诉求决'}", {"category": "申诉求决"}, True),
    ("${category == '申诉求决'}", {"category": "建议意见"}, False),
    ("${a && !b}", {"a": True, "b": False}, True),
    ("${a || b}", {"a": False, "b": False}, False),
    ("${x != null}", {"x": None}, False),
    ("${empty x}", {"x": ""}, True),
    ("${empty x}", {"x": []}, True),
    ("${empty x}", {"x": None}, True),
    ("${not empty x}", {"x": ["附件"]}, True),
    ("${a eq b}", {"a": 1, "b": 1}, True),
    ("${a gt 3}", {"a": 4}, True),
    ("${a ge 3 and a lt 5}", {"a": 5}, False),
    ("#{count mod 2 == 0}", {"count": 4}, True),
    ("${petition.domain == '教育'}", {"petition": {"domain": "教育"}}, True),
    ("${petition.missing == null}", {"petition": {}}, True),
    ("${people > 4 ? '集体访' : '个体访'}", {"people": 5}, "集体访"),
    ("${note == 'a && b'}", {"note": "a && b"}, True),
])
def test_juel_expression_evaluates_as_camunda_would(text, data, expected):
    assert run(text, data) == expected


def test_execution_get_variable_reads_a_variable_or_null():
    assert run("${execution.getVariable('accepted')}", {"accepted": True}) is True
    assert run("${execution.getVariable('reviewed') == null}", {}) is True
    assert check_expression("${execution.getVariable(name)}") == [
        "execution.getVariable needs one variable name in quotes in '${execution.getVariable(name)}'"]


def test_hash_brace_is_the_same_as_dollar_brace():
    assert translate("#{a && b}").python == translate("${a && b}").python == "a and b"


def test_plain_python_expression_passes_through_unchanged():
    assert translate("len(files) > 0 and category in ('申诉求决', '检举控告')").python == \
        "len(files) > 0 and category in ('申诉求决', '检举控告')"
    assert translate("len(files) > 0").internal is False


def test_feel_output_may_compute_a_duration():
    assert run('duration("P1DT2H")', kind="dmn_output") == timedelta(days=1, hours=2)


def test_juel_operators_without_braces_are_understood_when_not_python():
    assert translate("accepted && !rejected").python == "accepted and (not rejected)"


def test_composite_text_joins_literal_parts_and_values():
    assert run("${handling_unit}:handler", {"handling_unit": "rsj"}, kind="text") == "rsj:handler"
    assert run("xfj:registrar", kind="text") == "xfj:registrar"
    assert run("${assignee}", {"assignee": None}, kind="candidateGroups") is None
    assert run("unit ${u} / ${n}", {"u": None, "n": 3}, kind="text") == "unit  / 3"


def test_template_split_keeps_braces_inside_strings():
    assert split_template("a ${x == '}'} b") == [(False, "a "), (True, "x == '}'"), (False, " b")]


def test_composite_condition_is_refused():
    with pytest.raises(ExpressionError):
        translate("${a} and ${b}", "condition")


# --------------------------------------------------------------------------- timers

@pytest.mark.parametrize(("literal", "kind"), [
    ("P15D", "timeDuration"),
    ("PT2H", "timeDuration"),
    ("P1DT12H", "timeDuration"),
    ("R3/P1D", "timeCycle"),
    ("R/PT10M", "timeCycle"),
    ("R2/2026-12-01T09:00:00+08:00/P1D", "timeCycle"),
    ("2026-12-01T09:00:00+08:00", "timeDate"),
    ("2026-12-01T01:00:00Z", "timeDate"),
])
def test_bare_iso_timer_literal_becomes_a_string_constant(literal, kind):
    assert timer_literal_kind(literal) == kind
    assert run(literal, kind="timer") == literal
    assert check_expression(literal, kind) == []


def test_timer_expression_in_braces_is_evaluated():
    assert run("${'P' + str(days) + 'D'}", {"days": 30}, kind="timeDuration") == "P30D"
    assert run("PT${minutes}M", {"minutes": 5}, kind="timeDuration") == "PT5M"


def test_quoted_python_timer_still_works():
    assert run("'P15D'", kind="timeDuration") == "P15D"


@pytest.mark.parametrize(("value", "text"), [
    (" P15D ", "P15D"),
    (datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc), "2026-12-01T01:00:00+00:00"),
    (datetime(2026, 12, 1, 1, 0), "2026-12-01T01:00:00+00:00"),
    (date(2026, 12, 1), "2026-12-01"),
    (timedelta(days=15), "P15D"),
    (timedelta(days=1, hours=2), "P1DT7200S"),
])
def test_timer_value_becomes_iso_text_for_spiff(value, text):
    assert timer_value(value) == text


def test_timer_value_that_is_not_a_time_is_a_clear_error():
    with pytest.raises(ScriptError) as caught:
        timer_value(15)
    assert "a timer expression must give an ISO 8601 text" in caught.value.message


# --------------------------------------------------------------------------- deploy-time checks

@pytest.mark.parametrize(("text", "kind", "message"), [
    ("${a && }", "condition", "syntax error: invalid syntax in '${a && }'"),
    ("${a ? b}", "condition", "'?' at position 3 has no matching ':' in '${a ? b}'"),
    ("${(a}", "condition", "'(' at position 1 is not closed in '${(a}'"),
    ("${x", "text", "'${' at position 1 has no closing '}' in '${x'"),
    ("${__import__('os').system('ls')}", "condition",
     ("'__import__' is not allowed: no dynamic code or imports in '${__import__('os').system('ls')}'",
      "the attribute '.system' is not allowed: it is not one of the methods")),
    ("${x.__class__}", "condition",
     "the attribute '.__class__' is not allowed: attributes starting with '_' are private in '${x.__class__}'"),
    ("${_sb_attr(x, '__class__')}", "condition", "the name '_sb_attr' is reserved"),
    ("open('/etc/passwd')", "condition", "'open' is not allowed: no file, console, network or process access"),
    ("Vacation Approval = \"Approved\"", "condition", "syntax error (line 1, column 10): invalid syntax"),
    ("${a} ${b}", "condition", "a condition or value must be a single ${...} expression"),
    ("", "condition", "the condition is empty"),
    ("P15D", "timeDate", "timeDate needs a date and time like 2026-12-01T09:00:00+08:00, not 'P15D'"),
    ("2026-12-01T09:00:00+08:00", "timeDuration", "timeDuration needs a duration like P15D or PT2H"),
    ("P15D", "timeCycle", "timeCycle needs a repetition like R3/P1D or R/PT10M"),
    ("P1Y2W", "timeDuration", "'P1Y2W' is not a valid ISO 8601 duration"),
    ("0 0 9 * * ?", "timeCycle", "looks like a cron expression"),
    ("import os", "script", "an import statement is not allowed (line 1): scripts cannot load modules"),
    ('"a",', "unary_tests", "has an empty test between commas"),
    ("x +", "dmn_output", "syntax error"),
])
def test_broken_expression_is_reported_at_deploy_time(text, kind, message):
    problems = check_expression(text, kind)
    messages = message if isinstance(message, tuple) else (message,)
    assert len(problems) == len(messages), problems
    for expected, problem in zip(messages, problems):
        assert expected in problem


@pytest.mark.parametrize(("text", "kind"), [
    ("${accepted}", "condition"),
    ("${clock_due(clock_handling)}", "timeDate"),
    ("${handling_unit}:handler", "candidateGroups"),
    ("xfj:registrar", "candidateGroups"),
    ("${due('acceptance')}", "dueDate"),
    ("accepted and not rejected", "condition"),
    ("notices.append({'kind': '告知书'})", "script"),
    ('"a","b"', "unary_tests"),
    ("-", "unary_tests"),
    ('"rsj"', "dmn_output"),
])
def test_valid_expression_has_no_problems(text, kind):
    assert check_expression(text, kind) == []


# --------------------------------------------------------------------------- the script engine

def test_script_engine_offers_the_documented_helper_functions():
    functions = make_script_engine().environment.globals
    for name in ("now", "due", "warn_before", "days_after", "superior", "unit_name",
                 "clock_start", "clock_due", "clock_warn"):
        assert callable(functions[name]), name


def test_helper_functions_run_in_the_worker_with_the_servers_org_chart():
    # no function object crosses to the worker: the chart installed here is sent there
    engine = make_script_engine()
    chart = orgchart.OrgChart((orgchart.Unit("top", "上级机关", "municipal", legal_channel="向上级机关反映"),
                               orgchart.Unit("low", "下级单位", "department", superior="top")), source="test")
    previous = orgchart.install(chart)
    try:
        assert engine.environment.evaluate("${superior('low')}", {}) == "top"
        assert engine.environment.evaluate("${unit_name('low')}", {}) == "下级单位"
    finally:
        orgchart.install(previous)
    with pytest.raises(ScriptError) as caught:  # the worker follows the chart back
        engine.environment.evaluate("${superior('low')}", {})
    assert "unknown unit code 'low'" in caught.value.message
    assert engine.environment.evaluate("${unit_name('xfj')}", {}) == "县信访局"


def test_script_engine_takes_worker_limits_not_functions():
    with pytest.raises(TypeError):
        make_script_engine({"double": lambda x: 2 * x})


def test_helper_functions_answer_in_china_time():
    engine = make_script_engine()
    with time_machine.travel(datetime(2026, 3, 2, 1, 30, tzinfo=timezone.utc), tick=False):
        assert engine.environment.evaluate("${now()}", {}) == "2026-03-02T09:30:00+08:00"
    assert engine.environment.evaluate("${superior('rsj')}", {}) == "city-rsj"
    assert engine.environment.evaluate("${unit_name('xfj')}", {}) == "县信访局"
    assert engine.environment.evaluate("warn_before('2026-10-10T00:00:00+08:00', 3)", {}) == \
        "2026-10-07T00:00:00+08:00"


# --------------------------------------------------------------------------- a workflow

class ExtendedCamundaParser(CamundaParser):
    """SpiffWorkflow's Camunda parser with this module's business rule task."""

    OVERRIDE_PARSER_CLASSES = {**CamundaParser.OVERRIDE_PARSER_CLASSES, **dmn.PARSER_OVERRIDES}


@pytest.fixture(scope="module")
def intake_spec():
    parser = ExtendedCamundaParser()
    parser.add_dmn_file(str(FIXTURES / "route.dmn"))
    parser.add_bpmn_file(str(FIXTURES / "intake_demo.bpmn"))
    return parser.get_spec("intake_demo")


@pytest.fixture(scope="module")
def serializer():
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure({**CAMUNDA_CONFIG, **dmn.SERIALIZER_CONFIG}))


class Case:
    """Drives a workflow and saves/restores it after every step, as the engine does."""

    def __init__(self, spec, serializer, engine: SandboxScriptEngine):
        self.serializer, self.engine = serializer, engine
        self.wf = BpmnWorkflow(spec, script_engine=engine)
        self.step()

    def step(self):
        self.wf.refresh_timers()
        self.wf.do_engine_steps()
        self.wf = self.serializer.deserialize_json(self.serializer.serialize_json(self.wf))
        self.wf.script_engine = self.engine

    def ready(self) -> list[str]:
        return [t.task_spec.bpmn_id for t in self.wf.get_tasks(state=TaskState.READY, manual=True)]

    def complete(self, bpmn_id: str, **variables):
        task = next(t for t in self.wf.get_tasks(state=TaskState.READY, manual=True)
                    if t.task_spec.bpmn_id == bpmn_id)
        task.data.update(variables)
        task.run()
        self.step()

    @property
    def data(self) -> dict:
        return self.wf.last_task.data if self.wf.is_completed() else \
            next(iter(self.wf.get_tasks(state=TaskState.READY, manual=True))).data


REGISTRATION = dict(category="申诉求决", domain="劳动社保", urgent=False, people=2, petitioner="张三")


def test_accepted_petition_is_routed_and_escalated_when_the_p15d_timer_fires(intake_spec, serializer):
    with time_machine.travel(datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc), tick=False) as clock:
        case = Case(intake_spec, serializer, make_script_engine())
        assert case.ready() == ["Task_register"]

        case.complete("Task_register", accepted=True, **REGISTRATION)
        assert case.ready() == ["Task_handle"]
        assert case.data["handling_unit"] == "rsj"          # DMN singleEntry into resultVariable
        assert case.data["summary"] == "县人力资源和社会保障局承办"  # script task with unit_name()
        assert case.data["assigned_at"] == "2026-03-02T09:00:00+08:00"
        assert case.data["notices"] == [{"kind": "受理告知书", "to": "张三"}]
        assert "helper" not in case.data                     # functions stay in the script

        clock.shift(timedelta(days=14, hours=23))
        case.step()
        assert case.ready() == ["Task_handle"]

        clock.shift(timedelta(hours=2))
        case.step()
        assert case.ready() == ["Task_supervise"]
        assert case.data["escalated"] is True
        assert case.data["escalated_to"] == "city-rsj"


def test_petition_handled_in_time_ends_without_escalation(intake_spec, serializer):
    case = Case(intake_spec, serializer, make_script_engine())
    case.complete("Task_register", accepted=True, **REGISTRATION)
    case.complete("Task_handle")
    assert case.wf.is_completed()
    assert "escalated" not in case.data


def test_rejected_petition_takes_the_negated_condition(intake_spec, serializer):
    case = Case(intake_spec, serializer, make_script_engine())
    case.complete("Task_register", accepted=False, **REGISTRATION)
    assert case.wf.is_completed()
    completed = {t.task_spec.bpmn_id for t in case.wf.get_tasks(state=TaskState.COMPLETED)}
    assert "EndEvent_rejected" in completed
    assert "Task_route" not in completed


def test_failing_condition_names_the_element_and_the_expression(intake_spec, serializer):
    case = Case(intake_spec, serializer, make_script_engine())
    task = case.wf.get_tasks(state=TaskState.READY, manual=True)[0]
    task.data.update(category="申诉求决")  # `accepted` was never set
    task.run()
    with pytest.raises(ScriptError) as caught:
        case.wf.do_engine_steps()
    message = caught.value.message
    assert "'accepted' is not defined" in message
    assert "'是否受理？' (Gateway_accept)" in message
    assert "${accepted && not empty category}" in message
