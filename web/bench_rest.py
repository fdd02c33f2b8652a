"""``xinfang bench-rest``: a case lifecycle over the Camunda REST API, one client, real HTTP.

Start ``engine/bench_process.bpmn`` by key, then for each of its three user tasks find it
(``GET /task?processInstanceId=…``) and complete it without a claim, as the user holding
the task's role: 7 requests per case.  Run twice on the same server: with the credential
cache (scrypt once per client) and without it (scrypt on every request, the behaviour
before the cache), and print ms per case for both.
"""
from __future__ import annotations

import os
import tempfile
import time
from typing import Callable

USERS = {"bench_reg": ("xfj", ["registrar"]), "bench_handler": ("rsj", ["handler"]),
         "bench_head": ("rsj", ["head"])}
PASSWORD = "bench-password-1"
# Who completes each task of the bench process.
WORKER = {"register": "bench_reg", "handle": "bench_handler", "approve": "bench_head"}
REQUESTS_PER_CASE = 7


def _lifecycle(http, url: str, i: int) -> None:
    from engine.bench import _variables

    variables = {k: {"value": v} for k, v in _variables(i).items()}
    started = http.post(f"{url}/process-definition/key/bench/start", json={"variables": variables},
                        auth=("bench_reg", PASSWORD))
    started.raise_for_status()
    case_id = started.json()["id"]
    for activity in ("register", "handle", "approve"):
        auth = (WORKER[activity], PASSWORD)
        found = http.get(f"{url}/task", params={"processInstanceId": case_id}, auth=auth)
        found.raise_for_status()
        (task,) = found.json()
        done = http.post(f"{url}/task/{task['id']}/complete", auth=auth,
                         json={"variables": {"accepted": {"value": True}, "opinion": {"value": "同意"}}})
        done.raise_for_status()


def _measure(http, url: str, cases: int, first: int) -> float:
    t0 = time.perf_counter()
    for i in range(first, first + cases):
        _lifecycle(http, url, i)
    return (time.perf_counter() - t0) * 1000 / cases


def run_rest_benchmark(cases: int = 50, rounds: int = 2, echo: Callable[[str], None] = print) -> dict:
    """Run REST lifecycles with and without the credential cache, alternating; print ms per case."""
    import logging
    import threading

    import requests
    from werkzeug.serving import make_server

    from engine.accounts import Accounts, CredentialCache
    from engine.bench import BENCH_BPMN
    from engine.bootstrap import build_engine
    from web import create_app

    with tempfile.TemporaryDirectory(prefix="xinfang-bench-rest-") as tmp:
        engine = build_engine(f"sqlite:///{os.path.join(tmp, 'bench.sqlite3')}")
        engine.deploy([(BENCH_BPMN.name, BENCH_BPMN.read_bytes())], name="bench", deployed_by="bench")
        accounts = Accounts(engine.sessions)
        for username, (unit, roles) in USERS.items():
            accounts.create_user(username, PASSWORD, username, unit, roles)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per request
        app = create_app({"ENGINE": engine, "SECRET_KEY": "bench", "START_SCHEDULER": False})
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_port}/engine-rest"
        results: dict[str, list[float]] = {"cached": [], "uncached": []}
        try:
            with requests.Session() as http:
                _measure(http, url, 3, 0)  # warm-up
                first = 3
                for r in range(rounds):
                    for mode in ("uncached", "cached"):
                        # ttl 0: every request runs the password hash, as before the cache.
                        app.extensions["xinfang.credentials"] = CredentialCache(
                            ttl_seconds=0.0 if mode == "uncached" else 300.0)
                        results[mode].append(_measure(http, url, cases, first))
                        first += cases
                        echo(f"round {r + 1}: {mode:9s} {results[mode][-1]:8.1f} ms per case")
        finally:
            server.shutdown()
            thread.join(timeout=10)
            server.server_close()
            engine.close()
    best = {mode: min(values) for mode, values in results.items()}
    echo(f"REST lifecycle (start + 3 claim-free completions, {REQUESTS_PER_CASE} requests per case, "
         f"one client, SQLite, real HTTP), best of {rounds} rounds of {cases} cases:")
    echo(f"  scrypt on every request (before): {best['uncached']:8.1f} ms per case")
    echo(f"  credential cache (now):           {best['cached']:8.1f} ms per case "
         f"({best['uncached'] / best['cached']:.1f}x faster; spiff-arena measured 495 ms per case, "
         f"target under ~50)")
    return {"uncached_ms": best["uncached"], "cached_ms": best["cached"], "requests_per_case": REQUESTS_PER_CASE}
