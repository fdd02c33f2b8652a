"""Validation of uploaded BPMN and DMN before anything of a deployment is stored.

Uploaded files are hostile until proven otherwise.  :func:`safe_parse_xml` caps the
size, refuses DTDs and entity declarations before lxml ever sees them (XXE, billion
laughs, quadratic blowup) and turns every syntax error into a located ``Problem``.

:func:`validate_resources` then, for a whole deployment:

1. parses every BPMN/DMN resource safely and checks it against the BPMN 2.0 / DMN
   schemas that SpiffWorkflow ships;
2. checks what this engine can actually run (element by element, with a hint what to
   change): references between elements, gateway conditions, timers, messages,
   scripts, business rule and call activities, unsupported BPMN/Camunda features;
3. adds the healthy resources to the deployment's SpiffWorkflow parser and builds the
   spec of every executable process, converting whatever SpiffWorkflow raises into a
   ``Problem`` that names the file, the line and the element.

Nothing here raises for bad input except :func:`safe_parse_xml` (``DeployError``);
every finding is a :class:`engine.errors.Problem`.
"""
from __future__ import annotations

import copy
import importlib
import importlib.util
import logging
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

from lxml import etree

from engine.errors import DeployError, Problem, ScriptError

log = logging.getLogger(__name__)

#: Largest resource accepted, in bytes; callers may pass their own limit.
MAX_RESOURCE_BYTES = 5 * 1024 * 1024
#: Schema errors reported per file; the rest are summarised in one line.
MAX_SCHEMA_PROBLEMS = 20

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ACTIVITI_NS = "http://activiti.org/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
MODELER_NS = "http://camunda.org/schema/modeler/1.0"
DMN_NAMESPACES = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "DMN 1.1",
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "DMN 1.2",
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "DMN 1.3",
}
PREFIXES = {
    BPMN_NS: "bpmn",
    BPMNDI_NS: "bpmndi",
    CAMUNDA_NS: "camunda",
    ACTIVITI_NS: "activiti",
    ZEEBE_NS: "zeebe",
    "http://www.omg.org/spec/DD/20100524/DC": "dc",
    "http://www.omg.org/spec/DD/20100524/DI": "di",
    **{ns: "dmn" for ns in DMN_NAMESPACES},
}
# Same suffixes as engine/deploy.py; anything else (e.g. Camunda .form files) is not ours.
BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml", ".bpmn2")
DMN_SUFFIXES = (".dmn", ".dmn11.xml", ".dmn13.xml")
#: Hit policies SpiffWorkflow's DMN engine evaluates faithfully.  A parser (or
#: engine.dmn) that implements more declares ``SUPPORTED_HIT_POLICIES``.
DEFAULT_HIT_POLICIES = frozenset({"UNIQUE", "FIRST", "ANY", "COLLECT"})

RESAVE_HINT = "open the file in Camunda Modeler (Camunda Platform 7) and save it again"


# --------------------------------------------------------------------------- results

@dataclass(frozen=True)
class CallReference:
    """A call activity whose calledElement is not a process of this deployment."""

    file: str
    line: int | None
    element_id: str
    process_id: str
    called_element: str

    def problem(self) -> Problem:
        """The error to report when the deploy layer cannot resolve it either."""
        return Problem(
            file=self.file, line=self.line, element_id=self.element_id,
            message=f"call activity calls process '{self.called_element}', which is neither "
                    "in this deployment nor deployed before",
            hint="deploy the called process first (or together with this file), or correct "
                 "'Called element' to the id of an existing process",
        )


@dataclass
class ProcessSummary:
    """One top-level ``bpmn:process`` of a deployment."""

    id: str
    name: str | None
    file: str
    line: int | None
    executable: bool
    version_tag: str | None = None
    startable_in_tasklist: bool = True
    called_elements: list[str] = field(default_factory=list)
    decision_refs: list[str] = field(default_factory=list)


@dataclass
class DecisionSummary:
    """One ``dmn:decision`` of a deployment."""

    id: str
    name: str | None
    file: str
    line: int | None
    hit_policy: str | None = None


