"""DMN decision tables as Camunda Modeler writes them, their cells run in an evaluation worker.

SpiffWorkflow's own DMN engine evaluates every cell as Python (``"a","b"`` or ``[1..5]``
fail) and knows two hit policies.  Here each decision table is read from the DMN XML
(1.1, 1.2 or 1.3, with or without DMNDI), every cell is translated once by
:mod:`engine.expressions` (FEEL unary tests for input entries, FEEL literals for output
entries, ``${...}`` JUEL or Python where the column says so) and compiled by the sandbox,
so a broken cell is a deploy error.  Hit policies: UNIQUE, FIRST, PRIORITY, ANY,
COLLECT (with SUM, MIN, MAX, COUNT) and RULE ORDER.

The business rule task follows Camunda 7: ``camunda:decisionRef`` names the decision,
``camunda:resultVariable`` receives the result shaped by ``camunda:mapDecisionResult``
(``singleEntry``, ``singleResult``, ``collectEntries`` or the default ``resultList``).
Without a result variable the outputs are merged into the task data, as SpiffWorkflow does.

The lead's parser registers ``PARSER_OVERRIDES``; the serializer adds ``SERIALIZER_CONFIG``.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.serializer.task_spec import BaseBusinessRuleTaskConverter
from SpiffWorkflow.dmn.specs.model import (
    Decision, DecisionTable, Input, InputEntry, Output, OutputEntry, Rule,
)
from SpiffWorkflow.util.deep_merge import DeepMerge

from engine import expressions, sandbox
from engine.errors import Problem, ScriptError
from engine.evaluation import codec, decide

CAMUNDA_BPMN_NS = "http://camunda.org/schema/1.0/bpmn"
CAMUNDA_DMN_NS = "http://camunda.org/schema/1.0/dmn"
DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",   # DMN 1.1 (Camunda Modeler < 4)
    "http://www.omg.org/spec/DMN/20180521/MODEL/",    # DMN 1.2
    "https://www.omg.org/spec/DMN/20191111/MODEL/",   # DMN 1.3 (Camunda Modeler 5)
)
SUPPORTED_HIT_POLICIES = frozenset({"UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER"})
SUPPORTED_AGGREGATIONS = frozenset({"SUM", "MIN", "MAX", "COUNT"})
RESULT_MAPPINGS = ("singleEntry", "singleResult", "collectEntries", "resultList")
_SINGLE_RESULT_POLICIES = frozenset({"UNIQUE", "FIRST", "PRIORITY", "ANY"})


class DecisionError(ScriptError):
    """A decision could not be evaluated, or its result does not fit the requested mapping."""


# --------------------------------------------------------------------------- model

class CamundaInput(Input):
    """An input column; ``input_variable`` is camunda:inputVariable (default cellInput)."""

    def __init__(self, id, label, name, expression, typeRef, expression_language=None, input_variable=None):
        super().__init__(id, label, name, expression, typeRef)
        self.expression_language = expression_language
        self.input_variable = input_variable


class CamundaOutput(Output):
    """An output column; ``output_values`` rank outputs for the PRIORITY hit policy."""

    def __init__(self, id, label, name, typeRef, output_values=None):
        super().__init__(id, label, name, typeRef)
        self.output_values = list(output_values or [])

    @property
    def key(self) -> str:
        """The variable name of this output in a decision result."""
        return self.name or self.label or self.id


class CamundaDecisionTable(DecisionTable):
    """A decision table with Camunda's aggregation and the decision it belongs to."""

    def __init__(self, id, name, hit_policy, aggregation=None, decision_id=None, decision_name=None,
                 filename=None):
        super().__init__(id, name, hit_policy)
        self.aggregation = aggregation
        self.decision_id = decision_id or id
        self.decision_name = decision_name or name
        self.filename = filename


# --------------------------------------------------------------------------- cells

def _language(value: str | None) -> str:
    value = (value or "").strip().lower()
    if value in ("", "feel", "https://www.omg.org/spec/dmn/20191111/feel/",
                 "http://www.omg.org/spec/feel/20140401"):
        return "feel"
    if value in ("juel", "python"):
        return value
    raise expressions.ExpressionError(f"expression language '{value}' is not supported (use FEEL, JUEL or python)")


