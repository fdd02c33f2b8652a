"""``xinfang bench scale``: page and API latency over real HTTP with many open cases.

1. A fresh database (a temporary SQLite file, or a throw-away PostgreSQL cluster like
   the tests'): schema, processes/, the demo users, ``--templates`` petitions driven
   through the real engine by the demo loader, then copies of its open cases in bulk
   (engine/scale_data.py) up to ``--cases`` open cases, and ANALYZE.
2. A real server in its own process: ``xinfang serve --no-scheduler`` (waitress) on
   127.0.0.1 and a free port.
3. For users of different units and roles, after a real login (session cookie for the
   pages, HTTP Basic for /engine-rest): each page ``--rounds`` times after two warm-up
   requests; p50 and p95 per page and user, one table, the targets of issue 14 beside
   them, and the server's resident memory.

The figures are printed, never asserted: the machine is shared and noisy.
"""
from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from engine.settings import child_environment

# Targets of issue 14 (ms at p95) by page kind, printed beside the figures.
TARGETS = {"inbox": 50, "rest": 50, "search": 50, "case": 100, "dashboard": 300}
# 案件查询 (the UI work's page): by case number.
SEARCH_PATHS = ("/cases?number={q}",)


@dataclass(frozen=True)
class BenchUser:
    """A demo user and the pages measured for them."""

    username: str
    label: str
    dashboard: bool = False


USERS = (
    BenchUser("demo-registrar", "县信访局 登记员"),
    BenchUser("demo-zjj-handler", "住建局 承办人"),
    BenchUser("demo-zrzyj-head", "自然资源局 负责人"),
    BenchUser("demo-town-huanggang-handler", "黄集镇 承办人"),
    BenchUser("demo-supervisor", "县信访局 督查员(全县)", dashboard=True),
    BenchUser("demo-leader", "县领导(全县)", dashboard=True),
)


@dataclass
class Measure:
    """Timings of one page for one user."""

    page: str
    kind: str
    user: str
    ms: list[float] = field(default_factory=list)
    errors: int = 0
    note: str = ""

    def pct(self, q: float) -> float | None:
        if not self.ms:
            return None
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _database(db: str, workdir: Path):
    """(url, cleanup) of a fresh empty database of kind ``db``."""
    if db == "sqlite":
        return f"sqlite:///{workdir / 'scale.sqlite3'}", lambda: None
    if db in ("postgresql", "postgres", "pg"):
        from persistence.pgcluster import PostgresServer

        server = PostgresServer()
        server.start()
        server.admin("CREATE DATABASE xinfang_scale")
        return server.url("xinfang_scale"), server.stop
    raise ValueError(f"unknown database kind {db!r} (sqlite or postgresql)")


def load(url: str, cases: int, templates: int, echo: Callable[[str], None]) -> dict:
    """Schema, demo users and ``templates`` real petitions, then copies up to ``cases`` open cases."""
    from engine import scale_data
    from engine.bootstrap import build_engine
    from engine.demo import load_demo

    engine = build_engine(url)
    try:
        t0 = time.perf_counter()
        demo = load_demo(engine, cases=templates)
        echo(f"templates: {demo['cases']} petitions through the engine in {time.perf_counter() - t0:.0f} s, "
             f"{scale_data.count_open_cases(engine)} open")
        copied = scale_data.clone_open_cases(engine, cases, echo=echo)
        scale_data.after_bulk_load(engine)
        return {"demo": demo, "copied": copied, "open": scale_data.count_open_cases(engine)}
    finally:
        engine.close()


class Server:
    """``xinfang serve`` in a child process on 127.0.0.1."""

    def __init__(self, url: str, workdir: Path, threads: int = 4):
        from persistence.pgcluster import free_port

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = child_environment(DATABASE_URL=url, XINFANG_SECRET_KEY=secrets.token_hex(16),
                   XINFANG_DATA_DIR=str(workdir))
        self.log = open(workdir / "server.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "serve", "--no-scheduler", "--port", str(self.port),
             "--threads", str(threads)], env=env, stdout=self.log, stderr=subprocess.STDOUT,
            cwd=str(Path(__file__).resolve().parents[1]))

    def wait(self, timeout: float = 60) -> None:
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                requests.get(self.base + "/login", timeout=10)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def memory_mb(self) -> tuple[float, float]:
        """(resident, peak resident) MB of the server process."""
        fields = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        return (int(fields.get("VmRSS", "0 kB").split()[0]) / 1024,
                int(fields.get("VmHWM", "0 kB").split()[0]) / 1024)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def _login(base: str, username: str, password: str):
    import requests

    session = requests.Session()
    page = session.get(base + "/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    response = session.post(base + "/login", data={"username": username, "password": password,
                                                   "csrf_token": token.group(1) if token else ""},
                            allow_redirects=False, timeout=60)
    if response.status_code != 302:
        raise RuntimeError(f"login of {username} failed: HTTP {response.status_code}")
    return session


SLOW_MS = 1000  # a page slower than this at warm-up is timed only SLOW_ROUNDS times
SLOW_ROUNDS = 5


def _time(get, path: str, m: Measure, rounds: int) -> None:
    i = 0
    while i < rounds + 2:
        t0 = time.perf_counter()
        response = get(path)
        elapsed = (time.perf_counter() - t0) * 1000
        if response.status_code != 200:
            m.errors += 1
            m.note = f"HTTP {response.status_code}"
        elif i >= 2:  # two warm-up requests
            m.ms.append(elapsed)
        elif elapsed > SLOW_MS:
            rounds = min(rounds, SLOW_ROUNDS)
        i += 1


