"""The SpiffWorkflow script engine every case runs with.

Conditions, timers, message payloads and script tasks all reach SpiffWorkflow's
``PythonScriptEngine.evaluate``/``execute``; here they are translated from what Camunda
Modeler users write (:mod:`engine.expressions`), checked by :mod:`engine.sandbox` (so a
refusal costs no round trip), and sent to an evaluation worker (:mod:`engine.evaluation`)
with the case variables they name.  Nothing a designer wrote runs in this process; the
helper functions BPMN authors may call (docs/architecture.md, "Expressions available to
BPMN authors") run in the worker too.  Failures are :class:`engine.errors.ScriptError`
naming the element and the expression, which the engine reports as they are.
"""
from __future__ import annotations

import logging

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine import expressions, sandbox
from engine.errors import ScriptError
from engine.evaluation import WorkerLimits, codec, pool_for, raise_error
from engine.evaluation.functions import CHINA, days_after, due, now, script_functions, warn_before  # noqa: F401

log = logging.getLogger(__name__)


def default_functions() -> dict[str, object]:
    """The helper functions of docs/architecture.md (they run inside the evaluation worker)."""
    return script_functions()


def variables_for(compiled: sandbox.Compiled, context: dict | None, what: str = "") -> dict:
    """The case variables ``compiled`` names, encoded for the worker."""
    found = {}
    for name in compiled.names:
        if context and name in context:
            try:
                found[name] = codec.encode(context[name], name)
            except codec.CodecError as exc:
                raise ScriptError(f"variable {exc}{what}") from None
    return found


def job_for(op: str, compiled: sandbox.Compiled, context: dict | None, external: dict | None = None) -> dict:
    """One job of a worker request (engine/evaluation/worker.py)."""
    job = {"op": op, "code": [compiled.source, compiled.internal], "vars": variables_for(compiled, context)}
    if external:
        job["external"] = variables_for(compiled, {k: v for k, v in external.items() if k not in (context or {})})
    return job


class IsolatedEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment that evaluates everything in a worker process."""

    def __init__(self, limits: WorkerLimits | None = None):
        # the documented helpers, for reference: the worker has its own copies
        super().__init__(default_functions())
        if limits is not None and not isinstance(limits, WorkerLimits):
            raise TypeError(f"limits must be WorkerLimits, not {type(limits).__name__}; helper functions "
                            f"run in the evaluation worker and cannot be passed in")
        self.limits = limits or WorkerLimits()

    @property
    def pool(self):
        """The worker pool for this environment's limits (shared within the process)."""
        return pool_for(self.limits)

    def evaluate(self, expression, context, external_context=None, kind: str = "expression"):
        """Evaluate a condition or value (``${...}``, plain Python, or for timers an ISO literal)."""
        return self.evaluate_compiled(expressions.compile_expression(expression, kind), context, external_context)

    def evaluate_compiled(self, compiled: sandbox.Compiled, context, external_context=None):
        """Evaluate an already compiled expression in a worker (a literal needs none)."""
        if compiled.literal:
            return compiled.literal[0]
        (result,) = self.pool.run([job_for("eval", compiled, context, external_context)])
        if "error" in result:
            raise_error(result["error"])
        return result["ok"]

    def evaluate_many(self, compiled: list[sandbox.Compiled], context) -> list:
        """Several expressions on the same data in one round trip; each a value or a ScriptError."""
        answers: list = [None] * len(compiled)
        jobs, positions = [], []
        for index, item in enumerate(compiled):
            if item.literal:
                answers[index] = item.literal[0]
            else:
                try:
                    jobs.append(job_for("eval", item, context))
                    positions.append(index)
                except ScriptError as exc:
                    answers[index] = exc
        for index, result in zip(positions, self.pool.run(jobs) if jobs else []):
            if "error" in result:
                try:
                    raise_error(result["error"])
                except ScriptError as exc:
                    answers[index] = exc
            else:
                answers[index] = result["ok"]
        return answers

    def execute(self, script, context, external_context=None):
        """Run a script task's Python; new variables land in ``context`` (JSON-storable only)."""
        compiled = sandbox.compile_source(script, "exec")
        (result,) = self.pool.run([job_for("exec", compiled, context, external_context)])
        if "error" in result:
            raise_error(result["error"])
        for name in result["ok"]["del"]:
            context.pop(name, None)
        context.update(result["ok"]["set"])
        return True

    def call_service(self, context, **kwargs):
        """Service tasks are not run by this engine (validation rejects them at deploy time)."""
        raise ScriptError("service tasks are not supported; use a script task")


