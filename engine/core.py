"""The Engine: the one door to SpiffWorkflow.

Every caller — HTML UI, REST API, scheduler, CLI, tests — goes through these methods.
Each public method is one unit of work: one database transaction, committed at the
end or rolled back entirely (and the live-workflow cache entry dropped) on error.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import unicodedata
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.defaults import ManualTask, ScriptTask
from SpiffWorkflow.bpmn.specs.mixins import UserTaskMixin
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.dmn.specs import BusinessRuleTaskMixin
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.calendar import local_date
from engine.clocks import sync_clocks
from engine import case_search, inbox, notifications, records, spiff_patches, status, wfstate  # noqa: F401  (spiff_patches: installs on import)
from engine.deploy import Deployer, DeploymentInfo, DefinitionInfo
from engine.orgchart import unit_name
from engine.errors import Conflict, EngineError, InvalidInput, NotFound, ScriptError
from engine.parser import XinfangParser, initiator_variables
from engine.store import STATE_FORMAT, StateStore
from persistence.db import utcnow
from persistence.models import Case, Event, ProcessDefinition, Task

log = logging.getLogger(__name__)

# Case variables copied into cases.summary for lists and search.
SUMMARY_FIELDS = ("case_no", "title", "petitioner_name", "petitioner_id_number", "petitioner_phone", "channel",
                  "category", "domain", "request", "handling_unit", "review_unit", "recheck_unit", "outcome", "route",
                  "confidential", "accused_unit")
UNIT_VARIABLES = ("handling_unit", "review_unit", "recheck_unit", "assigned_unit", "leader_unit",
                  "registered_unit")  # the registering unit sees the case it registered, even one refused at once
# The unit a 检举控告 accuses is recorded with this role so the access policy can keep
# the case from it (第三十条第三款); it is never an "involved" unit.
ACCUSED_ROLE = "accused"
# Case variables a task completion never rewrites from outside (a REST client's body):
# who is accused and how the matter was registered decide who may see the case.
PROTECTED_VARIABLES = frozenset({"accused_unit", "confidential", "case_no", "matter_key", "matter_status",
                                 "repeat_status", "repeat_of", "initiator"})
SUMMARY_TEXT_LIMIT = 200
# Activities whose scripts or forms write notices (never joins: see _log_notices).
NOTICE_SOURCES = (ScriptTask, UserTaskMixin, BusinessRuleTaskMixin, ManualTask)
EVENT_KIND = re.compile(r"[a-z][a-z0-9_]{1,39}")
_EVENTS_INSERT = insert(Event.__table__)
# Kinds the engine writes itself; a process record cannot impersonate them.
ENGINE_EVENT_KINDS = {"case_started", "case_completed", "case_cancelled", "task_completed", "task_claimed",
                      "task_unclaimed", "task_assigned", "message_received", "timer_fired", "migrated"}


@dataclass
class CaseInfo:
    """A case as callers see it."""

    id: str
    business_key: str | None
    definition_id: str
    process_key: str
    status: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    started_by: str | None
    summary: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    matter_key: str | None = None
    matter_status: str | None = None
    next_timer_at: dt.datetime | None = None
    error: str | None = None
    tasks: list[Any] = field(default_factory=list)  # ready user tasks after the command


@dataclass
class EventInfo:
    """One entry of a case's history."""

    id: int
    case_id: str | None
    at: dt.datetime
    actor: str | None
    kind: str
    data: dict[str, Any]


def matter_key_for(variables: dict[str, Any]) -> str | None:
    """Key identifying "the same matter": the petitioner's id number with the request's facts.

    Used to link repeats (第十九条) and refuse matters closed for good (第三十六条第三款).
    Text is normalised (width, case, whitespace and punctuation) so re-typed petitions match.
    """
    ident = (variables.get("petitioner_id_number") or variables.get("petitioner_name") or "").strip()
    # 第三十六条第三款 speaks of the same facts *and reasons*; without facts the request stands in.
    subject = "|".join(str(v) for v in (variables.get("facts"), variables.get("reasons")) if v) \
        or str(variables.get("request") or "")
    if not ident or not subject:
        return None
    norm = unicodedata.normalize("NFKC", f"{ident}|{subject}").lower()
    norm = re.sub(r"[\s\W_]+", "", norm)
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()[:40]


def _script_engine(limits=None):
    from engine.scripting import make_script_engine

    return make_script_engine(limits)


