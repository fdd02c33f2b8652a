"""What this engine can run: semantic checks of BPMN documents, element by element.

Every check reports the element a designer has to change, the line it is on and a
hint what to change it to.  The checks run on lxml trees before SpiffWorkflow sees the
file, so a problem is reported in the designer's words rather than as whatever
SpiffWorkflow would raise (or, worse, silently ignore) while building the spec.
"""
from __future__ import annotations

import datetime as dt
import re

from engine.groups import split_names, unknown_group, valid_names
from engine.validation.common import (
    ACTIVITI_NS, BPMN_NS, CAMUNDA_NS, MODELER_NS, RESAVE_HINT, ZEEBE_NS, Deployment, Document, c,
    expression_error, label, local, nearest_id, ns, q, short_name, text_of,
)
from engine.validation.results import CallReference

FLOW_NODES = frozenset({
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    "implicitThrowEvent", "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask",
    "receiveTask", "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway",
})
SCOPES = frozenset({"subProcess", "transaction", "adHocSubProcess"})
GATEWAYS = frozenset({"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway",
                      "complexGateway"})
ACTIVITIES = frozenset({"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask",
                        "receiveTask", "businessRuleTask", "callActivity", "subProcess", "transaction",
                        "adHocSubProcess"})
EVENT_DEFINITIONS = ("messageEventDefinition", "timerEventDefinition", "signalEventDefinition",
                     "errorEventDefinition", "escalationEventDefinition", "conditionalEventDefinition",
                     "cancelEventDefinition", "terminateEventDefinition", "compensateEventDefinition",
                     "linkEventDefinition")
# The event definitions SpiffWorkflow's parsers read per event type; any other one is
# silently dropped by SpiffWorkflow (the event would behave as a plain one).
SUPPORTED_EVENT_DEFINITIONS = {
    "startEvent": {"messageEventDefinition", "signalEventDefinition", "timerEventDefinition",
                   "conditionalEventDefinition"},
    "endEvent": {"messageEventDefinition", "cancelEventDefinition", "errorEventDefinition",
                 "escalationEventDefinition", "terminateEventDefinition"},
    "intermediateCatchEvent": {"messageEventDefinition", "signalEventDefinition", "timerEventDefinition",
                               "conditionalEventDefinition"},
    "intermediateThrowEvent": {"escalationEventDefinition", "messageEventDefinition", "signalEventDefinition"},
    "boundaryEvent": {"cancelEventDefinition", "errorEventDefinition", "escalationEventDefinition",
                      "messageEventDefinition", "signalEventDefinition", "timerEventDefinition",
                      "conditionalEventDefinition"},
}
EVENT_WORDS = {"startEvent": "start event", "endEvent": "end event",
               "intermediateCatchEvent": "intermediate catch event",
               "intermediateThrowEvent": "intermediate throw event", "boundaryEvent": "boundary event"}
DEFINITION_WORDS = {d: d.replace("EventDefinition", "") for d in EVENT_DEFINITIONS}

UNSUPPORTED_ELEMENTS = {
    "complexGateway": ("complex gateways are not supported",
                       "use an inclusive gateway with a condition on each outgoing flow"),
    "serviceTask": ("service tasks are not supported: this engine has no Java delegates, connectors or "
                    "external-task workers to run them",
                    "do the work in a scriptTask (Format: python), or give it to a person as a userTask"),
    "dataStoreReference": ("data stores are not supported", "keep the data in process variables"),
    "implicitThrowEvent": ("implicit throw events are not supported", "use an intermediate throw event"),
}
TASK_IMPLEMENTATIONS = ("class", "delegateExpression", "expression", "type")
# Camunda 7 extension elements SpiffWorkflow ignores; running the model anyway would
# silently drop what the designer asked for.  The lead's parser may learn some of
# them: remove an entry here when it does.
UNSUPPORTED_CAMUNDA_ELEMENTS = {
    "executionListener": ("execution listeners are not run by this engine",
                          "move the listener's work into a scriptTask (Format: python) on the path"),
    "taskListener": ("task listeners are not run by this engine",
                     "put a scriptTask (Format: python) before or after the user task"),
    "connector": ("Camunda connectors (HTTP/SOAP) are not available",
                  "have the external system deliver its answer as a message to the case"),
    "inputOutput": ("input/output variable mappings are ignored by this engine",
                    "set the variables in a scriptTask (Format: python) before or after this element"),
    "formProperty": ("legacy camunda:formProperty forms are not read",
                     "define the form as Form fields (camunda:formData) in the Forms tab"),
    "script": ("scripts inside Camunda extension elements are not run",
               "use a scriptTask (Format: python)"),
}
ZEEBE_HINTS = {
    "taskDefinition": "job workers do not exist here; use a scriptTask (Format: python) or a userTask",
    "assignmentDefinition": "set camunda:assignee / camunda:candidateGroups (Camunda 7 properties) instead",
    "formDefinition": "define the form as Form fields (camunda:formData) in the Forms tab",
    "userTaskForm": "define the form as Form fields (camunda:formData) in the Forms tab",
    "ioMapping": "set the variables in a scriptTask (Format: python) instead",
    "calledElement": "set the call activity's 'Called element' (Camunda 7) instead",
    "calledDecision": "set Implementation = DMN and 'Decision reference' (camunda:decisionRef) instead",
    "loopCharacteristics": "set camunda:collection and camunda:elementVariable (Camunda 7) instead",
    "subscription": "messages are correlated by name and business key here",
    "script": "use a scriptTask with an inline Python script instead",
    "properties": "use camunda:properties (Extension properties) instead",
}
RESERVED_IDS = frozenset({"Start", "End", "StartEventSplit", "StartEventJoin"})
RESERVED_SUFFIXES = (".EndJoin", ".BoundaryEventSplit", ".BoundaryEventJoin")
PYTHON_FORMATS = frozenset({"python", "python3", "py", "text/x-python"})
USER_TASK_EXPRESSIONS = ("assignee", "candidateUsers", "candidateGroups", "dueDate", "followUpDate", "priority")