@dataclass
class ValidationResult:
    """Everything the deploy layer needs from a validated deployment.

    ``problems``         ordered, de-duplicated; empty means the deployment may be stored.
                         Severity "error" blocks; "warning" only ever accompanies errors.
    ``processes``        every top-level process of every BPMN resource, executable or
                         not; ``executable=False`` ones are diagrams that cannot be started.
    ``decisions``        every DMN decision.
    ``unresolved_calls`` calledElements no process of this deployment defines.  Unless
                         their key was passed in ``known_process_keys`` they are also in
                         ``problems`` (``CallReference.problem()``).
    ``parser``           the parser given, with every healthy resource added to it.
    ``specs``            process id -> built ``BpmnProcessSpec`` for each executable
                         top-level process that built without problems;
    ``subprocess_specs`` process id -> {id: spec} of its embedded sub-processes and the
                         processes it calls within this deployment (transitively), as
                         ``parser.get_subprocess_specs`` would return them.
    ``ignored``          resource names that are neither BPMN nor DMN (e.g. ``.form``).
    """

    problems: list[Problem] = field(default_factory=list)
    processes: list[ProcessSummary] = field(default_factory=list)
    decisions: list[DecisionSummary] = field(default_factory=list)
    unresolved_calls: list[CallReference] = field(default_factory=list)
    parser: Any = None
    specs: dict[str, Any] = field(default_factory=dict)
    subprocess_specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing blocks the deployment."""
        return not any(p.severity == "error" for p in self.problems)

    @property
    def diagram_only(self) -> list[ProcessSummary]:
        """Processes marked isExecutable="false": stored for viewing, never started."""
        return [p for p in self.processes if not p.executable]


# --------------------------------------------------------------------------- helpers

def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _ns(tag: Any) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def short_name(name: str) -> str:
    """``{namespace}local`` as ``prefix:local`` for the namespaces people know."""
    def repl(m: re.Match) -> str:
        prefix = PREFIXES.get(m.group(1))
        return f"{prefix}:{m.group(2)}" if prefix else m.group(2)
    return re.sub(r"\{([^}]*)\}([\w.-]+)", repl, name)


def _nearest_id(el) -> str | None:
    while el is not None:
        if isinstance(el.tag, str) and el.get("id"):
            return el.get("id")
        el = el.getparent()
    return None


def _text(el) -> str:
    return (el.text or "").strip() if el is not None else ""


class _Report:
    """Collects problems; files are ordered as the deployment lists them."""

    def __init__(self):
        self.problems: list[Problem] = []

    def add(self, file: str, message: str, *, node=None, element_id: str | None = None,
            line: int | None = None, column: int | None = None, hint: str | None = None,
            severity: str = "error") -> Problem:
        if node is not None:
            line = line or node.sourceline
            element_id = element_id or _nearest_id(node)
        problem = Problem(file=file, message=message, line=line, column=column,
                          element_id=element_id, hint=hint, severity=severity)
        self.problems.append(problem)
        return problem

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)

    def errors_in(self, file: str) -> bool:
        return any(p.file == file and p.severity == "error" for p in self.problems)

    def ordered(self, files: list[str]) -> list[Problem]:
        rank = {name: i for i, name in enumerate(files)}
        seen, out = set(), []
        for p in sorted(self.problems, key=lambda p: (rank.get(p.file, len(rank)), p.line or 0)):
            key = (p.file, p.line, p.element_id, p.message)
            if key not in seen:
                seen.add(key)
                out.append(p)
        return out


# --------------------------------------------------------------------------- safe parse

def _xml_decl_encoding(head: bytes) -> str | None:
    m = re.match(rb"\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", head)
    return m.group(1).decode("ascii") if m else None


def _decode_for_scan(data: bytes, filename: str) -> str:
    """The text as lxml will read it, for the DTD scan and line numbers."""
    boms = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32-le"),
            (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
    for bom, codec in boms:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    if data.startswith(b"<\x00"):
        return data.decode("utf-16-le", errors="replace")
    if data.startswith(b"\x00<"):
        return data.decode("utf-16-be", errors="replace")
    declared = _xml_decl_encoding(data[:200]) or "utf-8"
    try:
        return data.decode(declared, errors="replace")
    except LookupError:
        raise DeployError([Problem(
            file=filename, line=1, message=f"unknown character encoding '{declared}' in the XML declaration",
            hint="save the file as UTF-8 (Camunda Modeler always does)")]) from None


def _refuse_dtd(text: str, filename: str) -> None:
    """Refuse any DOCTYPE in the prolog; a DTD is never needed for BPMN or DMN."""
    i, n = 0, len(text)
    if text.startswith("\ufeff"):
        i = 1
    while i < n:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if text.startswith("<?", i):
            end = text.find("?>", i)
            i = n if end < 0 else end + 2
        elif text.startswith("<!--", i):
            end = text.find("-->", i)
            i = n if end < 0 else end + 3
        elif text.startswith("<!", i):
            line = text.count("\n", 0, i) + 1
            decl = text[i:i + 4096]
            entity = re.search(r"<!ENTITY\s+(%\s*)?([\w.:-]+)", decl)
            if entity:
                line += decl.count("\n", 0, entity.start())
                message = (f"entity declaration '{entity.group(2)}' refused: uploaded files may not "
                           "declare entities")
            elif re.match(r"<!DOCTYPE\s+[\w.:-]+\s+(SYSTEM|PUBLIC)\b", decl, re.IGNORECASE):
                message = "DOCTYPE with an external DTD refused: uploaded files may not load DTDs"
            else:
                message = "DOCTYPE declaration refused: uploaded files may not contain a DTD"
            raise DeployError([Problem(
                file=filename, line=line, message=message,
                hint="BPMN and DMN files never need a DOCTYPE; remove it, or " + RESAVE_HINT)])
        elif text.startswith("<", i):
            return  # the root element starts here
        else:
            # Not markup we understand (or an encoding such as EBCDIC that hides it):
            # refuse rather than let lxml guess what the prolog says.
            raise DeployError([Problem(
                file=filename, line=text.count("\n", 0, i) + 1,
                message="not well-formed XML: the content does not start with an XML element",
                hint="the file is damaged or is not a BPMN/DMN file; export it again from Camunda Modeler")])


def _syntax_problem(filename: str, err) -> Problem:
    message = (getattr(err, "message", None) or str(err)).strip()
    if "Excessive depth" in message:
        message = "elements are nested too deeply (more than 256 levels)"
    elif "huge" in message.lower():
        message = "a text node or attribute is too large"
    return Problem(file=filename, line=getattr(err, "line", None) or None,
                   column=getattr(err, "column", None) or None,
                   message=f"not well-formed XML: {message}",
                   hint="the file is damaged or is not a BPMN/DMN file; export it again from Camunda Modeler")


def safe_parse_xml(data: bytes, filename: str, *, max_bytes: int = MAX_RESOURCE_BYTES):
    """Parse an uploaded XML resource without trusting it; DeployError with one Problem when refused."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    data = bytes(data)
    if not data.strip():
        raise DeployError([Problem(file=filename, message="the file is empty",
                                   hint="upload the .bpmn or .dmn file saved by Camunda Modeler")])
    if len(data) > max_bytes:
        raise DeployError([Problem(
            file=filename,
            message=f"the file is {len(data) / 1048576:.1f} MB; the limit is {max_bytes / 1048576:.1f} MB",
            hint="split the model into several files connected by call activities")])
    _refuse_dtd(_decode_for_scan(data, filename), filename)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             dtd_validation=False, remove_pis=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        errors = [e for e in (exc.error_log or parser.error_log) if e.level_name in ("ERROR", "FATAL")]
        raise DeployError([_syntax_problem(filename, errors[0] if errors else exc)]) from None
    except (ValueError, etree.LxmlError) as exc:
        raise DeployError([_syntax_problem(filename, exc)]) from None
    if root is None:
        raise DeployError([Problem(file=filename, message="not well-formed XML: no root element")])
    docinfo = root.getroottree().docinfo
    # Belt and braces: the prolog scan already refused every DTD.
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise DeployError([Problem(file=filename, line=1, message="DOCTYPE declaration refused")])
    return root


# --------------------------------------------------------------------------- schemas

def _spiff_dir() -> str:
    import SpiffWorkflow
    return os.path.dirname(SpiffWorkflow.__file__)


@lru_cache(maxsize=None)
def _schema(kind: str) -> etree.XMLSchema:
    """The BPMN 2.0 or a DMN schema SpiffWorkflow ships, loaded once per process."""
    if kind == "bpmn":
        path = os.path.join(_spiff_dir(), "bpmn", "parser", "schema", "BPMN20.xsd")
    else:
        from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS
        path = SCHEMAS[kind]
    # The schemas import their siblings by relative path; nothing is fetched from the network.
    xsd_parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(path, xsd_parser))


def _element_at_line(root, line: int | None):
    if not line:
        return None
    for el in root.iter():
        if isinstance(el.tag, str) and el.sourceline == line:
            return el
    return None


def _schema_message(message: str) -> str:
    message = short_name(message)
    # "Expected is one of ( a, b, c, ... )" can list dozens of names.
    m = re.search(r"Expected is one of \((.*)\)", message)
    if m:
        names = [n.strip() for n in m.group(1).split(",") if n.strip()]
        if len(names) > 6:
            message = message.replace(m.group(1), " " + ", ".join(names[:6]) + ", … ")
    return message