def _timer_expressions(task_spec) -> set[str]:
    """The timer expressions of a task spec's event definition(s)."""
    definition = getattr(task_spec, "event_definition", None)
    if definition is None:
        return set()
    definitions = getattr(definition, "event_definitions", None) or [definition]
    return {d.expression for d in definitions if isinstance(d, TimerEventDefinition)}


def _element(task) -> str:
    spec = task.task_spec
    bpmn_id = getattr(spec, "bpmn_id", None) or spec.name
    name = getattr(spec, "bpmn_name", None)
    return f"'{name}' ({bpmn_id})" if name else f"'{bpmn_id}'"


def _located(error: ScriptError, task, what: str, text: str) -> ScriptError:
    """The same error class, its message prefixed with the element and the expression."""
    shown = text.strip()
    if len(shown) > 200:
        shown = shown[:200] + "…"
    located = type(error)(f"{what} of {_element(task)} failed: {error.message} — in {shown!r}")
    located.element_id = getattr(task.task_spec, "bpmn_id", None)
    located.line = getattr(error, "line", None)
    return located


class SandboxScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine on the isolated evaluation; errors name the element."""

    environment: IsolatedEnvironment

    def __init__(self, environment: IsolatedEnvironment | None = None):
        super().__init__(environment or IsolatedEnvironment())

    def validate(self, expression):
        """Raise SyntaxError when ``expression`` cannot be translated and compiled."""
        try:
            expressions.compile_expression(expression, "expression")
        except ScriptError as exc:
            raise SyntaxError(exc.message) from exc

    def evaluate(self, task, expression, external_context=None):
        """Evaluate an expression for a task; timer expressions may be bare ISO 8601 literals."""
        is_timer = expression in _timer_expressions(task.task_spec)
        try:
            value = self.environment.evaluate(expression, task.data, external_context,
                                              kind="timer" if is_timer else "expression")
            return expressions.timer_value(value) if is_timer else value
        except ScriptError as exc:
            raise _located(exc, task, "the timer" if is_timer else "the expression", expression) from exc

    def evaluate_text(self, task, text: str):
        """A Camunda attribute value: plain text, one ``${...}`` (its value), or a composite text."""
        return self.evaluate_texts(task, [text])[0]

    def evaluate_texts(self, task, texts: list[str]) -> list:
        """Several Camunda attribute values of one task in one round trip (the first failure raises)."""
        compiled = []
        for text in texts:
            try:
                compiled.append(expressions.compile_expression(text, "text"))
            except ScriptError as exc:
                raise _located(exc, task, "the attribute", text) from exc
        values = self.environment.evaluate_many(compiled, task.data)
        for text, value in zip(texts, values):
            if isinstance(value, ScriptError):
                raise _located(value, task, "the attribute", text) from value
        return values

    def execute(self, task, script, external_context=None):
        """Run a script task's script in an evaluation worker."""
        try:
            return self.environment.execute(script, task.data, external_context)
        except ScriptError as exc:
            raise _located(exc, task, "the script", script) from exc

    def check(self, text: str, kind: str = "condition") -> list[str]:
        """Deploy-time problems with an expression (see engine.expressions.check_expression)."""
        return expressions.check_expression(text, kind)


def make_script_engine(limits: WorkerLimits | None = None) -> SandboxScriptEngine:
    """The script engine for workflows: Camunda-aware, isolated in worker processes with these limits."""
    return SandboxScriptEngine(IsolatedEnvironment(limits))
