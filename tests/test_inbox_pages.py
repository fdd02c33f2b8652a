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


def test_candidate_rows_live_only_while_their_task_is_ready(engine):
    from sqlalchemy import func, select

    from persistence.models import TaskCandidate

    def candidate_rows(task_id):
        with engine.unit_of_work(read_only=True) as s:
            return s.scalar(select(func.count()).select_from(TaskCandidate).where(TaskCandidate.task_id == task_id))

    deploy_mini(engine)
    done, cancelled = (engine.start_case(process_key="mini", variables=START_VARS, actor="alice") for _ in range(2))
    first, other = done.tasks[0], cancelled.tasks[0]
    assert candidate_rows(first.id) > 0 and candidate_rows(other.id) > 0
    engine.claim(first.id, "alice")
    after = engine.complete_task(first.id, {"accepted": True, "category": "申诉求决", "handling_unit": "rsj", "days": "30"},
                                 "alice", validate_form=False)
    assert candidate_rows(first.id) == 0
    assert all(candidate_rows(t.id) > 0 for t in after.tasks if t.candidate_groups)
    engine.cancel_case(cancelled.id, "admin")
    assert candidate_rows(other.id) == 0