def _validate_schema(doc: "_Document", report: _Report, schema_key: str, label: str) -> None:
    # bpmn-js writes correlation properties in a shape the schema rejects; SpiffWorkflow's
    # own validator renames the element the same way before validating.
    for expr in doc.root.iterfind(f".//{{{BPMN_NS}}}correlationPropertyRetrievalExpression/"
                                  f"{{{BPMN_NS}}}formalExpression"):
        expr.tag = f"{{{BPMN_NS}}}messagePath"
    schema = _schema(schema_key)
    if schema.validate(doc.tree):
        return
    errors = list(schema.error_log)
    for err in errors[:MAX_SCHEMA_PROBLEMS]:
        node = _element_at_line(doc.root, err.line)
        report.add(doc.name, f"{label} schema: {_schema_message(err.message)}", node=node,
                   line=err.line or None,
                   hint="correct the element as the message says, or " + RESAVE_HINT)
    if len(errors) > MAX_SCHEMA_PROBLEMS:
        report.add(doc.name, f"{label} schema: {len(errors) - MAX_SCHEMA_PROBLEMS} more schema errors not shown",
                   line=errors[MAX_SCHEMA_PROBLEMS].line or None)


# --------------------------------------------------------------------------- documents

class _Document:
    """One parsed resource of the deployment."""

    def __init__(self, name: str, kind: str, root):
        self.name = name
        self.kind = kind
        self.root = root
        self.tree = root.getroottree()

    def find(self, tag: str, parent=None):
        return (parent if parent is not None else self.root).iterfind(f"{{{BPMN_NS}}}{tag}")

    def by_id(self, element_id: str):
        for el in self.root.iter():
            if isinstance(el.tag, str) and el.get("id") == element_id:
                return el
        return None


def _kind_by_name(name: str) -> str:
    lower = name.lower()
    if lower.endswith(BPMN_SUFFIXES):
        return "bpmn"
    if lower.endswith(DMN_SUFFIXES):
        return "dmn"
    if lower.endswith(".xml"):
        return "xml"
    return "other"


def _load(name: str, data: bytes, kind: str, report: _Report, max_bytes: int) -> _Document | None:
    try:
        root = safe_parse_xml(data, name, max_bytes=max_bytes)
    except DeployError as exc:
        report.extend(exc.problems)
        return None
    ns, local = _ns(root.tag), _local(root.tag)
    if local == "definitions" and ns == BPMN_NS:
        actual = "bpmn"
    elif local == "definitions" and ns in DMN_NAMESPACES:
        actual = "dmn"
    else:
        if local == "definitions" and "dmn" in ns.lower():
            message = f"unsupported DMN version (namespace {ns})"
            hint = "save the decision with Camunda Modeler (DMN 1.3)"
        else:
            message = (f"root element is <{short_name(root.tag)}>; expected <bpmn:definitions> "
                       "(BPMN 2.0) or <dmn:definitions> (DMN 1.1-1.3)")
            hint = "upload the .bpmn or .dmn file saved by Camunda Modeler"
        report.add(name, message, node=root, hint=hint)
        return None
    if kind in ("bpmn", "dmn") and actual != kind:
        report.add(name, f"the file name says {kind.upper()} but the content is {actual.upper()}",
                   node=root, hint=f"rename the file to end in .{actual}")
        return None
    return _Document(name, actual, root)


# --------------------------------------------------------------------------- expressions

def _expressions():
    """engine.expressions, or None while that module does not exist (its checks are skipped)."""
    if importlib.util.find_spec("engine.expressions") is None:
        return None
    return importlib.import_module("engine.expressions")


def _expression_error(text: str, kind: str) -> str | None:
    """Why ``text`` does not compile as an expression of ``kind`` (expressions.KINDS), or None."""
    module = _expressions()
    if module is None:
        return None
    try:
        problems = module.check_expression(text, kind)
    except ScriptError as exc:
        return exc.message
    return "; ".join(problems) or None


def _dmn_entry_error(text: str, column: str) -> str | None:
    """Why a DMN input entry (FEEL unary tests) or output entry does not compile, or None."""
    module = _expressions()
    if module is None:
        return None
    translate = module.feel_unary_tests if column == "input" else module.feel_to_python
    try:
        python = translate(text)
    except ScriptError as exc:
        return exc.message
    if python is None:
        return None
    from engine import sandbox
    return "; ".join(sandbox.check(python, "eval", internal=True)) or None


# --------------------------------------------------------------------------- BPMN checks

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
PYTHON_FORMATS = frozenset({"python", "python3", "py", "text/x-python"})
USER_TASK_EXPRESSIONS = ("assignee", "candidateUsers", "candidateGroups", "dueDate", "followUpDate", "priority")


def _is_iso_datetime(text: str) -> bool:
    import datetime as dt
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _q(local: str) -> str:
    return f"{{{BPMN_NS}}}{local}"


def _c(local: str) -> str:
    return f"{{{CAMUNDA_NS}}}{local}"


def _label(el) -> str:
    """How a message names an element: its tag and name (or id)."""
    words = re.sub(r"(?<!^)([A-Z])", r" \1", _local(el.tag)).lower()
    name = (el.get("name") or "").strip().replace("\n", " ")
    return f"{words} '{name}'" if name else f"{words} '{el.get('id')}'"


class _Deployment:
    """What the checks of one resource need to know about the whole deployment."""

    def __init__(self, parser, report: _Report, known_process_keys: Iterable[str]):
        self.parser = parser
        self.report = report
        self.known_process_keys = set(known_process_keys or ())
        self.processes: dict[str, tuple[_Document, Any, bool]] = {}
        self.decisions: dict[str, tuple[_Document, Any]] = {}
        self.unresolved: list[CallReference] = []

    def preloaded_process(self, pid: str) -> bool:
        return pid in getattr(self.parser, "process_parsers", {})

    def preloaded_decision(self, did: str) -> bool:
        return did in getattr(self.parser, "dmn_parsers", {})


