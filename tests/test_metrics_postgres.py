"""The county figures come out the same on PostgreSQL as on SQLite (counting happens in SQL)."""
from __future__ import annotations

import uuid

import pytest

from engine.metrics import compute_metrics
from engine.supervision_queries import domain_figures, weekly_figures
from persistence.db import Base, make_engine, make_session_factory
from tests.clockdb import make_db
from tests.test_metrics import AS_OF, MARCH, build_cases


def _figures(session) -> dict:
    return {
        "report": compute_metrics(session, *MARCH, as_of=AS_OF).to_dict(),
        "zjj": compute_metrics(session, *MARCH, as_of=AS_OF, unit="zjj").to_dict(),
        "weeks": [w.to_dict() for w in weekly_figures(session, *MARCH, as_of=AS_OF)],
        "domains": [d.to_dict() for d in domain_figures(session, *MARCH, as_of=AS_OF)],
    }


@pytest.mark.postgres
def test_postgresql_and_sqlite_give_the_same_figures(pg_server, tmp_path):
    sqlite_db, sqlite_sessions = make_db(tmp_path / "m.sqlite3")
    name = f"m_{uuid.uuid4().hex[:12]}"
    pg_server.admin(f"CREATE DATABASE {name}")
    pg_db = make_engine(pg_server.url(name))
    Base.metadata.create_all(pg_db)
    try:
        found = []
        for sessions in (sqlite_sessions, make_session_factory(pg_db)):
            with sessions() as s:
                build_cases(s)
                s.commit()
                found.append(_figures(s))
        assert found[0]["report"]["county"]["overdue"] > 0  # the set is not empty
        assert found[0] == found[1]
    finally:
        sqlite_db.dispose()
        pg_db.dispose()
