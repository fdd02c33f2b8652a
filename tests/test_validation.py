"""Validation of uploaded BPMN/DMN: hostile XML, the schemas, and element-specific checks."""
from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest

from engine.errors import DeployError, Problem
from engine.parser import XinfangParser
from engine.validation import MAX_RESOURCE_BYTES, ValidationResult, safe_parse_xml, validate_resources
from engine.validation.spiff import humanize

FIXTURES = Path(__file__).parent / "fixtures" / "validation"
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Defs" '
    'targetNamespace="http://bpmn.io/schema/bpmn">\n'
)
SIMPLE = """
    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task" name="登记" camunda:candidateGroups="xfj:registrar">
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="EndEvent"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent" targetRef="Task" />
    <bpmn:sequenceFlow id="F2" sourceRef="Task" targetRef="EndEvent" />
"""
SECRET_FILE = "/etc/passwd"


def bpmn(body: str, *, before: str = "", pid: str = "p", attrs: str = 'isExecutable="true"') -> bytes:
    """A BPMN document with one process around ``body`` (and global elements ``before`` it)."""
    return (HEAD + textwrap.dedent(before) + f'  <bpmn:process id="{pid}" {attrs}>\n' + textwrap.dedent(body)
            + "  </bpmn:process>\n</bpmn:definitions>\n").encode()


def chain(*middle: str) -> str:
    """start -> each given element (by id, in order) -> end, with the flows between them."""
    ids = ["StartEvent", *middle, "EndEvent"]
    flows = [f'<bpmn:sequenceFlow id="F{i}" sourceRef="{a}" targetRef="{b}" />'
             for i, (a, b) in enumerate(zip(ids, ids[1:]), start=1)]
    return ('<bpmn:startEvent id="StartEvent" />\n<bpmn:endEvent id="EndEvent" />\n' + "\n".join(flows) + "\n")


def line_of(data: bytes, needle: str) -> int:
    """The 1-based number of the first line of ``data`` containing ``needle``."""
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the document")


def validate(*resources: tuple[str, bytes], **kwargs) -> ValidationResult:
    return validate_resources(list(resources), XinfangParser(), **kwargs)


def problems_at(result: ValidationResult, element_id: str) -> list[Problem]:
    return [p for p in result.problems if p.element_id == element_id]


def the_problem(result: ValidationResult, element_id: str, containing: str) -> Problem:
    """The one problem about ``element_id`` whose message contains ``containing``."""
    found = [p for p in problems_at(result, element_id) if containing in p.message]
    assert len(found) == 1, [str(p) for p in result.problems]
    return found[0]


def refusal(data: bytes, name: str = "x.bpmn", **kwargs) -> Problem:
    """The one problem safe_parse_xml raises for ``data``."""
    with pytest.raises(DeployError) as caught:
        safe_parse_xml(data, name, **kwargs)
    assert len(caught.value.problems) == 1
    return caught.value.problems[0]


# --------------------------------------------------------------------------- hostile input

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="x">
  <bpmn:process id="p"><bpmn:documentation>&xxe;</bpmn:documentation></bpmn:process>
