"""The SpiffWorkflow script engine every case runs with.

Conditions, timers, message payloads and script tasks all reach SpiffWorkflow's
``PythonScriptEngine.evaluate``/``execute``; here they are translated from what Camunda
Modeler users write (:mod:`engine.expressions`) and run in :mod:`engine.sandbox` with the
helper functions BPMN authors may call (docs/architecture.md, "Expressions available
to BPMN authors").  Failures are :class:`engine.errors.ScriptError` naming the element
and the expression, which the engine reports as they are.
"""
from __future__ import annotations

import importlib
import logging
from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine import expressions, orgchart, sandbox
from engine.errors import ScriptError

log = logging.getLogger(__name__)


# China has kept UTC+8 without daylight saving since 1991; engine.clocks writes its ISO
# texts in this offset too, so texts from now(), due() and clock_due() compare correctly.
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")


def _iso(moment: datetime) -> str:
    return moment.astimezone(CHINA).isoformat()


def now() -> str:
    """The current time as ISO 8601 text (+08:00, whole seconds)."""
    return _iso(datetime.now(timezone.utc).replace(microsecond=0))


def due(kind: str, start: str | None = None) -> str:
    """ISO due instant of the statutory period ``kind`` from ``start`` (default now)."""
    from engine.clocks import due_date_of
    return due_date_of(start if start is not None else now(), kind)


def warn_before(due_iso: str, days: int | float) -> str:
    """ISO instant ``days`` × 24 h before ``due_iso`` (for warning timers)."""
    return _iso(datetime.fromisoformat(due_iso) - timedelta(days=days))


def days_after(start_iso: str, n: int, working: bool = False) -> str:
    """ISO instant ``n`` calendar (or working) days after ``start_iso``, off rest days."""
    from engine.calendar import days_after as count
    return _iso(count(start_iso, n, working=working).due)


def default_functions() -> dict[str, object]:
    """The helper functions of docs/architecture.md, with engine.clocks' when it is installed."""
    functions: dict[str, object] = {
        "now": now,
        "due": due,
        "warn_before": warn_before,
        "days_after": days_after,
        "superior": orgchart.superior,
        "legal_channel": orgchart.legal_channel,
        "unit_name": orgchart.unit_name,
    }
    try:
        clocks = importlib.import_module("engine.clocks")
    except ModuleNotFoundError as exc:
        if exc.name != "engine.clocks":
            raise  # a module clocks itself needs is missing: that is a real error
        log.warning("engine.clocks is not installed; due(), clock_*() are unavailable to processes")
    else:
        functions.update(getattr(clocks, "SCRIPT_FUNCTIONS", {}) or {})
    return functions


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment that translates and sandboxes everything it runs."""

    def __init__(self, functions: dict[str, object] | None = None, limits: sandbox.Limits = sandbox.DEFAULT_LIMITS):
        super().__init__(dict(functions or {}))
        self.sandbox = sandbox.Sandbox(self.globals, limits)

    def evaluate(self, expression, context, external_context=None, kind: str = "expression"):
        """Evaluate a condition or value (``${...}``, plain Python, or for timers an ISO literal)."""
        compiled = expressions.compile_expression(expression, kind)
        return self.sandbox.run(compiled, self.sandbox.namespace(context, external_context))

    def execute(self, script, context, external_context=None):
        """Run a script task's Python; new variables land in ``context`` (JSON-storable only)."""
        self.sandbox.execute(script, context, external_context)
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
    """SpiffWorkflow's script engine on the sandbox; errors name the element."""

    environment: SandboxEnvironment

    def __init__(self, environment: SandboxEnvironment | None = None):
        super().__init__(environment or SandboxEnvironment(default_functions()))

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
        try:
            return self.environment.evaluate(text, task.data, kind="text")
        except ScriptError as exc:
            raise _located(exc, task, "the attribute", text) from exc

    def execute(self, task, script, external_context=None):
        """Run a script task's script in the sandbox."""
        try:
            return self.environment.execute(script, task.data, external_context)
        except ScriptError as exc:
            raise _located(exc, task, "the script", script) from exc

    def check(self, text: str, kind: str = "condition") -> list[str]:
        """Deploy-time problems with an expression (see engine.expressions.check_expression)."""
        return expressions.check_expression(text, kind)


def make_script_engine(extra_functions: dict | None = None,
                       limits: sandbox.Limits = sandbox.DEFAULT_LIMITS) -> SandboxScriptEngine:
    """The script engine for workflows: sandboxed, Camunda-aware, with the helper functions."""
    functions = default_functions()
    functions.update(extra_functions or {})
    return SandboxScriptEngine(SandboxEnvironment(functions, limits))