class Engine:
    """Deploys definitions and runs cases, persisting every step."""

    def __init__(self, session_factory, *, script_engine=None, store: StateStore | None = None,
                 parser_factory=XinfangParser, read_session_factory=None, evaluation_limits=None):
        self.sessions = session_factory
        self.read_sessions = read_session_factory
        self.store = store or StateStore()
        # designer code runs in worker processes under these limits (engine.evaluation)
        self.script_engine = script_engine or _script_engine(evaluation_limits)
        self.deployer = Deployer(self.store, parser_factory)
        self.after_commit: list[Callable[[], None]] = []  # e.g. the timer scheduler's poke

    # ------------------------------------------------------------------ plumbing
    @contextmanager
    def unit_of_work(self, read_only: bool = False):
        """One transaction: commit on success, roll back (and drop cached state) on error.

        ``read_only`` units on SQLite start a plain (deferred) transaction instead of
        taking the write lock, so pages that only read never wait for a writer.
        """
        session: Session = (self.read_sessions if read_only and self.read_sessions else self.sessions)()
        touched: list[str] = []
        session.info["touched_cases"] = touched
        session.info["events"] = []
        try:
            yield session
            events = session.info["events"]
            if events:  # one multi-row Core INSERT (the ORM's bulk path cost more than the statement)
                session.connection().execute(_EVENTS_INSERT, events)
            session.commit()
        except BaseException:
            session.rollback()
            for case_id in touched:
                self.store.forget(case_id)
            raise
        finally:
            session.close()
        if read_only or not touched:
            return  # nothing a hook cares about (e.g. the scheduler's next wake-up) changed
        for hook in self.after_commit:
            try:
                hook()
            except Exception:  # a hook must never undo a committed command
                log.exception("after-commit hook failed")

    def close(self) -> None:
        """Release the database connections this engine holds."""
        for db in (getattr(self, "db", None), getattr(self, "read_db", None)):
            if db is not None:
                db.dispose()

    def evict_cache(self, case_id: str | None = None) -> None:
        """Forget live workflows so the next command reloads them from the database."""
        self.store.forget(case_id)

    # ------------------------------------------------------------------ deployment
    def deploy(self, resources: Iterable[tuple[str, bytes]], **kwargs) -> DeploymentInfo:
        """Validate and store BPMN/DMN resources as new definition versions."""
        with self.unit_of_work() as s:
            return self.deployer.deploy(s, resources, **kwargs)

    def list_definitions(self, key: str | None = None, latest_only: bool = False) -> list[DefinitionInfo]:
        """Deployed process definitions."""
        with self.unit_of_work(read_only=True) as s:
            return self.deployer.list_definitions(s, key, latest_only)

    def get_definition(self, definition_id: str) -> DefinitionInfo:
        """One definition version."""
        from engine.deploy import definition_info

        with self.unit_of_work(read_only=True) as s:
            return definition_info(self.deployer.get(s, definition_id))

    def get_definition_xml(self, definition_id: str) -> str:
        """The BPMN XML a definition version was deployed from."""
        with self.unit_of_work(read_only=True) as s:
            return self.deployer.get(s, definition_id).resource.content.decode("utf-8")

    def called_definition(self, definition_id: str, key: str) -> DefinitionInfo:
        """The version of process ``key`` that ``definition_id`` froze in for its call activities."""
        from engine.deploy import definition_info

        with self.unit_of_work(read_only=True) as s:
            caller = self.deployer.get(s, definition_id)
            target_id = (caller.called_definitions or {}).get(key)
            if target_id is None:
                raise NotFound(f"流程 {caller.key} 没有调用流程 {key!r}")
            return definition_info(self.deployer.get(s, target_id))

    def latest_definition(self, key: str) -> DefinitionInfo:
        """The newest version of a process key."""
        from engine.deploy import definition_info

        with self.unit_of_work(read_only=True) as s:
            return definition_info(self.deployer.latest_for_key(s, key))

    # ------------------------------------------------------------------ cases
    def start_case(self, *, process_key: str | None = None, definition_id: str | None = None,
                   business_key: str | None = None, variables: dict[str, Any] | None = None,
                   actor: str = "system") -> CaseInfo:
        """Start a case of the newest version of a key (or of a given version) and run it."""
        variables = dict(variables or {})
        with self.unit_of_work() as s:
            if not (definition_id or process_key):
                raise InvalidInput("process_key or definition_id is required")
            d = records.definition_head(s, key=process_key, definition_id=definition_id)
            if d is None:
                raise NotFound(f"流程定义 {definition_id or process_key!r} 不存在")
            if not d.executable:
                raise InvalidInput(f"流程“{d.name or d.key}”是不可执行的图（isExecutable=false），不能启动")
            self._add_repeat_variables(s, variables)
            spec, subs = self._specs(s, d.id)
            for name in initiator_variables(spec):  # camunda:initiator: who started it, never the caller's say
                variables[name] = actor
            wf = BpmnWorkflow(spec, subs, script_engine=self.script_engine)
            start = wf.get_next_task(state=TaskState.READY)
            (start or wf.task_tree).data.update(variables)
            now = utcnow()
            case = records.CaseRecord(
                id=str(uuid.uuid4()), business_key=business_key, definition_id=d.id, process_key=d.key,
                status="running", started_at=now, started_by=actor, ended_at=None, updated_at=now, version=0,
                next_timer_at=None, matter_key=None, matter_status=None,
                summary={}, units=[], notice_keys=[], error=None)
            # The row goes in first: clocks, tasks and units written during the step refer to it.
            records.insert_case(s, case)
            s.info["touched_cases"].append(case.id)
            self._event(s, case.id, actor, "case_started",
                        {"definition_id": d.id, "business_key": business_key, "variables": _jsonable(variables)})
            self._run(wf, case)
            self._after_step(s, case, wf, {}, actor, now)
            return self._case_info(case, wf, s.info["open_tasks"], s.info["data"])

    def get_case(self, case_id: str, with_variables: bool = True) -> CaseInfo:
        """A case with its current variables."""
        with self.unit_of_work(read_only=True) as s:
            case = self._case(s, case_id)
            wf = self._load(s, case, keep=True) if with_variables else None
            return self._case_info(case, wf)

    def list_cases(self, *, process_key: str | None = None, status: str | None = None,
                   business_key: str | None = None, matter_key: str | None = None,
                   case_filter=None, offset: int = 0, limit: int | None = 100) -> list[CaseInfo]:
        """Cases, newest first; ``case_filter`` is an extra SQL condition (access policy)."""
        with self.unit_of_work(read_only=True) as s:
            q = select(Case)
            if process_key:
                q = q.where(Case.process_key == process_key)
            if status:
                q = q.where(Case.status == status)
            if business_key:
                q = q.where(Case.business_key == business_key)
            if matter_key:
                q = q.where(Case.matter_key == matter_key)
            if case_filter is not None:
                q = q.where(case_filter)
            q = q.order_by(Case.started_at.desc()).offset(offset)
            if limit:
                q = q.limit(limit)
            return [self._case_info(c, None) for c in s.scalars(q)]

    def find_repeats(self, variables: dict[str, Any]) -> dict[str, Any]:
        """What a new petition with these variables would be: new, linked repeat, or refused."""
        variables = dict(variables)
        with self.unit_of_work(read_only=True) as s:
            self._add_repeat_variables(s, variables)
        return {k: variables.get(k) for k in ("matter_key", "repeat_status", "repeat_of")}

    def cancel_case(self, case_id: str, actor: str, reason: str = "") -> CaseInfo:
        """Cancel a running case: its tasks are withdrawn and its timers stop."""
        with self.unit_of_work() as s:
            case = self._lock_case(s, case_id)
            wf = self._load(s, case)
            wf.cancel()
            now = utcnow()
            status.move_case(case, "cancelled")
            case.ended_at = now
            self._event(s, case.id, actor, "case_cancelled", {"reason": reason})
            self._after_step(s, case, wf, self._data(wf), actor, now)
            return self._case_info(case, wf, s.info["open_tasks"])

    def history(self, case_id: str) -> list[EventInfo]:
        """Every event of a case, oldest first."""
        with self.unit_of_work(read_only=True) as s:
            self._case(s, case_id)
            rows = s.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.at, Event.id))
            return [EventInfo(e.id, e.case_id, e.at, e.actor, e.kind, e.data or {}) for e in rows]

    def record_event(self, case_id: str | None, actor: str, kind: str, data: dict[str, Any]) -> None:
        """Append a domain event (evaluation, supervision letter issued …) to the log."""
        with self.unit_of_work() as s:
            if case_id is not None:
                self._case(s, case_id)
            self._event(s, case_id, actor, kind, _jsonable(data))

    def case_diagram_state(self, case_id: str) -> dict[str, Any]:
        """Activity ids that are active, completed and overdue, for diagram highlighting."""
        with self.unit_of_work(read_only=True) as s:
            case = self._case(s, case_id)
            wf = self._load(s, case, keep=True)
            active, done = set(), set()
            for t in wf.get_tasks():
                name = t.task_spec.bpmn_id if hasattr(t.task_spec, "bpmn_id") else None
                if not name:
                    continue
                if t.has_state(TaskState.READY | TaskState.WAITING | TaskState.STARTED):
                    active.add(name)
                elif t.has_state(TaskState.COMPLETED):
                    done.add(name)
            now = utcnow()
            overdue = {t.activity_id for t in s.scalars(select(Task).where(
                Task.case_id == case_id, Task.state == "ready", Task.due_at < now))}
            return {"definition_id": case.definition_id, "active": sorted(active), "completed": sorted(done),
                    "overdue": sorted(overdue)}

    def rebind_case(self, case_id: str, from_definition_id: str, to_definition_id: str,
                    change: Callable[..., dict | None], actor: str) -> CaseInfo:
        """Move a running case to another definition version in one transaction.

        ``change(workflow, spec, subprocess_specs)`` adapts a fresh copy of the case's
        workflow to the target specs and returns data for the ``migrated`` event; raising
        Conflict leaves the case untouched.  Open task rows keep id, assignee, candidates
        and due date; their name, documentation and lane follow the new diagram.
        """
        with self.unit_of_work() as s:
            case = self._lock_case(s, case_id)
            if case.status != "running":
                raise Conflict("案件已结束，无需迁移")
            if case.definition_id != from_definition_id:
                raise Conflict(f"案件已不在版本 {from_definition_id} 上（现为 {case.definition_id}）")
            source = self.deployer.get(s, from_definition_id)
            target = self.deployer.get(s, to_definition_id)
            if not target.executable or not target.spec_json:
                raise InvalidInput(f"目标版本 {target.id} 不可执行")
            old = self.store.specs_for(source.id, source.spec_json)
            new = self.store.specs_for(target.id, target.spec_json)
            # A fresh copy, never the live cached workflow: a refusal must leave nothing half-moved.
            wf = self.store.load_state(self._stored_state(s, case.id), *old)
            wf.script_engine = self.script_engine
            before = self._data(wf)
            details = change(wf, *new) or {}
            case.definition_id = target.id
            specs = [new[0], *new[1].values()]
            for row in records.open_tasks(s, case.id):
                ts = next((sp.task_specs[row.activity_id] for sp in specs if row.activity_id in sp.task_specs), None)
                if ts is not None:
                    row.name, row.documentation, row.lane = ts.bpmn_name or ts.name, ts.documentation, ts.lane
                    records.update_task(s, row, "name", "documentation", "lane")
            self._event(s, case.id, actor, "migrated", {
                "from_definition_id": source.id, "from_version": source.version,
                "to_definition_id": target.id, "to_version": target.version, **_jsonable(details)})
            self._after_step(s, case, wf, before, actor, utcnow())
            return self._case_info(case, wf, s.info["open_tasks"])

    def list_deployments(self) -> list[DeploymentInfo]:
        """Every deployment, newest first, with the definitions and decisions it created."""
        with self.unit_of_work(read_only=True) as s:
            return self.deployer.list_deployments(s)

    def metrics(self, date_from: dt.date, date_to: dt.date, *, unit: str | None = None,
                as_of: dt.datetime | None = None, due_soon_days: int = 3) -> dict[str, Any]:
        """The county's figures for a date range (definitions in engine.metrics), as JSON-able data."""
        from engine.metrics import compute_metrics

        with self.unit_of_work(read_only=True) as s:
            return compute_metrics(s, date_from, date_to, as_of=as_of, unit=unit,
                                   due_soon_days=due_soon_days).to_dict()

    # ------------------------------------------------------------------ tasks
    def list_tasks(self, **filters) -> list[inbox.TaskInfo]:
        """Inbox query over the task table (see engine.inbox.task_query for filters)."""
        with self.unit_of_work(read_only=True) as s:
            return inbox.list_tasks(s, **filters)

    def count_tasks(self, **filters) -> int:
        """Number of tasks the same filters would list."""
        with self.unit_of_work(read_only=True) as s:
            return inbox.count_tasks(s, **filters)

    def get_task(self, task_id: str) -> inbox.TaskInfo:
        """One task, or NotFound."""
        with self.unit_of_work(read_only=True) as s:
            return inbox.task_info(self._task(s, task_id))

    def task_form(self, task_id: str):
        """The task's Camunda form as a ``forms.Form`` (empty when the task has none)."""
        from forms import Form

        with self.unit_of_work(read_only=True) as s:
            row = self._task(s, task_id)
            spec = self._task_spec(s, row)
            spiff_form = getattr(spec, "form", None)
            return Form.from_spiff(spiff_form) if spiff_form is not None else Form(key=None, fields=[], notes=[])

    def evaluate_for_task(self, task_id: str, expression: str) -> Any:
        """Evaluate an expression (e.g. a form default ``${…}``) in a ready task's data."""
        with self.unit_of_work(read_only=True) as s:
            row = self._task(s, task_id)
            wf = self._load(s, self._case(s, row.case_id), keep=True)
            t = self._spiff_task(wf, row)
            if t is None:
                raise NotFound(f"任务 {task_id!r} 不存在")
            return self.script_engine.evaluate(t, expression)

    def task_variables(self, task_id: str) -> dict[str, Any]:
        """The data a ready task sees (its form defaults come from here)."""
        with self.unit_of_work(read_only=True) as s:
            row = self._task(s, task_id)
            case = self._case(s, row.case_id)
            wf = self._load(s, case, keep=True)
            t = self._spiff_task(wf, row)
            return dict(t.data) if t is not None else {}

    def claim(self, task_id: str, user: str) -> inbox.TaskInfo:
        """Take a ready task; Conflict when someone else holds it."""
        with self.unit_of_work() as s:
            row = self._ready_task(s, task_id, lock=True)
            if row.assignee and row.assignee != user:
                raise Conflict(f"任务已被 {row.assignee} 认领")
            row.assignee = user
            records.update_task(s, row, "assignee")
            self._event(s, row.case_id, user, "task_claimed", {"task_id": row.id, "task": row.name})
            return inbox.task_info(row)

    def unclaim(self, task_id: str, actor: str) -> inbox.TaskInfo:
        """Return a claimed task to its candidate groups."""
        with self.unit_of_work() as s:
            row = self._ready_task(s, task_id, lock=True)
            previous, row.assignee = row.assignee, None
            records.update_task(s, row, "assignee")
            self._event(s, row.case_id, actor, "task_unclaimed", {"task_id": row.id, "task": row.name, "from": previous})
            return inbox.task_info(row)

    def assign(self, task_id: str, user: str | None, actor: str) -> inbox.TaskInfo:
        """Give a ready task to a user (or nobody)."""
        with self.unit_of_work() as s:
            row = self._ready_task(s, task_id, lock=True)
            previous, row.assignee = row.assignee, user
            records.update_task(s, row, "assignee")
            notifications.task_assigned(s, row, user, actor, utcnow())
            self._event(s, row.case_id, actor, "task_assigned",
                        {"task_id": row.id, "task": row.name, "from": previous, "to": user})
            return inbox.task_info(row)

    def complete_task(self, task_id: str, variables: dict[str, Any] | None, actor: str,
                      validate_form: bool = True, absent_checkbox_is_false: bool = True,
                      strict: bool = False) -> CaseInfo:
        """Complete a ready user task with variables and run the case to its next wait state.

        ``strict`` (the REST API) refuses, per key, what form validation would drop:
        variables the task's form does not have, read-only fields and protected variables.
        """
        with self.unit_of_work() as s:
            row = self._ready_task(s, task_id, lock=True)
            case = s.info["locked_case"]
            wf = self._load(s, case)
            t = self._spiff_task(wf, row)
            if t is None or not t.has_state(TaskState.READY):
                raise Conflict("任务已不在待办状态")
            values = dict(variables or {})
            if validate_form:
                values = self._validated(t, values, absent_checkbox_is_false, case.started_at, strict)
            # What the case looked like to this task: the baseline of the history entry's
            # changes (and no extra walk of the task tree).
            before = dict(t.data)
            t.data.update(values)
            t.run()
            wfstate.completed_sink(wf).append(t)
            now = utcnow()
            self._run(wf, case)
            status.move_task(row, "completed")
            row.completed_at, row.completed_by = now, actor
            records.update_task(s, row, "state", "completed_at", "completed_by")
            s.info["closed_tasks"] = [row.id]
            s.info["active"] = active = wfstate.active_tasks(wf)
            after = self._data(wf, active)
            self._event(s, case.id, actor, "task_completed",
                        {"task_id": row.id, "task": row.name, "activity_id": row.activity_id,
                         "changes": _diff(before, after, values)})
            self._after_step(s, case, wf, before, actor, now, after)
            return self._case_info(case, wf, s.info["open_tasks"], s.info["data"])

    # ------------------------------------------------------------------ messages and timers
    def send_message(self, message_name: str, *, business_key: str | None = None, case_id: str | None = None,
                     payload: dict[str, Any] | None = None, actor: str = "system") -> CaseInfo:
        """Deliver a message to the one case waiting for it (by case id or business key).

        A timer that is due but not yet fired does not pre-empt the message: the process
        decides (e.g. a 复查 request received in time but entered late is accepted, one
        received late is refused with a notice — see processes/handling.bpmn).
        """
        payload = dict(payload or {})
        with self.unit_of_work() as s:
            if case_id:
                candidates = [self._case(s, case_id)]
            elif business_key:
                candidates = list(s.scalars(select(Case).where(Case.business_key == business_key,
                                                               Case.status == "running")))
            else:
                raise InvalidInput("消息必须指定 case_id 或 business_key")
            matches = []
            for case in candidates:
                if case.status != "running":
                    continue
                wf = self._load(s, case, keep=True)
                waiting = wfstate.waiting_message_tasks(wf, message_name)
                if waiting:
                    matches.append((case, waiting))
            if not matches:
                raise NotFound(f"没有等待消息“{message_name}”的案件")
            if len(matches) > 1:
                raise Conflict(f"有 {len(matches)} 个案件在等待消息“{message_name}”，请指定 case_id")
            case, _ = matches[0]
            case = self._lock_case(s, case.id)
            wf = self._load(s, case)
            before = self._data(wf)
            catching = wfstate.waiting_message_tasks(wf, message_name)
            definition = wfstate.message_definition(catching[0], message_name)
            wf.catch(BpmnEvent(definition, {"payload": payload, "result_var": "message_payload"}))
            # Camunda merges message variables into the process; Spiff would nest them
            # under the result variable. The catching task has just inherited its
            # parent's data (it is READY now), so the payload goes on top of that.
            for t in catching:
                if t.has_state(TaskState.READY):
                    t.data.update(payload)
            now = utcnow()
            self._run(wf, case)
            self._event(s, case.id, actor, "message_received",
                        {"message": message_name, "changes": _diff(before, after := self._data(wf), payload)})
            self._after_step(s, case, wf, before, actor, now, after)
            return self._case_info(case, wf, s.info["open_tasks"], s.info["data"])

    def waiting_messages(self, case_id: str) -> set[str]:
        """The names of the messages a running case waits for now (empty when it ended)."""
        with self.unit_of_work(read_only=True) as s:
            case = self._case(s, case_id)
            if case.status != "running":
                return set()
            return wfstate.waiting_message_names(self._load(s, case, keep=True))

    def advance_timers(self, case_id: str, now: dt.datetime | None = None) -> int:
        """Fire whatever timers of a case are due; returns how many fired."""
        with self.unit_of_work() as s:
            case = self._lock_case(s, case_id)
            if case.status != "running":
                case.next_timer_at = None
                return 0
            wf = self._load(s, case)
            before_waiting = wfstate.timer_tasks(wf)
            before = self._data(wf)
            wf.refresh_timers()
            fired = [t for t in before_waiting if not t.has_state(TaskState.WAITING)]
            now = now or utcnow()
            self._run(wf, case)
            for t in fired:
                self._event(s, case.id, "system", "timer_fired",
                            {"activity_id": t.task_spec.bpmn_id, "name": t.task_spec.bpmn_name})
            self._after_step(s, case, wf, before, "system", now)
            return len(fired)

    def fire_due(self, now: dt.datetime | None = None) -> int:
        """Fire every due timer of every case (the scheduler and CLI call this)."""
        from engine.timers import fire_due

        return fire_due(self, now)

    # ------------------------------------------------------------------ internals
    def _case(self, s: Session, case_id: str) -> Case:
        case = s.get(Case, case_id) if case_id else None
        if case is None:
            raise NotFound(f"案件 {case_id!r} 不存在")
        return case

    def _lock_case(self, s: Session, case_id: str) -> records.CaseRecord:
        # FOR UPDATE serialises commands on one case on PostgreSQL; SQLite's BEGIN
        # IMMEDIATE already holds the database write lock; the version check in the
        # save catches anything else (a workflow cached from an older version).
        case = records.load_case(s, case_id, lock=True) if case_id else None
        if case is None:
            raise NotFound(f"案件 {case_id!r} 不存在")
        s.info["touched_cases"].append(case.id)
        return case

    def _task(self, s: Session, task_id: str) -> Task:
        row = s.get(Task, task_id) if task_id else None
        if row is None:
            raise NotFound(f"任务 {task_id!r} 不存在")
        return row

    def _ready_task(self, s: Session, task_id: str, lock: bool) -> records.TaskRecord:
        # One statement locks the task and its case row (PostgreSQL FOR UPDATE) and
        # reads both, so a second command on the case sees the first one's result.
        found = records.load_task_and_case(s, task_id, lock=lock) if task_id else None
        if found is None:
            raise NotFound(f"任务 {task_id!r} 不存在")
        row, case = found
        s.info["touched_cases"].append(case.id)
        s.info["locked_case"] = case
        if row.state != "ready":
            raise Conflict(f"任务“{row.name}”的状态为“{status.TASK_STATE_LABELS.get(row.state, row.state)}”，不能再办理")
        return row

    def _specs(self, s: Session, definition_id: str) -> tuple:
        """(spec, subprocess specs) of a version: from memory, else restored once from the database."""
        cached = self.store.cached_specs(definition_id)
        if cached is not None:
            return cached
        return self.store.specs_for(definition_id, records.spec_json(s, definition_id))

    def _load(self, s: Session, case: Case, keep: bool = False) -> BpmnWorkflow:
        wf = self.store.cached_workflow(case.id, case.version)
        if wf is None:
            spec, subs = self._specs(s, case.definition_id)
            wf = self.store.load_state(self._stored_state(s, case.id), spec, subs)
            wf.script_engine = self.script_engine
        if keep:  # read-only use: put it straight back
            self.store.keep_workflow(case.id, case.version, wf)
        return wf

    def _stored_state(self, s: Session, case_id: str) -> bytes:
        stored = records.load_state(s, case_id)
        if stored is None:
            raise NotFound(f"案件 {case_id!r} 没有流程状态")
        return stored

    def _run(self, wf: BpmnWorkflow, case: Case) -> None:
        completed = wfstate.completed_sink(wf)
        try:
            wf.do_engine_steps(did_complete_task=completed.append)
            wf.refresh_timers()
            wf.do_engine_steps(did_complete_task=completed.append)
        except EngineError:
            raise
        except SpiffWorkflowException as exc:
            raise ScriptError(f"案件 {case.id} 执行出错：{_spiff_message(exc)}") from exc

    def _after_step(self, s: Session, case, wf: BpmnWorkflow, before: dict[str, Any], actor: str,
                    now: dt.datetime, after: dict[str, Any] | None = None) -> None:
        """Mirror the workflow into the tables (tasks, timers, clocks, summary) and save it.

        ``after`` is the case's data after the step when the caller already has it.
        """
        self._mirror(s, case, wf, before, actor, now, after)
        # UPDATE … WHERE version = old: Conflict if someone saved first; then the state row.
        records.save_case(s, case, self.store.dump_state(wf), STATE_FORMAT)
        self.store.keep_workflow(case.id, case.version, wf)

    def _mirror(self, s: Session, case, wf: BpmnWorkflow, before: dict[str, Any], actor: str,
                now: dt.datetime, after: dict[str, Any] | None) -> None:
        # One walk of the task tree serves the variables and the inbox rows.
        active = s.info.pop("active", None) if after is not None else None
        if active is None:
            active = wfstate.active_tasks(wf)
            data = self._data(wf, active)
        else:
            data = after
        if _clocks_changed(s, case.id, before, data, actor, now, [t.data for t in active]):
            wfstate.rearm_date_timers(wf, before, data)
            self._run(wf, case)
            active = wfstate.active_tasks(wf)
            data = self._data(wf, active)
        self._log_notices(s, case, wf, actor)
        ready = [t for t in active if t.has_state(TaskState.READY) and isinstance(t.task_spec, UserTaskMixin)]
        open_tasks = inbox.sync_tasks(s, case, wf, self.script_engine, now, ready,
                                      closed_ids=tuple(s.info.pop("closed_tasks", ())))
        arrived = [t for t in open_tasks if t.created_at == now]
        if arrived:
            notifications.tasks_arrived(s, case.process_key, data.get("title"), arrived, now, actor)
        s.info["open_tasks"] = open_tasks
        s.info["data"] = data
        if wf.completed and case.status == "running":
            status.move_case(case, "completed")
            case.ended_at = now
            self._event(s, case.id, actor, "case_completed", {"outcome": data.get("outcome")})
        case.next_timer_at = wfstate.next_timer(wf) if case.status == "running" else None
        case.matter_key = data.get("matter_key") or case.matter_key
        case.matter_status = data.get("matter_status") or case.matter_status
        summary = _summary(data)
        case_search.sync_row(s, case.id, case.started_at, case.summary or {}, summary)
        case.summary = summary
        self._sync_units(s, case, data, open_tasks)
        case.updated_at = now

    def _sync_units(self, s: Session, case, data: dict[str, Any], open_tasks: list) -> None:
        units = {u[:64] for u in (data.get(k) for k in UNIT_VARIABLES) if isinstance(u, str) and u}
        units |= {t.unit_code for t in open_tasks if t.unit_code}
        accused = data.get("accused_unit")
        accused = accused[:64] if isinstance(accused, str) and accused else None
        have = set(case.units or [])
        marker = f"{ACCUSED_ROLE}:{accused}" if accused else None
        if marker and marker in have and accused in units - have:
            # 第三十条第三款: a 检举控告 recorded against a unit is never handed to it later
            # (its tasks would reach people the access policy keeps from the case).
            routed = [k for k in UNIT_VARIABLES if data.get(k) == accused] or ["handling_unit"]
            message = f"检举控告事项不能交由被检举控告的单位（{unit_name(accused)}）办理"
            raise InvalidInput(message + "（《信访工作条例》第三十条）", {k: message for k in routed})
        # case_units has one row per unit; the accused unit's row says ``accused`` even when
        # the unit is also involved, so the access policy reads that row alone. ``units``
        # lists the accused unit itself only when it was involved when first accused.
        rows = [(u, None) for u in sorted(units - have) if u != accused]
        if marker and marker not in have:
            if accused in have:
                records.mark_accused(s, case.id, accused)
            else:
                rows.append((accused, ACCUSED_ROLE))
            units.add(marker)
        if rows or not units <= have:
            if rows:
                records.insert_case_units(s, case.id, rows)
            case.units = sorted(have | units)

    def _log_notices(self, s: Session, case: Case, wf: BpmnWorkflow, actor: str) -> None:
        """Log each notice a script or form added during this command, once.

        Notices are read from the activities that completed in this command, right as
        they completed: joins are skipped because SpiffWorkflow merges parallel
        branches' lists index by index, which can garble a branch's notice dicts.
        """
        seen = set(case.notice_keys or [])
        fresh = []
        for t in wfstate.completed_sink(wf, reset=True):
            if not isinstance(t.task_spec, NOTICE_SOURCES):
                continue
            notices = t.data.get("notices")
            if not notices or not isinstance(notices, list):
                continue
            for notice in notices:
                key = wfstate.notice_key(notice)
                if key not in seen:
                    seen.add(key)
                    fresh.append(notice)
        for notice in fresh:
            data = _jsonable(notice) if isinstance(notice, dict) else {"text": str(notice)}
            # A record may name the event kind it stands for (e.g. screening_result,
            # counted by the metrics); anything else is a plain notice.
            kind = data.get("event") if isinstance(data.get("event"), str) else "notice"
            if not EVENT_KIND.fullmatch(kind) or kind in ENGINE_EVENT_KINDS or kind.startswith("clock_"):
                kind = "notice"
            self._event(s, case.id, actor, kind, data)
        if fresh:
            case.notice_keys = sorted(seen)

    def _event(self, s: Session, case_id: str | None, actor: str | None, kind: str, data: dict) -> None:
        s.info["events"].append({"case_id": case_id, "at": utcnow(), "actor": actor, "kind": kind, "data": data})

    def _data(self, wf: BpmnWorkflow, active: list | None = None) -> dict[str, Any]:
        """The case's current variables.

        The data of every active task and of the last completed one, overlaid in the
        order they last changed, so parallel branches and waiting events all show and
        the newest change (e.g. a clock just extended in one branch) wins over a copy a
        waiting event took earlier.  ``active`` saves a walk of the task tree when the
        caller already has the active tasks.
        """
        if wf.completed:
            merged = dict(wf.last_task.data) if wf.last_task is not None else {}
            merged.update(wf.data)
            return merged
        tasks = list(wfstate.active_tasks(wf) if active is None else active)
        if wf.last_task is not None:
            tasks.append(wf.last_task)  # last on ties: it is the step that just ran
        merged = dict(wf.task_tree.data)
        for t in sorted(tasks, key=lambda t: t.last_state_change):
            if t.data and not wfstate.is_waiting_join(t):
                merged.update(t.data)
        return merged

    def _add_repeat_variables(self, s: Session, variables: dict[str, Any]) -> None:
        if "matter_key" not in variables:
            key = matter_key_for(variables)
            if key is None:
                return
            variables["matter_key"] = key
        key = variables["matter_key"]
        terminated, running = records.matter_cases(s, key)
        if terminated:
            variables["repeat_status"], variables["repeat_of"] = "terminated", terminated
        elif running:
            variables["repeat_status"], variables["repeat_of"] = "in_handling", running
        else:
            variables["repeat_status"], variables["repeat_of"] = "none", None

    def _spiff_task(self, wf: BpmnWorkflow, row: Task):
        try:
            return wf.get_task_from_id(UUID(row.id))
        except Exception:
            return None

    def _task_spec(self, s: Session, row: Task):
        case = self._case(s, row.case_id)
        d = s.get(ProcessDefinition, case.definition_id)
        spec, subs = self.store.specs_for(d.id, d.spec_json)
        for candidate in (spec, *subs.values()):
            ts = candidate.task_specs.get(row.activity_id)
            if ts is not None:
                return ts
        return None

    def _validated(self, t, values: dict[str, Any], absent_checkbox_is_false: bool,
                   started_at: dt.datetime | None = None, strict: bool = False) -> dict[str, Any]:
        from forms import Form, refused_keys, validate
        from forms.dates import date_errors

        spiff_form = getattr(t.task_spec, "form", None)
        has_form = spiff_form is not None and getattr(spiff_form, "fields", None)
        if not has_form and not strict:
            return values
        form = Form.from_spiff(spiff_form) if has_form else Form(key=None, fields=[], notes=[])
        clean, errors = validate(form, values, existing=t.data,
                                 evaluate=lambda text: self.script_engine.evaluate(t, text),
                                 absent_checkbox_is_false=absent_checkbox_is_false)
        if strict:
            # Compared with what the case would hold after the form (a read-only field's
            # default counts as its value, so echoing form-variables back is fine).
            refused = refused_keys(form, values, {**t.data, **clean}, protected=PROTECTED_VARIABLES)
            errors = {**errors, **refused}
        if not errors:
            # A date a person enters is not in the future (unless planned) nor before the case's
            # earlier events the form names: a wrong 送达 date would move a statutory window.
            errors = date_errors(form.fields, clean, t.data, today=local_date(utcnow()),
                                 registered=local_date(started_at) if started_at else None)
        if errors:
            raise InvalidInput(f"表单填写有误，{len(errors)} 项需要修改", errors)
        # Camunda submits an empty optional field as null; scripts may read every field.
        for f in form.fields:
            if f.id not in clean and f.id not in t.data:
                clean[f.id] = None
        return clean

    def _case_info(self, case, wf: BpmnWorkflow | None, open_tasks: list | None = None,
                   data: dict[str, Any] | None = None) -> CaseInfo:
        return CaseInfo(
            id=case.id, business_key=case.business_key, definition_id=case.definition_id,
            process_key=case.process_key, status=case.status, started_at=case.started_at, ended_at=case.ended_at,
            started_by=case.started_by, summary=dict(case.summary or {}),
            variables=_jsonable(data if data is not None else self._data(wf)) if wf is not None else {},
            matter_key=case.matter_key, matter_status=case.matter_status, next_timer_at=case.next_timer_at,
            error=case.error, tasks=[inbox.task_info(t, case) for t in open_tasks or []],
        )