</bpmn:definitions>
"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>
"""


def test_xxe_entity_is_refused_on_its_line_and_the_file_is_never_read():
    problem = refusal(XXE)
    assert problem.file == "x.bpmn"
    assert problem.line == 3
    assert "entity declaration 'xxe' refused" in problem.message
    assert "root:" not in str(problem) and SECRET_FILE not in str(problem)

    result = validate(("x.bpmn", XXE))
    assert [str(p) for p in result.problems] == [str(problem)]
    assert result.processes == [] and result.specs == {}


def test_parameter_entity_xxe_is_refused():
    data = (b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY % ext SYSTEM "file:///etc/passwd"> %ext;]>\n'
            b"<d/>")
    problem = refusal(data)
    assert "entity declaration 'ext' refused" in problem.message
    assert problem.line == 2


def test_billion_laughs_is_refused_quickly():
    started = time.perf_counter()
    problem = refusal(BILLION_LAUGHS)
    assert time.perf_counter() - started < 0.5
    assert problem.line == 3 and "entity declaration 'lol' refused" in problem.message


def test_quadratic_blowup_entity_is_refused():
    data = (b'<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY a "' + b"x" * 100_000 + b'">]>\n<d>'
            + b"&a;" * 10_000 + b"</d>")
    started = time.perf_counter()
    problem = refusal(data)
    assert time.perf_counter() - started < 0.5
    assert "entity declaration 'a' refused" in problem.message


def test_external_dtd_is_refused_without_being_fetched():
    data = (b'<?xml version="1.0"?>\n<!DOCTYPE definitions SYSTEM "http://127.0.0.1:9/evil.dtd">\n'
            b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>')
    problem = refusal(data)
    assert problem.line == 2
    assert problem.message == "DOCTYPE with an external DTD refused: uploaded files may not load DTDs"


def test_doctype_behind_comments_and_processing_instructions_is_still_refused():
    data = b'<?xml version="1.0"?>\n<!-- saved by\n a tool -->\n<?tool x?>\n<!DOCTYPE d>\n<d/>'
    problem = refusal(data)
    assert problem.line == 5
    assert problem.message == "DOCTYPE declaration refused: uploaded files may not contain a DTD"


def test_doctype_in_a_utf16_file_is_refused():
    problem = refusal(XXE.decode().replace('version="1.0"?', 'version="1.0" encoding="UTF-16"?')
                      .encode("utf-16"))
    assert "entity declaration 'xxe' refused" in problem.message and problem.line == 3


def test_doctype_text_inside_a_cdata_section_is_not_a_dtd():
    data = bpmn(SIMPLE.replace('name="登记"', 'name="登记"><bpmn:documentation><![CDATA[<!DOCTYPE x>]]>'
                                              '</bpmn:documentation><bpmn:x').replace("<bpmn:x", "", 1)
                .replace("camunda:candidateGroups", "camunda:candidateGroups"))
    root = safe_parse_xml(data, "x.bpmn")
    assert root.tag.endswith("definitions")


def test_file_over_the_size_limit_is_refused_before_parsing():
    data = b"<a>" + b" " * MAX_RESOURCE_BYTES + b"</a>"
    problem = refusal(data)
    assert problem.message == "the file is 5.0 MB; the limit is 5.0 MB"
    small = refusal(bpmn(SIMPLE), max_bytes=500)
    assert small.message == f"the file is {len(bpmn(SIMPLE))} bytes; the limit is 500 bytes"
    result = validate(("big.bpmn", data))
    assert [p.message for p in result.problems] == [problem.message]


def test_deeply_nested_elements_are_refused_with_a_clear_message():
    problem = refusal(b"<a>" * 300 + b"</a>" * 300)
    assert problem.message == "not well-formed XML: elements are nested too deeply (more than 256 levels)"
    assert problem.line == 1


@pytest.mark.parametrize("data", [b"hello world", b"\x89PNG\r\n\x1a\n\x00\x00", b"{\"json\": true}"])
def test_content_that_is_not_xml_is_refused_on_line_one(data):
    problem = refusal(data)
    assert problem.line == 1
    assert problem.message.startswith("not well-formed XML")
    assert problem.hint


@pytest.mark.parametrize("data", [b"", b"  \n\t "])
def test_empty_file_is_refused(data):
    assert refusal(data).message == "the file is empty"


def test_truncated_xml_reports_line_and_column():
    data = bpmn(SIMPLE)[:-40]
    problem = refusal(data)
    assert problem.message.startswith("not well-formed XML: ")
    assert problem.line == data.count(b"\n") + 1
    assert problem.column


def test_undefined_entity_reference_is_a_syntax_error_on_its_line():
    data = bpmn(SIMPLE.replace('name="登记"', 'name="a&nbsp;b"'))
    problem = refusal(data)
    assert "Entity 'nbsp' not defined" in problem.message
    assert problem.line == line_of(data, "&nbsp;")


def test_unknown_encoding_is_refused():
    problem = refusal(b'<?xml version="1.0" encoding="x-klingon"?>\n<a/>')
    assert problem.message == "unknown character encoding 'x-klingon' in the XML declaration"


def test_wrong_root_element_is_named():
    result = validate(("page.bpmn", b"<html><body>not a model</body></html>"))
    assert [p.message for p in result.problems] == [
        "root element is <html>; expected <bpmn:definitions> (BPMN 2.0) or <dmn:definitions> (DMN 1.1-1.3)"]
    process_root = validate(("p.bpmn", b'<bpmn:process xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
                                       b'id="p"/>'))
    assert process_root.problems[0].message.startswith("root element is <bpmn:process>")
    assert process_root.problems[0].element_id == "p"


def test_dmn_content_under_a_bpmn_name_is_refused():
    dmn = (FIXTURES / "modeler_route.dmn").read_bytes()
    result = validate(("route.bpmn", dmn))
    assert [p.message for p in result.problems] == ["the file name says BPMN but the content is DMN"]


def test_unknown_dmn_version_is_refused():
    data = b'<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" id="d"/>'
    result = validate(("new.dmn", data))
    assert result.problems[0].message == "unsupported DMN version (namespace https://www.omg.org/spec/DMN/20230324/MODEL/)"


def test_resources_that_are_neither_bpmn_nor_dmn_are_passed_over():
    result = validate(("a.bpmn", bpmn(SIMPLE)), ("register.form", b'{"components": []}'))
    assert result.ok
    assert result.ignored == ["register.form"]


# --------------------------------------------------------------------------- files that deploy

def test_camunda_modeler_files_pass_every_check_and_build_their_specs():
    names = ["modeler_intake.bpmn", "modeler_notify.bpmn", "modeler_route.dmn"]
    result = validate(*[(n, (FIXTURES / n).read_bytes()) for n in names])
    assert result.problems == []
    assert result.ok
    assert set(result.specs) == {"intake_demo", "notify_demo"}
    assert set(result.subprocess_specs["intake_demo"]) == {"notify_demo", "Sub_notice"}
    intake, notify = result.processes
    assert (intake.id, intake.file, intake.executable, intake.version_tag) == \
        ("intake_demo", "modeler_intake.bpmn", True, "2025-1")
    assert intake.called_elements == ["notify_demo"] and intake.decision_refs == ["route_demo"]
    assert intake.line == line_of((FIXTURES / names[0]).read_bytes(), '<bpmn:process id="intake_demo"')
    assert notify.startable_in_tasklist is False
    assert [(d.id, d.file, d.hit_policy) for d in result.decisions] == [("route_demo", "modeler_route.dmn", "FIRST")]
    # the parser now holds everything the deploy layer asks it for
    assert result.parser.get_spec("intake_demo") is result.specs["intake_demo"]
    assert set(result.parser.get_subprocess_specs("intake_demo")) == {"notify_demo", "Sub_notice"}


def test_processes_already_in_the_parser_resolve_call_activities():
    parser = XinfangParser()
    parser.add_bpmn_str((FIXTURES / "modeler_notify.bpmn").read_bytes(), "modeler_notify.bpmn")
    result = validate_resources([("modeler_intake.bpmn", (FIXTURES / "modeler_intake.bpmn").read_bytes()),
                                 ("modeler_route.dmn", (FIXTURES / "modeler_route.dmn").read_bytes())], parser)
    assert result.problems == [] and result.unresolved_calls == []
    assert "notify_demo" in result.subprocess_specs["intake_demo"]


def test_diagram_only_process_deploys_as_not_executable_whatever_it_contains():
    data = bpmn("""
        <bpmn:startEvent id="StartEvent" />
        <bpmn:businessRuleTask id="Rule" name="no decision here" />
        <bpmn:serviceTask id="Service" camunda:class="org.example.Java" />
        <bpmn:complexGateway id="Complex" />
    """, attrs='isExecutable="false"')
    result = validate(("sketch.bpmn", data))
    assert result.problems == []
    assert [(p.id, p.executable) for p in result.processes] == [("p", False)]
    assert [p.id for p in result.diagram_only] == ["p"]
    assert result.specs == {}


def test_process_without_is_executable_is_executable_and_says_so_only_when_it_fails():
    fine = validate(("a.bpmn", bpmn(SIMPLE, attrs="")))
    assert fine.problems == [] and fine.processes[0].executable and "p" in fine.specs

    broken = validate(("b.bpmn", bpmn(SIMPLE + '<bpmn:complexGateway id="G" />', attrs="")))
    warning = the_problem(broken, "p", "no isExecutable attribute")
    assert warning.severity == "warning"
    assert warning.hint == 'set isExecutable="false" to deploy it as a diagram that cannot be started'
    assert not broken.ok


# --------------------------------------------------------------------------- schema

def test_schema_error_is_located_at_its_line_and_element():
    data = bpmn(SIMPLE.replace('<bpmn:endEvent id="EndEvent">', '<bpmn:humanTask id="Human" />\n<bpmn:endEvent id="EndEvent">'))
    result = validate(("s.bpmn", data))
    problem = result.problems[0]
    assert problem.message.startswith("BPMN schema: Element 'bpmn:humanTask': This element is not expected.")
    assert (problem.line, problem.element_id) == (line_of(data, "humanTask"), "Human")
    assert "{http" not in problem.message


def test_schema_error_on_an_element_without_id_names_the_nearest_element_with_one():
    data = bpmn(SIMPLE.replace('<bpmn:incoming>F1</bpmn:incoming>', '<bpmn:incoming bogus="1">F1</bpmn:incoming>'))
    problem = validate(("s.bpmn", data)).problems[0]
    assert "attribute 'bogus': The attribute 'bogus' is not allowed" in problem.message
    assert (problem.line, problem.element_id) == (line_of(data, "bogus"), "Task")


def test_dmn_schema_error_is_reported_with_the_dmn_version():
    dmn = (FIXTURES / "modeler_route.dmn").read_bytes().replace(b'<output id="Output_route"',
                                                                   b'<output bogus="1" id="Output_route"')
    problem = validate(("r.dmn", dmn)).problems[0]
    assert problem.message.startswith("DMN 1.3 schema: Element 'dmn:output', attribute 'bogus'")
    assert (problem.line, problem.element_id) == (line_of(dmn, "bogus"), "Output_route")


# --------------------------------------------------------------------------- semantic checks

def test_business_rule_task_without_decision_ref_says_what_to_set():
    data = bpmn(chain("Rule") + '<bpmn:businessRuleTask id="Rule" name="分类" />')
    problem = the_problem(validate(("r.bpmn", data)), "Rule", "has no camunda:decisionRef")
    assert problem.message == "business rule task '分类' has no camunda:decisionRef, so there is no decision to run"
    assert problem.line == line_of(data, 'id="Rule"')
    assert "Decision reference" in problem.hint


def test_business_rule_task_with_an_unknown_decision_lists_the_known_ones():
    data = bpmn(chain("Rule") + '<bpmn:businessRuleTask id="Rule" camunda:decisionRef="nope" />')
    result = validate(("r.bpmn", data), ("route.dmn", (FIXTURES / "modeler_route.dmn").read_bytes()))
    problem = the_problem(result, "Rule", "decision 'nope'")
    assert problem.message == ("business rule task 'Rule' refers to decision 'nope', which no DMN file of this "
                               "deployment defines (decisions here: route_demo)")


def test_call_to_a_process_outside_the_deployment_is_reported_and_listed():
    data = bpmn(chain("Call") + '<bpmn:callActivity id="Call" calledElement="handling" />')
    result = validate(("c.bpmn", data))
    problem = the_problem(result, "Call", "calls process 'handling'")
    assert problem.line == line_of(data, 'id="Call"')
    assert [(c.file, c.element_id, c.process_id, c.called_element) for c in result.unresolved_calls] == [
        ("c.bpmn", "Call", "p", "handling")]
    assert result.processes[0].called_elements == ["handling"]


def test_call_to_an_already_deployed_key_is_listed_but_not_an_error():
    data = bpmn(chain("Call") + '<bpmn:callActivity id="Call" calledElement="handling" />')
    result = validate(("c.bpmn", data), known_process_keys=["handling"])
    assert result.problems == []
    assert [c.called_element for c in result.unresolved_calls] == ["handling"]
    assert result.unresolved_calls[0].problem().element_id == "Call"


def test_call_to_a_diagram_only_process_is_refused():
    caller = bpmn(chain("Call") + '<bpmn:callActivity id="Call" calledElement="sketch" />')
    sketch = bpmn(SIMPLE, pid="sketch", attrs='isExecutable="false"')
    problem = the_problem(validate(("c.bpmn", caller), ("s.bpmn", sketch)), "Call", "sketch")
    assert problem.message == "call activity 'Call' calls process 'sketch', which is marked isExecutable=\"false\" in s.bpmn"


def test_call_activity_without_called_element_is_refused():
    data = bpmn(chain("Call") + '<bpmn:callActivity id="Call" name="办理" />')
    assert the_problem(validate(("c.bpmn", data)), "Call", "no calledElement").message == \
        "call activity '办理' has no calledElement"


def test_sequence_flow_to_a_missing_element_is_reported_on_the_flow_even_in_a_diagram():
    body = SIMPLE.replace('targetRef="EndEvent"', 'targetRef="Gone"')
    for attrs in ('isExecutable="true"', 'isExecutable="false"'):
        data = bpmn(body, attrs=attrs)
        problem = the_problem(validate(("f.bpmn", data)), "F2", "targetRef")
        assert problem.message == "sequence flow targetRef 'Gone' does not exist"
        assert problem.line == line_of(data, 'id="F2"')


def test_sequence_flow_into_another_sub_process_is_reported():
    data = bpmn("""
        <bpmn:startEvent id="StartEvent" />
        <bpmn:subProcess id="Sub">
          <bpmn:startEvent id="Inner" />
        </bpmn:subProcess>
        <bpmn:sequenceFlow id="F1" sourceRef="StartEvent" targetRef="Inner" />
    """)
    problem = the_problem(validate(("f.bpmn", data)), "F1", "targetRef")
    assert problem.message == "sequence flow targetRef 'Inner' is a <bpmn:startEvent> outside this (sub-)process"


GATEWAY = """
    <bpmn:startEvent id="StartEvent" />
    <bpmn:{kind} id="G" name="受理？"{default} />
    <bpmn:endEvent id="A" /><bpmn:endEvent id="B" />
    <bpmn:sequenceFlow id="F0" sourceRef="StartEvent" targetRef="G" />
    <bpmn:sequenceFlow id="FA" name="是" sourceRef="G" targetRef="A">{cond_a}</bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="FB" name="否" sourceRef="G" targetRef="B">{cond_b}</bpmn:sequenceFlow>