def _juel(text: str) -> sandbox.Compiled:
    stripped = text.strip()
    return expressions.compile_expression(stripped if stripped.startswith(("${", "#{")) else "${" + stripped + "}")


def compile_input_expression(text: str, language: str | None = None) -> sandbox.Compiled:
    """An input column's expression (a FEEL name or path, ``${...}``, or Python)."""
    lang = _language(language)
    if not (text or "").strip():
        raise expressions.ExpressionError("the input expression is empty")
    if lang == "juel":
        return _juel(text)
    if lang == "python":
        return sandbox.compile_source(text.strip(), "eval")
    return expressions.compile_expression(text, "dmn_input")


def compile_input_entry(text: str | None, language: str | None = None) -> sandbox.Compiled | None:
    """An input entry (FEEL unary tests over ``cellInput``); None matches anything."""
    lang = _language(language)
    if text is None or text.strip() in ("", "-"):
        return None
    if lang == "juel":
        return _juel(text)
    if lang == "python":
        return sandbox.compile_source(text.strip(), "eval")
    return expressions.compile_expression(text, "unary_tests")


def compile_output_entry(text: str | None, language: str | None = None) -> sandbox.Compiled | None:
    """An output entry (a FEEL literal or simple expression); None gives null."""
    lang = _language(language)
    if not (text or "").strip():
        return None
    if lang == "juel":
        return _juel(text)
    if lang == "python":
        return sandbox.compile_source(text.strip(), "eval")
    return expressions.compile_expression(text, "dmn_output")


def _coerce(value: Any, type_ref: str | None, what: str) -> Any:
    """Camunda's type transformation of input and output values by typeRef."""
    try:
        return decide.coerce(value, type_ref, what)
    except decide.CellProblem as exc:
        raise DecisionError(exc.message) from None


# --------------------------------------------------------------------------- parsing

def _text_of(element, ns: str) -> str | None:
    if element is None:
        return None
    node = element.find(f"{{{ns}}}text")
    return node.text if node is not None else None


def _split_values(text: str | None) -> list:
    """The values of ``outputValues`` (``"high","medium","low"``) in priority order."""
    if not text or not text.strip():
        return []
    tokens = expressions._tokenize(text.strip(), "feel")
    values = []
    for part in expressions._split_tests(tokens):
        value = expressions._literal_value(part)
        if value is expressions._NO_LITERAL:
            raise expressions.ExpressionError(f"output values must be literals, not '{text}'")
        values.append(value)
    return values