class _BpmnChecks:
    """Semantic checks of one BPMN document: what this engine can run, element by element."""

    def __init__(self, doc: _Document, dep: _Deployment):
        self.doc = doc
        self.dep = dep
        self.flagged: set[str] = set()
        root = doc.root
        self.ids: dict[str, Any] = {}
        for el in root.iter():
            if isinstance(el.tag, str) and el.get("id") and el.get("id") not in self.ids:
                self.ids[el.get("id")] = el
        self.refs = {kind: {el.get("id"): el for el in doc.find(kind) if el.get("id")}
                     for kind in ("message", "signal", "error", "escalation")}
        self.camunda8 = root.get(f"{{{MODELER_NS}}}executionPlatform") == "Camunda Cloud"

    # -- reporting
    def error(self, node, message: str, hint: str | None = None, owner=None, severity: str = "error"):
        owner = owner if owner is not None else node
        self.dep.report.add(self.doc.name, message, node=node, element_id=_nearest_id(owner), hint=hint,
                            severity=severity)

    def unsupported(self, el, message: str, hint: str):
        self.flagged.add(el.get("id"))
        self.error(el, message, hint)

    def c8(self, hint: str) -> str:
        if self.camunda8:
            return hint + " (this file was made for Camunda 8; this engine runs Camunda Platform 7 models)"
        return hint

    def expression(self, node, text: str, kind: str, what: str, owner=None):
        problem = _expression_error(text, kind)
        if problem:
            shown = what if text in problem else f"{what} '{text}'"
            self.error(node, f"{shown} does not compile: {problem}",
                       hint="write ${...} as in Camunda (e.g. ${accepted}, ${category == '申诉求决'}) "
                            "or a plain Python expression", owner=owner)

    # -- entry point
    def run(self) -> None:
        for kind, els in self.refs.items():
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
        nodes = {el.get("id") for el in scope if _ns(el.tag) == BPMN_NS and _local(el.tag) in FLOW_NODES}
        for flow in scope.iterfind(_q("sequenceFlow")):
            for attr in ("sourceRef", "targetRef"):
                ref = flow.get(attr)
                if not ref:
                    self.error(flow, f"sequence flow has no {attr}", hint=RESAVE_HINT)
                elif ref not in nodes:
                    other = self.ids.get(ref)
                    where = ("does not exist" if other is None else
                             f"is a <{short_name(other.tag)}> outside this (sub-)process")
                    self.error(flow, f"sequence flow {attr} '{ref}' {where}",
                               hint="reconnect the flow in the Modeler; flows may only connect elements "
                                    "of the same (sub-)process")
        for child in scope:
            if _ns(child.tag) == BPMN_NS and _local(child.tag) in SCOPES:
                self.check_references(child)

    # -- what this engine can run
    def check_process(self, process) -> None:
        if process.find(_q("startEvent")) is None:
            self.error(process, f"executable process '{process.get('id')}' has no start event",
                       hint='add a start event, or set isExecutable="false" if the process is only a diagram')
        self.check_scope(process)
        self.check_extensions(process)

    def check_scope(self, scope) -> None:
        outgoing: dict[str, list] = {}
        for flow in scope.iterfind(_q("sequenceFlow")):
            outgoing.setdefault(flow.get("sourceRef"), []).append(flow)
        activities = {el.get("id") for el in scope if _local(el.tag) in ACTIVITIES}
        for el in scope:
            if _ns(el.tag) != BPMN_NS:
                continue
            tag = _local(el.tag)
            if tag in UNSUPPORTED_ELEMENTS:
                self.unsupported(el, *UNSUPPORTED_ELEMENTS[tag])
            if tag == "sequenceFlow":
                self.check_flow(el, scope)
            if tag not in FLOW_NODES:
                continue
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
        if tag in ("exclusiveGateway", "inclusiveGateway"):
            ids = [f.get("id") for f in flows]
            default = el.get("default")
            if default and default not in ids:
                self.error(el, f"default flow '{default}' of {_label(el)} does not leave this gateway",
                           hint="choose one of the gateway's outgoing flows as its default flow")
            if len(flows) > 1:
                for flow in flows:
                    if flow.get("id") != default and not _text(flow.find(_q("conditionExpression"))):
                        self.error(flow, f"{_label(flow)} leaves {_label(el)} without a condition and "
                                   "is not the gateway's default flow",
                                   hint="give it a condition such as ${accepted}, or make it the default flow")
            return
        conditional = [f for f in flows if f.find(_q("conditionExpression")) is not None]
        for flow in conditional:
            if tag == "parallelGateway":
                message = f"condition on {_label(flow)} is ignored: {_label(el)} takes every outgoing flow"
                hint = "use an inclusive gateway to take only the flows whose condition holds"
            else:
                message = f"condition on {_label(flow)} leaving {_label(el)} is ignored by this engine"
                hint = "put an exclusive gateway after the element and move the condition to its outgoing flows"
            self.error(flow.find(_q("conditionExpression")), message, hint=hint, owner=flow)
        if len(flows) > 1 and tag not in GATEWAYS and tag != "startEvent":
            self.error(el, f"{_label(el)} has {len(flows)} outgoing flows; this engine does not split "
                       "implicitly", hint="add a parallel gateway after it (or an exclusive gateway with conditions)")

    def check_flow(self, flow, scope) -> None:
        cond = flow.find(_q("conditionExpression"))
        if cond is None:
            return
        source = self.ids.get(flow.get("sourceRef"))
        if source is None or _local(source.tag) not in ("exclusiveGateway", "inclusiveGateway"):
            return  # reported by check_outgoing or check_references
        text = _text(cond)
        language = (cond.get("language") or "").strip()
        if not text:
            self.error(cond, f"condition of {_label(flow)} is empty",
                       hint="write a condition such as ${accepted}, or remove it and make the flow the default",
                       owner=flow)
        elif language and language.lower() not in PYTHON_FORMATS:
            self.error(cond, f"condition of {_label(flow)} is written in language '{language}'; only "
                       "${...} expressions and Python are supported", hint="write the condition as ${...} or a Python expression",
                       owner=flow)
        else:
            self.expression(cond, text, "condition", f"condition of {_label(flow)}", owner=flow)

    def check_loops(self, el) -> None:
        mi = el.find(_q("multiInstanceLoopCharacteristics"))
        if mi is not None:
            cardinality = _text(mi.find(_q("loopCardinality")))
            if not cardinality and not mi.get(_c("collection")):
                zeebe = mi.find(f".//{{{ZEEBE_NS}}}loopCharacteristics")
                hint = "set Loop cardinality, or Collection (camunda:collection) with an Element variable"
                if zeebe is not None:
                    hint += (f"; its zeebe:loopCharacteristics (inputCollection "
                             f"'{zeebe.get('inputCollection')}') is Camunda 8 and not read")
                self.error(mi, f"multi-instance {_label(el)} has neither a loop cardinality nor a collection",
                           hint=self.c8(hint), owner=el)
            condition = _text(mi.find(_q("completionCondition")))
            if condition:
                self.expression(mi.find(_q("completionCondition")), condition, "condition",
                                f"completion condition of {_label(el)}", owner=el)
        loop = el.find(_q("standardLoopCharacteristics"))
        if loop is not None:
            condition = _text(loop.find(_q("loopCondition")))
            maximum = loop.get("loopMaximum")
            if not condition and not maximum:
                self.error(loop, f"loop {_label(el)} has neither a loop condition nor a loop maximum",
                           hint="set a loop condition (e.g. ${not done}) or a loopMaximum", owner=el)
            if maximum and not maximum.strip().isdigit():
                self.error(loop, f"loopMaximum '{maximum}' of {_label(el)} is not a whole number",
                           hint="set loopMaximum to a number such as 3", owner=el)
            if condition:
                self.expression(loop.find(_q("loopCondition")), condition, "condition",
                                f"loop condition of {_label(el)}", owner=el)

    def check_data_associations(self, el) -> None:
        for direction, ref_tag in (("dataInputAssociation", "sourceRef"), ("dataOutputAssociation", "targetRef")):
            for assoc in el.iterfind(_q(direction)):
                for extra in ("transformation", "assignment"):
                    if assoc.find(_q(extra)) is not None:
                        self.error(assoc.find(_q(extra)), f"data association {extra}s of {_label(el)} are "
                                   "ignored by this engine",
                                   hint="compute the value in a scriptTask (Format: python)", owner=el)
                for ref in assoc.iterfind(_q(ref_tag)):
                    target = self.ids.get(_text(ref))
                    if target is None or _local(target.tag) not in ("dataObjectReference", "dataStoreReference"):
                        what = "nothing" if target is None else f"a <{short_name(target.tag)}>"
                        self.error(ref, f"{direction} of {_label(el)} refers to '{_text(ref)}', which is {what}; "
                                   "this engine passes data to and from tasks only through data object references",
                                   hint="connect the task to a data object (reference) shape, or remove the association",
                                   owner=el)
                    elif _local(target.tag) == "dataObjectReference" and \
                            target.get("dataObjectRef") not in self.ids:
                        self.error(target, f"data object reference '{target.get('id')}' refers to data object "
                                   f"'{target.get('dataObjectRef')}', which does not exist", hint=RESAVE_HINT)

    # -- events
    def check_event(self, el, tag: str, activities: set) -> None:
        definitions = [d for d in el if _ns(d.tag) == BPMN_NS and _local(d.tag) in EVENT_DEFINITIONS]
        supported = SUPPORTED_EVENT_DEFINITIONS.get(tag, set())
        for d in definitions:
            kind = _local(d.tag)
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
                           f"({_label(el)})", hint=hints.get(kind, "use another event type"), owner=el)
                continue
            getattr(self, f"check_{kind}", lambda d, el: None)(d, el)
        if not definitions and tag in ("boundaryEvent", "intermediateCatchEvent"):
            self.error(el, f"{_label(el)} has no event definition, so it would wait for nothing",
                       hint="make it a timer, message, signal or conditional event")
        if tag == "boundaryEvent":
            attached = el.get("attachedToRef")
            if attached not in activities:
                self.error(el, f"{_label(el)} is attached to '{attached}', which is not an activity of the "
                           "same (sub-)process", hint="attach the event to a task or sub-process in the Modeler")
        if tag == "startEvent" and not definitions and el.getparent().get("triggeredByEvent") == "true":
            self.error(el, f"{_label(el)} of an event sub-process has no trigger",
                       hint="make it a timer, message, signal or conditional start event")

    def check_timerEventDefinition(self, d, el) -> None:
        values = [c for c in d if _local(c.tag) in ("timeDate", "timeDuration", "timeCycle")]
        if not values:
            self.error(d, f"timer {_label(el)} has no time", owner=el,
                       hint="set a date (e.g. 2026-12-01T09:00:00+08:00 or ${clock_due(clock_handling)}), "
                            "a duration (e.g. P15D) or a cycle (e.g. R3/P1D)")
            return
        for value in values:
            text, kind = _text(value), _local(value.tag)
            if not text:
                self.error(value, f"{kind} of timer {_label(el)} is empty", owner=el,
                           hint="e.g. P15D for a duration, R3/P1D for a cycle, an ISO date for a date")
            else:
                self.expression(value, text, kind, f"{kind} of timer {_label(el)}", owner=el)

    def _check_ref(self, d, el, attr: str, kind: str, required: bool) -> None:
        ref = d.get(attr)
        if not ref:
            if required:
                self.error(d, f"{kind} {_label(el)} has no {kind}", owner=el,
                           hint=f"choose or create a {kind} for it in the Modeler (the {kind.title()} field)")
            return
        target = self.refs[kind].get(ref)
        if target is None:
            self.error(d, f"{_label(el)} refers to {kind} '{ref}', which is not defined in this file", owner=el,
                       hint=f"choose an existing {kind} or create a global {kind} with that id")
        elif kind in ("message", "signal") and not (target.get("name") or "").strip():
            self.error(target, f"{kind} '{ref}' used by {_label(el)} has no name",
                       hint=f"give the {kind} a name; cases are matched by {kind} name")

    def check_messageEventDefinition(self, d, el) -> None:
        self._check_ref(d, el, "messageRef", "message", required=True)

    def check_signalEventDefinition(self, d, el) -> None:
        self._check_ref(d, el, "signalRef", "signal", required=True)

    def check_errorEventDefinition(self, d, el) -> None:
        self._check_ref(d, el, "errorRef", "error", required=False)

    def check_escalationEventDefinition(self, d, el) -> None:
        self._check_ref(d, el, "escalationRef", "escalation", required=False)

    def check_conditionalEventDefinition(self, d, el) -> None:
        condition = _text(d.find(_q("condition")))
        if not condition:
            self.error(d, f"conditional {_label(el)} has no condition", owner=el,
                       hint="write the condition, e.g. ${clock_handling['overdue']}")
        else:
            self.expression(d.find(_q("condition")), condition, "condition", f"condition of {_label(el)}",
                            owner=el)

    # -- tasks
    def check_userTask(self, el) -> None:
        for role in ("potentialOwner", "humanPerformer", "performer"):
            node = el.find(_q(role))
            if node is not None:
                self.error(node, f"BPMN {role} of {_label(el)} is ignored by this engine", owner=el,
                           hint="say who does the task with camunda:candidateGroups (unit:role) or "
                                "camunda:assignee")
        for attr in USER_TASK_EXPRESSIONS:
            value = (el.get(_c(attr)) or "").strip()
            if not value:
                continue
            if "${" in value or "#{" in value:
                self.expression(el, value, "text", f"camunda:{attr} of {_label(el)}")
            elif attr in ("dueDate", "followUpDate") and not _is_iso_datetime(value):
                self.error(el, f"camunda:{attr} '{value}' of {_label(el)} is neither an ISO 8601 date-time nor "
                           "an expression", hint="write e.g. ${due('handling')} or 2026-12-01T17:00:00+08:00")
            elif attr == "priority" and not value.lstrip("-").isdigit():
                self.error(el, f"camunda:priority '{value}' of {_label(el)} is not a whole number",
                           hint="write a number such as 50, or an expression ${...}")
        for form_field in el.iterfind(f".//{{{CAMUNDA_NS}}}formField"):
            if not (form_field.get("id") or "").strip():
                self.error(form_field, f"a form field of {_label(el)} has no ID", owner=el,
                           hint="give every form field an ID; it becomes the variable name")

    def check_scriptTask(self, el) -> None:
        fmt = (el.get("scriptFormat") or "").strip()
        script = el.find(_q("script"))
        if el.get(_c("resource")):
            self.unsupported(el, f"{_label(el)} loads its script from '{el.get(_c('resource'))}'; external "
                             "scripts are not supported", "paste the script inline (Type: Inline script)")
            return
        if fmt and fmt.lower() not in PYTHON_FORMATS:
            self.unsupported(el, f"{_label(el)} is written in '{fmt}'; this engine runs Python scripts only",
                             "rewrite the script in Python and set Format to 'python'")
            return
        text = script.text if script is not None and script.text else ""
        if not text.strip():
            self.error(el if script is None else script, f"{_label(el)} has no script", owner=el,
                       hint="write the Python script (Type: Inline script), or use a plain task")
            return
        try:
            compile(text, f"<{el.get('id')}>", "exec")
        except SyntaxError as exc:
            line = script.sourceline + (exc.lineno or 1) - 1 if script.sourceline else None
            self.dep.report.add(self.doc.name, f"Python syntax error in {_label(el)}: {exc.msg} "
                                f"(script line {exc.lineno})", line=line, element_id=el.get("id"),
                                hint="correct the script; it must be valid Python 3")
            return
        problem = _expression_error(text, "script")
        if problem:
            self.error(script, f"script of {_label(el)} is refused: {problem}", owner=el,
                       hint="scripts may not import modules, use dunder attributes or touch files")

    def check_sendTask(self, el) -> None:
        impl = [a for a in TASK_IMPLEMENTATIONS if el.get(_c(a))]
        if impl:
            what = "an external task" if el.get(_c("type")) == "external" else f"camunda:{impl[0]}"
            self.unsupported(el, f"{_label(el)} is implemented by {what}, which this engine cannot run",
                             "record the notice in a scriptTask (Format: python) or let a person send it "
                             "in a userTask")
            return
        message = el.get("messageRef") or any(True for _ in el.iterfind(_q("messageEventDefinition")))
        if not message:
            self.unsupported(el, f"{_label(el)} sends nothing: it has neither a message nor an implementation",
                             "use an intermediate message throw event, or a scriptTask that records the notice")
        elif el.get("messageRef"):
            self._check_ref(el, el, "messageRef", "message", required=True)

    def check_receiveTask(self, el) -> None:
        self._check_ref(el, el, "messageRef", "message", required=True)

    def check_businessRuleTask(self, el) -> None:
        impl = [a for a in ("class", "delegateExpression", "expression") if el.get(_c(a))]
        if impl or el.get(_c("type")) == "external":
            self.unsupported(el, f"{_label(el)} is implemented by camunda:{impl[0] if impl else 'type'}; only "
                             "DMN decisions can be run", "set Implementation = DMN and a Decision reference")
            return
        ref = (el.get(_c("decisionRef")) or "").strip()
        if not ref:
            zeebe = el.find(f".//{{{ZEEBE_NS}}}calledDecision")
            hint = ("set Implementation = DMN and 'Decision reference' (camunda:decisionRef) to the id of a "
                    "decision deployed with it")
            if zeebe is not None:
                hint += f"; its zeebe:calledDecision '{zeebe.get('decisionId')}' is Camunda 8 and not read"
            self.unsupported(el, f"{_label(el)} has no camunda:decisionRef, so there is no decision to run",
                             self.c8(hint))
            return
        if "${" in ref or "#{" in ref:
            self.unsupported(el, f"decision reference '{ref}' of {_label(el)} is an expression; it must be "
                             "resolved at deploy time", "set the decision id itself")
            return
        binding = el.get(_c("decisionRefBinding"))
        if binding in ("version", "versionTag"):
            self.error(el, f"decisionRefBinding '{binding}' of {_label(el)} is not supported",
                       hint="use the default binding (latest); the decision is frozen at deploy time")
        if ref not in self.dep.decisions and not self.dep.preloaded_decision(ref):
            known = ", ".join(sorted(self.dep.decisions)) or "none"
            self.error(el, f"{_label(el)} refers to decision '{ref}', which no DMN file of this deployment "
                       f"defines (decisions here: {known})",
                       hint="deploy the .dmn file with it, or correct the Decision reference to a decision id")

    def check_callActivity(self, el) -> None:
        called = (el.get("calledElement") or "").strip()
        if el.get(_c("caseRef")):
            self.unsupported(el, f"{_label(el)} calls a CMMN case; CMMN is not supported", "call a BPMN process")
            return
        if not called:
            zeebe = el.find(f".//{{{ZEEBE_NS}}}calledElement")
            hint = "set 'Called element' to the id of the process to call"
            if zeebe is not None:
                hint += f"; its zeebe:calledElement '{zeebe.get('processId')}' is Camunda 8 and not read"
            self.error(el, f"{_label(el)} has no calledElement", hint=self.c8(hint))
            return
        if "${" in called or "#{" in called:
            self.unsupported(el, f"called element '{called}' of {_label(el)} is an expression; it must be "
                             "resolved at deploy time", "set the id of the called process itself")
            return
        binding = el.get(_c("calledElementBinding"))
        if binding in ("version", "versionTag"):
            self.error(el, f"calledElementBinding '{binding}' of {_label(el)} is not supported",
                       hint="use the default binding (latest); the callee is frozen at deploy time")
        target = self.dep.processes.get(called)
        if target is not None:
            if not target[2]:
                self.error(el, f"{_label(el)} calls process '{called}', which is marked isExecutable=\"false\" "
                           f"in {target[0].name}", hint="make the called process executable")
        elif not self.dep.preloaded_process(called):
            process = next(p for p in el.iterancestors(_q("process")))
            ref = CallReference(self.doc.name, el.sourceline, el.get("id"), process.get("id"), called)
            self.dep.unresolved.append(ref)
            if called not in self.dep.known_process_keys:
                self.dep.report.extend([ref.problem()])

    def check_subprocess(self, el, tag: str) -> None:
        starts = el.findall(_q("startEvent"))
        if tag == "adHocSubProcess":
            if el.get("ordering") == "Sequential":
                self.unsupported(el, f"sequential {_label(el)} is not supported", "use Parallel ordering")
            for node in starts + el.findall(_q("endEvent")):
                self.error(node, f"{_label(el)} may not contain start or end events",
                           hint="remove them; ad-hoc sub-process tasks start without them", owner=node)
            return
        if len(starts) != 1:
            self.error(el, f"{_label(el)} needs exactly one start event; it has {len(starts)}",
                       hint="model the sub-process content (expand it in the Modeler) starting with one start "
                            "event, or use a task or call activity instead")
        if el.find(_q("endEvent")) is None:
            self.error(el, f"{_label(el)} has no end event", hint="end its content with an end event")

    # -- extension elements and attributes
    def check_extensions(self, process) -> None:
        for el in process.iter():
            if not isinstance(el.tag, str):
                continue
            ns, local = _ns(el.tag), _local(el.tag)
            owner = el
            while owner is not None and (_ns(owner.tag) != BPMN_NS or not owner.get("id")):
                owner = owner.getparent()
            if owner is None or owner.get("id") in self.flagged:
                continue
            if ns == ZEEBE_NS and _ns(el.getparent().tag) != ZEEBE_NS:
                hint = ZEEBE_HINTS.get(local, "use the Camunda 7 equivalent")
                self.error(el, f"Camunda 8 extension zeebe:{local} of {_label(owner)} is not read by this "
                           "engine", hint=self.c8(hint), owner=owner)
            elif ns == ZEEBE_NS:
                continue
            elif ns == ACTIVITI_NS or any(_ns(a) == ACTIVITI_NS for a in el.attrib):
                prefix = next((p for p, u in el.nsmap.items() if u == ACTIVITI_NS), "activiti")
                names = [f"{prefix}:{_local(a)}" for a in el.attrib if _ns(a) == ACTIVITI_NS]
                what = ", ".join(names) if ns != ACTIVITI_NS else f"{prefix}:{local}"
                self.error(el, f"{what} on {_label(owner)} uses the legacy Activiti namespace "
                           f"({ACTIVITI_NS}), which this engine does not read", owner=owner,
                           hint=f'declare xmlns:{prefix}="{CAMUNDA_NS}" instead (line {self.doc.root.sourceline}), '
                                "or " + RESAVE_HINT)
            elif ns == CAMUNDA_NS and local in UNSUPPORTED_CAMUNDA_ELEMENTS:
                message, hint = UNSUPPORTED_CAMUNDA_ELEMENTS[local]
                self.error(el, f"camunda:{local} of {_label(owner)}: {message}", hint=hint, owner=owner)
            elif ns == CAMUNDA_NS and local in ("in", "out"):
                mapped = [a for a in ("source", "sourceExpression", "target", "local") if el.get(a)]
                if mapped:
                    self.error(el, f"camunda:{local} mapping of {_label(owner)} is ignored: a called process "
                               "always receives all variables of the caller and hands all of its variables back",
                               hint=f'use <camunda:{local} variables="all"/> (or remove the mapping)', owner=owner)
            elif ns == BPMN_NS and local == "scriptTask" and el.get(_c("resultVariable")):
                self.error(el, f"camunda:resultVariable of {_label(el)} is ignored",
                           hint="assign the variable inside the script instead")


