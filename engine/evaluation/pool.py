"""The engine's side of evaluation: a pool of worker processes, deadlines, replacement.

A thread that needs designer code evaluated takes an idle worker (starting one when
fewer than ``WorkerLimits.workers`` run), sends one request holding all the jobs of
that step, and waits for the answer until the wall-clock deadline.  A worker that
overruns is killed and forgotten; one that dies is forgotten; either way the next
request starts a fresh one, and the jobs of the failed request become
:class:`ScriptLimitExceeded` errors naming the limit that was hit.
"""
from __future__ import annotations

import atexit
import logging
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from engine.errors import ScriptError
from engine.evaluation import codec, functions
from engine.sandbox import ScriptLimitExceeded, ScriptRefused

log = logging.getLogger(__name__)

WORKER = Path(__file__).with_name("worker.py")
HEADER = struct.Struct(">I")
GRACE_SECONDS = 0.5  # the sandbox's own timeout answers first, with a friendlier message


@dataclass(frozen=True)
class WorkerLimits:
    """How much one request to an evaluation worker may use (docs/architecture.md)."""

    timeout: float = 2.0          # wall-clock seconds per request; the worker is killed after
    cpu_seconds: int = 2          # RLIMIT_CPU per request (whole seconds, the OS's unit)
    memory_mb: int = 256          # RLIMIT_AS of each worker
    workers: int = 2              # at most this many workers run at once
    max_reply_mb: int = 16        # a larger answer is refused (and the worker replaced)

    def __post_init__(self):
        if self.timeout <= 0 or self.cpu_seconds < 1 or self.memory_mb < 64 or self.workers < 1:
            raise ValueError(f"unusable evaluation limits: {self}")
        if self.cpu_seconds + 1 < self.timeout + GRACE_SECONDS:
            raise ValueError(f"cpu_seconds must be at least the timeout less {1 - GRACE_SECONDS:g} s: {self}")


class WorkerDied(Exception):
    """The worker ended or broke the protocol; the message says how."""