class _TableReader:
    """Reads one decision into a CamundaDecisionTable, collecting every problem found."""

    def __init__(self, decision, ns: str, filename: str | None):
        self.decision, self.ns, self.filename = decision, ns, filename or ""
        self.problems: list[Problem] = []
        self.first_node = None  # the element of the first problem, for ValidationException

    def problem(self, node, message: str, hint: str | None = None, element_id: str | None = None):
        if self.first_node is None:
            self.first_node = node
        self.problems.append(Problem(file=self.filename, message=message, line=node.sourceline,
                                     element_id=element_id or node.get("id"), hint=hint))

    def q(self, local: str) -> str:
        return f"{{{self.ns}}}{local}"

    def read(self) -> CamundaDecisionTable | None:
        decision = self.decision
        did = decision.get("id")
        table_el = decision.find(self.q("decisionTable"))
        if table_el is None:
            kind = "a literal expression" if decision.find(self.q("literalExpression")) is not None else "empty"
            self.problem(decision, f"decision '{did}' is {kind}; only decision tables are supported",
                         hint="model the decision as a decision table in Camunda Modeler")
            return None
        if decision.find(self.q("informationRequirement")) is not None:
            self.problem(decision, f"decision '{did}' requires other decisions; decision requirement "
                         f"graphs are not supported", hint="combine the tables, or call each decision "
                         "from its own business rule task")
        policy = " ".join((table_el.get("hitPolicy") or "UNIQUE").upper().split())
        aggregation = (table_el.get("aggregation") or "").upper() or None
        if policy not in SUPPORTED_HIT_POLICIES:
            self.problem(table_el, f"hit policy {policy} of decision '{did}' is not supported",
                         hint="use " + ", ".join(sorted(SUPPORTED_HIT_POLICIES)))
        if aggregation and (policy != "COLLECT" or aggregation not in SUPPORTED_AGGREGATIONS):
            self.problem(table_el, f"aggregation {aggregation} of decision '{did}' is not supported "
                         f"with hit policy {policy}", hint="aggregations SUM, MIN, MAX, COUNT go with COLLECT")
        table = CamundaDecisionTable(table_el.get("id") or did, table_el.get("name") or decision.get("name", ""),
                                     policy, aggregation, did, decision.get("name"), self.filename)
        for element in table_el:
            if not isinstance(element.tag, str):
                continue  # comments
            local = etree.QName(element).localname
            if local == "input":
                table.inputs.append(self.read_input(element))
            elif local == "output":
                table.outputs.append(self.read_output(element))
        if aggregation and len(table.outputs) != 1:
            self.problem(table_el, f"decision '{did}' aggregates with {aggregation} but has "
                         f"{len(table.outputs)} outputs", hint="an aggregating table has exactly one output")
        if policy == "PRIORITY" and not any(o.output_values for o in table.outputs):
            self.problem(table_el, f"decision '{did}' has hit policy PRIORITY but no output values to rank by",
                         hint='list the output values in priority order, e.g. "high","medium","low"')
        for number, rule_el in enumerate(table_el.iterfind(self.q("rule")), start=1):
            table.rules.append(self.read_rule(table, rule_el, number))
        return table

    def read_input(self, element) -> CamundaInput:
        expression_el = element.find(self.q("inputExpression"))
        text = _text_of(expression_el, self.ns)
        language = expression_el.get("expressionLanguage") if expression_el is not None else None
        column = CamundaInput(element.get("id"), element.get("label", ""), element.get("name", ""),
                              text, expression_el.get("typeRef", "") if expression_el is not None else "",
                              language, element.get(f"{{{CAMUNDA_DMN_NS}}}inputVariable"))
        label = column.label or column.id
        if not (text or "").strip():
            self.problem(element, f"input column '{label}' has no expression",
                         hint="set the input expression to a variable name, e.g. category")
        else:
            try:
                compile_input_expression(text, language)
            except ScriptError as exc:
                self.problem(element, f"input expression '{text}' of column '{label}' does not compile: "
                             f"{exc.message}", hint="write a variable name or path, e.g. category or petition.domain")
        return column

    def read_output(self, element) -> CamundaOutput:
        values_text = _text_of(element.find(self.q("outputValues")), self.ns)
        try:
            values = _split_values(values_text)
        except ScriptError as exc:
            self.problem(element, exc.message)
            values = []
        column = CamundaOutput(element.get("id"), element.get("label", ""), element.get("name", ""),
                               element.get("typeRef", ""), values)
        if not (column.name or "").strip():
            self.problem(element, f"output column '{column.label or column.id}' has no name",
                         hint="set the output name; it becomes the result's variable name")
        return column

    def read_rule(self, table: CamundaDecisionTable, element, number: int) -> Rule:
        rule = Rule(element.get("id"))
        rule.row_number = number
        description = element.find(self.q("description"))
        rule.description = description.text if description is not None else ""
        inputs = element.findall(self.q("inputEntry"))
        outputs = element.findall(self.q("outputEntry"))
        for found, columns, word in ((inputs, table.inputs, "input"), (outputs, table.outputs, "output")):
            if len(found) != len(columns):
                self.problem(element, f"rule {number} has {len(found)} {word} entries for {len(columns)} "
                             f"{word} columns", hint="open the file in Camunda Modeler and save it again")
        for entry_el, column in zip(inputs, table.inputs):
            entry = InputEntry(entry_el.get("id"), column)
            text = _text_of(entry_el, self.ns)
            entry.lhs = [None if text is None or text.strip() in ("", "-") else text]
            entry.expression_language = entry_el.get("expressionLanguage")
            try:
                compile_input_entry(text, entry.expression_language)
            except ScriptError as exc:
                self.problem(entry_el, f"input entry '{text}' of rule {number} (column "
                             f"'{column.label or column.id}') does not compile: {exc.message}",
                             hint='write FEEL such as "a","b" or < 10 or [1..5] or not("x"), or - for any',
                             element_id=element.get("id"))
            rule.inputEntries.append(entry)
        for entry_el, column in zip(outputs, table.outputs):
            entry = OutputEntry(entry_el.get("id"), column)
            entry.text = _text_of(entry_el, self.ns) or ""
            entry.expression_language = entry_el.get("expressionLanguage")
            try:
                compile_output_entry(entry.text, entry.expression_language)
            except ScriptError as exc:
                self.problem(entry_el, f"output entry '{entry.text}' of rule {number} (column "
                             f"'{column.key}') does not compile: {exc.message}",
                             hint='write a FEEL literal such as "accept", true, 15 or null',
                             element_id=element.get("id"))
            rule.outputEntries.append(entry)
        return rule


