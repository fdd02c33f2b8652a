"""Drive handling-family cases (办理, 复查, 复核, 督查督办, 矛盾纠纷排查) through the engine API.

Every call first drops the engine's live-workflow cache (``evict_cache``) so each step
loads the case from the database and saves it again: the save/restore after every step
that the scenario tests require.  Time is controlled with ``time_machine``: a scenario
runs inside ``clock_at(...)`` (time flows, from a fixed instant) and timers are fired
with ``Engine.fire_due(now=...)`` after moving the clock.
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass

import time_machine

SHANGHAI = dt.timezone(dt.timedelta(hours=8))

PETITION = {
    "case_no": "郓信〔2026〕0301号",
    "petitioner_name": "李四",
    "petitioner_id_number": "372925198502021234",
    "petitioner_phone": "13900000000",
    "petitioner_address": "郓城县运河街道幸福路8号",
    "channel": "来访",
    "category": "申诉求决",
    "domain": "城乡建设",
    "request": "请求落实棚户区改造安置补偿",
    "facts": "2022年房屋被征收，安置补偿款至今未足额发放。",
    "reasons": "征收补偿协议约定的补偿未兑现。",
}

INVESTIGATED = {"investigation_findings": "调取征收协议和发放台账，核实欠付补偿款3万元。", "facts_verified": True}
HEARD = {"hearing_method": "in_person", "petitioner_opinion": "要求一次性发放欠付补偿款。"}
OPINION = {"opinion_facts": "欠付补偿款属实。", "opinion_basis": "《国有土地上房屋征收与补偿条例》第二十七条",
           "opinion_text": "经调查核实，现答复如下……"}


def sh(*args) -> dt.datetime:
    """An aware Asia/Shanghai datetime."""
    return dt.datetime(*args, tzinfo=SHANGHAI)


@contextmanager
def clock_at(moment: dt.datetime):
    """Run with the wall clock starting at ``moment`` and flowing (so steps stay ordered)."""
    with time_machine.travel(moment, tick=True) as traveller:
        yield traveller


def iso_due(clock: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(clock["due"])


def iso_warn(clock: dict, days: int) -> dt.datetime:
    return iso_due(clock) - dt.timedelta(days=days)


@dataclass
class Case:
    """One case under test; every read reloads it from the database first."""

    engine: object
    id: str

    def fresh(self) -> None:
        self.engine.evict_cache()

    @property
    def info(self):
        self.fresh()
        return self.engine.get_case(self.id)

    @property
    def variables(self) -> dict:
        return self.info.variables

    def ready(self) -> list:
        self.fresh()
        return [t for t in self.engine.list_tasks(case_id=self.id) if t.state == "ready"]

    def ready_ids(self) -> list[str]:
        return sorted(t.activity_id for t in self.ready())

    def task(self, activity_id: str):
        found = [t for t in self.ready() if t.activity_id == activity_id]
        assert len(found) == 1, f"{activity_id}: {len(found)} ready; ready are {self.ready_ids()}"
        return found[0]

    def complete(self, activity_id: str, values: dict, actor: str = "caseworker"):
        """Complete the one ready task ``activity_id``; returns its TaskInfo as it was."""
        t = self.task(activity_id)
        self.fresh()
        self.engine.complete_task(t.id, values, actor)
        self.fresh()
        return t

    def message(self, name: str, payload: dict | None = None) -> None:
        self.fresh()
        self.engine.send_message(name, case_id=self.id, payload=payload or {})
        self.fresh()

    def history(self) -> list:
        self.fresh()
        return self.engine.history(self.id)

    def notices(self) -> list[dict]:
        return [e.data for e in self.history() if e.kind == "notice" or e.data.get("event") == e.kind]

    def notice_kinds(self) -> list[str]:
        return [n.get("kind") for n in self.notices()]

    def fired_timers(self) -> list[str]:
        return [e.data.get("activity_id") for e in self.history() if e.kind == "timer_fired"]


def start(engine, key: str, variables: dict, business_key: str | None = None) -> Case:
    engine.evict_cache()
    info = engine.start_case(process_key=key, business_key=business_key, variables=dict(variables),
                             actor="registrar")
    engine.evict_cache()
    return Case(engine, info.id)


def fire(engine, traveller, when: dt.datetime) -> int:
    """Move the clock to ``when`` and fire whatever timers are due, as the scheduler would."""
    traveller.move_to(when)
    engine.evict_cache()
    fired = engine.fire_due(now=when)
    engine.evict_cache()
    return fired
