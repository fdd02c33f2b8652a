"""Queries over cases as process instances: the lists behind Camunda's ``/process-instance``
and ``/history/process-instance``.

Only the columns a list shows are read (never the workflow state), one query for the
page and one for the count, both narrowed by the caller's access condition.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import InvalidInput
from persistence.models import Case, ProcessDefinition

# Camunda's sortBy names (runtime and history queries) -> columns.
SORT_COLUMNS = {
    "instanceId": Case.id,
    "definitionKey": Case.process_key,
    "definitionId": Case.definition_id,
    "businessKey": Case.business_key,
    "startTime": Case.started_at,
    "endTime": Case.ended_at,
    "definitionName": ProcessDefinition.name,
    "definitionVersion": ProcessDefinition.version,
}


@dataclass(frozen=True)
class InstanceFilter:
    """Camunda's common instance filters, all optional and AND-ed."""

    case_ids: tuple[str, ...] | None = None
    business_key: str | None = None
    business_key_like: str | None = None
    process_key: str | None = None
    process_keys: tuple[str, ...] | None = None
    definition_id: str | None = None
    running: bool | None = None  # True: not ended; False: ended
    started_by: str | None = None
    started_before: dt.datetime | None = None
    started_after: dt.datetime | None = None
    ended_before: dt.datetime | None = None
    ended_after: dt.datetime | None = None


@dataclass(frozen=True)
class InstanceRow:
    """One case as an instance list shows it."""

    id: str
    business_key: str | None
    definition_id: str
    process_key: str
    definition_name: str | None
    definition_version: int
    status: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    started_by: str | None

    @property
    def ended(self) -> bool:
        return self.status != "running"


def _query(columns, f: InstanceFilter, case_filter):
    q = select(*columns).select_from(Case).join(ProcessDefinition, ProcessDefinition.id == Case.definition_id)
    if f.case_ids is not None:
        q = q.where(Case.id.in_(list(f.case_ids)))
    if f.business_key:
        q = q.where(Case.business_key == f.business_key)
    if f.business_key_like:
        q = q.where(Case.business_key.contains(f.business_key_like.strip("%"), autoescape=True))
    if f.process_key:
        q = q.where(Case.process_key == f.process_key)
    if f.process_keys is not None:
        q = q.where(Case.process_key.in_(list(f.process_keys)))
    if f.definition_id:
        q = q.where(Case.definition_id == f.definition_id)
    if f.running is True:
        q = q.where(Case.status == "running")
    elif f.running is False:
        q = q.where(Case.status != "running")
    if f.started_by:
        q = q.where(Case.started_by == f.started_by)
    if f.started_before:
        q = q.where(Case.started_at < f.started_before)
    if f.started_after:
        q = q.where(Case.started_at > f.started_after)
    if f.ended_before:
        q = q.where(Case.ended_at < f.ended_before)
    if f.ended_after:
        q = q.where(Case.ended_at > f.ended_after)
    if case_filter is not None:
        q = q.where(case_filter)
    return q


_ROW_COLUMNS = (Case.id, Case.business_key, Case.definition_id, Case.process_key, ProcessDefinition.name,
                ProcessDefinition.version, Case.status, Case.started_at, Case.ended_at, Case.started_by)


def list_instances(s: Session, f: InstanceFilter, *, case_filter=None, sort_by: str = "instanceId",
                   descending: bool = False, offset: int = 0, limit: int | None = None) -> list[InstanceRow]:
    """One page of matching cases, in a total order (ties broken by id) so pages never overlap."""
    if sort_by == "duration":
        # Running instances have no duration: they sort after every ended one.
        column = Case.ended_at - Case.started_at if s.bind.dialect.name == "postgresql" else \
            func.julianday(Case.ended_at) - func.julianday(Case.started_at)
    else:
        column = SORT_COLUMNS.get(sort_by)
    if column is None:
        raise InvalidInput(f"不支持按 {sort_by} 排序", {"sortBy": sort_by})
    order = column.desc() if descending else column.asc()
    q = _query(_ROW_COLUMNS, f, case_filter).order_by(column.is_(None), order, Case.id)
    q = q.offset(max(0, offset))
    if limit is not None:
        q = q.limit(max(0, limit))
    return [InstanceRow(*row) for row in s.execute(q)]


def count_instances(s: Session, f: InstanceFilter, *, case_filter=None) -> int:
    """How many cases ``list_instances`` would list without paging."""
    return s.execute(_query((func.count(Case.id),), f, case_filter)).scalar_one()
