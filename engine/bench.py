"""``xinfang bench``: full case lifecycles through the persisted engine vs bare SpiffWorkflow.

Both sides run the same BPMN with the same parser and script engine; the bare side
keeps the workflow in memory and never saves it.  Rounds alternate between the two
(these machines are noisy) and the best round of each is reported with the ratio.
"""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Callable

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

BENCH_BPMN = Path(__file__).resolve().parent / "bench_process.bpmn"
TARGET_RATIO = 0.5


def _variables(i: int) -> dict:
    return {"case_no": f"B{i:06d}", "petitioner_name": "张三", "request": "要求解决拖欠工资问题" * 3,
            "category": "申诉求决", "amount": i % 7}


def _bare_round(spec, subs, script_engine, n: int, serializer=None) -> tuple[float, float]:
    """In-memory lifecycles; with ``serializer``, a full JSON save and load after every step."""
    from engine.inbox import ready_user_tasks

    def round_trip(wf):
        if serializer is None:
            return wf
        restored = serializer.deserialize_json(serializer.serialize_json(wf))
        restored.script_engine = script_engine
        return restored

    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(n):
        wf = BpmnWorkflow(spec, subs, script_engine=script_engine)
        start = wf.get_next_task(state=TaskState.READY)
        start.data.update(_variables(i))
        wf.do_engine_steps()
        wf = round_trip(wf)
        step = 0
        while not wf.completed:
            tasks = ready_user_tasks(wf)
            t = tasks[0]
            t.data.update({"accepted": step == 0 or i % 2 == 0, "opinion": "同意"})
            t.run()
            wf.do_engine_steps()
            wf.refresh_timers()
            wf = round_trip(wf)
            step += 1
    return n / (time.perf_counter() - t0), n / (time.process_time() - c0)


def _persisted_round(engine, n: int) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(n):
        case = engine.start_case(process_key="bench", variables=_variables(i), actor="bench")
        step = 0
        while True:
            tasks = case.tasks
            if not tasks:
                break
            case = engine.complete_task(tasks[0].id, {"accepted": step == 0 or i % 2 == 0, "opinion": "同意"}, "bench")
            step += 1
    return n / (time.perf_counter() - t0), n / (time.process_time() - c0)


def run_benchmark(cases: int = 200, rounds: int = 3, database_url: str | None = None,
                  echo: Callable[[str], None] = print) -> dict:
    """Run both sides ``rounds`` times, alternating; print and return the best rates and ratio."""
    from engine.bootstrap import build_engine

    tmp = None
    if database_url is None:
        tmp = tempfile.TemporaryDirectory(prefix="xinfang-bench-")
        database_url = f"sqlite:///{os.path.join(tmp.name, 'bench.sqlite3')}"
    engine = build_engine(database_url)
    info = engine.deploy([(BENCH_BPMN.name, BENCH_BPMN.read_bytes())], name="bench", deployed_by="bench")
    definition = info.definitions[0]
    with engine.unit_of_work() as s:
        from persistence.models import ProcessDefinition

        spec_json = s.get(ProcessDefinition, definition.id).spec_json
    spec, subs = engine.store.specs_for(definition.id, spec_json)

    # Warm-up: imports, compiled expressions, SQL statement caches.
    _bare_round(spec, subs, engine.script_engine, 10)
    _persisted_round(engine, 10)

    from engine.store import make_serializer

    full_serializer = make_serializer()  # specs included, as plain SpiffWorkflow saves a workflow
    bare, persisted, json_rt = [], [], []
    for r in range(rounds):
        bare.append(_bare_round(spec, subs, engine.script_engine, cases))
        persisted.append(_persisted_round(engine, cases))
        json_rt.append(_bare_round(spec, subs, engine.script_engine, cases, full_serializer))
        echo(f"round {r + 1}: bare {bare[-1][0]:8.1f} cases/s (cpu {bare[-1][1]:8.1f})   "
             f"persisted {persisted[-1][0]:8.1f} cases/s (cpu {persisted[-1][1]:8.1f})   "
             f"bare+json {json_rt[-1][0]:8.1f} cases/s")
    best_bare, best_persisted = max(b[0] for b in bare), max(p[0] for p in persisted)
    cpu_bare, cpu_persisted = max(b[1] for b in bare), max(p[1] for p in persisted)
    ratio, cpu_ratio = best_persisted / best_bare, cpu_persisted / cpu_bare
    backend = database_url.split(":", 1)[0]
    echo(f"process: {BENCH_BPMN.name} (3 user tasks, a gateway, a script task, a timer boundary)")
    echo(f"backend: {backend}; {cases} lifecycles per round, best of {rounds}; "
         "rates by wall clock and by this process's CPU time (less sensitive to a busy machine)")
    echo(f"bare SpiffWorkflow (in memory): {best_bare:8.1f} cases/s   cpu {cpu_bare:8.1f} cases/s")
    echo(f"persisted engine ({backend}):    {best_persisted:8.1f} cases/s   cpu {cpu_persisted:8.1f} cases/s")
    best_json = max(j[0] for j in json_rt)
    echo(f"bare + full JSON save/load each step (reference): {best_json:8.1f} cases/s "
         f"(ratio to bare {best_json / best_bare:.2f})")
    echo(f"ratio persisted/bare: wall {ratio:.2f}, cpu {cpu_ratio:.2f}  (target >= {TARGET_RATIO})")
    isolation = isolation_figures(engine.script_engine.environment, echo)
    engine.db.dispose()
    if tmp is not None:
        tmp.cleanup()
    return {"bare": best_bare, "persisted": best_persisted, "ratio": ratio, "cpu_ratio": cpu_ratio,
            "backend": backend, **isolation}


