"""Core tables: deployments, definition versions, cases, tasks, units and the event log."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from persistence.db import Base, UTCDateTime, utcnow


class Deployment(Base):
    """One deploy action: a set of resources sent together."""

    __tablename__ = "deployments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(200))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    deployed_by: Mapped[str | None] = mapped_column(String(64))
    deployed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    resources: Mapped[list[Resource]] = relationship(back_populates="deployment")


class Resource(Base):
    """A file of a deployment, stored once; definitions point at it."""

    __tablename__ = "resources"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)

    deployment: Mapped[Deployment] = relationship(back_populates="resources")


class ProcessDefinition(Base):
    """An immutable version of a process; cases reference it, never copy it."""

    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(255))
    version_tag: Mapped[str | None] = mapped_column(String(64))
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id"), index=True)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"))
    content_hash: Mapped[str] = mapped_column(String(64))
    executable: Mapped[bool] = mapped_column(Boolean, default=True)
    # SpiffWorkflow's serialized spec with the specs of called processes frozen in,
    # so a running case never changes when someone redeploys.
    spec_json: Mapped[str | None] = mapped_column(Text)
    # key -> definition id of every process this version calls, as frozen at deploy time.
    called_definitions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deployed_by: Mapped[str | None] = mapped_column(String(64))
    deployed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    resource: Mapped[Resource] = relationship()
    deployment: Mapped[Deployment] = relationship()


class DecisionDefinition(Base):
    """A DMN decision deployed with a version, like a process definition."""

    __tablename__ = "decision_definitions"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(String(255))
    deployment_id: Mapped[str] = mapped_column(ForeignKey("deployments.id"), index=True)
    resource_id: Mapped[str] = mapped_column(ForeignKey("resources.id"))
    content_hash: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    resource: Mapped[Resource] = relationship()


class Case(Base):
    """A running or finished process instance (a petition case)."""

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    business_key: Mapped[str | None] = mapped_column(String(100), index=True)
    definition_id: Mapped[str] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True, default="running")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    started_by: Mapped[str | None] = mapped_column(String(64))
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Optimistic lock: every save bumps it; a save based on an older value fails.
    version: Mapped[int] = mapped_column(Integer, default=0)
    next_timer_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)
    matter_key: Mapped[str | None] = mapped_column(String(64), index=True)
    matter_status: Mapped[str | None] = mapped_column(String(20))
    # Copies of a few case variables for lists and search (never the source of truth).
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Units already written to case_units, so a step inserts only new ones.
    units: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Fingerprints of notices already logged as events (each is logged once).
    notice_keys: Mapped[list[Any]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)

    definition: Mapped[ProcessDefinition] = relationship()

    __mapper_args__ = {"version_id_col": version}


class CaseState(Base):
    """A case's workflow state, apart from the case row: read only when the case is stepped.

    Lists, inboxes and the access policy read ``cases`` rows many times a second; the
    state (a few KB compressed) would make every one of those rows span pages.
    """

    __tablename__ = "case_states"

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    # The workflow's task tree and data as zlib-compressed JSON (engine.store); a
    # petition's state is 30–100 KB of JSON, a few KB compressed.
    state: Mapped[bytes] = mapped_column(LargeBinary)
    serializer_version: Mapped[str] = mapped_column(String(20))


class CaseUnit(Base):
    """A unit involved in a case (role None) or accused by it (role ``accused``); the access policy reads this.

    One row per unit: a unit both involved and accused has the ``accused`` row, which
    refuses it the case (第三十条第三款).
    """

    __tablename__ = "case_units"
    # The access policy's probe (case, unit) -> role, answered from the index alone.
    __table_args__ = (Index("ix_case_units_case_unit_role", "case_id", "unit_code", "role"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    unit_code: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    role: Mapped[str | None] = mapped_column(String(32))


class Task(Base):
    """A user task as the inbox sees it; written from the workflow after each step."""

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_state_due", "state", "due_at"),
        # Covering indexes: an inbox sorts, counts and checks access from the index alone
        # and reads full rows only for the page it shows (engine.inbox.list_tasks).
        # 我的待办 (assignee, ready, by due) and 已办 (completed_by, completed, newest first);
        Index("ix_tasks_assignee_state_due", "assignee", "state", "due_at", "created_at", "case_id"),
        Index("ix_tasks_completed_by_state_created", "completed_by", "state", "created_at", "case_id"),
        # 待认领 reaches tasks by id from task_candidates.
        Index("ix_tasks_id_cover", "id", "state", "assignee", "due_at", "created_at", "case_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    process_key: Mapped[str] = mapped_column(String(100))
    activity_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(20), default="ready")
    assignee: Mapped[str | None] = mapped_column(String(64))
    candidate_groups: Mapped[list[Any]] = mapped_column(JSON, default=list)
    candidate_users: Mapped[list[Any]] = mapped_column(JSON, default=list)
    unit_code: Mapped[str | None] = mapped_column(String(64), index=True)
    lane: Mapped[str | None] = mapped_column(String(255))
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    follow_up_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    priority: Mapped[int] = mapped_column(Integer, default=50)
    form_key: Mapped[str | None] = mapped_column(String(255))
    documentation: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    completed_by: Mapped[str | None] = mapped_column(String(64))

    candidates: Mapped[list[TaskCandidate]] = relationship(cascade="all, delete-orphan", lazy="raise")


class TaskCandidate(Base):
    """One candidate group or user of a ready task, for indexed inbox queries.

    Rows exist only while the task is ready (the engine deletes them when it closes),
    so 待认领 reads as many rows as there are open tasks for a group, not its history;
    the task row keeps its candidate lists for the record.
    """

    __tablename__ = "task_candidates"
    __table_args__ = (Index("ix_task_candidates_name_kind_task", "name", "kind", "task_id"),)

    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # group | user
    name: Mapped[str] = mapped_column(String(128), primary_key=True)


class Event(Base):
    """Append-only history: who did what to which case, when, with what data change."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_case_at", "case_id", "at"), Index("ix_events_kind_at", "kind", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str | None] = mapped_column(String(36))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
