"""Handing validated documents to SpiffWorkflow and building their specs.

Whatever SpiffWorkflow (or the parser built on it) raises while adding a file or
building a spec becomes a ``Problem`` naming the file, the line and the element:
SpiffWorkflow's ``ValidationException`` carries the element id but never a usable line
(it reads ``node.line_number``, which lxml elements do not have), so the line is found
from the element id in our own tree.
"""
from __future__ import annotations

import copy
import importlib.util
import logging
import re
from functools import lru_cache
from typing import Any

from engine.errors import Problem
from engine.validation.common import RESAVE_HINT, Document, Report, local, ns, q, short_name
from engine.validation.dmn import dmn_support
from engine.validation.results import ValidationResult

log = logging.getLogger(__name__)


@lru_cache(maxsize=None)
def _validation_exception():
    from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
    return ValidationException


def humanize(message: str) -> str:
    """SpiffWorkflow's and Python's wording without reprs, Clark names or raw XML."""
    message = re.sub(r"<Element (\{[^}]*\}[\w.-]+) at 0x[0-9a-f]+>", lambda m: f"<{short_name(m.group(1))}>",
                     message)
    message = re.sub(r",?\s*b'<.*", "", message, flags=re.S)  # NotImplementedError dumps the node's XML
    m = re.fullmatch(r"KeyError\(['\"](.*)['\"]\)", message.strip())
    if m:
        return f"required attribute {short_name(m.group(1))} is missing"
    if "Expected 1 result. Received 0 results" in message:
        return "an element it refers to does not exist"
    message = short_name(message)
    return message if len(message) <= 300 else message[:297] + "..."


def spiff_problem(exc: BaseException, docs: dict[str, Document], file: str, fallback=None) -> Problem:
    """Any exception raised while parsing or building, as a located Problem."""
    file = getattr(exc, "file_name", None) or file
    doc = docs.get(file)
    element_id = getattr(exc, "id", None) or None
    node = doc.by_id(element_id) if doc is not None and element_id else None
    if node is None and element_id is None:
        node = fallback
    line = getattr(exc, "line_number", None)
    line = line if isinstance(line, int) and line > 0 else None
    if node is not None:
        line = line or node.sourceline
        element_id = element_id or node.get("id")
    if isinstance(exc, _validation_exception()) and exc.args and isinstance(exc.args[0], str):
        text = exc.args[0]
    elif isinstance(exc, KeyError):
        text = f"KeyError({exc!s})"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return Problem(file=file, line=line, element_id=element_id, message=humanize(text),
                   hint="SpiffWorkflow could not build this element; correct it as the message says, or " +
                        RESAVE_HINT)


def executable_part(doc: Document):
    """A copy of a BPMN document holding what SpiffWorkflow has to parse (lines kept).

    SpiffWorkflow scans every process of a file, executable or not, and refuses the
    whole file for things a diagram may well contain (a business rule task without
    decisionRef, a data store).  Diagram-only processes are never built, so they are
    left out; data store declarations are unsupported (references to them are
    reported) and would otherwise make SpiffWorkflow refuse the file.
    """
    root = copy.deepcopy(doc.root)
    for el in list(root.iterfind(q("process"))) + list(root.iterfind(q("dataStore"))):
        if local(el.tag) == "dataStore" or el.get("isExecutable", "true") != "true":
            root.remove(el)
    return root.getroottree()


def add_to_parser(parser, docs: dict[str, Document], healthy: set[str], report: Report) -> None:
    """Hand every healthy resource to SpiffWorkflow; DMN first, business rule tasks need them."""
    for doc in sorted((d for d in docs.values() if d.name in healthy), key=lambda d: d.kind != "dmn"):
        if doc.kind == "bpmn" and not any(p.get("isExecutable", "true") == "true" for p in doc.find("process")):
            continue  # a diagram only: nothing to build
        try:
            if doc.kind == "dmn":
                parser.add_dmn_xml(doc.root, filename=doc.name)
                if dmn_support(parser)[0] is None:
                    # SpiffWorkflow's DMN parser reads the table only when asked; ask now.
                    decision_id = doc.root.find(f"{{{ns(doc.root.tag)}}}decision").get("id")
                    parser.dmn_parsers[decision_id].parse()
            else:
                parser.add_bpmn_xml(executable_part(doc), filename=doc.name)
        except Exception as exc:  # noqa: BLE001 - whatever SpiffWorkflow raises becomes a Problem
            log.debug("adding %s to the parser failed", doc.name, exc_info=True)
            report.extend([spiff_problem(exc, docs, doc.name, doc.root)])


def build_specs(parser, pid: str, docs: dict[str, Document], file: str, report: Report,
                result: ValidationResult) -> None:
    """Build a process's spec and those of its sub-processes and callees; problems when they fail."""
    from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask

    node = docs[file].by_id(pid)
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
                subs[name] = parser.get_spec(name)
                pending.append(subs[name])
    except Exception as exc:  # noqa: BLE001 - whatever SpiffWorkflow raises becomes a Problem
        log.debug("building %s failed", pid, exc_info=True)
        report.extend([spiff_problem(exc, docs, file, node)])
        return
    result.specs[pid] = spec
    result.subprocess_specs[pid] = subs
    for built in [spec, *subs.values()]:
        _check_forms(built, docs.get(getattr(built, "file", None) or file), report)


def _check_forms(spec, doc: Document | None, report: Report) -> None:
    """Form definitions forms/ refuses (duplicate or unusable ids, empty enums, bad constraints)."""
    if doc is None or importlib.util.find_spec("forms.model") is None:
        return
    from forms.model import Form

    for task_spec in spec.task_specs.values():
        spiff_form = getattr(task_spec, "form", None)
        if spiff_form is None:
            continue
        task = doc.by_id(task_spec.bpmn_id) if getattr(task_spec, "bpmn_id", None) else None
        for note in Form.from_spiff(spiff_form).problems:
            field = None
            if task is not None and note.field_id:
                field = next((f for f in task.iter(f"{{*}}formField") if f.get("id") == note.field_id), None)
            where = field if field is not None else task
            task_name = task_spec.bpmn_name or task_spec.bpmn_id
            subject = f"form field '{note.field_id}'" if note.field_id else "form"
            report.add(doc.name, f"{subject} of user task '{task_name}': {note.message}", node=where,
                       element_id=task_spec.bpmn_id, hint="correct the form field in the Forms tab of the Modeler")
