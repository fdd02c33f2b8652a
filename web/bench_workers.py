"""``xinfang bench workers``: several web workers and schedulers on one database.

The deployment of the README's "several workers" section, on this machine: a fresh
database (a throw-away PostgreSQL cluster, or a SQLite file), ``gunicorn`` with
``--workers`` processes serving ``web:create_app()`` on 127.0.0.1, and ``--schedulers``
processes of ``xinfang timers run``. Then:

* ``--timer-cases`` cases of ``engine/bench_timer.bpmn`` are started over REST; each
  waits three seconds on a timer and ends;
* ``--clients`` threads each drive ``--cases`` lifecycles of ``engine/bench_process.bpmn``
  over the Camunda REST API: start, then for each of its three user tasks find it, claim
  it and complete it (as the registrar, the handler and the unit head);
* afterwards every timer case must have ended with exactly one ``timer_fired`` event.

Printed: lifecycles per second, ms per lifecycle, requests per lifecycle, errors (any
answer other than 2xx, or a failed request), and timer cases lost or fired twice.
"""
from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Callable

from engine.settings import child_environment

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-workers-pass-1"
# (username, unit, role): the candidate groups of engine/bench_process.bpmn, and a starter.
USERS = (("bw-registrar", "xfj", "registrar"), ("bw-handler", "rsj", "handler"), ("bw-head", "rsj", "head"))
STEP_USER = {"register": "bw-registrar", "handle": "bw-handler", "approve": "bw-head"}


def _prepare(url: str) -> None:
    from engine.accounts import create_user
    from engine.bench import BENCH_BPMN
    from engine.bootstrap import build_engine

    engine = build_engine(url)
    try:
        timer = BENCH_BPMN.with_name("bench_timer.bpmn")
        engine.deploy([(BENCH_BPMN.name, BENCH_BPMN.read_bytes()), (timer.name, timer.read_bytes())],
                      name="bench", deployed_by="bench")
        with engine.unit_of_work() as s:
            for username, unit, role in USERS:
                create_user(s, username, PASSWORD, username, unit, [role])
    finally:
        engine.close()


def _timer_counts(url: str, case_ids: list[str]) -> tuple[Counter, Counter]:
    """(timer_fired events per case, status per case) of the timer cases."""
    from sqlalchemy import select

    from engine.bootstrap import build_engine
    from persistence.models import Case, Event

    engine = build_engine(url, migrate=False)
    try:
        with engine.unit_of_work(read_only=True) as s:
            fired = Counter(s.scalars(select(Event.case_id).where(Event.kind == "timer_fired",
                                                                  Event.case_id.in_(case_ids))))
            status = Counter(s.scalars(select(Case.status).where(Case.id.in_(case_ids))))
        return fired, status
    finally:
        engine.close()


class _Client:
    """One REST client: a session per user (Basic credentials on every request, as Camunda Modeler does)."""

    def __init__(self, base: str):
        import requests

        self.base = base
        self.sessions = {}
        for username, _, _ in USERS:
            s = requests.Session()
            s.auth = (username, PASSWORD)
            self.sessions[username] = s
        self.requests = 0
        self.errors: list[str] = []

    def call(self, username: str, method: str, path: str, **kwargs):
        self.requests += 1
        try:
            response = self.sessions[username].request(method, self.base + path, timeout=120, **kwargs)
        except Exception as exc:  # a dropped connection is an error, not a crash of the bench
            self.errors.append(f"{method} {path}: {exc}")
            return None
        if not 200 <= response.status_code < 300:
            self.errors.append(f"{method} {path}: HTTP {response.status_code} {response.text[:200]}")
            return None
        return response

    def lifecycle(self, i: int) -> bool:
        variables = {"case_no": {"value": f"BW{i:06d}"}, "petitioner_name": {"value": "张三"},
                     "request": {"value": "要求解决拖欠工资问题"}, "category": {"value": "申诉求决"},
                     "amount": {"value": i % 7, "type": "Integer"}}
        started = self.call("bw-registrar", "POST", "/engine-rest/process-definition/key/bench/start",
                            json={"variables": variables})
        if started is None:
            return False
        case_id = started.json()["id"]
        for _ in range(3):
            found = self.call("bw-registrar", "GET", f"/engine-rest/task?processInstanceId={case_id}")
            if found is None:
                return False
            tasks = found.json()
            if not tasks:
                return True  # not accepted: the case ended after registration
            task = tasks[0]
            user = STEP_USER[task["taskDefinitionKey"]]
            if self.call(user, "POST", f"/engine-rest/task/{task['id']}/claim", json={"userId": user}) is None:
                return False
            body = {"variables": {"accepted": {"value": True, "type": "Boolean"}, "opinion": {"value": "同意"}}}
            if self.call(user, "POST", f"/engine-rest/task/{task['id']}/complete", json=body) is None:
                return False
        return True


