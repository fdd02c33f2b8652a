"""Revision 0010_scale_read_paths carries existing data over (SQLite and PostgreSQL)."""
from __future__ import annotations

import json
import uuid
import zlib

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from persistence.db import alembic_config, make_engine


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'old.sqlite3'}"
    server = request.getfixturevalue("pg_server")
    name = f"m_{uuid.uuid4().hex[:12]}"
    server.admin(f"CREATE DATABASE {name}")
    return server.url(name)


def _old_schema_with_data(url: str) -> dict:
    cfg = alembic_config(url)
    command.upgrade(cfg, "0009_login_throttle")
    state = zlib.compress(b'{"tasks": {}}', 1)
    ids = {"plain": str(uuid.uuid4()), "accusation": str(uuid.uuid4()), "ready": str(uuid.uuid4()),
           "done": str(uuid.uuid4())}
    db = make_engine(url)
    with db.begin() as conn:
        conn.execute(text("INSERT INTO deployments (id, deployed_at) VALUES ('d', CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO resources (id, deployment_id, name, content, content_hash) "
                          "VALUES ('r', 'd', 'x.bpmn', :c, 'h')"), {"c": b"<x/>"})
        conn.execute(text("INSERT INTO process_definitions (id, key, version, deployment_id, resource_id, "
                          "content_hash, executable, called_definitions, deployed_at) "
                          "VALUES ('p:1', 'p', 1, 'd', 'r', 'h', :t, '{}', CURRENT_TIMESTAMP)"), {"t": True})
        for key, summary in (("plain", {"handling_unit": "zjj"}), ("accusation", {"accused_unit": "zjj"})):
            conn.execute(text(
                "INSERT INTO cases (id, definition_id, process_key, status, started_at, updated_at, version, "
                "state, serializer_version, summary, units, notice_keys) VALUES (:id, 'p:1', 'p', 'running', "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 2, :state, 'x2/1.4', :summary, '[]', '[]')"),
                {"id": ids[key], "state": state, "summary": json.dumps(summary)})
            # Before 0004 an accused unit that was also involved kept a plain involved row.
            conn.execute(text("INSERT INTO case_units (case_id, unit_code, role) VALUES (:c, 'zjj', NULL)"),
                         {"c": ids[key]})
        for key, task_state in (("ready", "ready"), ("done", "completed")):
            conn.execute(text(
                "INSERT INTO tasks (id, case_id, process_key, activity_id, state, candidate_groups, "
                "candidate_users, priority, created_at) VALUES (:id, :c, 'p', 'a', :s, '[\"zjj:handler\"]', "
                "'[]', 50, CURRENT_TIMESTAMP)"), {"id": ids[key], "c": ids["plain"], "s": task_state})
            conn.execute(text("INSERT INTO task_candidates (task_id, kind, name) VALUES (:t, 'group', 'zjj:handler')"),
                         {"t": ids[key]})
    db.dispose()
    return {"ids": ids, "state": state}


def test_upgrade_moves_states_to_their_table_and_marks_accused_units(empty_url):
    old = _old_schema_with_data(empty_url)
    ids = old["ids"]
    command.upgrade(alembic_config(empty_url), "heads")

    db = create_engine(empty_url)
    try:
        assert {"state", "serializer_version"}.isdisjoint(c["name"] for c in inspect(db).get_columns("cases"))
        with db.connect() as conn:
            states = dict(conn.execute(text("SELECT case_id, state FROM case_states")).all())
            candidates = set(conn.execute(text("SELECT task_id FROM task_candidates")).scalars())
            roles = dict(conn.execute(text("SELECT case_id, role FROM case_units")).all())
            versions = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        db.dispose()
    assert {k: bytes(v) for k, v in states.items()} == {ids["plain"]: old["state"], ids["accusation"]: old["state"]}
    assert candidates == {ids["ready"], ids["done"]}  # kept; the engine drops rows as tasks close from now on
    assert roles == {ids["plain"]: None, ids["accusation"]: "accused"}
    assert versions == {"0010_scale_read_paths"}

