"""Deployments: validate resources, parse them once, store immutable definition versions."""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import DeployError, NotFound, Problem
from engine.parser import XinfangParser
from engine.references import Resolution, resolve_references
from persistence.db import utcnow
from persistence.models import DecisionDefinition, Deployment, ProcessDefinition, Resource

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DMN_SUFFIXES = (".dmn", ".dmn11.xml", ".dmn13.xml")
BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml", ".bpmn2")


@dataclass
class DefinitionInfo:
    """A deployed process definition version, as callers see it."""

    id: str
    key: str
    name: str | None
    version: int
    resource: str
    deployment_id: str
    executable: bool
    content_hash: str
    deployed_by: str | None
    deployed_at: dt.datetime
    version_tag: str | None = None
    source: str | None = None


@dataclass
class DecisionInfo:
    """A deployed decision (DMN) version."""

    id: str
    key: str
    name: str | None
    version: int
    resource: str
    deployment_id: str
    deployed_at: dt.datetime


@dataclass
class DeploymentInfo:
    """Result of a deploy: the deployment and the definitions it holds."""

    id: str
    name: str | None
    source: str | None
    tenant_id: str | None
    deployed_at: dt.datetime
    deployed_by: str | None
    definitions: list[DefinitionInfo] = field(default_factory=list)
    decisions: list[DecisionInfo] = field(default_factory=list)
    created: bool = True  # False when duplicate filtering found nothing new


def sha256(data: bytes) -> str:
    """Hex SHA-256 of some bytes."""
    return hashlib.sha256(data).hexdigest()


def definition_info(d: ProcessDefinition) -> DefinitionInfo:
    """The caller-facing view of a definition row."""
    return DefinitionInfo(
        id=d.id, key=d.key, name=d.name, version=d.version, resource=d.resource.name,
        deployment_id=d.deployment_id, executable=d.executable, content_hash=d.content_hash,
        deployed_by=d.deployed_by, deployed_at=d.deployed_at, version_tag=d.version_tag,
        source=d.deployment.source,
    )


def decision_info(d: DecisionDefinition) -> DecisionInfo:
    """The caller-facing view of a decision row."""
    return DecisionInfo(id=d.id, key=d.key, name=d.name, version=d.version, resource=d.resource.name,
                        deployment_id=d.deployment_id, deployed_at=d.deployed_at)


def _kind(name: str) -> str:
    lower = name.lower()
    if lower.endswith(BPMN_SUFFIXES):
        return "bpmn"
    if lower.endswith(DMN_SUFFIXES):
        return "dmn"
    return "other"


def _validate(resources: list[tuple[str, bytes]], parser, resolution: Resolution):
    """Run the validator module with the stored callees and decisions the resolution picked."""
    from engine import validation

    return validation.validate_resources(
        resources, parser, deployed=resolution.preload, known_process_keys=resolution.handled,
        known_decision_keys=resolution.handled_decisions, known_problems=resolution.problems)


