"""The scale benchmark's bulk loader copies real cases into rows the engine can work on."""
from __future__ import annotations

from sqlalchemy import func, select

from engine import scale_data
from engine.demo import load_demo
from persistence.case_search import CaseSearchRow
from persistence.models import Case, CaseUnit, Task
from persistence.models_clocks import Clock


def test_copied_open_cases_have_their_own_ids_and_a_workflow_the_engine_can_load(deployed_engine):
    load_demo(deployed_engine, cases=12)
    before = scale_data.count_open_cases(deployed_engine)
    assert before > 0
    result = scale_data.clone_open_cases(deployed_engine, before + 25, echo=lambda _line: None)
    assert result["copied"] == 25
    assert scale_data.count_open_cases(deployed_engine) == before + 25

    with deployed_engine.unit_of_work(read_only=True) as s:
        copy = s.scalars(select(Case).where(Case.business_key.like(f"{scale_data.CASE_NO_PREFIX}%"))
                         .order_by(Case.business_key)).first()
        tasks = list(s.scalars(select(Task).where(Task.case_id == copy.id, Task.state == "ready")))
        units = s.scalar(select(func.count()).select_from(CaseUnit).where(CaseUnit.case_id == copy.id))
        clocks = s.scalar(select(func.count()).select_from(Clock).where(Clock.case_id == copy.id))
        template_ids = {t.id for t in s.scalars(select(Task).where(Task.case_id != copy.id))}
        search = s.get(CaseSearchRow, copy.id)
    assert units > 0 and clocks > 0
    assert search is not None and search.case_no == copy.business_key
    assert tasks and not ({t.id for t in tasks} & template_ids)
    info = deployed_engine.get_case(copy.id)
    assert info.variables["case_no"] == copy.business_key == copy.summary["case_no"]
    # The task row's id is the workflow's task id: the engine finds the task in the copied state.
    assert deployed_engine.task_variables(tasks[0].id)["case_no"] == copy.business_key
