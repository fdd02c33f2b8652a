"""What this engine can run: checks of DMN decision tables."""
from __future__ import annotations

import importlib
import importlib.util

from engine.validation.common import (
    RESAVE_HINT, Deployment, Document, dmn_entry_error, local, nearest_id, ns, text_of,
)

#: Hit policies SpiffWorkflow's DMN engine evaluates faithfully.  A parser (or
#: engine.dmn) that implements more declares ``SUPPORTED_HIT_POLICIES``.
DEFAULT_HIT_POLICIES = frozenset({"UNIQUE", "FIRST", "ANY", "COLLECT"})


def supported_hit_policies(parser) -> frozenset:
    """The hit policies the deployment's DMN engine evaluates faithfully."""
    declared = getattr(parser, "SUPPORTED_HIT_POLICIES", None)
    if declared is None and importlib.util.find_spec("engine.dmn") is not None:
        declared = getattr(importlib.import_module("engine.dmn"), "SUPPORTED_HIT_POLICIES", None)
    return frozenset(declared) if declared else DEFAULT_HIT_POLICIES


def check_dmn(doc: Document, dep: Deployment) -> None:
    """Report what in a DMN document this engine cannot evaluate (one decision table per file)."""
    namespace = ns(doc.root.tag)

    def q(name):
        return f"{{{namespace}}}{name}"

    def error(node, message, hint=None, owner=None):
        dep.report.add(doc.name, message, node=node,
                       element_id=nearest_id(owner if owner is not None else node), hint=hint)

    decisions = doc.root.findall(q("decision"))
    if not decisions:
        error(doc.root, "the DMN file defines no decision", hint="add a decision table in Camunda Modeler")
    for extra in decisions[1:]:
        error(extra, f"decision '{extra.get('id')}' is the second decision of this file; this engine reads "
              "one decision per DMN file", hint="save each decision table in its own .dmn file")
    policies = supported_hit_policies(dep.parser)
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
            for entry in entries[0]:
                text = text_of(entry.find(q("text")))
                if text and text != "-":
                    problem = dmn_entry_error(text, "input")
                    if problem:
                        error(entry, f"input entry '{text}' of rule {number} does not compile: {problem}",
                              hint='write FEEL unary tests such as "a","b" or < 10 or [1..5], or - for any',
                              owner=rule)
            for entry in entries[1]:
                text = text_of(entry.find(q("text")))
                if not text:
                    continue
                problem = dmn_entry_error(text, "output")
                if problem:
                    error(entry, f"output entry '{text}' of rule {number} does not compile: {problem}",
                          hint='write a literal such as "accept", true or 15', owner=rule)