# --------------------------------------------------------------------------- DMN checks

def _supported_hit_policies(parser) -> frozenset:
    declared = getattr(parser, "SUPPORTED_HIT_POLICIES", None)
    if declared is None and importlib.util.find_spec("engine.dmn") is not None:
        declared = getattr(importlib.import_module("engine.dmn"), "SUPPORTED_HIT_POLICIES", None)
    return frozenset(declared) if declared else DEFAULT_HIT_POLICIES


def _check_dmn(doc: _Document, dep: _Deployment) -> None:
    ns = _ns(doc.root.tag)

    def q(local):
        return f"{{{ns}}}{local}"

    def error(node, message, hint=None, owner=None):
        dep.report.add(doc.name, message, node=node,
                       element_id=_nearest_id(owner if owner is not None else node), hint=hint)

    decisions = doc.root.findall(q("decision"))
    if not decisions:
        error(doc.root, "the DMN file defines no decision", hint="add a decision table in Camunda Modeler")
    for extra in decisions[1:]:
        error(extra, f"decision '{extra.get('id')}' is the second decision of this file; this engine reads "
              "one decision per DMN file", hint="save each decision table in its own .dmn file")
    policies = _supported_hit_policies(dep.parser)
    for decision in decisions[:1]:
        table = decision.find(q("decisionTable"))
        if table is None:
            error(decision, f"decision '{decision.get('id')}' has no decision table (literal expressions are "
                  "not supported)", hint="model the decision as a decision table")
            continue
        for node in [decision, table, *table.iter(q("input"), q("output"), q("rule"), q("inputEntry"),
                                                   q("outputEntry"))]:
            if not node.get("id"):
                error(node, f"<dmn:{_local(node.tag)}> has no id", hint=RESAVE_HINT)
        policy = (table.get("hitPolicy") or "UNIQUE").upper()
        aggregation = table.get("aggregation")
        if policy not in policies or aggregation:
            shown = f"{policy} {aggregation}" if aggregation else policy
            error(table, f"hit policy {shown} of decision '{decision.get('id')}' is not supported",
                  hint="use one of " + ", ".join(sorted(policies)) + (" without aggregation" if aggregation else ""))
        inputs, outputs = table.findall(q("input")), table.findall(q("output"))
        for column in inputs:
            if not _text(column.find(f"{q('inputExpression')}/{q('text')}")):
                error(column, f"input column '{column.get('label') or column.get('id')}' has no expression",
                      hint="set the input expression to a variable name, e.g. category")
        for column in outputs:
            if not (column.get("name") or "").strip():
                error(column, f"output column '{column.get('label') or column.get('id')}' has no name",
                      hint="set the output name; it becomes the result variable")
        for number, rule in enumerate(table.iterfind(q("rule")), start=1):
            entries = rule.findall(q("inputEntry")), rule.findall(q("outputEntry"))
            for found, columns, word in ((entries[0], inputs, "input"), (entries[1], outputs, "output")):
                if len(found) != len(columns):
                    error(rule, f"rule {number} of decision '{decision.get('id')}' has {len(found)} {word} "
                          f"entries for {len(columns)} {word} columns", hint=RESAVE_HINT)
            for entry in entries[0]:
                text = _text(entry.find(q("text")))
                if text and text != "-":
                    problem = _dmn_entry_error(text, "input")
                    if problem:
                        error(entry, f"input entry '{text}' of rule {number} does not compile: {problem}",
                              hint='write FEEL unary tests such as "a","b" or < 10 or [1..5], or - for any',
                              owner=rule)
            for entry in entries[1]:
                text = _text(entry.find(q("text")))
                if not text:
                    continue
                problem = _dmn_entry_error(text, "output")
                if problem:
                    error(entry, f"output entry '{text}' of rule {number} does not compile: {problem}",
                          hint='write a literal such as "accept", true or 15', owner=rule)


