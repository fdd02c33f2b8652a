"""How late do timers fire? ``python -m tests.bench_timer_latency [cases] [--postgres URL]``.

Starts a ``TimerScheduler`` on a throw-away SQLite database (or the given URL), starts
``cases`` cases of ``tests/timer_processes/timer_at.bpmn`` whose timers come due at staggered
instants 1–N s ahead (plus a batch due at the same instant), waits, and reports the
delay between each timer's due instant and its ``timer_fired`` event. Target: < 1 s.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

BPMN = Path(__file__).resolve().parent / "timer_processes" / "timer_at.bpmn"


def measure_timer_latency(cases: int = 20, same_instant: int = 5, database_url: str | None = None,
                          echo=print) -> dict:
    """Run the scheduler against real time and return latency figures in seconds."""
    from sqlalchemy import select

    from engine.bootstrap import build_engine
    from engine.timers import TimerScheduler
    from persistence.models import Event

    tmp = None
    if database_url is None:
        tmp = tempfile.TemporaryDirectory(prefix="xinfang-timer-bench-")
        database_url = f"sqlite:///{tmp.name}/bench.sqlite3"
    engine = build_engine(database_url)
    engine.deploy([(BPMN.name, BPMN.read_bytes())], name="timer-bench", deployed_by="bench")
    scheduler = TimerScheduler(engine)
    scheduler.start()
    try:
        base = datetime.now(timezone.utc) + timedelta(seconds=1.5)
        due: dict[str, datetime] = {}
        for i in range(cases):
            at = base + timedelta(seconds=0.37 * i)
            case = engine.start_case(process_key="timer_at", variables={"fire_at": at.isoformat()}, actor="bench")
            due[case.id] = at
        batch_at = base + timedelta(seconds=0.37 * cases + 0.5)
        for _ in range(same_instant):
            case = engine.start_case(process_key="timer_at", variables={"fire_at": batch_at.isoformat()},
                                     actor="bench")
            due[case.id] = batch_at
        deadline = time.monotonic() + (max(due.values()) - datetime.now(timezone.utc)).total_seconds() + 5
        fired: dict[str, datetime] = {}
        while time.monotonic() < deadline and len(fired) < len(due):
            time.sleep(0.2)
            with engine.sessions() as s:
                for ev in s.scalars(select(Event).where(Event.kind == "timer_fired")):
                    fired.setdefault(ev.case_id, ev.at)
    finally:
        scheduler.shutdown()
        engine.db.dispose()
        if tmp is not None:
            tmp.cleanup()
    delays = sorted((fired[c] - due[c]).total_seconds() for c in due if c in fired)
    result = {
        "timers": len(due), "fired": len(fired), "missed": len(due) - len(fired),
        "min_s": delays[0] if delays else None,
        "median_s": statistics.median(delays) if delays else None,
        "p95_s": delays[max(0, int(len(delays) * 0.95) - 1)] if delays else None,
        "max_s": delays[-1] if delays else None,
        "scheduler_runs": scheduler.runs,
    }
    echo(f"timers {result['timers']}, fired {result['fired']}, missed {result['missed']}, "
         f"scheduler runs {result['scheduler_runs']}")
    if delays:
        echo("firing delay after due: min {min_s:.3f} s, median {median_s:.3f} s, p95 {p95_s:.3f} s, "
             "max {max_s:.3f} s (target < 1 s)".format(**result))
    return result


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: prints the figures, exit 1 if a timer missed or was > 1 s late."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("cases", nargs="?", type=int, default=20)
    ap.add_argument("--same-instant", type=int, default=5)
    ap.add_argument("--database-url")
    args = ap.parse_args(argv)
    r = measure_timer_latency(args.cases, args.same_instant, args.database_url)
    return 0 if r["missed"] == 0 and r["max_s"] is not None and r["max_s"] < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