# What one designer evaluation costs in the worker against the same code run in this
# process (which the engine no longer does: shown for scale), and what the limits take.
EVAL_CONDITION = "${accepted && !empty category && amount < 5}"
EVAL_DATA = {"accepted": True, "category": "申诉求决", "amount": 3, "request": "要求解决拖欠工资问题" * 3}
CPU_BOMB = "${sum(map(sum, map(range, [10**6] * 10**6))) > 0}"
MEMORY_BOMB = "len(list(map(list, [[0] * 10**6] * 10**4))) > 0"


def _per_call(fn, n: int) -> float:
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def isolation_figures(environment, echo: Callable[[str], None] = print, n: int = 300) -> dict:
    """Print the per-evaluation round trip in the worker beside the in-process cost, and the limits' timings."""
    from engine import sandbox
    from engine.errors import ScriptError
    from engine.expressions import compile_expression

    compiled = compile_expression(EVAL_CONDITION, "condition")
    box = sandbox.Sandbox()
    in_process = _per_call(lambda: box.run(compiled, box.namespace(EVAL_DATA)), n)
    in_worker = _per_call(lambda: environment.evaluate_compiled(compiled, EVAL_DATA), n)
    texts = [compile_expression(t, "text") for t in ("${category}:handler", "${amount}", "${request}",
                                                      "${accepted ? 'a' : 'b'}", "${amount * 2}")]
    batch = _per_call(lambda: environment.evaluate_many(texts, EVAL_DATA), max(n // 3, 10))
    limits = environment.limits
    echo(f"designer code: one condition in process {in_process * 1e6:8.1f} µs, in the evaluation worker "
         f"{in_worker * 1e6:8.1f} µs (round trip); 5 attribute expressions in one request {batch * 1e6:8.1f} µs")

    def stop(text: str, kind: str) -> float:
        t0 = time.perf_counter()
        try:
            environment.evaluate(text, {}, kind=kind)
        except ScriptError:
            return time.perf_counter() - t0
        raise AssertionError(f"{text} was not stopped")

    pool = environment.pool
    cpu = stop(CPU_BOMB, "condition")
    memory = stop(MEMORY_BOMB, "condition")
    t0 = time.perf_counter()
    environment.evaluate_compiled(compiled, EVAL_DATA)  # starts a fresh worker if both were replaced
    after = time.perf_counter() - t0
    echo(f"limits: wall {limits.timeout:g} s, cpu {limits.cpu_seconds} s, memory {limits.memory_mb} MB, "
         f"{limits.workers} workers; CPU bomb stopped after {cpu:.2f} s, memory bomb after {memory:.2f} s, "
         f"next evaluation {after * 1e3:.0f} ms (workers started so far: {pool.started})")
    return {"eval_in_process_us": in_process * 1e6, "eval_in_worker_us": in_worker * 1e6,
            "eval_batch_of_5_us": batch * 1e6, "cpu_bomb_s": cpu, "memory_bomb_s": memory}