# --------------------------------------------------------------------------- SpiffWorkflow

def _humanize(message: str) -> str:
    """SpiffWorkflow's and Python's wording, without reprs, Clark names or raw XML."""
    message = re.sub(r"<Element (\{[^}]*\}[\w.-]+) at 0x[0-9a-f]+>", lambda m: f"<{short_name(m.group(1))}>", message)
    message = re.sub(r"b'<.*", "", message, flags=re.S)  # NotImplementedError dumps the node's XML
    m = re.fullmatch(r"KeyError\(['\"](.*)['\"]\)", message.strip()) or \
        re.fullmatch(r"KeyError: ['\"](.*)['\"]", message.strip())
    if m:
        return f"required attribute {short_name(m.group(1))} is missing"
    if "Expected 1 result. Received 0 results" in message:
        return "an element it refers to does not exist"
    message = short_name(message)
    return message if len(message) <= 300 else message[:297] + "..."


def _spiff_problem(exc: BaseException, docs: dict[str, _Document], file: str, fallback=None) -> Problem:
    """A SpiffWorkflow (or any) exception as a located Problem."""
    file = getattr(exc, "file_name", None) or file
    doc = docs.get(file)
    element_id = getattr(exc, "id", None) or None
    line = getattr(exc, "line_number", None)
    line = line if isinstance(line, int) and line > 0 else None
    node = doc.by_id(element_id) if doc is not None and element_id else None
    if node is None and fallback is not None and not element_id:
        node = fallback
    if node is not None:
        line = line or node.sourceline
        element_id = element_id or node.get("id")
    text = exc.args[0] if getattr(exc, "args", None) and isinstance(exc.args[0], str) else str(exc)
    if not isinstance(exc, _validation_exception()):
        text = f"{type(exc).__name__}({exc!s})" if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
    return Problem(file=file, line=line, element_id=element_id, message=_humanize(text),
                   hint="SpiffWorkflow could not build this element; correct it as the message says, or " +
                        RESAVE_HINT)