# ---------------------------------------------------------------------- helpers
def _spiff_message(exc: Exception) -> str:
    parts = [str(exc)]
    for attr in ("task_name", "line_number", "error_line"):
        v = getattr(exc, attr, None)
        if v:
            parts.append(f"{attr}={v}")
    return "; ".join(parts)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return str(value)


def _diff(before: dict, after: dict, submitted: dict) -> dict[str, Any]:
    """What a command changed: new or changed variables, and removed ones."""
    changes = {}
    for k, v in after.items():
        if k not in before or before[k] != v:
            changes[k] = _jsonable(v)
    for k, v in submitted.items():
        changes.setdefault(k, _jsonable(v))
    removed = [k for k in before if k not in after]
    out = {"set": changes}
    if removed:
        out["removed"] = removed
    return out


def _summary(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k in SUMMARY_FIELDS:
        v = data.get(k)
        if v is None:
            continue
        if isinstance(v, str) and len(v) > SUMMARY_TEXT_LIMIT:
            v = v[:SUMMARY_TEXT_LIMIT] + "…"
        out[k] = _jsonable(v)
    return out


def _clocks_changed(s: Session, case_id: str, before: dict, after: dict, actor: str, now,
                    branches: list[dict] | None = None) -> bool:
    return sync_clocks(s, case_id, before, after, actor, now, branches)
