"""The evaluation worker: a small interpreter that runs designer code under OS limits.

Started by :mod:`engine.evaluation.pool` as ``python -I <this file>`` with pipes on
stdin and stdout and nothing else open.  It imports what evaluation needs (the sandbox,
the pure helper functions and their data modules; no SpiffWorkflow, SQLAlchemy or
Flask), reads its configuration, and then, before it reads any designer code:

* gives up root if it has it (the user ``nobody``: a process limit binds it, a file it
  could reach is not the server's);
* sets ``RLIMIT_AS`` (address space), ``RLIMIT_CPU`` (re-armed per request),
  ``RLIMIT_NOFILE`` (no new file or socket), ``RLIMIT_FSIZE`` (no file grows),
  ``RLIMIT_NPROC`` (no child process) and ``RLIMIT_CORE`` (no core dump).

Then it answers requests until stdin closes.  Messages are 4-byte big-endian lengths
followed by tagged JSON (:mod:`engine.evaluation.codec`).  A request::

    {"now": datetime, "reference": {...} | null, "jobs": [job, ...]}

where a job is ``{"op": "eval" | "exec", "code": [python, internal], "vars": {...},
"external": {...}}`` or ``{"op": "decide", "table": {...}, "vars": {...}}``; the answer
is ``{"results": [{"ok": value} | {"error": {"type", "message", "line"}}, ...]}``.
"""
from __future__ import annotations

import os
import struct
import sys

if __name__ == "__main__":  # run as a file under -I: the project root is not on sys.path
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import resource  # noqa: E402

# Modules Python would otherwise import lazily (and could not: no file may be opened).
import _strptime  # noqa: E402,F401
import decimal  # noqa: E402,F401
import encodings.idna  # noqa: E402,F401
import json  # noqa: E402,F401
import unicodedata  # noqa: E402,F401

from engine import sandbox  # noqa: E402
from engine.errors import ScriptError  # noqa: E402
from engine.evaluation import codec, decide, functions  # noqa: E402

NOBODY = 65534
HEADER = struct.Struct(">I")
LIFETIME_CPU_SECONDS = 600  # then the worker retires and the pool starts a fresh one


def _read_exactly(stream, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_message(stream):
    """The next message, or None at end of input."""
    header = _read_exactly(stream, HEADER.size)
    if header is None:
        return None
    body = _read_exactly(stream, HEADER.unpack(header)[0])
    return None if body is None else codec.loads(body)


def write_message(stream, message) -> None:
    data = codec.dumps(message)
    stream.write(HEADER.pack(len(data)) + data)
    stream.flush()


def drop_privileges() -> None:
    """Run as nobody when started as root (root ignores RLIMIT_NPROC)."""
    if os.geteuid() != 0:
        return
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)


def set_limits(memory_mb: int) -> None:
    """The OS limits of docs/architecture.md, "Isolation of designer code"."""
    limit_bytes = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    highest = max(sys.stdin.fileno(), sys.stdout.fileno(), 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (highest + 1, highest + 1))
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    used = _cpu_used()
    hard = used + LIFETIME_CPU_SECONDS
    resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))


def _cpu_used() -> int:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return int(usage.ru_utime + usage.ru_stime) + 1


def arm_cpu_limit(cpu_seconds: int) -> bool:
    """Allow ``cpu_seconds`` more CPU (and a second) for this request; False when the lifetime budget is spent.

    CPU time never exceeds wall time, so with ``cpu_seconds`` >= the wall-clock timeout the
    engine's deadline always comes first; this limit is the backstop for a stalled engine.
    """
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = _cpu_used() + cpu_seconds + 1
    if soft >= hard:
        return False
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    return True


def _error(exc: ScriptError) -> dict:
    kind = ("decision" if isinstance(exc, decide.CellProblem) else
            "refused" if isinstance(exc, sandbox.ScriptRefused) else
            "limit" if isinstance(exc, sandbox.ScriptLimitExceeded) else "error")
    return {"error": {"type": kind, "message": exc.message, "line": getattr(exc, "line", None)}}


class Evaluator:
    """Runs the jobs of one request with the worker's sandbox."""

    def __init__(self, memory_mb: int, timeout: float):
        self.memory_mb = memory_mb
        self.box = sandbox.Sandbox(functions.script_functions(), sandbox.Limits(timeout=timeout))
        self.reference_key = None
        self.out_of_memory = False

    def run_job(self, job: dict):
        op = job["op"]
        if op == "decide":
            return decide.match(job["table"], job["vars"], self.box)
        python, internal = job["code"]
        compiled = sandbox.compile_source(python, op, internal)
        if op == "eval":
            return self.box.run(compiled, self.box.namespace(job["vars"], job.get("external")))
        context = dict(job["vars"])
        self.box.execute_compiled(compiled, context, job.get("external"))
        return {"set": context, "del": [name for name in job["vars"] if name not in context]}

    def answer(self, request: dict) -> dict:
        functions.pin_time(request["now"])
        if request.get("reference") is not None:
            functions.install_reference(request["reference"])
        results = []
        for job in request["jobs"]:
            try:
                value = self.run_job(job)
                results.append({"ok": codec.encode(value, "the result")})
            except ScriptError as exc:
                if "out of memory" in exc.message:
                    self.out_of_memory = True
                    exc = sandbox.ScriptLimitExceeded(
                        f"stopped: out of memory (the evaluation worker's limit is {self.memory_mb} MB)")
                results.append(_error(exc))
            except codec.CodecError as exc:
                results.append({"error": {"type": "error", "message": str(exc), "line": None}})
            except MemoryError:
                self.out_of_memory = True
                results.append(_error(sandbox.ScriptLimitExceeded(
                    f"stopped: out of memory (the evaluation worker's limit is {self.memory_mb} MB)")))
        return {"results": results}


def main() -> None:
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    config = read_message(stdin)
    if config is None:
        return
    functions.use_pinned_time_in_clocks()
    evaluator = Evaluator(config["memory_mb"], config["timeout"])
    drop_privileges()
    set_limits(config["memory_mb"])
    write_message(stdout, {"ready": os.getpid()})
    while True:
        request = read_message(stdin)
        if request is None:
            return
        if not arm_cpu_limit(config["cpu_seconds"]):
            write_message(stdout, {"retire": True})
            return
        try:
            reply = evaluator.answer(request)
            data = codec.dumps(reply)
        except MemoryError:
            evaluator.out_of_memory = True
            data = codec.dumps({"results": [_error(sandbox.ScriptLimitExceeded(
                f"stopped: out of memory (the evaluation worker's limit is {config['memory_mb']} MB)"))]})
        if evaluator.out_of_memory:
            # a process that ran out of memory once is not trusted with the next request
            data = data[:-1] + b',"retire":true}'
        stdout.write(HEADER.pack(len(data)) + data)
        stdout.flush()
        if evaluator.out_of_memory:
            return


if __name__ == "__main__":
    main()
