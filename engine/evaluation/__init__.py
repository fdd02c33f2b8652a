"""Designer code runs here: in worker processes with OS limits, never in the server.

Every evaluation of what a process designer wrote — gateway conditions, JUEL/FEEL
values, ``camunda:assignee``/``candidateGroups``/``dueDate`` expressions, timer
expressions, script tasks, DMN input expressions and entries — is sent to a worker
process of :class:`WorkerPool` (``pool.py``).  The worker (``worker.py``) is a fresh
small interpreter that sets its limits before it reads any code; the server enforces a
wall-clock deadline and replaces a worker that overruns or dies.  Only tagged JSON data
crosses (``codec.py``); the helper functions designers call run inside the worker as
pure code (``functions.py``), and so does the designer-written part of a DMN table
(``decide.py``).  docs/architecture.md, "Isolation of designer code", has the whole
design and its limits.
"""
from engine.evaluation.pool import WorkerLimits, WorkerPool, pool_for, raise_error

__all__ = ["WorkerLimits", "WorkerPool", "pool_for", "raise_error"]