def _sample_case(url: str, username: str) -> tuple[str | None, str | None]:
    """(id, case number) of an open case the user may see."""
    from sqlalchemy import select

    from engine import access
    from engine.accounts import get_user_by_username
    from engine.bootstrap import build_engine
    from persistence.models import Case

    engine = build_engine(url, migrate=False)
    try:
        with engine.unit_of_work(read_only=True) as s:
            user = get_user_by_username(s, username)
            row = s.execute(select(Case.id, Case.business_key).where(
                Case.status == "running", Case.process_key == "petition", access.case_filter_for(user))
                .order_by(Case.started_at.desc()).limit(1)).first()
            return (row[0], row[1]) if row else (None, None)
    finally:
        engine.close()


def measure(url: str, base: str, rounds: int, echo: Callable[[str], None]) -> list[Measure]:
    """Every page for every user of USERS."""
    import requests

    from engine.demo import DEMO_PASSWORD

    out: list[Measure] = []
    for u in USERS:
        session = _login(base, u.username, DEMO_PASSWORD)
        rest = requests.Session()
        rest.auth = (u.username, DEMO_PASSWORD)

        def page(path):
            return session.get(base + path, timeout=120)

        def api(path):
            return rest.get(base + path, timeout=120)

        case_id, case_no = _sample_case(url, u.username)
        pages = [("我的待办", "inbox", page, "/tasks?tab=mine"),
                 ("待认领", "inbox", page, "/tasks?tab=claimable"),
                 ("已办", "inbox", page, "/tasks?tab=done"),
                 ("REST /task 我的", "rest", api, f"/engine-rest/task?assignee={u.username}&maxResults=50"),
                 ("REST /task 候选", "rest", api, f"/engine-rest/task?candidateUser={u.username}&maxResults=50")]
        if case_id:
            pages.append(("案件页", "case", page, f"/cases/{case_id}"))
            search = next((p for p in SEARCH_PATHS if page(p.format(q=case_no)).status_code == 200), None)
            if search:
                pages.append(("案件查询", "search", page, search.format(q=case_no)))
            else:
                out.append(Measure("案件查询", "search", u.username, note="no search page yet"))
        if u.dashboard:
            pages += [("督查督办 dashboard", "dashboard", page, "/dashboard/"),
                      ("metrics.json", "dashboard", page, "/dashboard/metrics.json")]
        for name, kind, get, path in pages:
            m = Measure(name, kind, u.username)
            _time(get, path, m, rounds)
            out.append(m)
            p95 = m.pct(0.95)
            echo(f"  {u.username:30s} {name:20s} p95 {p95:8.1f} ms" if p95 is not None
                 else f"  {u.username:30s} {name:20s} {m.note}")
    return out


def table(measures: list[Measure]) -> list[str]:
    """The results as Markdown table lines, worst p95 per page first, then per user."""
    lines = ["| page | user | p50 ms | p95 ms | target p95 | errors |", "|---|---|---|---|---|---|"]
    for m in measures:
        p50, p95 = m.pct(0.5), m.pct(0.95)
        target = TARGETS[m.kind]
        flag = "" if p95 is None or p95 <= target else " ✗"
        lines.append(f"| {m.page} | {m.user} | {p50 and round(p50, 1) or '—'} | "
                     f"{p95 and round(p95, 1) or m.note or '—'}{flag} | ≤ {target} | {m.errors} |")
    return lines


def summary(measures: list[Measure]) -> list[str]:
    """Worst p95 of each page across users."""
    worst: dict[str, tuple[float, str]] = {}
    for m in measures:
        p95 = m.pct(0.95)
        if p95 is not None and p95 > worst.get(m.page, (-1, ""))[0]:
            worst[m.page] = (p95, m.kind)
    return [f"  worst p95 {page:20s} {ms:8.1f} ms  (target ≤ {TARGETS[kind]} ms)"
            for page, (ms, kind) in worst.items()]


def run_scale_bench(cases: int = 20000, db: str = "sqlite", rounds: int = 20, templates: int = 150,
                    threads: int = 4, echo: Callable[[str], None] = print) -> dict:
    """Load, serve, measure and print; returns the measures and the server's memory."""
    workdir = Path(tempfile.mkdtemp(prefix="xinfang-scale-"))
    url, cleanup = _database(db, workdir)
    server = None
    try:
        t0 = time.perf_counter()
        loaded = load(url, cases, templates, echo)
        echo(f"database: {db}, {loaded['open']} open cases, loaded in {time.perf_counter() - t0:.0f} s")
        server = Server(url, workdir, threads)
        server.wait()
        measures = measure(url, server.base, rounds, echo)
        rss, peak = server.memory_mb()
        echo("")
        echo(f"xinfang bench scale: {loaded['open']} open cases on {db}, {rounds} requests per page "
             f"after 2 warm-up, one client, server `xinfang serve` ({threads} threads)")
        for line in table(measures):
            echo(line)
        for line in summary(measures):
            echo(line)
        echo(f"  web server memory: {rss:.0f} MB resident, peak {peak:.0f} MB (target ≤ 150 MB)")
        return {"measures": measures, "rss_mb": rss, "peak_mb": peak, "open": loaded["open"]}
    finally:
        if server is not None:
            server.stop()
        cleanup()
        shutil.rmtree(workdir, ignore_errors=True)

