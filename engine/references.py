"""Which deployed versions the call activities and business rule tasks of a deployment use.

A designer edits one file in Camunda Modeler and deploys just that file. Its call
activities (``calledElement``) and business rule tasks (``camunda:decisionRef``) then
name processes and decisions deployed earlier. They are resolved here, as Camunda 7
resolves them, against what is stored:

==========================  ==================================================================
binding                     resolves to
==========================  ==================================================================
``latest`` (the default)    the process/decision of this deployment, else the newest deployed
``deployment``              the one in this deployment (checked by the validator; never stored)
``version``                 ``camunda:calledElementVersion`` / ``camunda:decisionRefVersion``:
                            that version number (the one this deployment creates, if it does)
``versionTag``              ``camunda:calledElementVersionTag`` / ``camunda:decisionRefVersionTag``:
                            the one version carrying that tag (more than one is an error, as in
                            Camunda)
==========================  ==================================================================

Unlike Camunda, which looks a callee up when the call activity starts, this engine
freezes it into the caller's version at deploy time: a running case keeps the callee it
was deployed with. A stored callee comes with the callees *it* froze (``called_definitions``)
and the decisions it uses, so SpiffWorkflow can build the whole tree of specs. Those
stored files are added to the parser before validation and are not checked again: every
problem found here is located at the reference in the uploaded file that is wrong.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import DeployError, Problem
from persistence.models import DecisionDefinition, ProcessDefinition

CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
CAMUNDA_DMN = "{http://camunda.org/schema/1.0/dmn}"
BINDINGS = ("latest", "deployment", "version", "versionTag")
# attribute names per kind: (key attribute, binding, version, version tag)
ATTRIBUTES = {
    "process": ("calledElement", f"{CAMUNDA}calledElementBinding", f"{CAMUNDA}calledElementVersion",
                f"{CAMUNDA}calledElementVersionTag"),
    "decision": (f"{CAMUNDA}decisionRef", f"{CAMUNDA}decisionRefBinding", f"{CAMUNDA}decisionRefVersion",
                 f"{CAMUNDA}decisionRefVersionTag"),
}


@dataclass(frozen=True)
class Reference:
    """One calledElement or decisionRef in a resource."""

    file: str
    line: int | None
    element_id: str | None
    kind: str  # "process" | "decision"
    key: str
    binding: str
    version: str | None = None
    version_tag: str | None = None
    name: str | None = None

    def problem(self, message: str, hint: str | None = None) -> Problem:
        return Problem(file=self.file, line=self.line, element_id=self.element_id, message=message, hint=hint)

    @property
    def what(self) -> str:
        kind = "call activity" if self.kind == "process" else "business rule task"
        return f"{kind} '{self.name or self.element_id}'"


@dataclass
class Contents:
    """What a set of resources defines and refers to."""

    processes: dict[str, str | None] = field(default_factory=dict)  # key -> versionTag
    decisions: dict[str, str | None] = field(default_factory=dict)
    references: list[Reference] = field(default_factory=list)


@dataclass
class Resolution:
    """Stored resources to parse alongside a deployment, and what its references resolved to."""

    preload: list[tuple[str, bytes]] = field(default_factory=list)
    processes: dict[str, ProcessDefinition] = field(default_factory=dict)  # key -> stored callee
    decisions: dict[str, DecisionDefinition] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # process keys whose references were dealt with here (resolved or reported): the
    # validator must not report them again as "not deployed"
    handled: set[str] = field(default_factory=set)
    handled_decisions: set[str] = field(default_factory=set)


def read_contents(resources: Iterable[tuple[str, bytes]]) -> Contents:
    """Processes, decisions and references of resources (unreadable ones are skipped)."""
    from engine.validation import safe_parse_xml  # noqa: PLC0415 - validation imports the parser lazily

    out = Contents()
    for name, data in resources:
        try:
            root = safe_parse_xml(data, name)
        except DeployError:
            continue  # the validator reports it with a proper location
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            local = el.tag.rsplit("}", 1)[-1]
            if local == "process" and el.get("id"):
                out.processes[el.get("id")] = el.get(f"{CAMUNDA}versionTag")
            elif local == "decision" and el.get("id"):
                out.decisions[el.get("id")] = el.get(f"{CAMUNDA_DMN}versionTag")
            elif local in ("callActivity", "businessRuleTask"):
                kind = "process" if local == "callActivity" else "decision"
                key_attr, binding_attr, version_attr, tag_attr = ATTRIBUTES[kind]
                key = (el.get(key_attr) or "").strip()
                if not key or "${" in key or "#{" in key:
                    continue  # the validator refuses these
                out.references.append(Reference(
                    file=name, line=el.sourceline, element_id=el.get("id"), kind=kind, key=key,
                    binding=(el.get(binding_attr) or "latest").strip(),
                    version=(el.get(version_attr) or "").strip() or None,
                    version_tag=(el.get(tag_attr) or "").strip() or None,
                    name=" ".join((el.get("name") or "").split()) or None))
    return out


class Resolver:
    """Resolves one deployment's references against the stored definitions."""

    def __init__(self, session: Session, resources: list[tuple[str, bytes]]):
        self.session = session
        self.own = read_contents(resources)
        self.result = Resolution()
        self._preloaded: dict[str, str] = {}  # resource id -> name

    def resolve(self) -> Resolution:
        pending: list[tuple[ProcessDefinition, str]] = []
        for ref in self.own.references:
            target = self._resolve(ref)
            (self.result.handled if ref.kind == "process" else self.result.handled_decisions).add(ref.key)
            if target is None:
                continue
            if self._need(target, ref.kind, f"{ref.file}: {ref.what}", ref) and ref.kind == "process":
                pending.append((target, f"{ref.file}: {ref.what}"))
        # what the stored callees themselves call and decide, as they were deployed
        while pending:
            caller, via = pending.pop()
            chain = f"{via} -> {caller.key} v{caller.version}"
            frozen = dict(caller.called_definitions or {})
            for ref in read_contents([(caller.resource.name, caller.resource.content)]).references:
                if ref.key in (self.own.processes if ref.kind == "process" else self.own.decisions):
                    continue  # this deployment brings a new version: the parser holds that one
                target = None
                if ref.kind == "process" and ref.key in frozen:
                    target = self.session.get(ProcessDefinition, frozen[ref.key])
                if target is None:
                    target = self._stored(ref)
                if target is None:
                    continue  # it was deployed without it; SpiffWorkflow reports what is missing
                if self._need(target, ref.kind, chain, None) and ref.kind == "process":
                    pending.append((target, chain))
        return self.result

    # -- one reference
    def _resolve(self, ref: Reference):
        """The stored definition a reference of the deployment resolves to (None: its own or a problem)."""
        own = self.own.processes if ref.kind == "process" else self.own.decisions
        if ref.binding not in BINDINGS:
            return None  # the validator names the valid bindings
        if ref.binding in ("latest", "deployment"):
            if ref.key in own or ref.binding == "deployment":
                return None  # this deployment's own (the validator checks "deployment" needs it here)
            target = self._latest(ref.kind, ref.key)
            if target is None:
                self._not_deployed(ref)
            return target
        if ref.binding == "version":
            if ref.version is None or not ref.version.isdigit() or int(ref.version) < 1:
                return None  # the validator explains what a version must be
            latest = self._latest(ref.kind, ref.key)
            wanted = int(ref.version)
            if ref.key in own and wanted == (latest.version if latest else 0) + 1:
                return None  # the version this deployment creates
            target = self._versions(ref.kind, ref.key).get(wanted)
            if target is None:
                known = ", ".join(str(v) for v in sorted(self._versions(ref.kind, ref.key))) or "none"
                self.result.problems.append(ref.problem(
                    f"{ref.what} is bound to version {wanted} of {ref.kind} '{ref.key}', which is not deployed "
                    f"(deployed versions: {known})",
                    "correct the Version, or use the binding 'latest'"))
        else:  # versionTag
            if ref.version_tag is None:
                return None  # the validator asks for the tag
            if ref.key in own and own[ref.key] == ref.version_tag:
                return None
            matches = [d for d in self._versions(ref.kind, ref.key).values()
                       if self._version_tag(ref.kind, d) == ref.version_tag]
            if len(matches) != 1:
                tagged = sorted({t for d in self._versions(ref.kind, ref.key).values()
                                 if (t := self._version_tag(ref.kind, d))})
                if matches:
                    message = (f"{ref.what} is bound to version tag '{ref.version_tag}' of {ref.kind} "
                               f"'{ref.key}', which {len(matches)} deployed versions carry "
                               f"({', '.join(str(d.version) for d in matches)})")
                else:
                    message = (f"{ref.what} is bound to version tag '{ref.version_tag}' of {ref.kind} "
                               f"'{ref.key}', which no deployed version carries "
                               f"(tags deployed: {', '.join(tagged) or 'none'})")
                self.result.problems.append(ref.problem(message, "correct the Version tag, or bind by version"))
                return None
            target = matches[0]
        if target is not None and ref.key in own:
            self.result.problems.append(ref.problem(
                f"{ref.what} is bound to the deployed version {target.version} of {ref.kind} '{ref.key}', but "
                f"this deployment brings a new version of '{ref.key}'; one deployment can hold only one version "
                "of it", f"deploy this file without the file defining '{ref.key}', or bind to 'latest'"))
            return None
        return target

    def _not_deployed(self, ref: Reference) -> None:
        keys = self._deployed_keys(ref.kind)
        if ref.kind == "process":
            message = (f"{ref.what} calls process '{ref.key}', which is neither in this deployment nor deployed "
                       f"before (deployed processes: {', '.join(keys) or 'none'})")
            hint = ("deploy the called process first (or together with this file), or correct 'Called element' "
                    "to the id of an existing process")
        else:
            message = (f"{ref.what} refers to decision '{ref.key}', which is neither in this deployment nor "
                       f"deployed before (deployed decisions: {', '.join(keys) or 'none'})")
            hint = "deploy the .dmn file first (or with this file), or correct the Decision reference"
        self.result.problems.append(ref.problem(message, hint))

    def _need(self, target, kind: str, via: str, ref: Reference | None) -> bool:
        """Record a stored definition to parse alongside; False when already there (or conflicting)."""
        chosen = self.result.processes if kind == "process" else self.result.decisions
        held = chosen.get(target.key)
        if held is not None:
            if held.id != target.id:
                message = (f"{via} needs version {target.version} of {kind} '{target.key}', but version "
                           f"{held.version} is needed too; a process can be built with one version of it only")
                problem = ref.problem(message, "bind both to the same version") if ref else Problem(
                    file=via.split(":", 1)[0], message=message, hint="bind both to the same version")
                self.result.problems.append(problem)
            return False
        chosen[target.key] = target
        if target.resource_id not in self._preloaded:
            self._preloaded[target.resource_id] = target.resource.name
            self.result.preload.append((target.resource.name, target.resource.content))
        return True

    # -- stored definitions
    def _stored(self, ref: Reference):
        """A stored callee's own reference: its binding, else the newest."""
        if ref.binding == "version" and ref.version and ref.version.isdigit():
            found = self._versions(ref.kind, ref.key).get(int(ref.version))
            if found is not None:
                return found
        if ref.binding == "versionTag" and ref.version_tag:
            for d in sorted(self._versions(ref.kind, ref.key).values(), key=lambda d: -d.version):
                if self._version_tag(ref.kind, d) == ref.version_tag:
                    return d
        return self._latest(ref.kind, ref.key)

    def _model(self, kind: str):
        return ProcessDefinition if kind == "process" else DecisionDefinition

    def _latest(self, kind: str, key: str):
        model = self._model(kind)
        return self.session.scalars(select(model).where(model.key == key)
                                    .order_by(model.version.desc()).limit(1)).first()

    def _versions(self, kind: str, key: str) -> dict:
        model = self._model(kind)
        return {d.version: d for d in self.session.scalars(select(model).where(model.key == key))}

    def _deployed_keys(self, kind: str) -> list[str]:
        model = self._model(kind)
        return sorted(set(self.session.scalars(select(model.key).distinct())))

    @staticmethod
    def _version_tag(kind: str, d) -> str | None:
        if kind == "process":
            return d.version_tag
        return read_contents([(d.resource.name, d.resource.content)]).decisions.get(d.key)


def resolve_references(session: Session, resources: list[tuple[str, bytes]]) -> Resolution:
    """Resolve a deployment's calledElements and decisionRefs; see the module docstring."""
    return Resolver(session, resources).resolve()
