"""Many open cases fast, for ``xinfang bench scale``: real cases cloned in bulk.

A few dozen petitions are first driven through the real Engine by the demo loader
(engine/demo.py), so every stage (登记, 分类交转, 签收, 办理, 复查, 复核, 督办 …) has
cases whose rows — case, workflow state, tasks and their candidates, involved units,
clocks, events — are exactly what the engine writes. The open ones are then copied
round-robin with fresh ids until the database holds the requested number of open
cases: each copy gets new case and task ids (the task ids inside the workflow state
are renamed the same way, so a copied task can still be completed), its own case
number and matter key, and the template's clocks, units and history. Rows go in by
multi-row INSERTs in batches, a few thousand cases per transaction.

Nothing here is used by the product at run time.
"""
from __future__ import annotations

import json
import random
import re
import time
import uuid
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import func, insert, select

from persistence.case_search import CaseSearchRow
from persistence.models import Case, CaseState, CaseUnit, Event, Task, TaskCandidate
from persistence.models_clocks import Clock

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BATCH = 2000  # cases per transaction
CASE_NO_PREFIX = "XFS"


@dataclass
class Template:
    """One open case as the engine left it, ready to be copied."""

    case: dict[str, Any]
    state_parts: list[str]  # decompressed state split around the placeholders
    state_keys: list[str]  # the placeholder between parts[i] and parts[i+1]
    tasks: list[dict[str, Any]]
    candidates: list[dict[str, Any]]
    units: list[dict[str, Any]]
    clocks: list[dict[str, Any]]
    events: list[dict[str, Any]]
    search: list[dict[str, Any]]
    ids: list[str] = field(default_factory=list)  # every uuid the case's rows mention


def _split(text: str, literals: dict[str, str]) -> tuple[list[str], list[str]]:
    """``text`` cut at every uuid and at each literal (case number, matter key)."""
    alternatives = [UUID_RE.pattern] + [re.escape(v) for v in literals if v]
    pattern = re.compile("|".join(f"(?:{a})" for a in alternatives))
    parts, keys, pos = [], [], 0
    for m in pattern.finditer(text):
        parts.append(text[pos:m.start()])
        keys.append(m.group(0))
        pos = m.end()
    parts.append(text[pos:])
    return parts, keys


def load_templates(engine) -> list[Template]:
    """The running cases of the database with all their rows."""
    out = []
    with engine.unit_of_work(read_only=True) as s:
        conn = s.connection()
        cases = [dict(r) for r in conn.execute(select(Case.__table__).where(Case.status == "running")).mappings()]
        ids = [c["id"] for c in cases]
        by_case: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for name, table in (("tasks", Task.__table__), ("units", CaseUnit.__table__),
                            ("clocks", Clock.__table__), ("events", Event.__table__),
                            ("search", CaseSearchRow.__table__)):
            for r in conn.execute(select(table).where(table.c.case_id.in_(ids))).mappings():
                row = dict(r)
                row.pop("id", None) if name in ("clocks", "events") else None
                by_case[row["case_id"]][name].append(row)
        states = {r.case_id: r for r in conn.execute(select(CaseState.__table__).where(
            CaseState.case_id.in_(ids)))}
        task_ids = [t["id"] for rows in by_case.values() for t in rows["tasks"]]
        candidates: dict[str, list] = defaultdict(list)
        for r in conn.execute(select(TaskCandidate.__table__).where(
                TaskCandidate.task_id.in_(task_ids))).mappings():
            candidates[r["task_id"]].append(dict(r))
    for c in cases:
        stored = states.get(c["id"])
        if stored is None:
            continue
        c["serializer_version"] = stored.serializer_version
        rows = by_case[c["id"]]
        text = zlib.decompress(stored.state).decode("utf-8")
        literals = {c["business_key"] or "": "case_no", c["matter_key"] or "": "matter_key"}
        parts, keys = _split(text, literals)
        ids = sorted({k for k in keys if UUID_RE.fullmatch(k)} | {c["id"]} | {t["id"] for t in rows["tasks"]})
        out.append(Template(case=c, state_parts=parts, state_keys=keys, tasks=rows["tasks"],
                            candidates=[x for t in rows["tasks"] for x in candidates[t["id"]]],
                            units=rows["units"], clocks=rows["clocks"], events=rows["events"],
                            search=rows["search"], ids=ids))
    return out