class Deployer:
    """Turns uploaded resources into stored, versioned definitions."""

    def __init__(self, store, parser_factory=XinfangParser):
        self.store = store
        self.parser_factory = parser_factory

    def deploy(self, session: Session, resources: Iterable[tuple[str, bytes]], *, name=None, source=None,
               deployed_by=None, tenant_id=None, duplicate_filtering=True, changed_only=False) -> DeploymentInfo:
        """Validate and store a deployment; DeployError (nothing stored) when anything is wrong."""
        resources = [(n, bytes(c)) for n, c in resources]
        if not resources:
            raise DeployError([Problem(file="(deployment)", message="部署中没有资源文件", hint="attach at least one .bpmn or .dmn file")])
        names = [n for n, _ in resources]
        dupes = {n for n in names if names.count(n) > 1}
        if dupes:
            raise DeployError([Problem(file=n, message="duplicate resource name in one deployment") for n in sorted(dupes)])

        parser = self.parser_factory()
        # Called processes and decisions deployed earlier are parsed alongside (as their
        # bindings resolve), so a new version of a caller freezes its callees' versions.
        resolution = resolve_references(session, resources)
        result = _validate(resources, parser, resolution)
        if result.problems:
            raise DeployError(result.problems)

        own = set(names)
        hashes = {n: sha256(c) for n, c in resources}
        bpmn_procs = [p for p in result.processes if p.file in own]
        decisions = [d for d in result.decisions if d.file in own]

        latest = {p.id: self._latest(session, p.id) for p in bpmn_procs}
        latest_dec = {d.id: self._latest_decision(session, d.id) for d in decisions}
        unchanged = {p.id for p in bpmn_procs if latest[p.id] is not None and latest[p.id].content_hash == hashes[p.file]}
        unchanged_dec = {d.id for d in decisions if latest_dec[d.id] is not None and latest_dec[d.id].content_hash == hashes[d.file]}
        all_same = len(unchanged) == len(bpmn_procs) and len(unchanged_dec) == len(decisions)

        if duplicate_filtering and all_same:
            dep_id = (
                next((latest[p].deployment_id for p in unchanged), None)
                or next((latest_dec[d].deployment_id for d in unchanged_dec), None)
            )
            dep = session.get(Deployment, dep_id) if dep_id else None
            if dep is not None:
                info = self._info(dep, [latest[p.id] for p in bpmn_procs], [latest_dec[d.id] for d in decisions])
                info.created = False
                return info

        now = utcnow()
        dep = Deployment(id=str(uuid.uuid4()), name=name, source=source, tenant_id=tenant_id,
                         deployed_by=deployed_by, deployed_at=now)
        session.add(dep)
        rows: dict[str, Resource] = {}
        for n, content in resources:
            rows[n] = Resource(id=str(uuid.uuid4()), deployment_id=dep.id, name=n, content=content,
                               content_hash=hashes[n])
            session.add(rows[n])

        defs, decs = [], []
        new_by_key: dict[str, ProcessDefinition] = {}
        called_keys: dict[str, list[str]] = {}
        for p in bpmn_procs:
            if duplicate_filtering and changed_only and p.id in unchanged:
                defs.append(latest[p.id])
                continue
            version = (latest[p.id].version if latest[p.id] else 0) + 1
            spec_json = None
            if p.executable:
                spec = parser.get_spec(p.id)
                subs = parser.get_subprocess_specs(p.id)
                spec_json = self.store.dump_spec(spec, subs)
                called_keys[p.id] = sorted(subs)
            d = ProcessDefinition(
                id=f"{p.id}:{version}:{hashes[p.file][:8]}", key=p.id, version=version, name=p.name,
                version_tag=p.version_tag, deployment_id=dep.id, resource_id=rows[p.file].id,
                content_hash=hashes[p.file], executable=p.executable, spec_json=spec_json,
                deployed_by=deployed_by, deployed_at=now,
            )
            d.resource = rows[p.file]
            d.deployment = dep
            session.add(d)
            defs.append(d)
            new_by_key[p.id] = d
        # Which version of each called process a new version froze in: this deployment's
        # own, else the newest deployed before (the case page opens exactly that diagram).
        for d in new_by_key.values():
            frozen = {}
            for key in called_keys.get(d.key, []):
                target = new_by_key.get(key) or resolution.processes.get(key) or self._latest(session, key)
                if target is not None:
                    frozen[key] = target.id
            d.called_definitions = frozen
        for dmn in decisions:
            if duplicate_filtering and changed_only and dmn.id in unchanged_dec:
                decs.append(latest_dec[dmn.id])
                continue
            version = (latest_dec[dmn.id].version if latest_dec[dmn.id] else 0) + 1
            row = DecisionDefinition(id=f"{dmn.id}:{version}:{hashes[dmn.file][:8]}", key=dmn.id, version=version,
                                     name=dmn.name, deployment_id=dep.id, resource_id=rows[dmn.file].id,
                                     content_hash=hashes[dmn.file], deployed_at=now)
            row.resource = rows[dmn.file]
            session.add(row)
            decs.append(row)
        session.flush()
        return self._info(dep, defs, decs)

    def _info(self, dep: Deployment, defs, decs) -> DeploymentInfo:
        return DeploymentInfo(
            id=dep.id, name=dep.name, source=dep.source, tenant_id=dep.tenant_id, deployed_at=dep.deployed_at,
            deployed_by=dep.deployed_by, definitions=[definition_info(d) for d in defs],
            decisions=[decision_info(d) for d in decs],
        )

    @staticmethod
    def _latest(session: Session, key: str) -> ProcessDefinition | None:
        return session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version.desc()).limit(1)
        ).first()

    @staticmethod
    def _latest_decision(session: Session, key: str) -> DecisionDefinition | None:
        return session.scalars(
            select(DecisionDefinition).where(DecisionDefinition.key == key)
            .order_by(DecisionDefinition.version.desc()).limit(1)
        ).first()

    # -- queries ---------------------------------------------------------------
    def list_definitions(self, session: Session, key: str | None = None, latest_only: bool = False) -> list[DefinitionInfo]:
        """Definitions, newest version first within each key."""
        q = select(ProcessDefinition)
        if key:
            q = q.where(ProcessDefinition.key == key)
        if latest_only:
            newest = (select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
                      .group_by(ProcessDefinition.key).subquery())
            q = q.join(newest, (newest.c.key == ProcessDefinition.key) & (newest.c.v == ProcessDefinition.version))
        q = q.order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
        return [definition_info(d) for d in session.scalars(q)]

    def list_deployments(self, session: Session) -> list[DeploymentInfo]:
        """Deployments newest first, each with the definition versions it created."""
        deps = list(session.scalars(select(Deployment).order_by(Deployment.deployed_at.desc())))
        defs: dict[str, list] = {}
        for d in session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.key)):
            defs.setdefault(d.deployment_id, []).append(d)
        decs: dict[str, list] = {}
        for d in session.scalars(select(DecisionDefinition).order_by(DecisionDefinition.key)):
            decs.setdefault(d.deployment_id, []).append(d)
        return [self._info(dep, defs.get(dep.id, []), decs.get(dep.id, [])) for dep in deps]

    def get(self, session: Session, definition_id: str) -> ProcessDefinition:
        """The definition row, or NotFound."""
        d = session.get(ProcessDefinition, definition_id)
        if d is None:
            raise NotFound(f"process definition {definition_id!r} not found")
        return d

    def latest_for_key(self, session: Session, key: str) -> ProcessDefinition:
        """The newest version of a key, or NotFound."""
        d = self._latest(session, key)
        if d is None:
            raise NotFound(f"no process definition with key {key!r}")
        return d


def resources_from_paths(paths: Iterable[str]) -> list[tuple[str, bytes]]:
    """Read .bpmn/.dmn files (folders searched recursively) as deploy resources."""
    from pathlib import Path

    out = []
    for p in paths:
        path = Path(p)
        files = sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path]
        for f in files:
            if _kind(f.name) != "other" or f.suffix == ".form":
                out.append((f.name, f.read_bytes()))
    return out