"""


def gateway(kind="exclusiveGateway", default="", cond_a="", cond_b="") -> bytes:
    return bpmn(GATEWAY.format(kind=kind, default=f' default="{default}"' if default else "",
                               cond_a=cond_a, cond_b=cond_b))


@pytest.mark.parametrize("kind,word", [("exclusiveGateway", "exclusive"), ("inclusiveGateway", "inclusive")])
def test_gateway_flows_without_condition_and_no_default_are_each_reported(kind, word):
    data = gateway(kind)
    result = validate(("g.bpmn", data))
    assert [(p.element_id, p.line) for p in result.problems] == [("FA", line_of(data, 'id="FA"')),
                                                                 ("FB", line_of(data, 'id="FB"'))]
    assert result.problems[0].message == (f"sequence flow '是' leaves {word} gateway '受理？' without a condition "
                                          "and is not the gateway's default flow")


def test_gateway_with_a_condition_and_a_default_flow_passes():
    cond = '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${accepted}</bpmn:conditionExpression>'
    result = validate(("g.bpmn", gateway(default="FB", cond_a=cond)))
    assert result.problems == [] and "p" in result.specs


def test_gateway_default_flow_that_does_not_leave_it_is_reported():
    cond = '<bpmn:conditionExpression>${accepted}</bpmn:conditionExpression>'
    result = validate(("g.bpmn", gateway(default="F0", cond_a=cond, cond_b=cond)))
    assert the_problem(result, "G", "default flow").message == \
        "default flow 'F0' of exclusive gateway '受理？' does not leave this gateway"


def test_condition_that_does_not_compile_is_reported_at_the_condition_line():
    cond = '\n<bpmn:conditionExpression>${accepted &amp;&amp;}</bpmn:conditionExpression>'
    data = gateway(default="FB", cond_a=cond)
    problem = the_problem(validate(("g.bpmn", data)), "FA", "does not compile")
    assert problem.message == ("condition of sequence flow '是' does not compile: "
                               "syntax error: invalid syntax in '${accepted &&}'")
    assert problem.line == line_of(data, "${accepted")


def test_condition_in_another_script_language_is_refused():
    cond = '<bpmn:conditionExpression language="javascript">accepted</bpmn:conditionExpression>'
    problem = the_problem(validate(("g.bpmn", gateway(default="FB", cond_a=cond))), "FA", "javascript")
    assert problem.message == ("condition of sequence flow '是' is written in language 'javascript'; "
                               "only ${...} expressions and Python are supported")


def test_condition_on_a_flow_leaving_a_task_is_refused_as_ignored():
    data = bpmn(SIMPLE.replace('targetRef="EndEvent" />',
                               'targetRef="EndEvent"><bpmn:conditionExpression>${ok}</bpmn:conditionExpression>'
                               '</bpmn:sequenceFlow>'))
    problem = the_problem(validate(("t.bpmn", data)), "F2", "ignored")
    assert problem.message == "condition on sequence flow 'F2' leaving user task '登记' is ignored by this engine"
    assert "exclusive gateway" in problem.hint


def test_task_with_two_outgoing_flows_needs_a_gateway():
    data = bpmn(SIMPLE + '<bpmn:endEvent id="End2" />\n<bpmn:sequenceFlow id="F3" sourceRef="Task" targetRef="End2" />')
    problem = the_problem(validate(("t.bpmn", data)), "Task", "outgoing flows")
    assert problem.message == "user task '登记' has 2 outgoing flows; this engine does not split implicitly"


def timer(definition: str) -> bytes:
    return bpmn(chain("Wait") + f'<bpmn:intermediateCatchEvent id="Wait" name="等待">{definition}'
                                '</bpmn:intermediateCatchEvent>')


def test_timer_without_a_time_is_refused():
    data = timer('<bpmn:timerEventDefinition id="TD" />')
    problem = the_problem(validate(("t.bpmn", data)), "Wait", "has no time")
    assert problem.message == "timer intermediate catch event '等待' has no time"
    assert problem.line == line_of(data, 'id="TD"')
    assert "P15D" in problem.hint


def test_timer_with_an_empty_value_is_refused():
    problem = the_problem(validate(("t.bpmn", timer(
        '<bpmn:timerEventDefinition><bpmn:timeDuration> </bpmn:timeDuration></bpmn:timerEventDefinition>'))),
        "Wait", "empty")
    assert problem.message == "timeDuration of timer intermediate catch event '等待' is empty"


@pytest.mark.parametrize("kind,value,fragment", [
    ("timeDuration", "every monday", "syntax error"),
    ("timeDate", "P15D", "timeDate needs a date and time"),
    ("timeCycle", "0 0 9 * * ?", "looks like a cron expression"),
])
def test_timer_value_that_does_not_fit_its_kind_is_refused(kind, value, fragment):
    data = timer(f"<bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}></bpmn:timerEventDefinition>")
    problem = the_problem(validate(("t.bpmn", data)), "Wait", "does not compile")
    assert problem.message.startswith(f"{kind} of timer intermediate catch event '等待'")
    assert fragment in problem.message
    assert problem.line == line_of(data, value)


@pytest.mark.parametrize("value", ["P15D", "R3/P1D", "2026-12-01T09:00:00+08:00", "${clock_due(clock_handling)}"])
def test_timer_values_designers_write_pass(value):
    kind = {"P": "timeDuration", "R": "timeCycle", "2": "timeDate", "$": "timeDate"}[value[0]]
    result = validate(("t.bpmn", timer(f"<bpmn:timerEventDefinition><bpmn:{kind}>{value}</bpmn:{kind}>"
                                       "</bpmn:timerEventDefinition>")))
    assert result.problems == [] and "p" in result.specs


def test_candidate_groups_expression_that_does_not_compile_is_refused():
    data = bpmn(SIMPLE.replace("xfj:registrar", "${handling_unit:handler"))
    problem = the_problem(validate(("u.bpmn", data)), "Task", "candidateGroups")
    assert problem.message == ("camunda:candidateGroups of user task '登记' does not compile: "
                               "'${' at position 1 has no closing '}' in '${handling_unit:handler'")


def test_due_date_that_is_neither_a_date_nor_an_expression_is_refused():
    data = bpmn(SIMPLE.replace('camunda:candidateGroups="xfj:registrar"', 'camunda:dueDate="P15D"'))
    problem = the_problem(validate(("u.bpmn", data)), "Task", "dueDate")
    assert problem.message == "camunda:dueDate 'P15D' of user task '登记' is neither an ISO 8601 date-time nor an expression"


def test_user_task_expressions_designers_write_pass():
    data = bpmn(SIMPLE.replace('camunda:candidateGroups="xfj:registrar"',
                               'camunda:candidateGroups="${handling_unit}:handler" camunda:assignee="${registrar}" '
                               'camunda:dueDate="${due(&#39;handling&#39;)}" camunda:priority="70"'))
    assert validate(("u.bpmn", data)).problems == []


def message_catch(ref: str = "", message: str = "") -> bytes:
    return bpmn(chain("Catch") + '<bpmn:intermediateCatchEvent id="Catch" name="复查申请">'
                f'<bpmn:messageEventDefinition id="MD"{ref} /></bpmn:intermediateCatchEvent>', before=message)


def test_message_event_referring_to_an_undefined_message_is_refused():
    data = message_catch(' messageRef="Message_gone"')
    problem = the_problem(validate(("m.bpmn", data)), "Catch", "Message_gone")
    assert problem.message == ("message intermediate catch event '复查申请' refers to message 'Message_gone', "
                               "which is not defined in this file")
    assert problem.line == line_of(data, 'id="MD"')


def test_message_event_without_a_message_is_refused():
    problem = the_problem(validate(("m.bpmn", message_catch())), "Catch", "has no message")
    assert problem.message == "message intermediate catch event '复查申请' has no message"


def test_message_without_a_name_cannot_be_correlated():
    data = message_catch(' messageRef="M"', '  <bpmn:message id="M" />\n')
    problem = the_problem(validate(("m.bpmn", data)), "M", "has no name")
    assert problem.message == "message 'M' used by message intermediate catch event '复查申请' has no name"
    assert problem.line == line_of(data, '<bpmn:message id="M"')


def test_named_message_passes():
    result = validate(("m.bpmn", message_catch(' messageRef="M"', '  <bpmn:message id="M" name="review_request" />\n')))
    assert result.problems == [] and "p" in result.specs


@pytest.mark.parametrize("element,element_id,message", [
    ('<bpmn:complexGateway id="X" />', "X", "complex gateways are not supported"),
    ('<bpmn:serviceTask id="X" camunda:class="org.example.Mail" />', "X",
     "service tasks are not supported: this engine has no Java delegates, connectors or external-task workers "
     "to run them"),
    ('<bpmn:sendTask id="X" camunda:type="external" camunda:topic="mail" />', "X",
     "send task 'X' is implemented by an external task, which this engine cannot run"),
    ('<bpmn:businessRuleTask id="X" camunda:class="org.example.Rule" />', "X",
     "business rule task 'X' is implemented by camunda:class; only DMN decisions can be run"),
    ('<bpmn:scriptTask id="X" scriptFormat="javascript"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>', "X",
     "script task 'X' is written in 'javascript'; this engine runs Python scripts only"),
    ('<bpmn:scriptTask id="X" camunda:resource="deployment://a.py" />', "X",
     "script task 'X' loads its script from 'deployment://a.py'; external scripts are not supported"),
    ('<bpmn:task id="X" isForCompensation="true" />', "X", "compensation handlers are not supported"),
    ('<bpmn:intermediateThrowEvent id="X"><bpmn:linkEventDefinition name="a" /></bpmn:intermediateThrowEvent>', "X",
     "link intermediate throw events are not supported (intermediate throw event 'X')"),
    ('<bpmn:endEvent id="X"><bpmn:signalEventDefinition /></bpmn:endEvent>', "X",
     "signal end events are not supported (end event 'X')"),
    ('<bpmn:task id="X"><bpmn:extensionElements><camunda:executionListener event="start" '
     'class="org.example.L" /></bpmn:extensionElements></bpmn:task>', "X",
     "camunda:executionListener of task 'X': execution listeners are not run by this engine"),
    ('<bpmn:userTask id="X" camunda:candidateGroups="a:b"><bpmn:potentialOwner><bpmn:resourceAssignmentExpression>'
     '<bpmn:formalExpression>clerks</bpmn:formalExpression></bpmn:resourceAssignmentExpression>'
     '</bpmn:potentialOwner></bpmn:userTask>', "X", "BPMN potentialOwner of user task 'X' is ignored by this engine"),
    ('<bpmn:dataStoreReference id="X" />', "X", "data stores are not supported"),
])
def test_unsupported_element_is_named_with_what_to_use_instead(element, element_id, message):
    data = bpmn(SIMPLE + element)
    problem = the_problem(validate(("u.bpmn", data)), element_id, message)
    assert problem.message == message
    assert problem.line == line_of(data, f'id="{element_id}"')
    assert problem.hint


def test_error_start_event_of_an_event_sub_process_is_refused_on_the_event():
    data = bpmn(SIMPLE + """
        <bpmn:subProcess id="Handler" triggeredByEvent="true">
          <bpmn:startEvent id="OnError" name="出错"><bpmn:errorEventDefinition id="ED" /></bpmn:startEvent>
          <bpmn:endEvent id="HandlerEnd" />
          <bpmn:sequenceFlow id="H1" sourceRef="OnError" targetRef="HandlerEnd" />
        </bpmn:subProcess>
    """)
    problem = the_problem(validate(("e.bpmn", data)), "OnError", "error start events")
    assert problem.message == "error start events are not supported (start event '出错')"
    assert problem.line == line_of(data, 'id="ED"')


def test_call_activity_variable_mappings_are_refused_but_all_variables_pass():
    mapped = bpmn(chain("Call") + '<bpmn:callActivity id="Call" calledElement="p2"><bpmn:extensionElements>'
                                  '<camunda:in source="a" target="b" /></bpmn:extensionElements></bpmn:callActivity>')
    problem = the_problem(validate(("c.bpmn", mapped), known_process_keys=["p2"]), "Call", "mapping")
    assert problem.hint == 'use <camunda:in variables="all"/> (or remove the mapping)'
    all_vars = mapped.replace(b'source="a" target="b"', b'variables="all"')
    assert validate(("c.bpmn", all_vars), known_process_keys=["p2"]).problems == []


def test_camunda8_and_activiti_extensions_are_named_on_their_element():
    camunda8 = bpmn(SIMPLE.replace('<bpmn:incoming>F1</bpmn:incoming>',
                                   '<bpmn:extensionElements><zeebe:assignmentDefinition candidateGroups="a" />'
                                   '</bpmn:extensionElements><bpmn:incoming>F1</bpmn:incoming>')
                    .replace('camunda:candidateGroups="xfj:registrar"',
                             'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"'))
    problem = the_problem(validate(("z.bpmn", camunda8)), "Task", "zeebe:assignmentDefinition")
    assert problem.message == "Camunda 8 extension zeebe:assignmentDefinition of user task '登记' is not read by this engine"
    assert problem.line == line_of(camunda8, "zeebe:assignmentDefinition")

    activiti = bpmn(SIMPLE).replace(b"http://camunda.org/schema/1.0/bpmn", b"http://activiti.org/bpmn")
    problem = the_problem(validate(("a.bpmn", activiti)), "Task", "Activiti")
    assert problem.message == ("camunda:candidateGroups on user task '登记' uses the legacy Activiti namespace "
                               "(http://activiti.org/bpmn), which this engine does not read")
    assert problem.hint.startswith('declare xmlns:camunda="http://camunda.org/schema/1.0/bpmn" instead (line 2)')


def script(text: str) -> bytes:
    return bpmn(chain("S") + f'<bpmn:scriptTask id="S" name="记录" scriptFormat="python">\n<bpmn:script>{text}'
                             "</bpmn:script></bpmn:scriptTask>")


def test_script_task_without_a_script_is_refused():
    problem = the_problem(validate(("s.bpmn", script(""))), "S", "no script")
    assert problem.message == "script task '记录' has no script"


def test_python_syntax_error_is_reported_on_its_line_in_the_file():
    data = script("a = 1\nb = (\nc = 3")
    problem = the_problem(validate(("s.bpmn", data)), "S", "syntax error")
    assert problem.message.startswith("Python syntax error in script task '记录': ")
    assert problem.line == line_of(data, "b = (")


def test_sandbox_escapes_in_scripts_are_refused_at_deploy():
    data = script("x = 1\nos = __import__('os')")
    problem = the_problem(validate(("s.bpmn", data)), "S", "refused")
    assert "'__import__' is not allowed" in problem.message
    assert problem.line == line_of(data, "__import__")


def test_multi_instance_without_cardinality_or_collection_is_refused():
    data = bpmn(SIMPLE.replace('<bpmn:incoming>F1</bpmn:incoming>',
                               '<bpmn:incoming>F1</bpmn:incoming><bpmn:multiInstanceLoopCharacteristics id="MI" />'))
    problem = the_problem(validate(("m.bpmn", data)), "Task", "multi-instance")
    assert problem.message == "multi-instance user task '登记' has neither a loop cardinality nor a collection"
    assert problem.line == line_of(data, 'id="MI"')


def test_loop_without_condition_or_maximum_is_refused():
    data = bpmn(SIMPLE.replace('<bpmn:incoming>F1</bpmn:incoming>',
                               '<bpmn:incoming>F1</bpmn:incoming><bpmn:standardLoopCharacteristics />'))
    problem = the_problem(validate(("l.bpmn", data)), "Task", "loop")
    assert problem.message == "loop user task '登记' has neither a loop condition nor a loop maximum"


def test_empty_sub_process_is_refused():
    data = bpmn(chain("Sub") + '<bpmn:subProcess id="Sub" name="紧急处置" />')
    result = validate(("s.bpmn", data))
    assert [p.message for p in problems_at(result, "Sub")] == [
        "sub process '紧急处置' needs exactly one start event; it has 0",
        "sub process '紧急处置' has no end event"]


def test_boundary_event_without_a_definition_or_a_host_is_refused():
    data = bpmn(SIMPLE + '<bpmn:boundaryEvent id="B" attachedToRef="EndEvent" />')
    result = validate(("b.bpmn", data))
    assert [p.message for p in problems_at(result, "B")] == [
        "boundary event 'B' has no event definition, so it would wait for nothing",
        "boundary event 'B' is attached to 'EndEvent', which is not an activity of the same (sub-)process"]


def test_ids_the_workflow_engine_uses_itself_are_refused():
    data = bpmn(SIMPLE.replace('id="StartEvent"', 'id="Start"').replace('sourceRef="StartEvent"', 'sourceRef="Start"'))
    problem = the_problem(validate(("r.bpmn", data)), "Start", "reserved")
    assert problem.message == "id 'Start' of start event 'Start' is reserved by the workflow engine"
    assert problem.line == line_of(data, 'id="Start"')


def test_process_without_start_event_is_refused():
    data = bpmn('<bpmn:task id="T" />')
    problem = the_problem(validate(("n.bpmn", data)), "p", "no start event")
    assert problem.message == "executable process 'p' has no start event"


def test_the_same_process_id_in_two_files_is_refused():
    result = validate(("a.bpmn", bpmn(SIMPLE)), ("b.bpmn", bpmn(SIMPLE)))
    problem = the_problem(result, "p", "also defined")
    assert (problem.file, problem.message) == ("b.bpmn", "process id 'p' is also defined in a.bpmn")


def test_form_definition_refused_by_forms_is_reported_on_its_field():
    data = bpmn(SIMPLE.replace('<bpmn:incoming>F1</bpmn:incoming>',
                               '<bpmn:extensionElements><camunda:formData>\n'
                               '<camunda:formField id="kind" label="种类" type="enum" />\n'
                               '</camunda:formData></bpmn:extensionElements><bpmn:incoming>F1</bpmn:incoming>'))
    problem = the_problem(validate(("f.bpmn", data)), "Task", "form field 'kind'")
    assert problem.message.startswith("form field 'kind' of user task '登记': ")
    assert problem.line == line_of(data, 'id="kind"')


# --------------------------------------------------------------------------- SpiffWorkflow's own refusals

def test_what_only_spiffworkflow_refuses_is_located_and_worded():
    data = bpmn(SIMPLE + '<bpmn:boundaryEvent id="Cancel" attachedToRef="Task"><bpmn:cancelEventDefinition />'
                         '</bpmn:boundaryEvent>')
    result = validate(("c.bpmn", data))
    task_line = line_of(data, 'id="Task"')
    assert [str(p) for p in result.problems] == [
        f"c.bpmn:{task_line} [Task]: Cancel Events may only be used with transactions — "
        "SpiffWorkflow could not build this element; correct it as the message says, or open the file in "
        "Camunda Modeler (Camunda Platform 7) and save it again"]
    assert result.specs == {}


def test_key_errors_and_reprs_are_put_into_words():
    assert humanize("KeyError('{http://camunda.org/schema/1.0/bpmn}decisionRef')") == \
        "required attribute camunda:decisionRef is missing"
    assert humanize("Cannot resolve dataInputAssociation <Element {http://www.omg.org/spec/BPMN/20100524/MODEL}"
                    "sourceRef at 0x7f55>") == "Cannot resolve dataInputAssociation <bpmn:sourceRef>"
    assert humanize("NotImplementedError('Unsupported Catch Event: %r', b'<bpmn:boundaryEvent id=\"x\"/>')") == \
        "NotImplementedError('Unsupported Catch Event: %r'"


def test_a_failing_check_becomes_a_problem_and_other_files_are_still_checked(monkeypatch):
    from engine.validation import bpmn as checks

    def broken(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(checks.BpmnChecks, "run", broken)
    result = validate(("a.bpmn", bpmn(SIMPLE)), ("r.dmn", (FIXTURES / "modeler_route.dmn").read_bytes().replace(
        b'hitPolicy="FIRST"', b'hitPolicy="OUTPUT ORDER"')))
    assert [(p.file, p.message) for p in result.problems] == [
        ("a.bpmn", "internal error while checking this file: RuntimeError: boom"),
        ("r.dmn", "hit policy OUTPUT ORDER of decision 'route_demo' is not supported")]


def test_problems_are_ordered_by_file_then_line_and_given_once():
    later = bpmn(SIMPLE.replace("xfj:registrar", "${a") + '<bpmn:complexGateway id="X" />')
    result = validate(("b.bpmn", later), ("a.bpmn", bpmn('<bpmn:task id="T" />', pid="q")))
    assert [(p.file, p.element_id) for p in result.problems] == [("b.bpmn", "Task"), ("b.bpmn", "X"), ("a.bpmn", "q")]
    assert len({(p.file, p.line, p.element_id, p.message) for p in result.problems}) == len(result.problems)


# --------------------------------------------------------------------------- DMN
# XinfangParser evaluates decision tables with engine.dmn, whose reader reports what it
# cannot run; these tests pin that such problems reach the deployment located at their
# element.  With SpiffWorkflow's own DMN engine (a plain CamundaParser) the checks of
# engine/validation/dmn.py apply instead.

def route(old: bytes = b"", new: bytes = b"") -> bytes:
    return (FIXTURES / "modeler_route.dmn").read_bytes().replace(old, new)


def dmn_problems(data: bytes, parser=None) -> list[Problem]:
    return validate_resources([("route.dmn", data)], parser or XinfangParser()).problems


def test_rule_with_too_few_input_entries_is_refused_on_the_rule():
    data = route(b'<inputEntry id="UnaryTests_1b">\n          <text>[1..30]</text>\n        </inputEntry>', b"")
    [problem] = dmn_problems(data)
    assert "rule 1 has 1 input entries for 2 input columns" in problem.message
    assert (problem.file, problem.element_id, problem.line) == ("route.dmn", "Rule_1", line_of(data, 'id="Rule_1"'))


def test_input_entry_that_is_not_feel_is_refused_on_its_line():
    data = route(b"[1..30]", b"[1..")
    [problem] = dmn_problems(data)
    assert problem.message.startswith("input entry '[1..' of rule 1")
    assert (problem.element_id, problem.line) == ("Rule_1", line_of(data, 'id="UnaryTests_1b"'))


def test_output_entry_that_does_not_compile_is_refused_on_its_line():
    data = route(b"<text>6</text>", b"<text>6 +</text>")
    [problem] = dmn_problems(data)
    assert problem.message.startswith("output entry '6 +' of rule 1")
    assert problem.line == line_of(data, 'id="LiteralExpression_1"')


def test_hit_policy_the_decision_engine_cannot_evaluate_is_refused():
    data = route(b'hitPolicy="FIRST"', b'hitPolicy="OUTPUT ORDER"')
    [problem] = dmn_problems(data)
    assert problem.message == "hit policy OUTPUT ORDER of decision 'route_demo' is not supported"
    assert (problem.element_id, problem.line) == ("DecisionTable_route", line_of(data, "OUTPUT ORDER"))


def test_every_decision_of_a_file_is_read_and_a_literal_expression_is_refused():
    data = route(b"  <dmndi:DMNDI>", b'  <decision id="second" name="2"><literalExpression id="L"><text>1</text>'
                                     b"</literalExpression></decision>\n  <dmndi:DMNDI>")
    result = validate(("route.dmn", data))
    assert [d.id for d in result.decisions] == ["route_demo", "second"]
    problem = the_problem(result, "second", "literal expression")
    assert problem.line == line_of(data, 'id="second"')


def test_decision_file_without_decisions_is_refused():
    data = b'<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x" />'
    [problem] = dmn_problems(data)
    assert problem.message == "the DMN file defines no decision"


@pytest.mark.parametrize("old,new,message,element_id", [
    (b'hitPolicy="FIRST"', b'hitPolicy="PRIORITY"', "hit policy PRIORITY of decision 'route_demo' is not supported",
     "DecisionTable_route"),
    (b'hitPolicy="FIRST"', b'hitPolicy="COLLECT" aggregation="SUM"',
     "hit policy COLLECT SUM of decision 'route_demo' is not supported", "DecisionTable_route"),
    (b'<inputEntry id="UnaryTests_1b">\n          <text>[1..30]</text>\n        </inputEntry>', b"",
     "rule 1 of decision 'route_demo' has 1 input entries for 2 input columns", "Rule_1"),
    (b"<text>category</text>", b"<text></text>", "input column '类别' has no expression", "Input_category"),
    (b'name="route" typeRef', b'typeRef', "output column '途径' has no name", "Output_route"),
    (b'<rule id="Rule_2">', b"<rule>", "<dmn:rule> has no id", None),
])
def test_spiffworkflows_own_dmn_engine_gets_its_limits_checked(old, new, message, element_id):
    from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

    data = route(old, new)
    problems = dmn_problems(data, CamundaParser())
    assert [p.message for p in problems] == [message]
    assert problems[0].element_id == (element_id or "DecisionTable_route")


def test_spiffworkflows_own_dmn_parser_refusal_is_located_at_the_cell():
    from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

    data = route(b"<text>6</text>", b"<text>6 +</text>")
    [problem] = dmn_problems(data, CamundaParser())
    assert problem.message.startswith("Malformed Output Expression '6 +'.")
    assert (problem.element_id, problem.line) == ("LiteralExpression_1", line_of(data, 'id="LiteralExpression_1"'))


# --------------------------------------------------------------------------- never a traceback

def test_process_without_an_id_is_refused():
    data = bpmn(SIMPLE).replace(b'<bpmn:process id="p" ', b"<bpmn:process ")
    problem = validate(("n.bpmn", data)).problems[0]
    assert (problem.message, problem.line) == ("a process has no id", line_of(data, "<bpmn:process"))


class _RaisingParser(XinfangParser):
    """A parser that fails the way a buggy extension or SpiffWorkflow itself might."""

    def __init__(self, on: str, error: Exception):
        super().__init__()
        self.on, self.error = on, error

    def add_bpmn_xml(self, bpmn, filename=None):
        if self.on == "add":
            raise self.error
        return super().add_bpmn_xml(bpmn, filename)

    def get_spec(self, process_id, required=True):
        if self.on == "build":
            raise self.error
        return super().get_spec(process_id, required)


@pytest.mark.parametrize("on,error,line_needle,element_id,message", [
    ("add", KeyError("{http://camunda.org/schema/1.0/bpmn}decisionRef"), "<bpmn:definitions", "Defs",
     "required attribute camunda:decisionRef is missing"),
    ("build", TypeError("unhashable type: 'list'"), '<bpmn:process id="p"', "p", "TypeError: unhashable type: 'list'"),
    ("build", AttributeError("'NoneType' object has no attribute 'get'"), '<bpmn:process id="p"', "p",
     "AttributeError: 'NoneType' object has no attribute 'get'"),
])
def test_any_exception_of_the_parser_becomes_a_located_problem(on, error, line_needle, element_id, message):
    data = bpmn(SIMPLE)
    result = validate_resources([("a.bpmn", data)], _RaisingParser(on, error))
    [problem] = result.problems
    assert (problem.file, problem.line, problem.element_id, problem.message) == \
        ("a.bpmn", line_of(data, line_needle), element_id, message)
    assert result.specs == {}


def test_truncated_modeler_files_never_raise_and_never_pass():
    names = ["modeler_intake.bpmn", "modeler_notify.bpmn", "modeler_route.dmn"]
    whole = {n: (FIXTURES / n).read_bytes() for n in names}
    for name, data in whole.items():
        for cut in range(0, len(data), max(1, len(data) // 40)):
            resources = [(n, data[:cut] if n == name else d) for n, d in whole.items()]
            result = validate_resources(resources, XinfangParser())
            assert all(p.file in whole and p.message for p in result.problems)
            if cut < len(data.rstrip()):
                assert not result.ok, (name, cut)
