"""Reading SpiffWorkflow's task tree for the engine: active tasks, events, timers, notices.

Pure functions over a live ``BpmnWorkflow``; the Engine (engine/core.py) calls them
around each step. Nothing here touches the database.
"""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin, _EndJoin
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimeDateEventDefinition, TimerEventDefinition
from SpiffWorkflow.util.task import TaskState


def active_tasks(wf: BpmnWorkflow) -> list:
    """Ready, waiting and started tasks of the workflow and its subprocesses (one tree walk)."""
    return wf.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED)


def completed_sink(wf: BpmnWorkflow, reset: bool = False) -> list:
    """The tasks completed in the current command (kept on the workflow object)."""
    sink = getattr(wf, "_xinfang_completed", None)
    if reset:
        wf._xinfang_completed = []
        return sink or []
    if sink is None:
        sink = wf._xinfang_completed = []
    return sink


def notice_key(notice: Any) -> str:
    """A short, stable fingerprint of a notice's content."""
    text = repr(sorted(notice.items())) if isinstance(notice, dict) else repr(notice)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def event_definitions(ed) -> list:
    """An event definition and, for multiple/event-based ones, those it wraps."""
    if isinstance(ed, MultipleEventDefinition):
        return list(ed.event_definitions)
    return [ed] if ed is not None else []


def waiting_message_tasks(wf: BpmnWorkflow, name: str) -> list:
    out = []
    for t in list(wf.event_manager.tasks.values()):
        defs = event_definitions(getattr(t.task_spec, "event_definition", None))
        if t.has_state(TaskState.WAITING) and any(isinstance(d, MessageEventDefinition) and d.name == name
                                                  for d in defs):
            out.append(t)
    return out


def is_waiting_join(t) -> bool:
    """A subprocess's boundary join or a process's end join still waiting: each holds a
    copy of the data from when its subprocess or process began, refreshed in state (not in
    data) at every step, so it must not hide what the running tasks changed since (a clock
    stopped inside a subprocess)."""
    return isinstance(t.task_spec, (BoundaryEventJoin, _EndJoin)) and t.has_state(TaskState.WAITING)


def waiting_message_names(wf: BpmnWorkflow) -> set[str]:
    """The names of the messages the workflow (or any of its subprocesses) waits for now."""
    names = set()
    for t in list(wf.event_manager.tasks.values()):
        if t.has_state(TaskState.WAITING):
            names.update(d.name for d in event_definitions(getattr(t.task_spec, "event_definition", None))
                         if isinstance(d, MessageEventDefinition))
    return names


def message_definition(t, name: str):
    for d in event_definitions(t.task_spec.event_definition):
        if isinstance(d, MessageEventDefinition) and d.name == name:
            return d
    return None


def timer_tasks(wf: BpmnWorkflow) -> list:
    return [t for t in wf.event_manager.tasks.values()
            if t.has_state(TaskState.WAITING)
            and any(isinstance(d, TimerEventDefinition) for d in event_definitions(getattr(t.task_spec, "event_definition", None)))]


def next_timer(wf: BpmnWorkflow) -> dt.datetime | None:
    """The earliest instant at which a waiting timer of the case becomes due."""
    best = None
    for t in timer_tasks(wf):
        # Spiff keeps the evaluated instant (or the cycle's next instant) here once
        # the timer has been looked at.
        value = t.internal_data.get("event_value")
        if isinstance(value, dict):
            value = value.get("next") if value.get("cycles") != 0 else None
        if not isinstance(value, str) or not value:
            continue
        try:
            when = TimerEventDefinition.get_datetime(value)
        except (TypeError, ValueError):
            continue
        if best is None or when < best:
            best = when
    return best


def rearm_date_timers(wf: BpmnWorkflow, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Make waiting timeDate timers evaluate their instant again after clocks moved.

    A waiting timer task holds its own copy of the case data, taken when it began
    waiting; a clock extended or resumed in another branch must reach that copy.  Only
    a copy still holding the clock's previous value is updated, so parallel branches
    that each run their own clock under the same name keep theirs.
    """
    moved = {k: v for k, v in after.items()
             if k.startswith("clock_") and isinstance(v, dict) and before.get(k) != v}
    for t in timer_tasks(wf):
        if any(isinstance(d, TimeDateEventDefinition) for d in event_definitions(t.task_spec.event_definition)):
            # Spiff re-inherits the parent's data whenever it refreshes a waiting
            # task, so the parent's copy must change as well.
            for holder in (t, t.parent):
                for name, clock in moved.items():
                    if holder is not None and holder.data.get(name) == before.get(name) and name in holder.data:
                        holder.data[name] = copy.deepcopy(clock)
            # Spiff caches the evaluated instant in internal_data; dropping it makes
            # the expression run again.
            t.internal_data.pop("event_value", None)
            t.internal_data.pop("event_fired", None)
