"""Every BPMN MIWG reference model either deploys or is refused at the right element.

The models are kept in ``tests/fixtures/miwg`` (source and licence in its README).  The
outcome of each file is written down below after reading it: the A/B models and C.2.0,
C.8.0 are diagrams (every process isExecutable="false") and deploy as such; the C models
with executable processes are refused, and for each a few of the reasons are pinned to
their element and line.  Every other problem reported for a file must still point into
the element it names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from lxml import etree

from engine.parser import XinfangParser
from engine.validation import ValidationResult, validate_resources


MIWG = Path(__file__).resolve().parent / "fixtures" / "miwg"


@dataclass
class Deploys:
    """Validates cleanly; these processes are diagrams only, these are executable and build."""

    diagrams: list[str]
    executable: list[str] = field(default_factory=list)


@dataclass
class Refused:
    """Refused; each (element id, line, words) must be among the problems, as an error."""

    reasons: list[tuple[str, int, str]]


EXPECTED = {
    "A.1.0.bpmn": Deploys(diagrams=["WFP-6-"]),
    "A.2.0.bpmn": Deploys(diagrams=["WFP-6-"]),
    "A.2.1.bpmn": Deploys(diagrams=["_To9ZoTOCEeSknpIVFCxNIQ"]),
    "A.3.0.bpmn": Deploys(diagrams=["WFP-6-"]),
    "A.4.0.bpmn": Deploys(diagrams=["WFP-6-1", "WFP-6-2"]),
    "A.4.1.bpmn": Deploys(diagrams=["sid-34746A54-1D7D-46CA-B219-0C4CEAE51170",
                                    "sid-54D696FD-DEDC-45F3-99DB-1404DA433FC4"]),
    # Data stores, a global task and everything SpiffWorkflow cannot parse sit in diagrams.
    "B.1.0.bpmn": Deploys(diagrams=["Process_ba16239e-181e-4b9f-bc5b-0bb2ee973450", "WFP-6-1", "WFP-6-2",
                                    "WFP-0-"]),
    "B.2.0.bpmn": Deploys(diagrams=["Process_ba16239e-181e-4b9f-bc5b-0bb2ee973450", "WFP-6-1", "WFP-6-2",
                                    "WFP-0-"]),
    # Executable invoice process: Activiti-namespace attributes, BPMN resource roles and a
    # Java-delegate service task.
    "C.1.0.bpmn": Refused([
        ("archiveInvoice", 570, "service tasks are not supported"),
        ("approveInvoice", 411, "camunda:assignee, camunda:formKey on user task 'Approve Invoice' uses the legacy "
                                "Activiti namespace"),
        ("approveInvoice", 432, "BPMN potentialOwner of user task 'Approve Invoice' is ignored"),
    ]),
    # The same process with XPath conditions: not executable as written.
    "C.1.1.bpmn": Refused([
        ("invoiceApproved", 298, "condition of sequence flow 'yes' does not compile"),
        ("invoiceNotApproved", 308, "invalid syntax in 'not(bpmn:getDataObject('approved'))'"),
        ("reviewNotSuccessful", 328, "invalid syntax in 'bpmn:getDataObject('clarified') = 'no''"),
        ("archiveInvoice", 252, "service tasks are not supported"),
    ]),
    "C.2.0.bpmn": Deploys(diagrams=["WFP-Page_1-1", "WFP-Page_1-2", "WFP-Page_1-3", "WFP-Page_1-4"]),
    # An empty collapsed sub-process, gateways without conditions, a condition in prose.
    "C.3.0.bpmn": Refused([
        ("_cd6f230f-13c3-4027-aa3e-57de601a1ab2", 244,
         "sub process 'Perform emergency repair' needs exactly one start event; it has 0"),
        ("_b99800c3-c340-460c-a43e-098014a365d0", 277,
         "sequence flow 'Warranty' leaves exclusive gateway 'Service type' without a condition"),
        ("_be893987-caec-4605-b078-bd96b7cd6c12", 336, "invalid syntax in 'Service Level == 'Premium''"),
    ]),
    # No isExecutable attribute: executable (as in Camunda 7), and not runnable.
    "C.4.0.bpmn": Refused([
        ("_f00a95f6-043e-4ec1-8731-153a707e950c", 107, "data stores are not supported"),
        ("_fe77c2f2-278f-4752-9d03-aa0c8a12af1e", 142,
         "message intermediate catch event 'Input from Payroll ready' has no message"),
        ("_788443d9-65f0-43a4-96a8-63e8d6f380a7", 324,
         "loop manual task 'Clarify missing points' has neither a loop condition nor a loop maximum"),
    ]),
    "C.5.0.bpmn": Refused([
        ("_8055ae64-cafd-4fd0-be36-2216e3b02e37", 292, "signal end events are not supported"),
        ("_ffd44905-4f54-4fe0-a156-0312c2a7a3cc", 370, "data stores are not supported"),
        ("_fcb09e30-bfe6-46b9-af01-6777c60026f2", 433,
         "sequence flow 'Individual Person' leaves exclusive gateway 'Legal entity or individual?' without"),
    ]),
    # Compensation throughout; timers without a date.
    "C.6.0.bpmn": Refused([
        ("_87baeef0-f32e-4a93-b802-fdd588aaf729", 28, "timeDate of timer intermediate catch event '24 Hours' is empty"),
        ("_44e3f1fa-42cd-40b7-9980-a51ac49d5fa3", 54, "message start event 'Receive Travel Request' has no message"),
        ("_3a2f133c-3ae1-4e21-94b5-6e8cf51acd74", 119, "compensation handlers are not supported"),
        ("_b25ecc7c-4eff-4a70-96f2-6b2f94cf19b1", 130, "compensate boundary events are not supported"),
    ]),
    # Raw SpiffWorkflow answers this one with KeyError: '{...camunda...}decisionRef'.
    "C.7.0.bpmn": Refused([
        ("_eae674ce-4d6e-48ac-819c-c79e0868e40d", 149,
         "business rule task 'Select other platforms' has no camunda:decisionRef"),
        ("_a36ddf2f-23c1-46c5-86d4-bd2a0eb42535", 190,
         "multi-instance service task 'Publish on other platforms' has neither a loop cardinality nor a collection"),
        ("_392c86ba-38b5-4dc9-b98d-f97ad4c2add5", 58, "BPMN performer of user task 'Write description' is ignored"),
    ]),
    # Diagram of the vacation request; its business rule task without decisionRef does not matter.
    "C.8.0.bpmn": Deploys(diagrams=["VacationRequestProcess"]),
    "C.8.1.bpmn": Refused([
        ("_1a818a94-ba6f-413b-a7e8-6f8fd2a11e32", 303,
         "business rule task 'Vacation Approval' has no camunda:decisionRef"),
        ("_0a1c4f20-509f-4aeb-baf9-acc762f4fdf9", 996,
         "condition of sequence flow 'Manual Validation Required' is written in language "
         "'https://www.omg.org/spec/DMN/20191111/FEEL/'"),
        ("VacationRequestProcess", 112, "Camunda 8 extension zeebe:userTaskForm of process 'Vacation Request'"),
    ]),
    # Camunda 8 models: FEEL conditions, job workers, zeebe extensions.
    "C.9.0.bpmn": Refused([
        ("SequenceFlow_ApplicationAccepted", 99, "invalid syntax in '= approved'"),
        ("StartErrorEvent_Timeout", 126, "error start events are not supported (start event 'Timeout')"),
        ("Activity_ManualCheck", 174, "calls process 'ManualCheck', which is neither in this deployment"),
        ("BusinessRuleTask_CheckApplicationAutomatically", 268,
         "business rule task 'Check application automatically' has no camunda:decisionRef"),
    ]),
    # User task, receive task with daily and 7-day timers pass; the e-mails are external tasks.
    "C.9.1.bpmn": Refused([
        ("SendTask_RequestDocument", 12,
         "send task 'Request document' is implemented by an external task, which this engine cannot run"),
        ("SendTask_SendReminderEmail", 22,
         "send task 'Send reminder email' is implemented by an external task, which this engine cannot run"),
    ]),
    "C.9.2.bpmn": Refused([
        ("UserTask_DecideOnApplication", 82, "Camunda 8 extension zeebe:assignmentDefinition"),
        ("CallActivity_RequestDocument", 110, "calls process 'requestDocument_en', which is neither"),
        ("CallActivity_RequestDocument", 116,
         "multi-instance call activity 'Document Request' has neither a loop cardinality nor a collection"),
        ("SequenceFlow_Yes", 165, "invalid syntax in '=fraud'"),
    ]),
}
RAW_SPIFF_LEAKS = re.compile(r"KeyError|Traceback|ValidationException|\{http|<Element |0x[0-9a-f]{6,}")


def _validate(*names: str) -> ValidationResult:
    return validate_resources([(n, (MIWG / n).read_bytes()) for n in names], XinfangParser())


def _element_span(root, element_id: str) -> tuple[int, int]:
    """First and last line of the element: from its start tag to where the next element begins."""
    elements = [el for el in root.iter() if isinstance(el.tag, str)]
    for i, el in enumerate(elements):
        if el.get("id") == element_id:
            inside = {id(d) for d in el.iter()}
            following = next((e for e in elements[i:] if id(e) not in inside), None)
            return el.sourceline, following.sourceline if following is not None else 10**9
    raise AssertionError(f"no element with id {element_id!r}")


def test_the_conformance_folder_holds_exactly_the_files_with_a_written_down_outcome():
    assert sorted(p.name for p in MIWG.glob("*.bpmn")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_miwg_file_deploys_or_is_refused_at_the_right_element(name):
    result = _validate(name)
    expected = EXPECTED[name]
    root = etree.parse(str(MIWG / name)).getroot()
    for problem in result.problems:
        assert problem.file == name
        assert not RAW_SPIFF_LEAKS.search(problem.message), problem.message
        assert problem.line and problem.element_id and problem.hint, str(problem)
        first, last = _element_span(root, problem.element_id)
        assert first <= problem.line <= last, f"{problem} points outside lines {first}-{last}"

    if isinstance(expected, Deploys):
        assert result.problems == []
        assert [p.id for p in result.processes if not p.executable] == expected.diagrams
        assert sorted(result.specs) == sorted(expected.executable)
    else:
        assert not result.ok
        errors = {(p.element_id, p.line, p.message) for p in result.problems if p.severity == "error"}
        for element_id, line, words in expected.reasons:
            assert any(e == element_id and ln == line and words in m for e, ln, m in errors), \
                f"missing {element_id}:{line} {words!r} in {sorted(errors, key=lambda e: e[1])}"
        assert result.specs == {}


def test_c91_and_c92_deployed_together_resolve_their_call_activity():
    result = _validate("C.9.1.bpmn", "C.9.2.bpmn")
    assert result.unresolved_calls == []
    assert not any("requestDocument_en" in p.message for p in result.problems)
    assert [(p.id, p.file) for p in result.processes] == [("requestDocument_en", "C.9.1.bpmn"),
                                                          ("ManualCheck", "C.9.2.bpmn")]


def test_every_conformance_file_is_validated_quickly():
    import time

    started = time.perf_counter()
    for name in EXPECTED:
        _validate(name)
    assert time.perf_counter() - started < 10