class _Worker:
    """One worker process and what the engine knows about it."""

    def __init__(self, limits: WorkerLimits):
        self.limits = limits
        self.process = subprocess.Popen(
            [sys.executable, "-I", str(WORKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, close_fds=True, bufsize=0)
        self.reference = None  # the reference objects this worker last received
        self.retired = False
        self.send({"memory_mb": limits.memory_mb, "cpu_seconds": limits.cpu_seconds, "timeout": limits.timeout})
        # imports take a while on a busy machine; the limits are not yet in force here
        ready = self.receive(time.monotonic() + max(30.0, limits.timeout))
        if "ready" not in ready:
            raise WorkerDied(f"the evaluation worker did not start: {ready!r}")

    def send(self, message) -> None:
        data = codec.dumps(message)
        try:
            self.process.stdin.write(HEADER.pack(len(data)) + data)
        except (BrokenPipeError, OSError):
            raise WorkerDied(self._ended()) from None

    def _read(self, n: int, deadline: float) -> bytes:
        fd, data = self.process.stdout.fileno(), b""
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        while len(data) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not poller.poll(remaining * 1000):
                raise TimeoutError
            chunk = os.read(fd, min(n - len(data), 1 << 20))
            if not chunk:
                raise WorkerDied(self._ended())
            data += chunk
        return data

    def receive(self, deadline: float):
        (size,) = HEADER.unpack(self._read(HEADER.size, deadline))
        if size > self.limits.max_reply_mb * 1024 * 1024:
            raise WorkerDied(f"its answer is larger than {self.limits.max_reply_mb} MB")
        try:
            return codec.loads(self._read(size, deadline))
        except codec.CodecError as exc:
            raise WorkerDied(f"it answered a malformed message ({exc})") from None

    def _ended(self) -> str:
        try:
            code = self.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return "it stopped answering"
        if code == -signal.SIGXCPU or code == -signal.SIGKILL:
            return f"it used more than its {self.limits.cpu_seconds} s of CPU"
        if code < 0:
            name = signal.Signals(-code).name
            return f"it was ended by {name}, most likely at its memory limit of {self.limits.memory_mb} MB"
        return f"it exited with status {code}"

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            log.warning("evaluation worker %s did not end when killed", self.process.pid)
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def close(self) -> None:
        """Ask the worker to end (end of input), kill it if it does not."""
        try:
            self.process.stdin.close()
            self.process.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


class WorkerPool:
    """Up to ``limits.workers`` evaluation workers shared by the engine's threads."""

    def __init__(self, limits: WorkerLimits | None = None):
        self.limits = limits or WorkerLimits()
        self._lock = threading.Condition()
        self._idle: list[_Worker] = []
        self._running = 0
        self._pid = os.getpid()
        self._closed = False
        self.started = 0   # workers started so far (tests and the benchmark read these)
        self.killed = 0    # killed at the wall-clock deadline
        self.replaced = 0  # killed, died or broke the protocol: the next request starts a fresh one

    # ------------------------------------------------------------------ workers
    def _take(self) -> _Worker:
        with self._lock:
            if self._pid != os.getpid():  # forked (e.g. a pre-forking server): start afresh here
                self._idle, self._running, self._pid = [], 0, os.getpid()
            while not self._idle and self._running >= self.limits.workers:
                self._lock.wait()
            if self._idle:
                return self._idle.pop()
            self._running += 1
        try:
            worker = _Worker(self.limits)
        except BaseException:
            self._forget()
            raise
        with self._lock:
            self.started += 1
        return worker

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if self._closed or worker.retired:
                self._running -= 1
                self._lock.notify()
                threading.Thread(target=worker.close, daemon=True).start()
                return
            self._idle.append(worker)
            self._lock.notify()

    def _forget(self) -> None:
        with self._lock:
            self._running -= 1
            self._lock.notify()

    def start_workers(self, count: int | None = None) -> None:
        """Start idle workers now (up to ``count``, default all), so no request waits for one."""
        wanted = min(count or self.limits.workers, self.limits.workers)
        taken = []
        try:
            while len(taken) < wanted:
                with self._lock:
                    if len(taken) + self._running - len(self._idle) >= self.limits.workers:
                        break
                taken.append(self._take())
        finally:
            for worker in taken:
                self._give_back(worker)

    def idle_pids(self) -> list[int]:
        """Process ids of the idle workers (for operators and tests)."""
        with self._lock:
            return [w.process.pid for w in self._idle]

    def busy(self) -> int:
        """How many workers are answering a request right now."""
        with self._lock:
            return self._running - len(self._idle)

    def close(self) -> None:
        """End every idle worker; busy ones end when their request is answered."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._running -= len(idle)
        for worker in idle:
            worker.close()

    # ------------------------------------------------------------------ requests
    def run(self, jobs: list[dict]) -> list[dict]:
        """Send ``jobs`` as one request; one ``{"ok": value}`` or ``{"error": {...}}`` per job."""
        now = datetime.now(timezone.utc)
        reference = functions.reference_objects()
        worker = self._take()
        try:
            message = {"now": codec.encode(now), "jobs": jobs,
                       "reference": None if _same(worker.reference, reference)
                       else functions.export_reference(reference)}
            worker.send(message)
            reply = worker.receive(time.monotonic() + self.limits.timeout + GRACE_SECONDS)
        except TimeoutError:
            worker.kill()
            with self._lock:
                self.killed += 1
                self.replaced += 1
            self._forget()
            return [_limit(f"stopped after {self.limits.timeout:g} s: the evaluation worker's wall-clock "
                           f"limit (the worker was stopped and replaced)")] * len(jobs)
        except WorkerDied as exc:
            worker.kill()
            with self._lock:
                self.replaced += 1
            self._forget()
            return [_limit(f"stopped: the evaluation worker ended because {exc} "
                           f"(it was replaced)")] * len(jobs)
        except BaseException:
            worker.kill()
            self._forget()
            raise
        worker.reference = reference
        if reply.get("retire"):
            worker.retired = True
        self._give_back(worker)
        results = reply.get("results")
        if not isinstance(results, list):
            return [_limit("the evaluation worker retired before answering; try again")] * len(jobs)
        if len(results) < len(jobs):  # out of memory while answering: the rest failed the same way
            results = results + [results[-1] if results else _limit("no answer")] * (len(jobs) - len(results))
        return results


def _same(known, current) -> bool:
    return known is not None and all(a is b for a, b in zip(known, current))


def _limit(message: str) -> dict:
    return {"error": {"type": "limit", "message": message, "line": None}}


ERRORS: dict[str, type[ScriptError]] = {"refused": ScriptRefused, "limit": ScriptLimitExceeded, "error": ScriptError}


def raise_error(error: dict) -> None:
    """Raise the ScriptError a worker reported."""
    exception = ERRORS.get(error.get("type"), ScriptError)(str(error.get("message")))
    exception.line = error.get("line")
    raise exception


# --------------------------------------------------------------------------- shared pools

_pools: dict[WorkerLimits, WorkerPool] = {}
_pools_lock = threading.Lock()


def pool_for(limits: WorkerLimits | None = None) -> WorkerPool:
    """The process's pool for these limits (one per distinct limits, started lazily)."""
    limits = limits or WorkerLimits()
    with _pools_lock:
        pool = _pools.get(limits)
        if pool is None or pool._closed:
            pool = _pools[limits] = WorkerPool(limits)
        return pool


@atexit.register
def _close_pools() -> None:
    for pool in list(_pools.values()):
        pool.close()
