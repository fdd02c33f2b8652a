"""Shared fixtures: real SQLite files, a real throw-away PostgreSQL server, engines, the app.

* ``db_url`` is parametrized over both backends: a test that takes it (or ``engine``)
  runs once on SQLite and once on PostgreSQL.
* ``sqlite_url`` / ``sqlite_engine`` are for tests whose subject is not the database.
* ``deployed_engine`` has every file of ``processes/`` deployed.
Schemas are migrated once per session into templates and copied per test.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
import zlib
from pathlib import Path

import pytest

from persistence.db import upgrade

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = ROOT / "processes"
PG_BIN_CANDIDATES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A throw-away PostgreSQL cluster on 127.0.0.1, removed at the end of the session."""

    def __init__(self):
        if not PG_BIN_CANDIDATES:
            raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)")
        self.bin = PG_BIN_CANDIDATES[0]
        self.dir = Path(tempfile.mkdtemp(prefix="xinfang-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:  # initdb refuses to run as root: hand the folder to postgres
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "xinfang", "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8")
        opts = f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} " \
               f"-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"),
                  "-w", "start")

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://xinfang@127.0.0.1:{self.port}/{dbname}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="xinfang", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(sql)


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
