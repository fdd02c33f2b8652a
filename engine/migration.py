"""Definition versions: what changed between two of them, and moving running cases.

Built on SpiffWorkflow's own helpers (``SpiffWorkflow.bpmn.util.diff``), with three
corrections found by testing them:

* ``SpecDiff`` aligns by structure when an id disappears: a case waiting at a removed
  task ``approve`` would silently move to whatever task took its place (``sign``).
  The rule here is stricter and the one designers expect: a case migrates only when
  every activity it currently waits at still exists **under the same id**.
* ``migrate_workflow`` resets every READY/WAITING task, which clears a timer's
  ``event_value`` — a ``P15D`` boundary timer would restart its fifteen days. We keep
  the data and internal data of those tasks when their event definition is unchanged,
  so statutory deadlines (第三十二条 and the clocks) are not extended by a redeploy.
* ``WorkflowDiff`` raises ``KeyError`` for a task whose spec the alignment never
  visited; we build the alignment ourselves with ``.get``.

The pure functions below work on Spiff objects; the functions at the end run them
against stored cases through the engine's store and unit of work.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn.util.diff import SpecDiff, migrate_workflow
from sqlalchemy import select

from engine.errors import Conflict, InvalidInput, NotFound

# What an attribute of a serialized task spec means to a designer.
ATTRIBUTE_LABELS = {
    "bpmn_name": "名称",
    "inputs": "入口连线",
    "outputs": "出口连线",
    "cond_task_specs": "条件",
    "default_task_spec": "默认流",
    "extensions": "Camunda 属性",
    "form": "表单",
    "script": "脚本",
    "prescript": "前置脚本",
    "postscript": "后置脚本",
    "event_definition": "事件定义",
    "documentation": "说明",
    "lane": "泳道",
    "io_specification": "输入输出",
    "data_input_associations": "数据输入",
    "data_output_associations": "数据输出",
    "typename": "元素类型",
    "cancel_activity": "是否中断",
    "condition": "完成条件",
    "cardinality": "多实例基数",
    "loop_condition": "循环条件",
    "decision_ref": "决策引用",
    "spec": "被调用流程",
}
# Attributes that only echo other changes (ids, internal names) or never matter.
IGNORED_ATTRIBUTES = {"name", "bpmn_id", "description", "manual", "lookahead", "typename_hint"}

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
RESET = TaskState.READY | TaskState.WAITING


@dataclass(frozen=True)
class ActivityChange:
    """One BPMN element that was added, removed or changed between two versions."""

    id: str
    name: str | None
    kind: str  # the spec class, e.g. UserTask, ExclusiveGateway
    process: str  # the process (or called/embedded process) it belongs to
    attributes: tuple[str, ...] = ()  # for changes: what changed, in designer words

    @property
    def label(self) -> str:
        return f"{self.name}（{self.id}）" if self.name else self.id


@dataclass
class VersionDiff:
    """The changes from one definition version to another."""

    from_id: str | None
    to_id: str
    added: list[ActivityChange] = field(default_factory=list)
    removed: list[ActivityChange] = field(default_factory=list)
    changed: list[ActivityChange] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass
class MigrationCheck:
    """Whether one case can move to the target version, and why not."""

    case_id: str
    business_key: str | None
    current: list[str]  # ids of the activities the case waits at
    ok: bool
    reason: str | None = None


@dataclass
class MigrationReport:
    """The outcome of migrating the running cases of one version to another."""

    from_id: str
    to_id: str
    migrated: list[MigrationCheck] = field(default_factory=list)
    skipped: list[MigrationCheck] = field(default_factory=list)


# --- comparing specs ------------------------------------------------------------

def _activities(spec) -> dict[str, Any]:
    """The task specs of a process that stand for BPMN elements, by BPMN id."""
    return {ts.bpmn_id: ts for ts in spec.task_specs.values() if getattr(ts, "bpmn_id", None)}


def _change(ts, process: str, attributes: tuple[str, ...] = ()) -> ActivityChange:
    return ActivityChange(ts.bpmn_id, getattr(ts, "bpmn_name", None), type(ts).__name__, process, attributes)


def _describe(keys: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(ATTRIBUTE_LABELS.get(k, k) for k in keys if k not in IGNORED_ATTRIBUTES))


def diff_process_specs(registry, old_spec, new_spec) -> tuple[list, list, list]:
    """Added, removed and changed activities of one process, matched by BPMN id."""
    spec_diff = SpecDiff(registry, old_spec, new_spec)
    old, new = _activities(old_spec), _activities(new_spec)
    process = new_spec.name
    added = [_change(ts, process) for bid, ts in new.items() if bid not in old]
    removed = [_change(ts, old_spec.name) for bid, ts in old.items() if bid not in new]
    changed = []
    for bid, ts in old.items():
        if bid not in new:
            continue
        if spec_diff.alignment.get(ts) is new[bid]:
            keys = spec_diff.comparisons.get(ts) or []
        else:  # not visited from the start event (e.g. an event subprocess): compare directly
            keys = spec_diff._compare_task_specs(ts, new[bid])
        what = _describe(keys)
        if what:
            changed.append(_change(new[bid], process, what))
    return added, removed, changed


def diff_specs(registry, old: tuple, new: tuple, from_id: str | None, to_id: str) -> VersionDiff:
    """Compare two (spec, subprocess_specs) pairs, the called processes included."""
    (old_spec, old_subs), (new_spec, new_subs) = old, new
    result = VersionDiff(from_id, to_id)
    pairs = [(old_spec, new_spec)] + [(old_subs[k], new_subs[k]) for k in old_subs if k in new_subs]
    for o, n in pairs:
        added, removed, changed = diff_process_specs(registry, o, n)
        result.added += added
        result.removed += removed
        result.changed += changed
    for name in new_subs:
        if name not in old_subs:
            result.added += [_change(ts, name) for ts in _activities(new_subs[name]).values()]
    for name in old_subs:
        if name not in new_subs:
            result.removed += [_change(ts, name) for ts in _activities(old_subs[name]).values()]
    return result


# --- checking and migrating one workflow ------------------------------------------

def _scopes(workflow, new_spec, new_subs):
    """(workflow or subworkflow, its target spec or None) for the case and each subprocess."""
    yield workflow, new_spec
    for sub in workflow.subprocesses.values():
        yield sub, new_subs.get(sub.spec.name)


def current_activities(workflow) -> list[str]:
    """BPMN ids of the activities a workflow waits at (ready, waiting or running)."""
    ids = []
    for scope in [workflow, *workflow.subprocesses.values()]:
        for task in scope.get_tasks(state=ACTIVE, skip_subprocesses=True):
            bid = getattr(task.task_spec, "bpmn_id", None)
            if bid and bid not in ids:
                ids.append(bid)
    return ids


def _survivors(scope) -> list:
    """Tasks that stay in the tree: what migration resets or re-predicts loses its subtree."""
    dropped = set()
    for task in scope.get_tasks(state=RESET | TaskState.STARTED, skip_subprocesses=True):
        dropped.update(t.id for t in task if t is not task)
    return [t for t in scope.get_tasks(skip_subprocesses=True) if t.id not in dropped]


def _label(ts) -> str:
    name, bid = getattr(ts, "bpmn_name", None), getattr(ts, "bpmn_id", None)
    if name and bid:
        return f"“{name}”（{bid}）"
    return f"“{name or bid or ts.name}”"


def refusal(registry, workflow, new_spec, new_subs) -> str | None:
    """Why a workflow cannot move to ``new_spec``, or None when it can."""
    for scope, target in _scopes(workflow, new_spec, new_subs):
        if target is None:
            return f"被调用的流程“{scope.spec.name}”在新版本中已不存在，案件保留在原版本"
        for task in scope.get_tasks(state=TaskState.ERROR, skip_subprocesses=True):
            return f"环节{_label(task.task_spec)}处于出错状态，请先处理错误"
        for task in scope.get_tasks(state=ACTIVE, skip_subprocesses=True):
            if task.task_spec.name not in target.task_specs:
                return f"当前环节{_label(task.task_spec)}在新版本中已被删除，案件保留在原版本"
        alignment = SpecDiff(registry, scope.spec, target).alignment
        for task in _survivors(scope):
            if not task.has_state(ACTIVE) and alignment.get(task.task_spec) is None:
                return f"已办环节{_label(task.task_spec)}在新版本中没有对应环节，办理记录无法迁移，案件保留在原版本"
    return None


def _align(scope, spec_diff: SpecDiff, target) -> dict:
    """Task -> new spec for one (sub)workflow; tasks without a counterpart are left out."""
    result = {}
    for task in scope.get_tasks(skip_subprocesses=True):
        if task.has_state(ACTIVE):
            # Same id, never Spiff's structural guess: refusal() checked it exists.
            result[task] = target.task_specs[task.task_spec.name]
        elif spec_diff.alignment.get(task.task_spec) is not None:
            result[task] = spec_diff.alignment[task.task_spec]
    return result


class _Alignment:
    """The part of Spiff's WorkflowDiff that ``migrate_workflow`` reads."""

    def __init__(self, alignment: dict):
        self.alignment = alignment