def _dmn_namespace(root) -> str | None:
    namespace = etree.QName(root).namespace
    return namespace if namespace in DMN_NAMESPACES else None


def decision_elements(root) -> list:
    """The ``dmn:decision`` elements of a DMN document."""
    ns = _dmn_namespace(root)
    return root.findall(f"{{{ns}}}decision") if ns else []


def read_decision(decision_el, filename: str | None = None) -> tuple[CamundaDecisionTable | None, list[Problem]]:
    """The decision table of one ``dmn:decision`` element and the problems found in it."""
    ns = etree.QName(decision_el).namespace
    reader = _TableReader(decision_el, ns, filename)
    return reader.read(), reader.problems


def dmn_problems(root, filename: str | None = None) -> list[Problem]:
    """Every problem of a DMN document, each naming its element; empty when it will run."""
    if _dmn_namespace(root) is None:
        return [Problem(file=filename or "", message="not a DMN 1.1-1.3 document", line=root.sourceline,
                        hint="save the decision with Camunda Modeler")]
    elements = decision_elements(root)
    if not elements:
        return [Problem(file=filename or "", message="the DMN file defines no decision", line=root.sourceline,
                        hint="add a decision table in Camunda Modeler")]
    problems: list[Problem] = []
    for element in elements:
        problems.extend(read_decision(element, filename)[1])
    return problems


# --------------------------------------------------------------------------- evaluation

def environment_for(task):
    """The evaluation environment of the workflow's script engine, or one with default limits."""
    from engine.scripting import IsolatedEnvironment

    engine = getattr(getattr(task, "workflow", None), "script_engine", None)
    environment = getattr(engine, "environment", None)
    return environment if isinstance(environment, IsolatedEnvironment) else IsolatedEnvironment()


