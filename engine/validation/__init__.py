"""Validation of uploaded BPMN and DMN before anything of a deployment is stored.

The deploy layer calls two functions:

``safe_parse_xml(data, filename, *, max_bytes=MAX_RESOURCE_BYTES) -> lxml root element``
    Parses an uploaded resource without trusting it (no DTD, no entities, no network,
    size-capped); raises ``DeployError([Problem])`` when it refuses.

``validate_resources(resources, parser, *, max_bytes=..., known_process_keys=()) -> ValidationResult``
    For a whole deployment ``[(name, bytes), ...]`` (``.bpmn``/``.dmn``; other names,
    e.g. ``.form``, are passed over and listed in ``result.ignored``):

    1. parses each resource safely and checks it against the BPMN 2.0 / DMN schema;
    2. checks what this engine can run, element by element (``bpmn.py``, ``dmn.py``);
    3. adds the healthy resources to ``parser`` (a SpiffWorkflow ``CamundaParser``
       subclass, normally ``engine.parser.XinfangParser``) and builds the spec of every
       executable process, turning whatever SpiffWorkflow raises into a Problem.

    Nothing is raised for bad input: every finding is an ``engine.errors.Problem`` with
    file, line, element id, message and hint in ``result.problems``; deploy when
    ``result.ok``.  Processes and decisions already in ``parser`` count as available to
    call activities and business rule tasks; calledElements that are not are listed in
    ``result.unresolved_calls`` and, unless named in ``known_process_keys``, reported
    (likewise decisionRefs and ``known_decision_keys``).

    ``deployed``: resources stored by earlier deployments that this one calls or decides
    with (``engine.references`` picks them). They are added to ``parser`` first and not
    checked again; they are not part of the deployment.  ``known_problems``: what the
    caller found already (unresolvable references); they are reported with the others,
    and a file with one is not handed to SpiffWorkflow.
"""
from __future__ import annotations

import logging
from typing import Iterable

from engine.errors import Problem
from engine.validation.bpmn import BpmnChecks
from engine.validation.common import (
    Deployment, Document, Report, c, ns, q, short_name,
)
from engine.validation.dmn import check_dmn
from engine.validation.results import CallReference, DecisionSummary, ProcessSummary, ValidationResult
from engine.validation.safexml import MAX_RESOURCE_BYTES, kind_by_name, load, safe_parse_xml, validate_schema
from engine.validation.spiff import add_to_parser, build_specs

__all__ = [
    "MAX_RESOURCE_BYTES", "CallReference", "DecisionSummary", "ProcessSummary", "ValidationResult",
    "safe_parse_xml", "short_name", "validate_resources",
]

log = logging.getLogger(__name__)


def validate_resources(resources: list[tuple[str, bytes]], parser, *, max_bytes: int = MAX_RESOURCE_BYTES,
                       known_process_keys: Iterable[str] = (), known_decision_keys: Iterable[str] = (),
                       deployed: Iterable[tuple[str, bytes]] = (),
                       known_problems: Iterable[Problem] = ()) -> ValidationResult:
    """Validate a deployment's resources and build their specs; see the module docstring."""
    report = Report()
    report.extend(list(known_problems))
    preload_deployed(parser, deployed, report)
    dep = Deployment(parser, report, known_process_keys, known_decision_keys)
    result = ValidationResult(parser=parser)
    docs: dict[str, Document] = {}
    for name, data in resources:
        kind = kind_by_name(name)
        if kind == "other":
            result.ignored.append(name)
            continue
        doc = load(name, data, kind, report, max_bytes)
        if doc is not None:
            docs[name] = doc
            validate_schema(doc, report)

    _index(docs, dep, result)
    for doc in docs.values():
        try:
            if doc.kind == "dmn":
                check_dmn(doc, dep)
            else:
                BpmnChecks(doc, dep).run()
        except Exception as exc:  # noqa: BLE001 - a bug in a check must not hide the other files' problems
            log.exception("validation check failed for %s", doc.name)
            report.add(doc.name, f"internal error while checking this file: {type(exc).__name__}: {exc}",
                       hint="please report this; the file may well be fine")
    result.unresolved_calls = dep.unresolved

    # Only files without errors reach SpiffWorkflow: what it would raise about the others
    # is a consequence of problems already reported, in worse words.
    healthy = {name for name in docs if not report.errors_in(name)}
    add_to_parser(parser, docs, healthy, report)
    healthy = {name for name in healthy if not report.errors_in(name)}
    broken_decisions = {d.id for d in result.decisions if d.file not in healthy}
    for summary in result.processes:
        if summary.executable and summary.file in healthy and \
                not broken_decisions.intersection(summary.decision_refs):
            build_specs(parser, summary.id, docs, summary.file, report, result)

    result.problems = report.ordered([name for name, _ in resources])
    return result