def _renamed(value: Any, mapping: dict[str, str]) -> Any:
    """A JSON-able value with every uuid and literal of ``mapping`` replaced."""
    if isinstance(value, str):
        return mapping.get(value) or UUID_RE.sub(lambda m: mapping.get(m.group(0), m.group(0)), value)
    if isinstance(value, list):
        return [_renamed(v, mapping) for v in value]
    if isinstance(value, dict):
        return {k: _renamed(v, mapping) for k, v in value.items()}
    return value


def _copy(t: Template, number: int) -> dict[str, list[dict[str, Any]]]:
    """The rows of one copy of ``t`` with fresh ids, case number ``number``."""
    mapping = {old: str(uuid.uuid4()) for old in t.ids}
    case_no = f"{CASE_NO_PREFIX}{number:07d}"
    if t.case["business_key"]:
        mapping[t.case["business_key"]] = case_no
    if t.case["matter_key"]:
        mapping[t.case["matter_key"]] = uuid.uuid4().hex + uuid.uuid4().hex[:8]
    pieces = [t.state_parts[0]]
    for key, part in zip(t.state_keys, t.state_parts[1:]):
        pieces.append(mapping.get(key, key))
        pieces.append(part)
    case = dict(t.case)
    serializer_version = case.pop("serializer_version")
    case.update(id=mapping[t.case["id"]], business_key=case_no if t.case["business_key"] else None,
                matter_key=mapping.get(t.case["matter_key"]) if t.case["matter_key"] else None,
                summary=_renamed(t.case["summary"] or {}, mapping))
    new_id = case["id"]
    state = {"case_id": new_id, "state": zlib.compress("".join(pieces).encode("utf-8"), 1),
             "serializer_version": serializer_version}

    def rows(items: list[dict], **changes) -> list[dict]:
        return [{**r, **{k: f(r) for k, f in changes.items()}} for r in items]

    return {
        "cases": [case],
        "states": [state],
        "tasks": rows(t.tasks, id=lambda r: mapping[r["id"]], case_id=lambda r: new_id),
        "candidates": rows(t.candidates, task_id=lambda r: mapping[r["task_id"]]),
        "units": rows(t.units, case_id=lambda r: new_id),
        "clocks": rows(t.clocks, case_id=lambda r: new_id),
        "events": rows(t.events, case_id=lambda r: new_id, data=lambda r: _renamed(r["data"], mapping)),
        "search": [_renamed({**r, "case_id": t.case["id"]}, mapping) for r in t.search],
    }


TABLES = (("cases", Case.__table__), ("states", CaseState.__table__), ("tasks", Task.__table__), ("candidates", TaskCandidate.__table__),
          ("units", CaseUnit.__table__), ("clocks", Clock.__table__), ("events", Event.__table__),
          ("search", CaseSearchRow.__table__))


def count_open_cases(engine) -> int:
    """Running cases in the database."""
    with engine.unit_of_work(read_only=True) as s:
        return s.scalar(select(func.count()).select_from(Case).where(Case.status == "running")) or 0


def clone_open_cases(engine, target_open: int, *, seed: int = 14,
                     echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Copy the database's open cases until ``target_open`` cases are open; returns what was written."""
    began = time.perf_counter()
    templates = load_templates(engine)
    if not templates:
        raise RuntimeError("no open case to copy: load some cases through the engine first")
    missing = target_open - count_open_cases(engine)
    rng = random.Random(seed)
    order = list(range(len(templates)))
    written: dict[str, int] = defaultdict(int)
    done = 0
    while done < missing:
        batch: dict[str, list] = defaultdict(list)
        for i in range(done, min(missing, done + BATCH)):
            if i % len(order) == 0:
                rng.shuffle(order)
            for name, rows in _copy(templates[order[i % len(order)]], i + 1).items():
                batch[name].extend(rows)
        with engine.unit_of_work() as s:
            conn = s.connection()
            for name, table in TABLES:
                if batch[name]:
                    conn.execute(insert(table), batch[name])
                    written[name] += len(batch[name])
        done = min(missing, done + BATCH)
        echo(f"  {done}/{missing} cases copied ({time.perf_counter() - began:.0f} s)")
    return {"templates": len(templates), "copied": max(0, missing), "rows": dict(written),
            "seconds": round(time.perf_counter() - began, 1)}


def after_bulk_load(engine) -> None:
    """What a bulk load leaves to do: planner statistics (PostgreSQL's autovacuum would get there later)."""
    from sqlalchemy import text

    if engine.database_url.startswith("sqlite"):
        with engine.unit_of_work() as s:
            s.execute(text("ANALYZE"))
        return
    with engine.db.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
