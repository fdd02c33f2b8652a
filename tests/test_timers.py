"""Timers fire from due times in the database: on time, once, across restarts and workers."""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select, update

from engine import calendar as cal
from engine.calendar import SHANGHAI
from engine.timers import TimerScheduler, fire_due, next_due_at
from persistence.models import Case, CaseState, Event
from tests.conftest import _engine_on, wait_until

DATA = Path(__file__).resolve().parent / "timer_processes"
CLOCK_BPMN = DATA / "timer_clocks.bpmn"
AT_BPMN = DATA / "timer_at.bpmn"
PARALLEL_BPMN = DATA / "timer_parallel.bpmn"


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _no_admin_files(tmp_path):
    cal.configure(holiday_file=str(tmp_path / "absent.json"))


def deploy(engine, *paths: Path):
    engine.deploy([(p.name, p.read_bytes()) for p in paths], name="timer tests", deployed_by="test")


def fired_events(engine, case_id: str, activity: str | None = None) -> list[Event]:
    with engine.sessions() as s:
        rows = list(s.scalars(select(Event).where(Event.case_id == case_id, Event.kind == "timer_fired")))
    return [e for e in rows if activity is None or e.data.get("activity_id") == activity]


def task_names(engine, case_id: str) -> list[str]:
    return sorted(t.name for t in engine.list_tasks(case_id=case_id) if t.state == "ready")


def next_timer(engine, case_id: str) -> datetime | None:
    with engine.sessions() as s:
        return s.get(Case, case_id).next_timer_at


# --- statutory clock timers, controlled time ---------------------------------------

def test_warning_fires_three_days_before_due_and_escalation_just_after_it(sqlite_engine):
    e = sqlite_engine
    with time_machine.travel(sh(2026, 3, 2, 10, 0), tick=False) as tm:
        deploy(e, CLOCK_BPMN)
        case = e.start_case(process_key="timer_clocks", actor="alice")
        # handling due 05-06 23:59:59 (May Day roll-forward); warning 05-03 23:59:59.
        assert case.variables["clock_handling"]["due"] == "2026-05-06T23:59:59+08:00"
        assert next_timer(e, case.id) == sh(2026, 5, 3, 23, 59, 59)

        tm.move_to(sh(2026, 5, 3, 23, 59, 58))
        assert fire_due(e) == 0
        assert task_names(e, case.id) == ["办理"]

        tm.move_to(sh(2026, 5, 4, 0, 0, 0))
        assert fire_due(e) == 1
        assert [ev.data["activity_id"] for ev in fired_events(e, case.id)] == ["warn"]
        assert task_names(e, case.id) == ["临期提醒", "办理"]
        assert next_timer(e, case.id) == sh(2026, 5, 6, 23, 59, 59)

        tm.move_to(sh(2026, 5, 6, 23, 59, 59))   # on the due instant: still on time
        assert fire_due(e) == 0
        assert task_names(e, case.id) == ["临期提醒", "办理"]

        tm.move_to(sh(2026, 5, 7, 0, 0, 0))
        assert fire_due(e) == 1
        assert task_names(e, case.id) == ["临期提醒", "督办"]
        assert next_timer(e, case.id) is None


def test_extension_moves_the_warning_and_the_escalation(sqlite_engine):
    e = sqlite_engine
    with time_machine.travel(sh(2026, 3, 2, 10, 0), tick=False) as tm:
        deploy(e, CLOCK_BPMN)
        case = e.start_case(process_key="timer_clocks", actor="alice")
        tm.move_to(sh(2026, 4, 20, 9, 0))
        (task,) = e.list_tasks(case_id=case.id)
        after = e.complete_task(task.id, {"action": "extend"}, "alice", validate_form=False)
        # 05-06 + 30 = Fri 06-05: warning 06-02 23:59:59, escalation after 06-05 23:59:59.
        assert after.variables["clock_handling"]["due"] == "2026-06-05T23:59:59+08:00"
        assert next_timer(e, case.id) == sh(2026, 6, 2, 23, 59, 59)

        tm.move_to(sh(2026, 5, 7, 0, 0, 0))     # the old due has passed: nothing fires
        assert fire_due(e) == 0
        assert task_names(e, case.id) == ["办理"]

        tm.move_to(sh(2026, 6, 3, 0, 0, 0))
        assert fire_due(e) == 1
        assert task_names(e, case.id) == ["临期提醒", "办理"]

        tm.move_to(sh(2026, 6, 6, 0, 0, 0))
        assert fire_due(e) == 1
        assert task_names(e, case.id) == ["临期提醒", "督办"]
    with e.sessions() as s:
        kinds = [ev.kind for ev in s.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.id))]
    assert kinds.count("clock_started") == 1 and kinds.count("clock_extended") == 1


def test_extension_in_a_parallel_branch_moves_the_waiting_escalation(sqlite_engine):
    e = sqlite_engine
    with time_machine.travel(sh(2026, 3, 2, 10, 0), tick=False):
        deploy(e, PARALLEL_BPMN)
        case = e.start_case(process_key="timer_parallel", actor="alice")
        assert next_timer(e, case.id) == sh(2026, 5, 6, 23, 59, 59)
        (ask,) = [t for t in e.list_tasks(case_id=case.id) if t.name == "延期审批"]
        e.complete_task(ask.id, {}, "alice", validate_form=False)
        assert next_timer(e, case.id) == sh(2026, 6, 5, 23, 59, 59)


