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

import time_machine

from tests import process_driver

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


_travellers: list = []  # the clock_at() in force, innermost last


@contextmanager
def clock_at(moment: dt.datetime):
    """Run with the wall clock starting at ``moment`` and flowing (so steps stay ordered)."""
    with time_machine.travel(moment, tick=True) as traveller:
        _travellers.append(traveller)
        try:
            yield traveller
        finally:
            _travellers.pop()


def _live_until(values: dict) -> None:
    """A person enters a date on or after the day it happened (dates in the future are
    refused): when a scenario types a date later than the pinned clock's day, the clock
    moves to 17:00 of that day first, as if the caseworker entered it that evening."""
    if not _travellers:
        return
    today = dt.datetime.now(SHANGHAI).date()
    days = []
    for value in values.values():
        if isinstance(value, str) and len(value) == 10:
            try:
                days.append(dt.date.fromisoformat(value))
            except ValueError:
                continue
    later = max((d for d in days if d > today), default=None)
    if later is not None:
        _travellers[-1].move_to(dt.datetime(later.year, later.month, later.day, 17, 0, tzinfo=SHANGHAI))


def iso_due(clock: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(clock["due"])


def iso_warn(clock: dict, days: int) -> dt.datetime:
    return iso_due(clock) - dt.timedelta(days=days)


class Case(process_driver.Case):
    """One case under test; every read reloads it from the database first."""

    default_actor = "caseworker"

    def complete(self, activity_id: str, values: dict, actor: str | None = None):
        """Complete the task; a date typed in the pinned clock's future is entered on that day."""
        _live_until(values)
        return super().complete(activity_id, values, actor)

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