def preload_deployed(parser, deployed: Iterable[tuple[str, bytes]], report: Report) -> None:
    """Add already deployed resources to the parser (DMN first); a failure names the stored file."""
    docs: dict[str, Document] = {}
    for name, data in deployed:
        kind = kind_by_name(name)
        if kind == "other" or name in docs:
            continue
        doc = load(name, data, kind, report, MAX_RESOURCE_BYTES)
        if doc is not None:
            docs[name] = doc
    before = len(report.problems)
    add_to_parser(parser, docs, set(docs), report)
    for problem in report.problems[before:]:
        problem.message = f"the deployed {problem.file} that this deployment uses cannot be loaded: {problem.message}"


def _index(docs: dict[str, Document], dep: Deployment, result: ValidationResult) -> None:
    """Processes and decisions of the deployment; an id defined twice is a problem."""
    for doc in docs.values():
        if doc.kind == "dmn":
            namespace = ns(doc.root.tag)
            for decision in doc.root.iterfind(f"{{{namespace}}}decision"):
                did = decision.get("id")
                if not did:
                    dep.report.add(doc.name, "a decision has no id", node=decision,
                                   hint="give the decision an id; business rule tasks refer to it")
                    continue
                if _duplicate(doc, decision, did, "decision", dep.decisions,
                                         dep.preloaded_decision(did), dep):
                    continue
                dep.decisions[did] = (doc, decision)
                table = decision.find(f"{{{namespace}}}decisionTable")
                result.decisions.append(DecisionSummary(
                    id=did, name=decision.get("name"), file=doc.name, line=decision.sourceline,
                    hit_policy=(table.get("hitPolicy") or "UNIQUE").upper() if table is not None else None))
            continue
        for process in doc.find("process"):
            pid = process.get("id")
            if not pid:
                dep.report.add(doc.name, "a process has no id", node=process,
                               hint="give the process an id; it is the key cases are started by")
                continue
            if _duplicate(doc, process, pid, "process", dep.processes, dep.preloaded_process(pid), dep):
                continue
            executable = process.get("isExecutable", "true") == "true"  # SpiffWorkflow's reading
            dep.processes[pid] = (doc, process, executable)
            result.processes.append(ProcessSummary(
                id=pid, name=process.get("name"), file=doc.name, line=process.sourceline, executable=executable,
                version_tag=process.get(c("versionTag")),
                startable_in_tasklist=process.get(c("isStartableInTasklist"), "true") != "false",
                called_elements=sorted({e.get("calledElement") for e in process.iter(q("callActivity"))
                                        if e.get("calledElement")}),
                decision_refs=sorted({e.get(c("decisionRef")) for e in process.iter(q("businessRuleTask"))
                                      if e.get(c("decisionRef"))}),
            ))


def _duplicate(doc: Document, el, key: str, what: str, seen: dict, preloaded: bool, dep: Deployment) -> bool:
    if key not in seen and not preloaded:
        return False
    where = seen[key][0].name if key in seen else "a resource already in the parser"
    dep.report.add(doc.name, f"{what} id '{key}' is also defined in {where}", node=el,
                   hint=f"every {what} needs its own id (it is the {what} key)")
    return True