def _spawn(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, env=env, cwd=str(ROOT), stdout=open(log, "wb"), stderr=subprocess.STDOUT)


def _wait_http(base: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            requests.get(base + "/login", timeout=10)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def run_workers_bench(*, db: str = "postgresql", workers: int = 4, schedulers: int = 2, clients: int = 8,
                      cases: int = 10, timer_cases: int = 40, synchronous_commit: str = "on",
                      echo: Callable[[str], None] = print) -> dict:
    """Set up, run and print; returns the figures."""
    from persistence.pgcluster import PostgresServer, free_port

    workdir = Path(tempfile.mkdtemp(prefix="xinfang-workers-"))
    server = None
    procs: list[subprocess.Popen] = []
    try:
        if db == "sqlite":
            url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        else:
            # Durable server defaults (fsync on); the database's synchronous_commit is the
            # deployment's choice between durability and throughput (README).
            server = PostgresServer(durable=True)
            server.start()
            server.admin("CREATE DATABASE xinfang_bench")
            server.admin(f"ALTER DATABASE xinfang_bench SET synchronous_commit = {synchronous_commit}")
            url = server.url("xinfang_bench")
        _prepare(url)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = child_environment(DATABASE_URL=url, XINFANG_SECRET_KEY=secrets.token_hex(16),
                   XINFANG_DATA_DIR=str(workdir))
        web = _spawn([sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                      "--timeout", "120", "web:create_app()"], env, workdir / "gunicorn.log")
        procs.append(web)
        for n in range(schedulers):
            procs.append(_spawn([sys.executable, "-m", "web.cli", "timers", "run", "--max-sleep", "0.5"], env,
                                workdir / f"scheduler-{n}.log"))
        _wait_http(base, web)

        starter = _Client(base)
        timer_ids = []
        for i in range(timer_cases):
            r = starter.call("bw-registrar", "POST", "/engine-rest/process-definition/key/bench_timer/start",
                             json={"businessKey": f"T{i:05d}"})
            if r is not None:
                timer_ids.append(r.json()["id"])

        pool = [_Client(base) for _ in range(clients)]
        done = Counter()

        def drive(k: int, client: _Client) -> None:
            for j in range(cases):
                if client.lifecycle(k * cases + j):
                    done[k] += 1

        t0 = time.perf_counter()
        threads = [threading.Thread(target=drive, args=(k, c)) for k, c in enumerate(pool)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - t0

        deadline = time.monotonic() + 60
        while True:  # the timers are due 3 s after their start; give the schedulers time
            fired, status = _timer_counts(url, timer_ids)
            if status.get("running", 0) == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        lifecycles = sum(done.values())
        requests_made = sum(c.requests for c in pool)
        errors = [e for c in (starter, *pool) for e in c.errors]
        lost = sum(1 for cid in timer_ids if fired.get(cid, 0) == 0)
        doubled = sum(1 for cid in timer_ids if fired.get(cid, 0) > 1)
        echo(f"xinfang bench workers: {db}"
             + (f" (synchronous_commit={synchronous_commit}, fsync on)" if db != "sqlite" else "")
             + f", gunicorn {workers} workers, {schedulers} scheduler processes, {clients} concurrent clients")
        echo(f"  REST lifecycles (start + 3 × find/claim/complete): {lifecycles} of {clients * cases} in "
             f"{elapsed:.1f} s = {lifecycles / elapsed:.2f} lifecycles/s, "
             f"{elapsed * 1000 * clients / max(1, lifecycles):.0f} ms per lifecycle per client, "
             f"{requests_made / max(1, lifecycles):.1f} requests per lifecycle")
        echo(f"  errors: {len(errors)}")
        for e in errors[:5]:
            echo(f"    {e}")
        echo(f"  timer cases: {len(timer_ids)}, ended {status.get('completed', 0)}, "
             f"lost (never fired) {lost}, fired twice or more {doubled}")
        return {"lifecycles": lifecycles, "seconds": elapsed, "errors": len(errors), "lost": lost,
                "doubled": doubled, "requests": requests_made}
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