def migrate(registry, workflow, new_spec, new_subs) -> list[str]:
    """Move a loaded workflow onto ``new_spec``; Conflict (and nothing changed) when refused.

    Returns the ids of the activities the case waits at afterwards.  Engine steps are
    not run: migrating only re-points the case, it never advances it.
    """
    reason = refusal(registry, workflow, new_spec, new_subs)
    if reason:
        raise Conflict(reason)
    # Spiff resets ready/waiting tasks; keep what they had gathered (a timer's due
    # instant, a message payload, their data) unless their event definition changed.
    kept = {}
    for scope, target in _scopes(workflow, new_spec, new_subs):
        spec_diff = SpecDiff(registry, scope.spec, target)
        for task in scope.get_tasks(state=RESET, skip_subprocesses=True):
            changes = spec_diff._compare_task_specs(task.task_spec, target.task_specs[task.task_spec.name])
            if "event_definition" not in changes and "typename" not in changes:
                kept[task.id] = (task.data, dict(task.internal_data))
        running = scope.get_tasks(state=TaskState.STARTED, skip_subprocesses=True)
        migrate_workflow(_Alignment(_align(scope, spec_diff, target)), scope, target)
        for task in running:  # e.g. a call activity: predict its way on by the new spec
            task._drop_children(force=True)
            task.task_spec._predict(task, mask=TaskState.STARTED | TaskState.PREDICTED_MASK | TaskState.FUTURE)
    workflow.subprocess_specs = dict(new_subs)
    for scope in [workflow, *workflow.subprocesses.values()]:
        for task in scope.get_tasks(state=RESET, skip_subprocesses=True):
            if task.id in kept:
                task.data, task.internal_data = kept[task.id]
    _verify(workflow, new_spec, new_subs)
    return current_activities(workflow)


