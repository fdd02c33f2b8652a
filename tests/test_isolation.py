"""Designer code runs in worker processes: OS limits stop what the deploy checks let through.

The runtime half of the hostile corpus (tests/hostile/runtime.txt) passes every deploy
check; each payload must be stopped at run time with a ScriptError naming the element
and the limit, while the case keeps its last committed state, the server keeps
answering other requests, and a memory bomb leaves the server's memory where it was.
"""
from __future__ import annotations

import os
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from engine.bootstrap import build_engine
from engine.errors import ScriptError
from engine.evaluation import WorkerLimits, pool_for
from engine.expressions import check_expression
from tests.hostile_corpus import carrier, payloads, place
from tests.rest_support import PASSWORD, basic, create_users, live_server

# Short limits keep the suite quick; the messages must name these, not the defaults.
LIMITS = WorkerLimits(timeout=1.0, cpu_seconds=1, memory_mb=256, workers=2)
# Long enough that other requests surely fit beside one bomb on a busy machine.
SLOW_LIMITS = WorkerLimits(timeout=3.0, cpu_seconds=3, memory_mb=256, workers=2)
RUNTIME = payloads("runtime.txt")
STOPPED_BY = {
    "wall": "stopped after 1 s: the evaluation worker's wall-clock limit",
    "memory": "256 MB",
    "recursion": "recursion too deep",
    "steps": "the script or expression does not finish",  # the step budget or its 1 s clock
    "size": "sandbox",
}
# The element a failure must name, by where the payload sits in the carrier process.
ELEMENT = {"condition": "Gateway_1", "expression": "Gateway_1", "script": "Task_script", "text": "Task_handle",
           "dmn_output": "Task_decide", "unary_tests": "Task_decide", "timeDate": "Timer_1"}


@pytest.fixture
def engine(sqlite_url):
    e = build_engine(sqlite_url, migrate=False, evaluation_limits=LIMITS)
    yield e
    e.close()


def first_task(engine, case_id: str):
    (task,) = engine.list_tasks(case_id=case_id)
    return task


def test_the_runtime_corpus_covers_every_kind_of_limit():
    assert {p.expected for p in RUNTIME} == set(STOPPED_BY)


@pytest.mark.parametrize("payload", RUNTIME, ids=lambda p: p.id)
def test_payload_is_stopped_at_run_time_and_the_case_keeps_its_state(engine, payload):
    assert check_expression(payload.text, payload.kind) == []  # the deploy checks let it through
    resources, _, _ = place(payload.kind, payload.text)
    engine.deploy(resources, name="hostile", deployed_by="test")
    case = engine.start_case(process_key="hostile_carrier", variables={"x": 2}, actor="test")
    task = first_task(engine, case.id)

    with pytest.raises(ScriptError) as caught:
        engine.complete_task(task.id, {"x": 3}, "test")

    message = caught.value.message
    assert STOPPED_BY[payload.expected] in message, message
    assert ELEMENT[payload.kind] in message, message
    after = engine.get_case(case.id)
    assert after.status == case.status and after.variables["x"] == 2
    assert first_task(engine, case.id).id == task.id


def test_a_stopped_worker_is_replaced_and_the_next_case_runs(engine):
    bomb = next(p for p in RUNTIME if p.id == "cpu-nested-maps")
    engine.deploy(carrier(CONDITION=bomb.text), name="hostile", deployed_by="test")
    case = engine.start_case(process_key="hostile_carrier", variables={"x": 2}, actor="test")
    pool = pool_for(LIMITS)
    killed = pool.killed
    with pytest.raises(ScriptError) as caught:
        engine.complete_task(first_task(engine, case.id).id, {"x": 3}, "test")
    assert "wall-clock limit" in caught.value.message
    assert pool.killed == killed + 1

    engine.deploy(carrier(CONDITION="${x > 1}", SCRIPT="y = x * 10"), name="benign", deployed_by="test")
    fine = engine.start_case(process_key="hostile_carrier", variables={"x": 2}, actor="test")
    done = engine.complete_task(first_task(engine, fine.id).id, {"x": 3}, "test")
    assert done.variables["y"] == 30 and done.variables["verdict"] == "ok"
    assert [t.activity_id for t in engine.list_tasks(case_id=fine.id)] == ["Task_handle"]


def _limits_of(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]
    return {line[:26].strip(): line[26:47].strip() for line in lines}


def test_workers_run_with_os_limits_set_before_any_code(engine):
    engine.deploy(carrier(), name="benign", deployed_by="test")
    case = engine.start_case(process_key="hostile_carrier", variables={"x": 2}, actor="test")
    engine.complete_task(first_task(engine, case.id).id, {"x": 3}, "test")
    (pid, *_) = pool_for(LIMITS).idle_pids()
    limits = _limits_of(pid)
    assert limits["Max address space"] == str(256 * 1024 * 1024)
    assert limits["Max open files"] == "3"
    assert limits["Max file size"] == "0"
    assert limits["Max processes"] == "0"
    assert limits["Max core file size"] == "0"
    assert limits["Max cpu time"] != "unlimited"
    status = Path(f"/proc/{pid}/status").read_text()
    uid = next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:"))
    assert uid == ("65534" if os.geteuid() == 0 else str(os.geteuid()))
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert cmdline[1] == b"-I" and cmdline[2].endswith(b"engine/evaluation/worker.py")


# --------------------------------------------------------------------------- over HTTP

@contextmanager
def serving(engine):
    from web import create_app

    app = create_app({"TESTING": True, "ENGINE": engine, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "test",
                      "START_SCHEDULER": False})
    create_users(engine)
    with live_server(app) as base, requests.Session() as http:
        yield f"{base}/engine-rest", http


@pytest.fixture
def server(engine):
    with serving(engine) as rest:
        yield rest