@lru_cache(maxsize=None)
def _validation_exception():
    from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
    return ValidationException


def _build_specs(parser, pid: str, docs, file: str, node, report: _Report, result: ValidationResult) -> None:
    from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask

    current = pid
    try:
        spec = parser.get_spec(pid)
        subs: dict[str, Any] = {}
        pending = [spec]
        while pending:
            for task_spec in pending.pop().task_specs.values():
                name = getattr(task_spec, "spec", None)
                if not isinstance(task_spec, SubWorkflowTask) or name in subs or name == pid:
                    continue
                if parser.get_process_parser(name) is None:
                    continue  # a call the deploy layer resolves (CallReference)
                current = name
                subs[name] = parser.get_spec(name)
                pending.append(subs[name])
        result.specs[pid] = spec
        result.subprocess_specs[pid] = subs
    except Exception as exc:  # noqa: BLE001 - whatever SpiffWorkflow raises becomes a Problem
        log.debug("building %s failed while parsing %s", pid, current, exc_info=True)
        report.extend([_spiff_problem(exc, docs, file, node)])


# --------------------------------------------------------------------------- entry point

def validate_resources(resources: list[tuple[str, bytes]], parser, *, max_bytes: int = MAX_RESOURCE_BYTES,
                       known_process_keys: Iterable[str] = ()) -> ValidationResult:
    """Validate a deployment's resources and build their specs; see ValidationResult."""
    report = _Report()
    dep = _Deployment(parser, report, known_process_keys)
    result = ValidationResult(parser=parser)
    names = [name for name, _ in resources]
    docs: dict[str, _Document] = {}

    for name, data in resources:
        kind = _kind_by_name(name)
        if kind == "other":
            result.ignored.append(name)
            continue
        doc = _load(name, data, kind, report, max_bytes)
        if doc is None:
            continue
        docs[name] = doc
        if doc.kind == "bpmn":
            _validate_schema(doc, report, "bpmn", "BPMN")
        else:
            _validate_schema(doc, report, _ns(doc.root.tag), DMN_NAMESPACES[_ns(doc.root.tag)])

    _index(docs, dep, result)
    for doc in docs.values():
        try:
            if doc.kind == "dmn":
                _check_dmn(doc, dep)
            else:
                _BpmnChecks(doc, dep).run()
        except Exception as exc:  # noqa: BLE001 - a bug in a check must not hide the file's other problems
            log.exception("validation check failed for %s", doc.name)
            report.add(doc.name, f"internal error while checking this file: {type(exc).__name__}: {exc}")
    result.unresolved_calls = dep.unresolved

    healthy = {name for name in docs if not report.errors_in(name)}
    _add_to_parser(parser, docs, healthy, report)
    healthy = {name for name in healthy if not report.errors_in(name)}
    broken_decisions = {d.id for d in result.decisions if d.file not in healthy}
    for summary in result.processes:
        if not summary.executable or summary.file not in healthy:
            continue
        if broken_decisions.intersection(summary.decision_refs):
            continue  # the DMN file has its own problems
        node = docs[summary.file].by_id(summary.id)
        _build_specs(parser, summary.id, docs, summary.file, node, report, result)

    result.problems = report.ordered(names)
    return result