def _verify(workflow, new_spec, new_subs) -> None:
    """Every task now points at a spec of the new version (else the state could not load)."""
    for scope, target in _scopes(workflow, new_spec, new_subs):
        for task in scope.get_tasks(skip_subprocesses=True):
            if target.task_specs.get(task.task_spec.name) is not task.task_spec:
                raise Conflict(f"环节“{task.task_spec.name}”无法对应到新版本，迁移已取消")


# --- against stored cases ---------------------------------------------------------
# These use the Engine's unit of work and its store.  The one step the core does not
# offer publicly — re-pointing a case at another definition and saving it like any
# other step — is ``migrate_case`` below (see its docstring).

def _definition(s, definition_id: str):
    from persistence.models import ProcessDefinition

    d = s.get(ProcessDefinition, definition_id)
    if d is None:
        raise NotFound(f"流程版本 {definition_id!r} 不存在")
    return d


def previous_version_id(engine, definition_id: str) -> str | None:
    """The id of the version deployed before this one (same key), or None."""
    current = engine.get_definition(definition_id)
    older = [d for d in engine.list_definitions(key=current.key) if d.version < current.version]
    return max(older, key=lambda d: d.version).id if older else None


def version_diff(engine, definition_id: str, against: str | None = None) -> VersionDiff:
    """What changed in ``definition_id`` since ``against`` (default: the previous version)."""
    against = against or previous_version_id(engine, definition_id)
    with engine.unit_of_work() as s:
        new_row = _definition(s, definition_id)
        if not new_row.spec_json:
            return VersionDiff(against, definition_id)
        new = engine.store.specs_for(new_row.id, new_row.spec_json)
        if against is None:  # the first version: everything is new
            added = [_change(ts, name) for name, spec in [(new[0].name, new[0]), *new[1].items()]
                     for ts in _activities(spec).values()]
            return VersionDiff(None, definition_id, added=added)
        old_row = _definition(s, against)
        if old_row.key != new_row.key:
            raise InvalidInput(f"只能比较同一流程的版本（{old_row.key} 与 {new_row.key}）")
        if not old_row.spec_json:
            return VersionDiff(against, definition_id)
        old = engine.store.specs_for(old_row.id, old_row.spec_json)
        return diff_specs(engine.store.registry, old, new, against, definition_id)