def is_iso_datetime(text: str) -> bool:
    """Whether the text is an ISO 8601 date or date-time Python can read."""
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


class BpmnChecks:
    """Semantic checks of one BPMN document: what this engine can run, element by element."""

    def __init__(self, doc: Document, dep: Deployment):
        self.doc = doc
        self.dep = dep
        self.flagged: set[str] = set()
        root = doc.root
        self.refs = {kind: {el.get("id"): el for el in doc.find(kind) if el.get("id")}
                     for kind in ("message", "signal", "error", "escalation")}
        self.camunda8 = root.get(f"{{{MODELER_NS}}}executionPlatform") == "Camunda Cloud"

    # -- reporting
    def error(self, node, message: str, hint: str | None = None, owner=None, severity: str = "error"):
        """Record a problem at ``node``, named by the id of ``owner`` (default: the node)."""
        owner = owner if owner is not None else node
        self.dep.report.add(self.doc.name, message, node=node, element_id=nearest_id(owner), hint=hint,
                            severity=severity)

    def unsupported(self, el, message: str, hint: str):
        """Record that the element is something this engine cannot run; skip its extensions."""
        self.flagged.add(el.get("id"))
        self.error(el, message, hint)

    def c8(self, hint: str) -> str:
        """The hint, plus a note when the file was made for Camunda 8."""
        if self.camunda8:
            return hint + " (this file was made for Camunda 8; this engine runs Camunda Platform 7 models)"
        return hint

    def expression(self, node, text: str, kind: str, what: str, owner=None):
        """Report an expression engine.expressions cannot compile as ``kind``."""
        problem = expression_error(text, kind)
        if problem:
            shown = what if text in problem else f"{what} '{text}'"
            hint = ("write ${...} as in Camunda 7 (e.g. ${accepted}, ${category == '申诉求决'}) "
                    "or a plain Python expression")
            if text.lstrip().startswith("="):
                hint = "'=' starts a Camunda 8 FEEL expression; " + hint
            self.error(node, f"{shown} does not compile: {problem}", hint=hint, owner=owner)

    # -- entry point
    def run(self) -> None:
        """Check every process of the document (references in all, the rest in executable ones)."""
        for kind in self.refs:
            for el in self.doc.find(kind):
                if not el.get("id"):
                    self.error(el, f"<bpmn:{kind}> has no id", hint=RESAVE_HINT)
        for process in self.doc.find("process"):
            self.check_references(process)
            if process.get("isExecutable", "true") == "true":
                before = len(self.dep.report.problems)
                self.check_process(process)
                if process.get("isExecutable") is None and len(self.dep.report.problems) > before:
                    self.error(process, f"process '{process.get('id')}' has no isExecutable attribute and is "
                               "therefore treated as executable (as Camunda 7 does)",
                               hint='set isExecutable="false" to deploy it as a diagram that cannot be started',
                               severity="warning")

    # -- structure (every process, executable or not)
    def check_references(self, scope) -> None:
        """Sequence flows must connect flow nodes of their own (sub-)process."""
        nodes = {el.get("id") for el in scope if ns(el.tag) == BPMN_NS and local(el.tag) in FLOW_NODES}
        for flow in scope.iterfind(q("sequenceFlow")):
            for attr in ("sourceRef", "targetRef"):
                ref = flow.get(attr)
                if not ref:
                    self.error(flow, f"sequence flow has no {attr}", hint=RESAVE_HINT)
                elif ref not in nodes:
                    other = self.doc.ids.get(ref)
                    where = ("does not exist" if other is None else
                             f"is a <{short_name(other.tag)}> outside this (sub-)process")
                    self.error(flow, f"sequence flow {attr} '{ref}' {where}",
                               hint="reconnect the flow in the Modeler; flows may only connect elements "
                                    "of the same (sub-)process")
        for child in scope:
            if ns(child.tag) == BPMN_NS and local(child.tag) in SCOPES:
                self.check_references(child)

    # -- what this engine can run
    def check_process(self, process) -> None:
        """Everything this engine needs of an executable process."""
        if process.find(q("startEvent")) is None:
            self.error(process, f"executable process '{process.get('id')}' has no start event",
                       hint='add a start event, or set isExecutable="false" if the process is only a diagram')
        self.check_scope(process)
        self.check_extensions(process)

    def check_scope(self, scope) -> None:
        """Check each element of a process or sub-process, then its sub-processes."""
        outgoing: dict[str, list] = {}
        for flow in scope.iterfind(q("sequenceFlow")):
            outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
        activities = {el.get("id") for el in scope if local(el.tag) in ACTIVITIES}
        for el in scope:
            if ns(el.tag) != BPMN_NS:
                continue
            tag = local(el.tag)
            if tag in UNSUPPORTED_ELEMENTS:
                self.unsupported(el, *UNSUPPORTED_ELEMENTS[tag])
            if tag == "sequenceFlow":
                self.check_flow(el)
            if tag not in FLOW_NODES:
                continue
            element_id = el.get("id") or ""
            if element_id in RESERVED_IDS or element_id.endswith(RESERVED_SUFFIXES):
                # SpiffWorkflow names its own task specs so; an element with such an id is
                # silently merged with them and the process is built wrong.
                self.error(el, f"id '{element_id}' of {label(el)} is reserved by the workflow engine",
                           hint="rename the element's id, e.g. StartEvent_1 or EndEvent_1")
            if el.get("isForCompensation") == "true":
                self.unsupported(el, "compensation handlers are not supported",
                                 "model the undo steps as ordinary tasks on an error or cancel path")
            self.check_outgoing(el, tag, outgoing.get(el.get("id"), []))
            self.check_loops(el)
            self.check_data_associations(el)
            if tag in EVENT_WORDS:
                self.check_event(el, tag, activities)
            check = getattr(self, f"check_{tag}", None)
            if check is not None:
                check(el)
            if tag in SCOPES:
                self.check_subprocess(el, tag)
                self.check_scope(el)

    def check_outgoing(self, el, tag: str, flows: list) -> None:
        """Gateway conditions and defaults; conditions and splits the engine would ignore."""
        if tag in ("exclusiveGateway", "inclusiveGateway"):
            ids = [f.get("id") for f in flows]
            default = el.get("default")
            if default and default not in ids:
                self.error(el, f"default flow '{default}' of {label(el)} does not leave this gateway",
                           hint="choose one of the gateway's outgoing flows as its default flow")
            if len(flows) > 1:
                for flow in flows:
                    # An empty condition is reported by check_flow.
                    if flow.get("id") != default and flow.find(q("conditionExpression")) is None:
                        self.error(flow, f"{label(flow)} leaves {label(el)} without a condition and "
                                   "is not the gateway's default flow",
                                   hint="give it a condition such as ${accepted}, or make it the default flow")
            return
        conditional = [f for f in flows if f.find(q("conditionExpression")) is not None]
        for flow in conditional:
            if tag == "parallelGateway":
                message = f"condition on {label(flow)} is ignored: {label(el)} takes every outgoing flow"
                hint = "use an inclusive gateway to take only the flows whose condition holds"
            else:
                message = f"condition on {label(flow)} leaving {label(el)} is ignored by this engine"
                hint = "put an exclusive gateway after the element and move the condition to its outgoing flows"
            self.error(flow.find(q("conditionExpression")), message, hint=hint, owner=flow)
        if len(flows) > 1 and tag not in GATEWAYS and tag != "startEvent":
            self.error(el, f"{label(el)} has {len(flows)} outgoing flows; this engine does not split "
                       "implicitly", hint="add a parallel gateway after it (or an exclusive gateway with conditions)")

    def check_flow(self, flow) -> None:
        """The condition of a flow leaving an exclusive or inclusive gateway."""
        cond = flow.find(q("conditionExpression"))
        if cond is None:
            return
        source = self.doc.ids.get(flow.get("sourceRef"))
        if source is None or local(source.tag) not in ("exclusiveGateway", "inclusiveGateway"):
            return  # reported by check_outgoing or check_references
        text = text_of(cond)
        language = (cond.get("language") or "").strip()
        if not text:
            self.error(cond, f"condition of {label(flow)} is empty",
                       hint="write a condition such as ${accepted}, or remove it and make the flow the default",
                       owner=flow)
        elif language and language.lower() not in PYTHON_FORMATS:
            self.error(cond, f"condition of {label(flow)} is written in language '{language}'; only "
                       "${...} expressions and Python are supported",
                       hint="write the condition as ${...} or a Python expression",
                       owner=flow)
        else:
            self.expression(cond, text, "condition", f"condition of {label(flow)}", owner=flow)

    def check_loops(self, el) -> None:
        """Multi-instance and standard loop characteristics."""
        mi = el.find(q("multiInstanceLoopCharacteristics"))
        if mi is not None:
            cardinality = text_of(mi.find(q("loopCardinality")))
            if not cardinality and not mi.get(c("collection")):
                zeebe = mi.find(f".//{{{ZEEBE_NS}}}loopCharacteristics")
                hint = "set Loop cardinality, or Collection (camunda:collection) with an Element variable"
                if zeebe is not None:
                    hint += (f"; its zeebe:loopCharacteristics (inputCollection "
                             f"'{zeebe.get('inputCollection')}') is Camunda 8 and not read")
                self.error(mi, f"multi-instance {label(el)} has neither a loop cardinality nor a collection",
                           hint=self.c8(hint), owner=el)
            condition = text_of(mi.find(q("completionCondition")))
            if condition:
                self.expression(mi.find(q("completionCondition")), condition, "condition",
                                f"completion condition of {label(el)}", owner=el)
        loop = el.find(q("standardLoopCharacteristics"))
        if loop is not None:
            condition = text_of(loop.find(q("loopCondition")))
            maximum = loop.get("loopMaximum")
            if not condition and not maximum:
                self.error(loop, f"loop {label(el)} has neither a loop condition nor a loop maximum",
                           hint="set a loop condition (e.g. ${not done}) or a loopMaximum", owner=el)
            if maximum and not maximum.strip().isdigit():
                self.error(loop, f"loopMaximum '{maximum}' of {label(el)} is not a whole number",
                           hint="set loopMaximum to a number such as 3", owner=el)
            if condition:
                self.expression(loop.find(q("loopCondition")), condition, "condition",
                                f"loop condition of {label(el)}", owner=el)

    def check_data_associations(self, el) -> None:
        """Data associations SpiffWorkflow can resolve (data object references only)."""
        for direction, ref_tag in (("dataInputAssociation", "sourceRef"), ("dataOutputAssociation", "targetRef")):
            for assoc in el.iterfind(q(direction)):
                for extra in ("transformation", "assignment"):
                    if assoc.find(q(extra)) is not None:
                        self.error(assoc.find(q(extra)), f"data association {extra}s of {label(el)} are "
                                   "ignored by this engine",
                                   hint="compute the value in a scriptTask (Format: python)", owner=el)
                for ref in assoc.iterfind(q(ref_tag)):
                    target = self.doc.ids.get(text_of(ref))
                    if target is None or local(target.tag) not in ("dataObjectReference", "dataStoreReference"):
                        what = "nothing" if target is None else f"a <{short_name(target.tag)}>"
                        self.error(ref, f"{direction} of {label(el)} refers to '{text_of(ref)}', which is {what}; "
                                   "this engine passes data to and from tasks only through data object references",
                                   hint="connect the task to a data object (reference) shape, or remove the "
                                        "association",
                                   owner=el)
                    elif local(target.tag) == "dataObjectReference" and \
                            target.get("dataObjectRef") not in self.doc.ids:
                        self.error(target, f"data object reference '{target.get('id')}' refers to data object "
                                   f"'{target.get('dataObjectRef')}', which does not exist", hint=RESAVE_HINT)

    # -- events
    def check_event(self, el, tag: str, activities: set) -> None:
        """Event definitions this event type supports, boundary hosts, event sub-process triggers."""
        definitions = [d for d in el if ns(d.tag) == BPMN_NS and local(d.tag) in EVENT_DEFINITIONS]
        supported = SUPPORTED_EVENT_DEFINITIONS.get(tag, set())
        for d in definitions:
            kind = local(d.tag)
            if kind not in supported:
                hints = {
                    "compensateEventDefinition": "model the undo steps as ordinary tasks",
                    "linkEventDefinition": "connect the two points with a sequence flow",
                    "errorEventDefinition": "catch the error with an error boundary event on the activity",
                    "escalationEventDefinition": "catch it with an escalation boundary event on the activity",
                    "signalEventDefinition": "throw the signal with an intermediate signal throw event "
                                             "before a plain end event",
                }
                self.flagged.add(el.get("id"))
                self.error(d, f"{DEFINITION_WORDS[kind]} {EVENT_WORDS[tag]}s are not supported "
                           f"({label(el)})", hint=hints.get(kind, "use another event type"), owner=el)
                continue
            getattr(self, f"check_{kind}", lambda d, el: None)(d, el)
        if not definitions and tag in ("boundaryEvent", "intermediateCatchEvent"):
            self.error(el, f"{label(el)} has no event definition, so it would wait for nothing",
                       hint="make it a timer, message, signal or conditional event")
        if tag == "boundaryEvent":
            attached = el.get("attachedToRef")
            if attached not in activities:
                self.error(el, f"{label(el)} is attached to '{attached}', which is not an activity of the "
                           "same (sub-)process", hint="attach the event to a task or sub-process in the Modeler")
        if tag == "startEvent" and not definitions and el.getparent().get("triggeredByEvent") == "true":
            self.error(el, f"{label(el)} of an event sub-process has no trigger",
                       hint="make it a timer, message, signal or conditional start event")

    def check_timerEventDefinition(self, d, el) -> None:
        """A timer needs a date, duration or cycle that compiles."""
        values = [child for child in d if local(child.tag) in ("timeDate", "timeDuration", "timeCycle")]
        if not values:
            self.error(d, f"timer {label(el)} has no time", owner=el,
                       hint="set a date (e.g. 2026-12-01T09:00:00+08:00 or ${clock_due(clock_handling)}), "
                            "a duration (e.g. P15D) or a cycle (e.g. R3/P1D)")
            return
        for value in values:
            text, kind = text_of(value), local(value.tag)
            if not text:
                self.error(value, f"{kind} of timer {label(el)} is empty", owner=el,
                           hint="e.g. P15D for a duration, R3/P1D for a cycle, an ISO date for a date")
            else:
                self.expression(value, text, kind, f"{kind} of timer {label(el)}", owner=el)

    def _check_ref(self, d, el, attr: str, kind: str, required: bool) -> None:
        # "message intermediate catch event 'x'" for events; a receive task says it itself.
        who = f"{kind} {label(el)}" if local(el.tag).endswith("Event") else label(el)
        ref = d.get(attr)
        if not ref:
            if required:
                self.error(d, f"{who} has no {kind}", owner=el,
                           hint=f"choose or create a {kind} for it in the Modeler (the {kind.title()} field)")
            return
        target = self.refs[kind].get(ref)
        if target is None:
            self.error(d, f"{who} refers to {kind} '{ref}', which is not defined in this file", owner=el,
                       hint=f"choose an existing {kind} or create a global {kind} with that id")
        elif kind in ("message", "signal") and not (target.get("name") or "").strip():
            self.error(target, f"{kind} '{ref}' used by {who} has no name",
                       hint=f"give the {kind} a name; cases are matched by {kind} name")

    def check_messageEventDefinition(self, d, el) -> None:
        """A message event needs a defined, named message."""
        self._check_ref(d, el, "messageRef", "message", required=True)

    def check_signalEventDefinition(self, d, el) -> None:
        """A signal event needs a defined, named signal."""
        self._check_ref(d, el, "signalRef", "signal", required=True)

    def check_errorEventDefinition(self, d, el) -> None:
        """An error reference, when given, must be defined."""
        self._check_ref(d, el, "errorRef", "error", required=False)

    def check_escalationEventDefinition(self, d, el) -> None:
        """An escalation reference, when given, must be defined."""
        self._check_ref(d, el, "escalationRef", "escalation", required=False)

    def check_conditionalEventDefinition(self, d, el) -> None:
        """A conditional event needs a condition that compiles."""
        condition = text_of(d.find(q("condition")))
        if not condition:
            self.error(d, f"conditional {label(el)} has no condition", owner=el,
                       hint="write the condition, e.g. ${clock_handling['overdue']}")
        else:
            self.expression(d.find(q("condition")), condition, "condition", f"condition of {label(el)}",
                            owner=el)

    # -- tasks
    def check_userTask(self, el) -> None:
        """Assignment, due date and priority expressions; resource roles the engine ignores."""
        for role in ("potentialOwner", "humanPerformer", "performer"):
            node = el.find(q(role))
            if node is not None:
                self.error(node, f"BPMN {role} of {label(el)} is ignored by this engine", owner=el,
                           hint="say who does the task with camunda:candidateGroups (unit:role) or "
                                "camunda:assignee")
        for attr in USER_TASK_EXPRESSIONS:
            value = (el.get(c(attr)) or "").strip()
            if not value:
                continue
            if "${" in value or "#{" in value:
                self.expression(el, value, "text", f"camunda:{attr} of {label(el)}")
            elif attr in ("dueDate", "followUpDate") and not is_iso_datetime(value):
                self.error(el, f"camunda:{attr} '{value}' of {label(el)} is neither an ISO 8601 date-time nor "
                           "an expression", hint="write e.g. ${due('handling')} or 2026-12-01T17:00:00+08:00")
            elif attr == "priority" and not value.lstrip("-").isdigit():
                self.error(el, f"camunda:priority '{value}' of {label(el)} is not a whole number",
                           hint="write a number such as 50, or an expression ${...}")
        for name in split_names(el.get(c("candidateGroups")) or ""):
            wrong = unknown_group(name)
            if wrong:
                self.error(el, f"camunda:candidateGroups of {label(el)}: {wrong}, so the task would reach "
                           f"nobody ({valid_names()})",
                           hint="write a role (that role in the unit responsible for the case), a unit code "
                                "(that unit's handlers) or unit:role; see docs/designer-guide.md")
        for form_field in el.iterfind(f".//{{{CAMUNDA_NS}}}formField"):
            if not (form_field.get("id") or "").strip():
                self.error(form_field, f"a form field of {label(el)} has no ID", owner=el,
                           hint="give every form field an ID; it becomes the variable name")

    def check_scriptTask(self, el) -> None:
        """An inline Python script that compiles and that the sandbox accepts."""
        fmt = (el.get("scriptFormat") or "").strip()
        script = el.find(q("script"))
        if el.get(c("resource")):
            self.unsupported(el, f"{label(el)} loads its script from '{el.get(c('resource'))}'; external "
                             "scripts are not supported", "paste the script inline (Type: Inline script)")
            return
        if fmt and fmt.lower() not in PYTHON_FORMATS:
            self.unsupported(el, f"{label(el)} is written in '{fmt}'; this engine runs Python scripts only",
                             "rewrite the script in Python and set Format to 'python'")
            return
        text = script.text if script is not None and script.text else ""
        if not text.strip():
            self.error(el if script is None else script, f"{label(el)} has no script", owner=el,
                       hint="write the Python script (Type: Inline script), or use a plain task")
            return
        try:
            try:
                compile(text, f"<{el.get('id')}>", "exec")
            except (RecursionError, MemoryError):
                raise SyntaxError("the script is nested too deeply") from None
        except SyntaxError as exc:
            line = script.sourceline + (exc.lineno or 1) - 1 if script.sourceline else None
            self.dep.report.add(self.doc.name, f"Python syntax error in {label(el)}: {exc.msg} "
                                f"(script line {exc.lineno})", line=line, element_id=el.get("id"),
                                hint="correct the script; it must be valid Python 3")
            return
        problem = expression_error(text, "script")
        if problem:
            # The sandbox counts lines within the script; point at the line in the file.
            within = re.search(r"\(line (\d+)\)", problem)
            line = script.sourceline + int(within.group(1)) - 1 if within and script.sourceline else None
            self.dep.report.add(self.doc.name, f"script of {label(el)} is refused: {problem}", node=script,
                                line=line, element_id=el.get("id"),
                                hint="scripts may not import modules, use names starting with _ or touch files")

    def check_sendTask(self, el) -> None:
        """A send task must send a message; Java and external implementations cannot run."""
        impl = [a for a in TASK_IMPLEMENTATIONS if el.get(c(a))]
        if impl:
            what = "an external task" if el.get(c("type")) == "external" else f"camunda:{impl[0]}"
            self.unsupported(el, f"{label(el)} is implemented by {what}, which this engine cannot run",
                             "record the notice in a scriptTask (Format: python) or let a person send it "
                             "in a userTask")
            return
        message = el.get("messageRef") or any(True for _ in el.iterfind(q("messageEventDefinition")))
        if not message:
            self.unsupported(el, f"{label(el)} sends nothing: it has neither a message nor an implementation",
                             "use an intermediate message throw event, or a scriptTask that records the notice")
        elif el.get("messageRef"):
            self._check_ref(el, el, "messageRef", "message", required=True)

    def check_receiveTask(self, el) -> None:
        """A receive task waits for a defined, named message."""
        self._check_ref(el, el, "messageRef", "message", required=True)

    def check_businessRuleTask(self, el) -> None:
        """A DMN decision reference that resolves in this deployment."""
        impl = [a for a in ("class", "delegateExpression", "expression") if el.get(c(a))]
        if impl or el.get(c("type")) == "external":
            self.unsupported(el, f"{label(el)} is implemented by camunda:{impl[0] if impl else 'type'}; only "
                             "DMN decisions can be run", "set Implementation = DMN and a Decision reference")
            return
        ref = (el.get(c("decisionRef")) or "").strip()
        if not ref:
            zeebe = el.find(f".//{{{ZEEBE_NS}}}calledDecision")
            hint = ("set Implementation = DMN and 'Decision reference' (camunda:decisionRef) to the id of a "
                    "decision deployed with it")
            if zeebe is not None:
                hint += f"; its zeebe:calledDecision '{zeebe.get('decisionId')}' is Camunda 8 and not read"
            self.unsupported(el, f"{label(el)} has no camunda:decisionRef, so there is no decision to run",
                             self.c8(hint))
            return
        if "${" in ref or "#{" in ref:
            self.unsupported(el, f"decision reference '{ref}' of {label(el)} is an expression; it must be "
                             "resolved at deploy time", "set the decision id itself")
            return
        if not self._check_binding(el, "decisionRef", ref, ref in self.dep.decisions):
            return
        if ref not in self.dep.decisions and not self.dep.preloaded_decision(ref) \
                and ref not in self.dep.known_decision_keys:
            known = ", ".join(sorted(self.dep.decisions)) or "none"
            self.error(el, f"{label(el)} refers to decision '{ref}', which no DMN file of this deployment "
                       f"defines (decisions here: {known})",
                       hint="deploy the .dmn file with it, or correct the Decision reference to a decision id")

    def check_callActivity(self, el) -> None:
        """A called process that is executable, in this deployment or resolvable later."""
        called = (el.get("calledElement") or "").strip()
        if el.get(c("caseRef")):
            self.unsupported(el, f"{label(el)} calls a CMMN case; CMMN is not supported", "call a BPMN process")
            return
        if not called:
            zeebe = el.find(f".//{{{ZEEBE_NS}}}calledElement")
            hint = "set 'Called element' to the id of the process to call"
            if zeebe is not None:
                hint += f"; its zeebe:calledElement '{zeebe.get('processId')}' is Camunda 8 and not read"
            self.error(el, f"{label(el)} has no calledElement", hint=self.c8(hint))
            return
        if "${" in called or "#{" in called:
            self.unsupported(el, f"called element '{called}' of {label(el)} is an expression; it must be "
                             "resolved at deploy time", "set the id of the called process itself")
            return
        if not self._check_binding(el, "calledElement", called, called in self.dep.processes):
            return
        target = self.dep.processes.get(called)
        if target is not None:
            if not target[2]:
                self.error(el, f"{label(el)} calls process '{called}', which is marked isExecutable=\"false\" "
                           f"in {target[0].name}", hint="make the called process executable")
        elif not self.dep.preloaded_process(called):
            process = next(p for p in el.iterancestors(q("process")))
            ref = CallReference(self.doc.name, el.sourceline, el.get("id"), process.get("id"), called)
            self.dep.unresolved.append(ref)
            if called not in self.dep.known_process_keys:
                self.dep.report.extend([ref.problem()])

    def _check_binding(self, el, attribute: str, key: str, in_deployment: bool) -> bool:
        """camunda:<attribute>Binding and its Version / VersionTag, as Camunda 7 reads them.

        Which stored version a binding resolves to is the deploy layer's business
        (engine/references.py); here: the binding is one Camunda knows, a version is a
        number, a tag is given, and "deployment" finds the target in this deployment.
        """
        binding = (el.get(c(f"{attribute}Binding")) or "latest").strip()
        what = "process" if attribute == "calledElement" else "decision"
        if binding not in ("latest", "deployment", "version", "versionTag"):
            self.error(el, f"camunda:{attribute}Binding '{binding}' of {label(el)} is not a Camunda binding",
                       hint="choose Binding latest, deployment, version or versionTag in the Modeler")
            return False
        if binding == "deployment" and not in_deployment:
            self.error(el, f"{label(el)} is bound to the {what} '{key}' of its own deployment, which does not "
                       f"define '{key}'", hint=f"deploy the file defining '{key}' together with this one, "
                                                "or use the binding 'latest'")
            return False
        if binding == "version":
            version = (el.get(c(f"{attribute}Version")) or "").strip()
            if not version.isdigit() or int(version) < 1:
                self.error(el, f"{label(el)} is bound to a version of '{key}', but its version "
                           f"'{version}' is not a version number" if version else
                           f"{label(el)} is bound to a version of '{key}' but names none",
                           hint=f"set camunda:{attribute}Version to the number of a deployed version "
                                "(an expression is not resolved at deploy time)")
                return False
        if binding == "versionTag" and not (el.get(c(f"{attribute}VersionTag")) or "").strip():
            self.error(el, f"{label(el)} is bound to a version tag of '{key}' but names none",
                       hint=f"set camunda:{attribute}VersionTag, or use the binding 'latest'")
            return False
        return True

    def check_subprocess(self, el, tag: str) -> None:
        """Start and end events an embedded (or ad-hoc) sub-process needs."""
        starts = el.findall(q("startEvent"))
        if tag == "adHocSubProcess":
            if el.get("ordering") == "Sequential":
                self.unsupported(el, f"sequential {label(el)} is not supported", "use Parallel ordering")
            for node in starts + el.findall(q("endEvent")):
                self.error(node, f"{label(el)} may not contain start or end events",
                           hint="remove them; ad-hoc sub-process tasks start without them", owner=node)
            return
        if len(starts) != 1:
            self.error(el, f"{label(el)} needs exactly one start event; it has {len(starts)}",
                       hint="model the sub-process content (expand it in the Modeler) starting with one start "
                            "event, or use a task or call activity instead")
        if el.find(q("endEvent")) is None:
            self.error(el, f"{label(el)} has no end event", hint="end its content with an end event")

    # -- extension elements and attributes
    def check_extensions(self, process) -> None:
        """Camunda 8, Activiti and Camunda 7 extensions this engine would silently ignore."""
        for el in process.iter():
            if not isinstance(el.tag, str):
                continue
            namespace, name = ns(el.tag), local(el.tag)
            if namespace == BPMN_NS and not (any(ns(a) == ACTIVITI_NS for a in el.attrib)
                                             or (name == "scriptTask" and el.get(c("resultVariable")))):
                continue  # the common case, and quickly
            if namespace not in (BPMN_NS, ZEEBE_NS, ACTIVITI_NS, CAMUNDA_NS):
                continue
            owner = el
            while owner is not None and (ns(owner.tag) != BPMN_NS or not owner.get("id")):
                owner = owner.getparent()
            if owner is None or owner.get("id") in self.flagged:
                continue
            if namespace == ZEEBE_NS and ns(el.getparent().tag) != ZEEBE_NS:
                hint = ZEEBE_HINTS.get(name, "use the Camunda 7 equivalent")
                self.error(el, f"Camunda 8 extension zeebe:{name} of {label(owner)} is not read by this "
                           "engine", hint=self.c8(hint), owner=owner)
            elif namespace == ZEEBE_NS:
                continue
            elif namespace == ACTIVITI_NS or any(ns(a) == ACTIVITI_NS for a in el.attrib):
                prefix = next((p for p, u in el.nsmap.items() if u == ACTIVITI_NS), "activiti")
                names = [f"{prefix}:{local(a)}" for a in el.attrib if ns(a) == ACTIVITI_NS]
                what = ", ".join(names) if namespace != ACTIVITI_NS else f"{prefix}:{name}"
                self.error(el, f"{what} on {label(owner)} uses the legacy Activiti namespace "
                           f"({ACTIVITI_NS}), which this engine does not read", owner=owner,
                           hint=f'declare xmlns:{prefix}="{CAMUNDA_NS}" instead (line {self.doc.root.sourceline}), '
                                "or " + RESAVE_HINT)
            elif namespace == CAMUNDA_NS and name in UNSUPPORTED_CAMUNDA_ELEMENTS:
                message, hint = UNSUPPORTED_CAMUNDA_ELEMENTS[name]
                self.error(el, f"camunda:{name} of {label(owner)}: {message}", hint=hint, owner=owner)
            elif namespace == CAMUNDA_NS and name in ("in", "out"):
                mapped = [a for a in ("source", "sourceExpression", "target", "local") if el.get(a)]
                if mapped:
                    self.error(el, f"camunda:{name} mapping of {label(owner)} is ignored: a called process "
                               "always receives all variables of the caller and hands all of its variables back",
                               hint=f'use <camunda:{name} variables="all"/> (or remove the mapping)', owner=owner)
            elif namespace == BPMN_NS and name == "scriptTask" and el.get(c("resultVariable")):
                self.error(el, f"camunda:resultVariable of {label(el)} is ignored",
                           hint="assign the variable inside the script instead")
