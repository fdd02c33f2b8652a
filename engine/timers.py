"""Timers: fire what is due, from due times kept in the database.

The due instant of every case's earliest waiting timer is ``cases.next_timer_at``
(written by the engine core after each step). ``fire_due()`` is the one idempotent
entry point: the APScheduler job, ``xinfang timers fire`` and tests all call it.

Exactly once, in several processes at once:

* PostgreSQL: each candidate is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` and
  re-checked (still due?) in a short transaction, so a worker skips a case another
  worker is advancing instead of queueing behind it.
* Every backend: ``Engine.advance_timers`` locks the case again (FOR UPDATE; SQLite's
  BEGIN IMMEDIATE holds the write lock), reloads the workflow and guards the save with
  the case's version column. A worker that gets there second finds the timer already
  completed and fires nothing.

After a restart nothing is lost: timers that came due while the system was down have
``next_timer_at`` in the past and fire on the first run, once.

``TimerScheduler`` wakes at ``min(next_timer_at)`` (plus a few milliseconds: SpiffWorkflow
fires a timer only once ``now`` is strictly past its instant), calls ``fire_due`` and
re-arms itself. Commands that set an earlier timer call ``poke()`` (the core runs its
``after_commit`` hooks). A timer armed by *another* process is seen by that process's
own scheduler, or at the latest after ``max_sleep`` seconds.
"""
from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from engine.errors import Conflict

log = logging.getLogger(__name__)

JOB_ID = "xinfang-fire-due"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def due_case_ids(session, now: datetime, limit: int | None = None) -> list[str]:
    """Ids of running cases whose earliest timer is due at ``now``, oldest first."""
    from persistence.models import Case

    q = (select(Case.id)
         .where(Case.status == "running", Case.next_timer_at.is_not(None), Case.next_timer_at <= now)
         .order_by(Case.next_timer_at))
    if limit:
        q = q.limit(limit)
    return list(session.scalars(q))


def next_due_at(session) -> datetime | None:
    """The earliest ``next_timer_at`` of any running case, or None."""
    from persistence.models import Case

    return session.scalar(select(func.min(Case.next_timer_at)).where(
        Case.status == "running", Case.next_timer_at.is_not(None)))


def _claim(engine, case_id: str, now: datetime) -> bool:
    """True when the case is still due and no other worker holds it right now."""
    from persistence.models import Case

    with engine.sessions() as s, s.begin():
        q = select(Case.id).where(Case.id == case_id, Case.status == "running",
                                  Case.next_timer_at.is_not(None), Case.next_timer_at <= now)
        if s.get_bind().dialect.name == "postgresql":
            # Skip, don't wait: another worker advancing this case will fire its timers.
            q = q.with_for_update(skip_locked=True)
        return s.scalar(q) is not None


def fire_due(engine, now: datetime | None = None, *, batch: int = 500) -> int:
    """Fire every due timer of every case; returns how many timers fired."""
    now = now or _utcnow()
    with engine.sessions() as s:
        candidates = due_case_ids(s, now, batch)
    fired = 0
    for case_id in candidates:
        try:
            if not _claim(engine, case_id, now):
                continue
            n = engine.advance_timers(case_id, now)
        except Conflict as exc:
            # Another worker saved this case first; its run fired the timer.
            log.info("timers: case %s changed underneath (%s); skipped", case_id, exc)
            continue
        except Exception:
            # One broken case (bad expression, corrupt state) must not stop the others.
            log.exception("timers: advancing case %s failed", case_id)
            continue
        if n:
            log.info("timers: case %s fired %d timer(s)", case_id, n)
        fired += n
    return fired


class TimerScheduler:
    """APScheduler job that sleeps until the next due timer, then calls ``fire_due``."""

    def __init__(self, engine, *, max_sleep: float = 30.0, slack: float = 0.005,
                 retry_after: float = 1.0):
        from apscheduler.schedulers.background import BackgroundScheduler

        self.engine = engine
        self.max_sleep = max_sleep
        self.slack = slack
        self.retry_after = retry_after
        self.scheduler = BackgroundScheduler(timezone=timezone.utc)
        self._lock = threading.Lock()
        self._planned: datetime | None = None
        self._stopping = False
        self.runs = 0
        self.fired = 0

    def start(self) -> None:
        """Start the background thread, fire anything already due, and hook into commits."""
        self.scheduler.start()
        self._plan(_utcnow())
        if self.poke not in self.engine.after_commit:
            self.engine.after_commit.append(self.poke)

    def shutdown(self, wait: bool = True) -> None:
        """Stop the thread; pending timers stay in the database for the next start."""
        if self.poke in self.engine.after_commit:
            self.engine.after_commit.remove(self.poke)
        # APScheduler's shutdown(wait=True) holds its job-store lock while it joins the
        # worker thread; a running job re-arming itself would wait on that lock for ever.
        # Taking our lock first lets an add_job in progress finish, and no new one starts.
        with self._lock:
            self._stopping = True
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)

    @property
    def planned(self) -> datetime | None:
        """When the job will next run."""
        return self._planned

    def poke(self) -> None:
        """Re-read the earliest due time; wake earlier if a command armed an earlier timer."""
        if not self.scheduler.running:
            return
        try:
            self._schedule_next(only_if_earlier=True)
        except Exception:
            log.exception("timers: poke failed")

    def _run(self) -> None:
        self.runs += 1
        try:
            self.fired += fire_due(self.engine)
        except Exception:
            log.exception("timers: fire_due failed")
        finally:
            try:
                self._schedule_next(after_run=True)
            except Exception:
                log.exception("timers: rescheduling failed; retrying in %.0fs", self.max_sleep)
                self._plan(_utcnow() + timedelta(seconds=self.max_sleep))

    def _schedule_next(self, only_if_earlier: bool = False, after_run: bool = False) -> None:
        with self.engine.sessions() as s:
            nxt = next_due_at(s)
        now = _utcnow()
        latest = now + timedelta(seconds=self.max_sleep)
        if nxt is None:
            when = latest
        elif after_run and nxt <= now:
            # Still due right after a run: the case failed or Spiff did not consider it due
            # yet. Back off instead of spinning.
            when = now + timedelta(seconds=self.retry_after)
        else:
            when = min(max(nxt + timedelta(seconds=self.slack), now), latest)
        with self._lock:
            if only_if_earlier and self._planned is not None and self._planned <= when:
                return
        self._plan(when)

    def _plan(self, when: datetime) -> None:
        with self._lock:
            if self._stopping:
                return
            self._planned = when
            # A date job per wake-up; replace_existing keeps exactly one pending.
            self.scheduler.add_job(self._run, "date", run_date=when, id=JOB_ID, replace_existing=True,
                                   misfire_grace_time=None, coalesce=True, max_instances=1)
