"""Shared fixtures: real SQLite files, a real throw-away PostgreSQL server, engines, the app.

* ``db_url`` is parametrized over both backends: a test that takes it (or ``engine``)
  runs once on SQLite and once on PostgreSQL.
* ``sqlite_url`` / ``sqlite_engine`` are for tests whose subject is not the database.
* ``deployed_engine`` has every file of ``processes/`` deployed.
Schemas are migrated once per session into templates and copied per test.
"""
from __future__ import annotations

import json
import shutil
import time
import uuid
import zlib
from pathlib import Path

import pytest

from persistence.db import upgrade
from persistence.pgcluster import PostgresServer

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = ROOT / "processes"


@pytest.fixture(scope="session")
def pg_server():
    server = PostgresServer()
    server.start()
    try:
        server.admin("CREATE DATABASE xinfang_template")
        upgrade(server.url("xinfang_template"))
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template, tmp_path) -> str:
    path = tmp_path / "xinfang.sqlite3"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


def _fresh_pg(server: PostgresServer) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    server.admin(f"CREATE DATABASE {name} TEMPLATE xinfang_template")
    return server.url(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return _fresh_pg(request.getfixturevalue("pg_server"))


def _engine_on(url: str):
    from engine.bootstrap import build_engine

    engine = build_engine(url, migrate=False)
    return engine


@pytest.fixture
def engine(db_url):
    """An Engine on a fresh database, run once per backend."""
    e = _engine_on(db_url)
    yield e
    e.close()


@pytest.fixture
def sqlite_engine(sqlite_url):
    """An Engine on a fresh SQLite file."""
    e = _engine_on(sqlite_url)
    yield e
    e.close()


@pytest.fixture(scope="session")
def deployed_template(sqlite_template, tmp_path_factory) -> Path:
    """A SQLite file with every file of processes/ deployed, copied per test."""
    from engine.bootstrap import deploy_folder

    path = tmp_path_factory.mktemp("deployed") / "deployed.sqlite3"
    shutil.copy(sqlite_template, path)
    e = _engine_on(f"sqlite:///{path}")
    deploy_folder(e, PROCESSES)
    e.close()
    return path


@pytest.fixture
def deployed_engine(deployed_template, tmp_path):
    """An Engine on a fresh SQLite file with processes/ deployed."""
    path = tmp_path / "xinfang.sqlite3"
    shutil.copy(deployed_template, path)
    e = _engine_on(f"sqlite:///{path}")
    yield e
    e.close()


@pytest.fixture
def app(sqlite_engine):
    """The Flask app on a fresh SQLite engine (CSRF off unless a test turns it on)."""
    from web import create_app

    return create_app({"TESTING": True, "ENGINE": sqlite_engine, "WTF_CSRF_ENABLED": False,
                       "SECRET_KEY": "test", "START_SCHEDULER": False})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(autouse=True)
def _every_saved_state_restores_to_the_same_state(monkeypatch):
    """Save/restore check on every workflow state the suite stores.

    Each state the engine writes is restored from its bytes and written again; the two
    serialisations must hold the same data (JSON equal: the order of keys inside a
    mapping may differ, nothing else), so a reload loses or changes nothing a step put
    in a workflow (SpiffWorkflow's ``save_restore`` idea, applied suite-wide).
    """
    from engine.store import StateStore

    dump = StateStore.dump_state

    def checked(store, workflow):
        stored = dump(store, workflow)
        again = dump(store, store.load_state(stored, workflow.spec, workflow.subprocess_specs))
        if again != stored:
            first, second = (json.loads(zlib.decompress(b)) for b in (stored, again))
            assert first == second, "a workflow state changed on save/restore"
        return stored

    monkeypatch.setattr(StateStore, "dump_state", checked)


@pytest.fixture(autouse=True)
def _calendar_defaults():
    """Each test starts and ends with the shipped holiday file and the built-in rules."""
    from engine import calendar

    calendar.configure()
    yield
    calendar.configure()


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.02):
    """Poll ``predicate`` until it is truthy or the timeout passes; returns its last value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value