@pytest.fixture
def pg_rest(pg_server):
    # PostgreSQL: SQLite has one writer, and a write transaction is open while a step
    # evaluates, so there other users' requests wait for the limit (docs/architecture.md)
    name = f"t_{uuid.uuid4().hex[:12]}"
    pg_server.admin(f"CREATE DATABASE {name} TEMPLATE xinfang_template")
    e = build_engine(pg_server.url(name), migrate=False, evaluation_limits=SLOW_LIMITS)
    pool_for(SLOW_LIMITS).start_workers()
    with serving(e) as rest:
        yield rest
    e.close()


def deploy_over_http(rest, resources) -> None:
    base, http = rest
    files = [("deployment-name", (None, "hostile"))] + [(n, (n, data, "text/xml")) for n, data in resources]
    answer = http.post(f"{base}/deployment/create", files=files, headers=basic("sheji"))
    assert answer.status_code == 200, answer.text


def start_and_claim(rest) -> tuple[str, str]:
    base, http = rest
    case = http.post(f"{base}/process-definition/key/hostile_carrier/start", headers=basic("dengji"),
                     json={"variables": {"x": {"value": 2, "type": "Long"}}})
    assert case.status_code == 200, case.text
    case_id = case.json()["id"]
    (task,) = http.get(f"{base}/task?processInstanceId={case_id}", headers=basic("dengji")).json()
    assert http.post(f"{base}/task/{task['id']}/claim", json={"userId": "dengji"},
                     headers=basic("dengji")).status_code == 204
    return case_id, task["id"]


def complete(rest, task_id: str) -> requests.Response:
    base, http = rest
    return requests.post(f"{base}/task/{task_id}/complete", headers=basic("dengji"),
                         json={"variables": {"x": {"value": 3, "type": "Long"}}})


@pytest.mark.postgres
def test_server_answers_other_requests_while_a_cpu_bomb_runs(pg_rest):
    server = pg_rest
    bomb = next(p for p in RUNTIME if p.id == "cpu-nested-maps")
    deploy_over_http(server, carrier(CONDITION=bomb.text))
    base, http = server
    case_id, task_id = start_and_claim(server)
    other_case, _ = start_and_claim(server)
    root = base[:-len("/engine-rest")]
    caseworker = requests.Session()
    assert caseworker.post(f"{root}/login", data={"username": "dengji2", "password": PASSWORD},
                           allow_redirects=False).status_code == 302
    pool = pool_for(SLOW_LIMITS)

    answers: dict[str, requests.Response] = {}
    bad = threading.Thread(target=lambda: answers.setdefault("bad", complete(server, task_id)))
    busy_before = pool.busy()
    bad.start()
    while pool.busy() == busy_before and bad.is_alive():
        bad.join(0.01)  # until the bomb is in a worker
    assert bad.is_alive(), "the bomb finished before it could be watched"

    # meanwhile other users work: the inbox, a case page, a new case
    answered_during = []
    inbox = caseworker.get(f"{root}/tasks")
    answered_during.append(bad.is_alive())
    case_page = caseworker.get(f"{root}/cases/{other_case}")
    answered_during.append(bad.is_alive())
    started = requests.post(f"{base}/process-definition/key/hostile_carrier/start", headers=basic("dengji2"),
                            json={"variables": {"x": {"value": 5, "type": "Long"}}})
    answered_during.append(bad.is_alive())
    bad.join(30)

    assert inbox.status_code == 200 and "登记" in inbox.text
    assert case_page.status_code == 200 and "登记" in case_page.text
    assert started.status_code == 200
    # the first surely while the bomb ran; the others too unless this machine is very busy
    assert answered_during[0], f"the other requests were answered only after the bomb: {answered_during}"
    answer = answers["bad"]
    assert answer.status_code == 422
    assert answer.json()["type"] == "ScriptEvaluationException"
    assert "stopped after 3 s: the evaluation worker's wall-clock limit" in answer.json()["message"]
    assert "Gateway_1" in answer.json()["message"]
    (task,) = http.get(f"{base}/task?processInstanceId={case_id}", headers=basic("dengji")).json()
    assert task["id"] == task_id  # the case kept its last committed state


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_memory_bombs_leave_the_server_memory_where_it_was(server):
    bombs = [p for p in RUNTIME if p.expected == "memory"]
    deploy_over_http(server, carrier())
    warm_case, warm_task = start_and_claim(server)
    assert complete(server, warm_task).status_code == 204  # imports and caches are in place now
    before = _rss_mb()
    for bomb in bombs:
        resources, _, _ = place(bomb.kind, bomb.text)
        deploy_over_http(server, resources)
        _, task_id = start_and_claim(server)
        answer = complete(server, task_id)
        assert answer.status_code == 422, answer.text
        assert "256 MB" in answer.json()["message"]
    assert _rss_mb() - before < 50


def test_a_second_evaluation_is_answered_while_a_bomb_runs():
    from engine.scripting import IsolatedEnvironment

    environment = IsolatedEnvironment(SLOW_LIMITS)
    environment.pool.start_workers()
    bomb = next(p for p in RUNTIME if p.id == "cpu-sum-of-ranges")
    outcome: dict[str, object] = {}

    def run_bomb():
        try:
            environment.evaluate(bomb.text, {}, kind="condition")
        except ScriptError as exc:
            outcome["bomb"] = exc

    bad = threading.Thread(target=run_bomb)
    busy = environment.pool.busy()
    bad.start()
    while environment.pool.busy() == busy and bad.is_alive():
        bad.join(0.01)
    value = environment.evaluate("${x + 1}", {"x": 41})
    still_running = bad.is_alive()
    bad.join(30)
    assert value == 42
    assert still_running
    assert "wall-clock limit" in outcome["bomb"].message