def check_cases(engine, from_id: str, to_id: str) -> list[MigrationCheck]:
    """For each running case of ``from_id``: can it move to ``to_id``, and if not, why."""
    from persistence.models import Case

    checks = []
    with engine.unit_of_work() as s:
        target = _target(s, from_id, to_id)
        new = engine.store.specs_for(target.id, target.spec_json)
        for case in sorted(s.scalars(select(Case).where(Case.definition_id == from_id, Case.status == "running")),
                           key=lambda c: c.started_at):
            wf = engine._load(s, case, keep=True)  # read only: nothing is changed here
            reason = refusal(engine.store.registry, wf, *new)
            checks.append(MigrationCheck(case.id, case.business_key, current_activities(wf), reason is None, reason))
    return checks


def _target(s, from_id: str, to_id: str):
    source, target = _definition(s, from_id), _definition(s, to_id)
    if source.key != target.key:
        raise InvalidInput(f"案件只能迁移到同一流程（{source.key}）的其他版本")
    if from_id == to_id:
        raise InvalidInput("源版本与目标版本相同")
    if not target.executable or not target.spec_json:
        raise InvalidInput(f"版本 {target.version} 不可执行（isExecutable=false），不能迁移案件到该版本")
    return target


def migrate_case(engine, case_id: str, from_id: str, to_id: str, actor: str) -> MigrationCheck:
    """Move one running case from version ``from_id`` to ``to_id`` in one transaction.

    Conflict (nothing changed) when the case is no longer running, no longer on
    ``from_id``, or waits at an activity the target version removed.  On success the
    case's history gets a ``migrated`` event and the case is saved like any other step
    (task rows, timers, units).  This is the core step the Engine could offer as a
    public ``rebind_case``; it uses the Engine's unit of work, case lock and save.
    """
    with engine.unit_of_work() as s:
        _target(s, from_id, to_id)  # same key, newer, executable: refuse before locking anything
    moved: dict[str, list[str]] = {}

    def change(wf, new_spec, new_subs):
        was = current_activities(wf)
        moved["now"] = migrate(engine.store.registry, wf, new_spec, new_subs)
        return {"activities_before": was, "activities_after": moved["now"]}

    info = engine.rebind_case(case_id, from_id, to_id, change, actor)
    return MigrationCheck(info.id, info.business_key, moved["now"], True)


def migrate_cases(engine, from_id: str, to_id: str, actor: str,
                  case_ids: list[str] | None = None) -> MigrationReport:
    """Migrate every running case of ``from_id`` (or the given ones) that can move.

    Each case is its own transaction; a case that cannot move is left untouched and
    listed in ``skipped`` with the reason.
    """
    report = MigrationReport(from_id, to_id)
    for check in check_cases(engine, from_id, to_id):
        if case_ids is not None and check.case_id not in case_ids:
            continue
        if not check.ok:
            report.skipped.append(check)
            continue
        try:
            report.migrated.append(migrate_case(engine, check.case_id, from_id, to_id, actor))
        except (Conflict, NotFound) as exc:  # changed since the check: report, go on
            report.skipped.append(MigrationCheck(check.case_id, check.business_key, check.current, False,
                                                 exc.message))
    return report
