"""A throw-away SQLite database with the core and clocks tables, and case factories."""
from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timezone

from persistence import all_models  # noqa: F401  (registers every table)
from persistence.db import Base, make_engine, make_session_factory
from persistence.models import Case, Deployment, ProcessDefinition, Resource

_counter = itertools.count(1)


def make_db(path) -> tuple:
    """Create every table in a new SQLite file; returns (engine, session_factory)."""
    engine = make_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    return engine, make_session_factory(engine)


def add_definition(session, key: str = "petition") -> ProcessDefinition:
    """A minimal deployed definition so cases can reference one."""
    dep = Deployment(id=str(uuid.uuid4()), name="test")
    res = Resource(id=str(uuid.uuid4()), deployment_id=dep.id, name=f"{key}.bpmn",
                   content=b"<definitions/>", content_hash="0" * 64)
    n = next(_counter)
    definition = ProcessDefinition(id=f"{key}:{n}:00000000", key=key, version=n, deployment_id=dep.id,
                                   resource_id=res.id, content_hash="0" * 64)
    session.add_all([dep, res])
    session.flush()
    session.add(definition)
    session.flush()
    return definition


def add_case(session, definition, *, started_at: datetime | None = None, matter_key: str | None = None,
             next_timer_at: datetime | None = None, status: str = "running") -> Case:
    """Insert a bare case row."""
    case = Case(id=str(uuid.uuid4()), definition_id=definition.id, process_key=definition.key,
                status=status, started_at=started_at or datetime(2026, 1, 1, tzinfo=timezone.utc),
                matter_key=matter_key, next_timer_at=next_timer_at)
    session.add(case)
    session.flush()
    return case
