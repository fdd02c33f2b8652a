"""Inbox lists read one page by id and counts stop at a cap (both backends)."""
from __future__ import annotations

from engine import inbox
from tests.test_engine_core import START_VARS, deploy_mini


def test_pages_are_slices_of_the_full_order_and_counts_stop_at_the_cap(engine, monkeypatch):
    deploy_mini(engine)
    for i in range(5):
        engine.start_case(process_key="mini", variables={**START_VARS, "priority_value": 10 + i}, actor="alice")
    everything = [t.id for t in engine.list_tasks(sort_by="priority", descending=True)]
    assert len(everything) == 5
    pages = [t.id for offset in (0, 2, 4)
             for t in engine.list_tasks(sort_by="priority", descending=True, offset=offset, limit=2)]
    assert pages == everything
    assert engine.count_tasks() == 5
    assert engine.count_tasks(cap=3) == 3
    monkeypatch.setattr(inbox, "LIST_LIMIT", 4)  # no list answers more than the limit
    assert len(engine.list_tasks()) == 4