def test_restart_after_the_due_time_fires_the_escalation_once(sqlite_url):
    first = _engine_on(sqlite_url)
    with time_machine.travel(sh(2026, 3, 2, 10, 0), tick=False) as tm:
        deploy(first, CLOCK_BPMN)
        case = first.start_case(process_key="timer_clocks", actor="alice")
        first.db.dispose()                       # the system goes down …
        tm.move_to(sh(2026, 5, 20, 8, 0))        # … and comes back two weeks after the due
        restarted = _engine_on(sqlite_url)
        total = fire_due(restarted)
        assert fire_due(restarted) == 0
        again = _engine_on(sqlite_url)           # a second restart fires nothing more
        assert fire_due(again) == 0
        assert total >= 1
        assert len(fired_events(again, case.id, "escalate")) == 1
        assert "督办" in task_names(again, case.id)
        restarted.db.dispose()
        again.db.dispose()


# --- real time: concurrency and the scheduler ----------------------------------------

def start_waiting_cases(engine, n: int, at: datetime) -> list[str]:
    return [engine.start_case(process_key="timer_at", variables={"fire_at": at.isoformat()}, actor="t").id
            for _ in range(n)]


def test_two_concurrent_fire_due_runs_fire_each_timer_exactly_once(engine, db_url):
    deploy(engine, AT_BPMN)
    at = datetime.now(timezone.utc) + timedelta(seconds=1)
    ids = start_waiting_cases(engine, 8, at)
    assert wait_until(lambda: datetime.now(timezone.utc) > at + timedelta(milliseconds=50), timeout=5)
    workers = [_engine_on(db_url), _engine_on(db_url)]   # separate pools and caches, like processes
    barrier = threading.Barrier(len(workers))
    counts: list[int] = []
    errors: list[BaseException] = []

    def run(w):
        try:
            barrier.wait()
            counts.append(fire_due(w))
        except BaseException as exc:  # surfaced below; a thread must not swallow it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for w in workers:
        w.db.dispose()
    assert not errors
    assert sum(counts) == len(ids)
    for case_id in ids:
        assert len(fired_events(engine, case_id)) == 1
        assert task_names(engine, case_id) == ["跟进"]


def test_one_broken_case_is_logged_and_the_others_still_fire(sqlite_engine, caplog):
    e = sqlite_engine
    deploy(e, AT_BPMN)
    at = datetime.now(timezone.utc) + timedelta(milliseconds=300)
    good, bad = start_waiting_cases(e, 2, at)
    with e.unit_of_work() as s:
        s.execute(update(CaseState).where(CaseState.case_id == bad).values(state=b"{not a workflow"))
    e.evict_cache()
    assert wait_until(lambda: datetime.now(timezone.utc) > at + timedelta(milliseconds=50), timeout=5)
    with caplog.at_level(logging.ERROR, logger="engine.timers"):
        assert fire_due(e) == 1
    assert task_names(e, good) == ["跟进"]
    assert any(bad in r.getMessage() for r in caplog.records)


def test_scheduler_wakes_at_the_due_time_of_a_timer_armed_after_it_started(sqlite_engine):
    e = sqlite_engine
    deploy(e, AT_BPMN)
    scheduler = TimerScheduler(e, max_sleep=30)
    scheduler.start()
    try:
        # After its first run on an idle database it sleeps up to max_sleep.
        assert wait_until(lambda: scheduler.runs >= 1
                          and scheduler.planned > datetime.now(timezone.utc) + timedelta(seconds=20))
        at = datetime.now(timezone.utc) + timedelta(seconds=1)
        (case_id,) = start_waiting_cases(e, 1, at)   # the commit pokes the scheduler
        assert scheduler.planned < at + timedelta(seconds=0.1)
        assert wait_until(lambda: fired_events(e, case_id), timeout=5)
        delay = (fired_events(e, case_id)[0].at - at).total_seconds()
        assert 0 <= delay < 1.0
    finally:
        scheduler.shutdown()
    assert task_names(e, case_id) == ["跟进"]


def test_scheduler_started_after_downtime_fires_overdue_timers_once(sqlite_engine):
    e = sqlite_engine
    deploy(e, AT_BPMN)
    at = datetime.now(timezone.utc) + timedelta(milliseconds=300)
    ids = start_waiting_cases(e, 3, at)
    assert wait_until(lambda: datetime.now(timezone.utc) > at + timedelta(milliseconds=300), timeout=5)
    scheduler = TimerScheduler(e)
    scheduler.start()
    try:
        assert wait_until(lambda: all(fired_events(e, c) for c in ids), timeout=5)
        assert wait_until(lambda: scheduler.runs >= 1 and scheduler.planned > datetime.now(timezone.utc))
    finally:
        scheduler.shutdown()
    assert all(len(fired_events(e, c)) == 1 for c in ids)
    with e.sessions() as s:
        assert next_due_at(s) is None
