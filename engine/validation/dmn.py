"""What this engine can run: checks of DMN decision tables."""
from __future__ import annotations

import importlib
import importlib.util

from engine.validation.common import (
    BPMN_NS, RESAVE_HINT, Deployment, Document, local, nearest_id, ns, text_of,
)

#: Hit policies SpiffWorkflow's own DMN engine evaluates faithfully (when engine.dmn is
#: not in use).  A parser that implements more may declare ``SUPPORTED_HIT_POLICIES``.
DEFAULT_HIT_POLICIES = frozenset({"UNIQUE", "FIRST", "ANY", "COLLECT"})


def dmn_support(parser):
    """(engine.dmn if it evaluates this parser's decisions else None, whether every decision of a file counts).

    engine.dmn reads decision tables itself (FEEL cells, all of Camunda's hit policies)
    when the parser's business rule tasks are its own, and registers every decision of a
    file when the parser mixes in its ``CamundaDmnParserMixin``; SpiffWorkflow's own
    parser registers only the first decision of each file.
    """
    if importlib.util.find_spec("engine.dmn") is None:
        return None, False
    module = importlib.import_module("engine.dmn")
    mixin = getattr(module, "CamundaDmnParserMixin", None)
    every_decision = mixin is not None and isinstance(parser, mixin)
    override = getattr(parser, "OVERRIDE_PARSER_CLASSES", {}).get(f"{{{BPMN_NS}}}businessRuleTask")
    rule_parser = getattr(module, "CamundaBusinessRuleTaskParser", None)
    own_tasks = override is not None and rule_parser is not None and issubclass(override[0], rule_parser)
    return (module if every_decision or own_tasks else None), every_decision


def check_dmn(doc: Document, dep: Deployment) -> None:
    """Report what in a DMN document this engine cannot evaluate, each at its element."""
    namespace = ns(doc.root.tag)

    def q(name):
        return f"{{{namespace}}}{name}"

    def error(node, message, hint=None, owner=None):
        dep.report.add(doc.name, message, node=node,
                       element_id=nearest_id(owner if owner is not None else node), hint=hint)

    decisions = doc.root.findall(q("decision"))
    if not decisions:
        error(doc.root, "the DMN file defines no decision", hint="add a decision table in Camunda Modeler")
        return
    module, every_decision = dmn_support(dep.parser)
    if not every_decision:
        for extra in decisions[1:]:
            error(extra, f"decision '{extra.get('id')}' is the second decision of this file; this engine reads "
                  "one decision per DMN file", hint="save each decision table in its own .dmn file")
    if module is not None:
        # engine.dmn evaluates these tables; its reader knows what it can run.
        dep.report.extend(module.dmn_problems(doc.root, doc.name))
        return
    # SpiffWorkflow's own DMN engine: its parse() checks the cells when the file is added.
    policies = frozenset(getattr(dep.parser, "SUPPORTED_HIT_POLICIES", None) or DEFAULT_HIT_POLICIES)
    for decision in decisions[:1]:
        table = decision.find(q("decisionTable"))
        if table is None:
            error(decision, f"decision '{decision.get('id')}' has no decision table (literal expressions are "
                  "not supported)", hint="model the decision as a decision table")
            continue
        for node in [decision, table, *table.iter(q("input"), q("output"), q("rule"), q("inputEntry"),
                                                   q("outputEntry"))]:
            if not node.get("id"):
                error(node, f"<dmn:{local(node.tag)}> has no id", hint=RESAVE_HINT)
        policy = (table.get("hitPolicy") or "UNIQUE").upper()
        aggregation = table.get("aggregation")
        if policy not in policies or aggregation:
            shown = f"{policy} {aggregation}" if aggregation else policy
            error(table, f"hit policy {shown} of decision '{decision.get('id')}' is not supported",
                  hint="use one of " + ", ".join(sorted(policies)) + (" without aggregation" if aggregation else ""))
        inputs, outputs = table.findall(q("input")), table.findall(q("output"))
        for column in inputs:
            if not text_of(column.find(f"{q('inputExpression')}/{q('text')}")):
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