def _freeze(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


class CamundaDecisionEngine(DMNEngine):
    """Evaluates one decision table with FEEL cells through the sandbox."""

    def __init__(self, decision_table: DecisionTable):
        super().__init__(decision_table)
        table = decision_table
        self.hit_policy = " ".join((table.hit_policy or "UNIQUE").upper().split())
        self.aggregation = getattr(table, "aggregation", None)
        self.decision_id = getattr(table, "decision_id", None) or table.id
        # compile every cell now: a deployed table never fails to compile at run time
        self._inputs = [compile_input_expression(i.expression, getattr(i, "expression_language", None))
                        for i in table.inputs]
        self._aliases = [getattr(i, "input_variable", None) for i in table.inputs]
        self._tests = [[compile_input_entry(e.lhs[0] if e.lhs else None, getattr(e, "expression_language", None))
                        for e in rule.inputEntries] for rule in table.rules]
        self._outputs = [[(self._key(e.output), e.output, compile_output_entry(
                            e.text, getattr(e, "expression_language", None)))
                          for e in rule.outputEntries] for rule in table.rules]
        self._table: dict | None = None  # built on first use, then sent with every request
        self._names: frozenset[str] = frozenset()

    @staticmethod
    def _key(output) -> str:
        return output.name or output.label or output.id

    def _fail(self, message: str) -> DecisionError:
        return DecisionError(f"decision '{self.decision_id}': {message}")

    def _table_data(self) -> dict:
        """The designer-written cells as data for the evaluation worker (engine/evaluation/decide.py)."""
        def cell(compiled):
            return None if compiled is None else [compiled.source, compiled.internal]

        table = self.decision_table
        return {
            "first": self.hit_policy == "FIRST",
            "inputs": [{"code": cell(compiled), "type": column.typeRef, "alias": alias,
                        "what": f"input '{column.label or column.id}' ({column.expression})"}
                       for column, compiled, alias in zip(table.inputs, self._inputs, self._aliases)],
            "rules": [{"label": f"rule {rule.row_number} ({rule.id})", "tests": [cell(t) for t in tests],
                       "outputs": [[key, cell(compiled), column.typeRef] for key, column, compiled in outputs]}
                      for rule, tests, outputs in zip(table.rules, self._tests, self._outputs)],
        }

    def _variable_names(self) -> frozenset[str]:
        cells = [*self._inputs, *(t for tests in self._tests for t in tests),
                 *(compiled for outputs in self._outputs for _, _, compiled in outputs)]
        return frozenset().union(*(c.names for c in cells if c is not None))

    def matching_rules(self, data: dict, environment=None) -> list[tuple[Rule, dict]]:
        """The rules that match ``data`` with their outputs, before the hit policy is applied.

        The cells are evaluated in an evaluation worker, the whole table in one request.
        """
        from engine.scripting import IsolatedEnvironment

        environment = environment or IsolatedEnvironment()
        if self._table is None:
            self._table, self._names = self._table_data(), self._variable_names()
        try:
            variables = {name: codec.encode(data[name], name) for name in self._names if name in data}
        except codec.CodecError as exc:
            raise self._fail(f"variable {exc}") from None
        (answer,) = environment.pool.run([{"op": "decide", "table": self._table, "vars": variables}])
        if "error" in answer:
            error = answer["error"]
            if error.get("type") == "decision":
                raise DecisionError(str(error.get("message")))
            raise self._fail(str(error.get("message")))
        rules = self.decision_table.rules
        return [(rules[index], outputs) for index, outputs in answer["ok"]]

    def evaluate_data(self, data: dict, environment=None) -> list[dict]:
        """Camunda's decision result for ``data``: one dict of outputs per result, hit policy applied."""
        matched = self.matching_rules(data, environment)
        policy = self.hit_policy
        if policy == "UNIQUE" and len(matched) > 1:
            rows = ", ".join(str(rule.row_number) for rule, _ in matched)
            raise self._fail(f"hit policy UNIQUE allows one matching rule, but rules {rows} all match")
        if policy == "ANY" and len({_freeze(out) for _, out in matched}) > 1:
            rows = ", ".join(str(rule.row_number) for rule, _ in matched)
            raise self._fail(f"hit policy ANY needs matching rules to agree, but rules {rows} give "
                             f"different outputs")
        if policy == "PRIORITY" and matched:
            matched = [min(matched, key=lambda item: self._priority(item[1]))]
        if policy in _SINGLE_RESULT_POLICIES:
            return [out for _, out in matched[:1]]
        results = [out for _, out in matched]
        if policy == "COLLECT" and self.aggregation:
            return [self._aggregate(results)]
        return results

    def _priority(self, outputs: dict) -> tuple:
        ranks = []
        for column in self.decision_table.outputs:
            ranked = getattr(column, "output_values", None) or []
            value = outputs.get(self._key(column))
            ranks.append(ranked.index(value) if value in ranked else len(ranked))
        return tuple(ranks)

    def _aggregate(self, results: list[dict]) -> dict:
        key = self._key(self.decision_table.outputs[0])
        values = [r[key] for r in results if r.get(key) is not None]
        if self.aggregation == "COUNT":
            return {key: len(values)}
        if not values:
            return {key: None}
        try:
            if self.aggregation == "SUM":
                return {key: sum(values)}
            return {key: min(values) if self.aggregation == "MIN" else max(values)}
        except TypeError:
            raise self._fail(f"{self.aggregation} needs numbers, got {values!r}") from None

    def evaluate(self, task) -> list[dict]:
        """Camunda's decision result for a task's data."""
        return self.evaluate_data(task.data, environment_for(task))

    def decide(self, task) -> list[Rule]:
        """The rules that match the task's data (SpiffWorkflow's API)."""
        return [rule for rule, _ in self.matching_rules(task.data, environment_for(task))]

    def result(self, task) -> dict:
        """The outputs merged into task data when no result variable is set (SpiffWorkflow's API)."""
        results = self.evaluate(task)
        if self.hit_policy in _SINGLE_RESULT_POLICIES or (self.hit_policy == "COLLECT" and self.aggregation):
            return dict(results[0]) if results else {}
        merged: dict[str, list] = {self._key(o): [] for o in self.decision_table.outputs}
        for result in results:
            for key, value in result.items():
                merged[key].append(value)
        return merged


def map_decision_result(results: list[dict], mapping: str, decision_id: str = "?") -> Any:
    """Shape a decision result as camunda:mapDecisionResult asks."""
    if mapping == "resultList":
        return [dict(r) for r in results]
    if mapping == "collectEntries":
        values = []
        for result in results:
            if len(result) != 1:
                raise DecisionError(f"decision '{decision_id}': collectEntries needs one output per result, "
                                    f"got {sorted(result)}")
            values.extend(result.values())
        return values
    if mapping in ("singleResult", "singleEntry"):
        if len(results) > 1:
            raise DecisionError(f"decision '{decision_id}': {mapping} needs at most one result, got "
                                f"{len(results)}; use collectEntries or resultList, or a single-result "
                                f"hit policy")
        if not results:
            return None
        if mapping == "singleResult":
            return dict(results[0])
        if len(results[0]) != 1:
            raise DecisionError(f"decision '{decision_id}': singleEntry needs exactly one output, got "
                                f"{sorted(results[0])}; use singleResult")
        return next(iter(results[0].values()))
    raise DecisionError(f"mapDecisionResult '{mapping}' is not one of {', '.join(RESULT_MAPPINGS)}")


# --------------------------------------------------------------------------- BPMN task

class CamundaBusinessRuleTask(BusinessRuleTask):
    """A business rule task that stores its decision's result as Camunda 7 does."""

    def __init__(self, wf_spec, bpmn_id, dmnEngine, decision_ref=None, result_variable=None,
                 map_decision_result="resultList", **kwargs):
        super().__init__(wf_spec, bpmn_id, dmnEngine, **kwargs)
        self.decision_ref = decision_ref
        self.result_variable = result_variable
        self.map_decision_result = map_decision_result or "resultList"

    def _run_hook(self, my_task):
        engine = self.dmnEngine
        try:
            if self.result_variable:
                results = engine.evaluate(my_task)
                my_task.data[self.result_variable] = map_decision_result(
                    results, self.map_decision_result, self.decision_ref or getattr(engine, "decision_id", "?"))
            else:
                my_task.data = DeepMerge.merge(my_task.data, engine.result(my_task))
        except ScriptError as exc:
            label = f"'{self.bpmn_name}' ({self.bpmn_id})" if self.bpmn_name else f"'{self.bpmn_id}'"
            error = DecisionError(f"business rule task {label}: {exc.message}")
            error.element_id = self.bpmn_id
            raise error from exc
        return True


def _validation_error(message: str, node, filename: str | None) -> ValidationException:
    error = ValidationException(message, node=node, file_name=filename)
    error.line_number = node.sourceline  # lxml keeps the line; Spiff looks for another attribute
    return error


def _label(node) -> str:
    name = (node.get("name") or "").strip().replace("\n", " ")
    return f"business rule task '{name}' ({node.get('id')})" if name else f"business rule task '{node.get('id')}'"


class CamundaBusinessRuleTaskParser(CamundaTaskParser):
    """Parses ``camunda:decisionRef``, ``resultVariable`` and ``mapDecisionResult``."""

    def create_task(self):
        node = self.node
        ref = self.get_decision_ref(node)
        if ref is None:
            raise _validation_error(
                f"{_label(node)} has no camunda:decisionRef, so there is no decision to run; set "
                f"Implementation = DMN and the decision reference in Camunda Modeler", node, self.filename)
        if expressions.has_template(ref):
            raise _validation_error(f"the decision reference '{ref}' of {_label(node)} is an expression; "
                                    f"write the decision id itself", node, self.filename)
        mapping = node.get(f"{{{CAMUNDA_BPMN_NS}}}mapDecisionResult") or "resultList"
        if mapping not in RESULT_MAPPINGS:
            raise _validation_error(f"mapDecisionResult '{mapping}' of {_label(node)} is not one of "
                                    f"{', '.join(RESULT_MAPPINGS)}", node, self.filename)
        result_variable = (node.get(f"{{{CAMUNDA_BPMN_NS}}}resultVariable") or "").strip() or None
        table = self._decision_table(ref)
        try:
            engine = CamundaDecisionEngine(table)
        except ScriptError as exc:
            raise _validation_error(f"decision '{ref}' used by {_label(node)} does not compile: {exc.message}",
                                    node, self.filename) from exc
        if mapping == "singleEntry" and len(table.outputs) != 1:
            raise _validation_error(f"{_label(node)} maps the result with singleEntry, but decision '{ref}' "
                                    f"has {len(table.outputs)} outputs; use singleResult", node, self.filename)
        return self.spec_class(self.spec, self.bpmn_id, dmnEngine=engine, decision_ref=ref,
                               result_variable=result_variable, map_decision_result=mapping,
                               **self.bpmn_attributes)

    def _decision_table(self, ref: str) -> CamundaDecisionTable:
        top = self.process_parser.parser
        dmn_parser = getattr(top, "dmn_parsers", {}).get(ref)
        if dmn_parser is None:
            known = ", ".join(sorted(getattr(top, "dmn_parsers", {}))) or "none"
            raise _validation_error(f"{_label(self.node)} refers to decision '{ref}', which is not deployed "
                                    f"(decisions available: {known})", self.node, self.filename)
        if isinstance(dmn_parser, DecisionParser):
            return dmn_parser.table()
        # SpiffWorkflow's own DMNParser: read the decision from its XML with our reader
        for element in decision_elements(dmn_parser.node):
            if element.get("id") == ref:
                table, problems = read_decision(element, getattr(dmn_parser, "filename", None))
                if problems or table is None:
                    first = problems[0]
                    raise _validation_error(f"decision '{ref}' used by {_label(self.node)}: {first.message}",
                                            self.node, self.filename)
                return table
        raise _validation_error(f"decision '{ref}' was not found in its DMN file", self.node, self.filename)

    @staticmethod
    def get_decision_ref(node) -> str | None:
        """The decision id, or None when missing (SpiffWorkflow raises a bare KeyError)."""
        ref = (node.get(f"{{{CAMUNDA_BPMN_NS}}}decisionRef") or "").strip()
        return ref or None


# --------------------------------------------------------------------------- DMN documents

class DecisionParser:
    """One decision of a DMN document, registered in a parser's ``dmn_parsers`` by id."""

    def __init__(self, element, filename: str | None = None):
        self.node = element
        self.filename = filename
        self.decision: Decision | None = None
        self._table: CamundaDecisionTable | None = None

    @property
    def bpmn_id(self) -> str:
        """The decision id (SpiffWorkflow's name for it)."""
        return self.node.get("id")

    def get_name(self) -> str:
        """The decision name, or its id."""
        return self.node.get("name") or self.bpmn_id

    def table(self) -> CamundaDecisionTable:
        """The parsed table; ValidationException naming the first broken element."""
        if self._table is None:
            reader = _TableReader(self.node, etree.QName(self.node).namespace, self.filename)
            table = reader.read()
            if reader.problems:
                raise _validation_error(reader.problems[0].message, reader.first_node, self.filename)
            self._table = table
        return self._table

    def parse(self) -> None:
        """Parse now (SpiffWorkflow's API)."""
        table = self.table()
        self.decision = Decision(self.bpmn_id, self.node.get("name", ""))
        self.decision.decisionTables.append(table)


@lru_cache(maxsize=8)
def _schema_validator(path: str):
    """One validator per XSD: loading the DMN schema takes longer than validating a file."""
    from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
    return BpmnValidator(path)


class CamundaDmnParserMixin:
    """Mix into a BpmnDmnParser (e.g. ``class P(CamundaDmnParserMixin, CamundaParser)``).

    Registers every decision of a DMN file (SpiffWorkflow reads only one per file), reads
    tables with FEEL cells, and never lets a missing decisionRef become a KeyError.
    """

    def add_dmn_xml(self, node, filename=None):
        """Register each decision of a DMN document; ValidationException for the first problem."""
        if _dmn_namespace(node) is None:
            raise _validation_error("not a DMN 1.1-1.3 document", node, filename)
        schema = getattr(self, "dmn_schemas", {}).get(etree.QName(node).namespace)
        if getattr(self, "validator", None) and schema is not None:
            _schema_validator(schema).validate(node, filename)
        for element in decision_elements(node):
            did = element.get("id")
            if did in self.dmn_parsers:
                raise _validation_error(f"decision id '{did}' is defined twice", element, filename)
            parser = DecisionParser(element, filename)
            parser.table()  # broken cells are deploy errors, not run-time surprises
            self.dmn_parsers[did] = parser
            self.dmn_parsers_by_name[parser.get_name()] = parser

    def get_engine(self, decision_ref, node):
        """The decision engine for a business rule task's decisionRef."""
        parser = self.dmn_parsers.get(decision_ref)
        if parser is None:
            known = ", ".join(sorted(self.dmn_parsers)) or "none"
            raise _validation_error(f"{_label(node)} refers to decision '{decision_ref}', which is not "
                                    f"deployed (decisions available: {known})", node, None)
        return CamundaDecisionEngine(parser.table())

    def _find_dependencies(self, process):
        super()._find_dependencies(process)
        self.dmn_dependencies.discard(None)


def decisions_of(parser) -> Iterable[tuple[str, str]]:
    """(id, name) of every decision a parser knows."""
    for did, dmn_parser in getattr(parser, "dmn_parsers", {}).items():
        yield did, dmn_parser.get_name()


# --------------------------------------------------------------------------- serialization

class CamundaBusinessRuleTaskConverter(BaseBusinessRuleTaskConverter):
    """Stores the table with Camunda's extras (aggregation, output values, result mapping)."""

    def to_dict(self, spec):
        dct = super().to_dict(spec)
        dct["decision_ref"] = spec.decision_ref
        dct["result_variable"] = spec.result_variable
        dct["map_decision_result"] = spec.map_decision_result
        return dct

    def decision_table_to_dict(self, table):
        dct = super().decision_table_to_dict(table)
        dct["aggregation"] = getattr(table, "aggregation", None)
        dct["decision_id"] = getattr(table, "decision_id", None)
        dct["decision_name"] = getattr(table, "decision_name", None)
        return dct

    def input_entry_to_dict(self, entry):
        dct = super().input_entry_to_dict(entry)
        dct["expression_language"] = getattr(entry, "expression_language", None)
        return dct

    def output_entry_to_dict(self, entry):
        dct = super().output_entry_to_dict(entry)
        dct["expression_language"] = getattr(entry, "expression_language", None)
        return dct

    def from_dict(self, dct):
        table = self.decision_table_from_dict(dct.pop("decision_table"))
        dct["dmnEngine"] = CamundaDecisionEngine(table)
        return self.task_spec_from_dict(dct)

    def decision_table_from_dict(self, dct):
        table = CamundaDecisionTable(dct["id"], dct["name"], dct.get("hit_policy", "UNIQUE"),
                                     dct.get("aggregation"), dct.get("decision_id"), dct.get("decision_name"))
        table.inputs = [CamundaInput(**val) for val in dct["inputs"]]
        table.outputs = [CamundaOutput(**val) for val in dct["outputs"]]
        table.rules = [self.rule_from_dict(rule, table.inputs, table.outputs) for rule in dct["rules"]]
        return table

    def input_entry_from_dict(self, dct, inputs):
        language = dct.pop("expression_language", None)
        entry = super().input_entry_from_dict(dct, inputs)
        entry.expression_language = language
        return entry

    def output_entry_from_dict(self, dct, outputs):
        entry = super().output_entry_from_dict(dct, outputs)
        entry.expression_language = dct.get("expression_language")
        return entry


# What engine/parser.py and engine/store.py pick up.
PARSER_OVERRIDES = {full_tag("businessRuleTask"): (CamundaBusinessRuleTaskParser, CamundaBusinessRuleTask)}
SERIALIZER_CONFIG = {CamundaBusinessRuleTask: CamundaBusinessRuleTaskConverter}