def _index(docs: dict[str, _Document], dep: _Deployment, result: ValidationResult) -> None:
    """Processes and decisions of the deployment, and ids defined twice."""
    for doc in docs.values():
        if doc.kind == "dmn":
            for decision in doc.root.iterfind(f"{{{_ns(doc.root.tag)}}}decision"):
                did = decision.get("id")
                if not did:
                    continue
                if did in dep.decisions or dep.preloaded_decision(did):
                    other = dep.decisions.get(did, (None,))[0]
                    dep.report.add(doc.name, f"decision id '{did}' is also defined in "
                                   f"{other.name if other else 'an earlier resource'}", node=decision,
                                   hint="every decision needs its own id")
                    continue
                dep.decisions[did] = (doc, decision)
                table = decision.find(f"{{{_ns(doc.root.tag)}}}decisionTable")
                result.decisions.append(DecisionSummary(
                    id=did, name=decision.get("name"), file=doc.name, line=decision.sourceline,
                    hit_policy=(table.get("hitPolicy") or "UNIQUE").upper() if table is not None else None))
            continue
        for process in doc.find("process"):
            pid = process.get("id")
            if not pid:
                continue
            if pid in dep.processes or dep.preloaded_process(pid):
                other = dep.processes.get(pid, (None,))[0]
                dep.report.add(doc.name, f"process id '{pid}' is also defined in "
                               f"{other.name if other else 'an earlier resource'}", node=process,
                               hint="every process needs its own id (it is the process key)")
                continue
            executable = process.get("isExecutable", "true") == "true"
            dep.processes[pid] = (doc, process, executable)
            result.processes.append(ProcessSummary(
                id=pid, name=process.get("name"), file=doc.name, line=process.sourceline, executable=executable,
                version_tag=process.get(_c("versionTag")),
                startable_in_tasklist=process.get(_c("isStartableInTasklist"), "true") != "false",
                called_elements=sorted({c.get("calledElement") for c in process.iter(_q("callActivity"))
                                        if c.get("calledElement")}),
                decision_refs=sorted({b.get(_c("decisionRef")) for b in process.iter(_q("businessRuleTask"))
                                      if b.get(_c("decisionRef"))}),
            ))


def _executable_part(doc: _Document):
    """A copy of a BPMN document holding what SpiffWorkflow has to parse (lines kept).

    SpiffWorkflow scans every process of a file, executable or not, and refuses the
    whole file for things a diagram may well contain (a business rule task without
    decisionRef, a data store).  Diagram-only processes are never built, so they are
    left out; data store declarations are unsupported (references to them are
    reported) and would otherwise make SpiffWorkflow refuse the file.
    """
    root = copy.deepcopy(doc.root)
    for el in list(root.iterfind(_q("process"))) + list(root.iterfind(_q("dataStore"))):
        if _local(el.tag) == "dataStore" or el.get("isExecutable", "true") != "true":
            root.remove(el)
    return root.getroottree()


def _add_to_parser(parser, docs: dict[str, _Document], healthy: set[str], report: _Report) -> None:
    """Hand every healthy resource to SpiffWorkflow; DMN first, business rule tasks need them."""
    for doc in sorted((d for d in docs.values() if d.name in healthy), key=lambda d: d.kind != "dmn"):
        if doc.kind == "bpmn" and not any(p.get("isExecutable", "true") == "true" for p in doc.find("process")):
            continue  # a diagram only: nothing to build
        try:
            if doc.kind == "dmn":
                parser.add_dmn_xml(doc.root, filename=doc.name)
                did = doc.root.find(f"{{{_ns(doc.root.tag)}}}decision").get("id")
                parser.dmn_parsers[did].parse()
            else:
                parser.add_bpmn_xml(_executable_part(doc), filename=doc.name)
        except Exception as exc:  # noqa: BLE001 - whatever SpiffWorkflow raises becomes a Problem
            log.debug("adding %s to the parser failed", doc.name, exc_info=True)
            report.extend([_spiff_problem(exc, docs, doc.name, doc.root)])
