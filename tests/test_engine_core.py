"""The engine API end to end on both backends, reloading the case from the database
between every step (save/restore), as the style guide asks of every process."""
from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
import time_machine

from engine.errors import Conflict, DeployError, InvalidInput, NotFound

FIX = Path(__file__).parent / "fixtures" / "engine"
MINI = ("petition_mini.bpmn", (FIX / "petition_mini.bpmn").read_bytes())
START_VARS = {"due_at": "2026-12-10T17:00:00+08:00", "priority_value": 80, "notices": [],
              "petitioner_name": "李四", "request": "拖欠工资"}


def deploy_mini(engine, content: bytes | None = None):
    return engine.deploy([("petition_mini.bpmn", content or MINI[1])], name="t", deployed_by="designer")


def ready(engine, case_id):
    engine.evict_cache()  # save/restore: the next command reloads from the database
    return engine.list_tasks(case_id=case_id)


def test_deploy_creates_immutable_versions_and_skips_identical_content(engine):
    first = deploy_mini(engine)
    again = deploy_mini(engine)
    changed = deploy_mini(engine, MINI[1].replace(b"\xe4\xbf\xa1\xe8\xae\xbf\xe5\xb0\x8f\xe6\xb5\x81\xe7\xa8\x8b",
                                                   "信访小流程二".encode()))
    assert first.created and first.definitions[0].version == 1
    assert not again.created and again.definitions[0].id == first.definitions[0].id
    assert changed.created and changed.definitions[0].version == 2
    versions = engine.list_definitions(key="mini")
    assert [d.version for d in versions] == [2, 1]
    assert versions[1].deployed_by == "designer" and versions[1].version_tag == "v1"
    assert engine.get_definition_xml(first.definitions[0].id).startswith("<?xml")


def test_running_case_stays_on_the_version_it_started_with(engine):
    v1 = deploy_mini(engine).definitions[0]
    case = engine.start_case(process_key="mini", variables=START_VARS, actor="alice")
    v2 = deploy_mini(engine, MINI[1].replace(b'name="\xe7\x99\xbb\xe8\xae\xb0\xe5\x8f\x97\xe7\x90\x86"',
                                              'name="登记并受理"'.encode())).definitions[0]
    assert v2.version == 2
    engine.evict_cache()
    assert engine.get_case(case.id).definition_id == v1.id
    assert [t.name for t in ready(engine, case.id)] == ["登记受理"]
    newer = engine.start_case(process_key="mini", variables=START_VARS, actor="alice")
    assert [t.name for t in ready(engine, newer.id)] == ["登记并受理"]


def test_user_task_keeps_camunda_assignment_and_scheduling_attributes(engine):
    deploy_mini(engine)
    case = engine.start_case(process_key="mini", variables=START_VARS, actor="alice")
    [task] = ready(engine, case.id)
    assert task.candidate_groups == ["xfj:registrar"]
    assert task.unit_code == "xfj"
    assert task.priority == 80
    assert task.due == dt.datetime(2026, 12, 10, 9, 0, tzinfo=dt.timezone.utc)
    assert task.follow_up == dt.datetime(2026, 12, 5, 1, 0, tzinfo=dt.timezone.utc)
    form = engine.task_form(task.id)
    assert [f.id for f in form.fields] == ["accepted", "category", "handling_unit", "days"]
    assert engine.count_tasks(candidate_groups=["xfj:registrar"]) == 1
    assert engine.count_tasks(candidate_groups=["rsj:handler"]) == 0


def test_full_lifecycle_with_expression_groups_message_and_notice(engine):
    deploy_mini(engine)
    case = engine.start_case(process_key="mini", business_key="XF-1", variables=START_VARS, actor="alice")
    [reg] = ready(engine, case.id)
    engine.claim(reg.id, "alice")
    engine.evict_cache()
    engine.complete_task(reg.id, {"accepted": True, "category": "申诉求决", "handling_unit": "rsj", "days": "30"},
                         "alice")
    [handle] = ready(engine, case.id)
    assert handle.name == "调查处理" and handle.candidate_groups == ["rsj:handler"]
    engine.complete_task(handle.id, {"outcome": "support"}, "bob")
    assert ready(engine, case.id) == []
    waiting = engine.get_case(case.id)
    assert waiting.status == "running" and waiting.next_timer_at is not None
    engine.evict_cache()
    engine.send_message("review_request", business_key="XF-1", payload={"review_reason": "不服"}, actor="李四")
    [review] = ready(engine, case.id)
    assert review.name == "复查" and review.candidate_groups == ["city-rsj:handler"]
    done = engine.complete_task(review.id, {}, "carol")
    assert done.status == "completed"
    assert done.variables["review_reason"] == "不服"
    kinds = [e.kind for e in engine.history(case.id)]
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    assert kinds.count("task_completed") == 3
    assert "notice" in kinds and "message_received" in kinds and "task_claimed" in kinds
    completed = [e for e in engine.history(case.id) if e.kind == "task_completed"][0]
    assert completed.actor == "alice" and completed.data["changes"]["set"]["handling_unit"] == "rsj"
    assert completed.data["changes"]["set"]["days"] == 30  # converted by the form


def test_refusal_branch_ends_the_case(engine):
    deploy_mini(engine)
    case = engine.start_case(process_key="mini", variables=START_VARS, actor="alice")
    [reg] = ready(engine, case.id)
    result = engine.complete_task(reg.id, {"accepted": False, "category": "建议意见", "handling_unit": "rsj"}, "a")
    assert result.status == "completed" and result.ended_at is not None


def test_invalid_form_values_are_refused_and_nothing_changes(engine):
    deploy_mini(engine)
    case = engine.start_case(process_key="mini", variables=START_VARS, actor="alice")
    [reg] = ready(engine, case.id)
    with pytest.raises(InvalidInput) as err:
        engine.complete_task(reg.id, {"accepted": True, "category": "胡说", "handling_unit": "", "days": "99"}, "a")
    assert set(err.value.errors) == {"category", "handling_unit", "days"}
    [still] = ready(engine, case.id)
    assert still.id == reg.id and still.state == "ready"
    assert [e.kind for e in engine.history(case.id)] == ["case_started"]


def test_completing_a_completed_task_is_a_conflict(engine):
    deploy_mini(engine)
    case = engine.start_case(process_key="mini", variables=START_VARS, actor="alice")
    [reg] = ready(engine, case.id)
    engine.complete_task(reg.id, {"accepted": False, "category": "建议意见", "handling_unit": "rsj"}, "a")
    with pytest.raises(Conflict):
        engine.complete_task(reg.id, {"accepted": True, "category": "申诉求决", "handling_unit": "rsj"}, "b")


def test_two_users_completing_the_same_task_at_once_one_wins(engine):
    deploy_mini(engine)
    case = engine.start_case(process_key="mini", variables=START_VARS, actor="alice")
    [reg] = ready(engine, case.id)
    results, barrier = [], threading.Barrier(2)

    def complete(user, unit):
        barrier.wait()
        try:
            engine.complete_task(reg.id, {"accepted": True, "category": "申诉求决", "handling_unit": unit}, user)
            results.append(("ok", user))
        except Conflict as exc:
            results.append(("conflict", str(exc)))

    threads = [threading.Thread(target=complete, args=("u1", "rsj")),
               threading.Thread(target=complete, args=("u2", "zjj"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r[0] for r in results) == ["conflict", "ok"]
    tasks = ready(engine, case.id)
    assert len(tasks) == 1  # the handling task was created once
    winner = next(r[1] for r in results if r[0] == "ok")
    assert tasks[0].candidate_groups == [("rsj" if winner == "u1" else "zjj") + ":handler"]
    assert [e.kind for e in engine.history(case.id)].count("task_completed") == 1


def test_claim_by_someone_else_is_a_conflict_and_unclaim_releases(engine):
    deploy_mini(engine)
    case = engine.start_case(process_key="mini", variables=START_VARS, actor="alice")
    [reg] = ready(engine, case.id)
    engine.claim(reg.id, "alice")
    with pytest.raises(Conflict):
        engine.claim(reg.id, "bob")
    engine.unclaim(reg.id, "alice")
    assert engine.claim(reg.id, "bob").assignee == "bob"
    assert engine.count_tasks(assignee="bob") == 1 and engine.count_tasks(unassigned=True) == 0


def test_unknown_ids_are_not_found(engine):
    with pytest.raises(NotFound):
        engine.get_task("00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFound):
        engine.get_case("nope")
    with pytest.raises(NotFound):
        engine.start_case(process_key="nope")
    deploy_mini(engine)
    with pytest.raises(NotFound):
        engine.send_message("review_request", business_key="no-such-case")


def test_non_executable_process_deploys_as_diagram_that_cannot_start(engine):
    info = engine.deploy([("diagram_only.bpmn", (FIX / "diagram_only.bpmn").read_bytes())])
    assert info.definitions[0].executable is False
    with pytest.raises(InvalidInput, match="不可执行"):
        engine.start_case(process_key="sketch")


def test_broken_bpmn_is_refused_and_nothing_is_stored(engine):
    broken = MINI[1].replace(b'targetRef="gw_accept"', b'targetRef="no_such_gateway"')
    with pytest.raises(DeployError) as err:
        engine.deploy([("broken.bpmn", broken)])
    assert any(p.file == "broken.bpmn" and p.line for p in err.value.problems)
    assert engine.list_definitions() == []


def test_cancel_withdraws_tasks_and_timers(engine):
    deploy_mini(engine)
    case = engine.start_case(process_key="mini", variables=START_VARS, actor="alice")
    [reg] = ready(engine, case.id)
    engine.complete_task(reg.id, {"accepted": True, "category": "申诉求决", "handling_unit": "rsj"}, "a")
    assert engine.get_case(case.id).next_timer_at is not None
    cancelled = engine.cancel_case(case.id, "admin", "撤回")
    assert cancelled.status == "cancelled" and cancelled.next_timer_at is None
    assert ready(engine, case.id) == []
    with pytest.raises(Conflict):
        engine.cancel_case(case.id, "admin")


def test_boundary_timer_fires_after_fifteen_days_and_only_once(engine):
    deploy_mini(engine)
    start = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)
    with time_machine.travel(start, tick=False):
        case = engine.start_case(process_key="mini", variables=START_VARS, actor="alice")
        [reg] = ready(engine, case.id)
        engine.complete_task(reg.id, {"accepted": True, "category": "申诉求决", "handling_unit": "rsj"}, "a")
        due = engine.get_case(case.id).next_timer_at
    assert due == start + dt.timedelta(days=15)
    with time_machine.travel(due - dt.timedelta(minutes=1), tick=False):
        assert engine.fire_due() == 0
    with time_machine.travel(due + dt.timedelta(seconds=1), tick=False):
        engine.evict_cache()
        assert engine.fire_due() == 1
        assert engine.fire_due() == 0
    kinds = [e.kind for e in engine.history(case.id)]
    assert kinds.count("timer_fired") == 1
    # non-interrupting: the handling task is still there
    assert [t.name for t in ready(engine, case.id)] == ["调查处理"]


def test_receive_task_and_boundary_message_merge_their_payload_into_case_variables(engine):
    engine.deploy([("messages.bpmn", (FIX / "messages.bpmn").read_bytes())])
    case = engine.start_case(process_key="msgs", business_key="XF-9", actor="alice")
    assert ready(engine, case.id) == []
    engine.send_message("judicial_receipt", case_id=case.id, payload={"receipt_no": "法收-12"})
    [track] = ready(engine, case.id)
    assert engine.task_variables(track.id)["receipt_no"] == "法收-12"
    engine.evict_cache()
    engine.send_message("judicial_report", business_key="XF-9", payload={"judicial_result": "依法终结"})
    [check] = ready(engine, case.id)
    assert check.name == "核对反馈"
    variables = engine.task_variables(check.id)
    assert variables["judicial_result"] == "依法终结" and variables["receipt_no"] == "法收-12"
    with pytest.raises(NotFound):
        engine.send_message("judicial_report", case_id=case.id)


def test_notices_from_every_branch_are_logged_once(engine):
    deploy_mini(engine)
    case = engine.start_case(process_key="mini", variables=START_VARS, actor="alice")
    [reg] = ready(engine, case.id)
    engine.complete_task(reg.id, {"accepted": True, "category": "申诉求决", "handling_unit": "rsj"}, "a")
    [handle] = ready(engine, case.id)
    engine.complete_task(handle.id, {"outcome": "explain"}, "b")
    engine.evict_cache()
    engine.send_message("review_request", case_id=case.id)
    notices = [e for e in engine.history(case.id) if e.kind == "notice"]
    assert [n.data["title"] for n in notices] == ["信访处理意见书"]


def test_accused_unit_is_recorded_apart_from_involved_units(engine):
    from sqlalchemy import select

    from persistence.models import CaseUnit

    deploy_mini(engine)
    case = engine.start_case(process_key="mini", variables={**START_VARS, "accused_unit": "zjj",
                                                            "handling_unit": "rsj"}, actor="alice")
    with engine.unit_of_work(read_only=True) as s:
        rows = {(r.unit_code, r.role) for r in s.scalars(select(CaseUnit).where(CaseUnit.case_id == case.id))}
    assert ("zjj", "accused") in rows
    assert ("zjj", None) not in rows
    assert {("xfj", None), ("rsj", None)} <= rows


def test_a_read_only_unit_reads_while_a_writer_holds_the_lock(engine):
    from engine import records

    deploy_mini(engine)
    case = engine.start_case(process_key="mini", variables=START_VARS, actor="alice")
    with engine.unit_of_work() as writer:  # on SQLite: BEGIN IMMEDIATE, the write lock is held
        records.load_case(writer, case.id, lock=True)
        # A read that queued for the write lock would fail with "database is locked".
        assert engine.get_case(case.id).status == "running"
        assert [t.name for t in engine.list_tasks(case_id=case.id)] == ["登记受理"]


def test_a_caller_keeps_the_callee_version_it_was_deployed_with(engine):
    callee = (FIX / "callee.bpmn").read_bytes()
    first = engine.deploy([("caller.bpmn", (FIX / "caller.bpmn").read_bytes()), ("callee.bpmn", callee)])
    caller_v1 = next(d for d in first.definitions if d.key == "caller")
    callee_v1 = next(d for d in first.definitions if d.key == "callee")
    callee_v2 = engine.deploy([("callee.bpmn", callee.replace("办理".encode(), "办理（新）".encode()))]).definitions[0]
    assert callee_v2.version == 2
    assert engine.called_definition(caller_v1.id, "callee").id == callee_v1.id
    case = engine.start_case(process_key="caller", actor="alice")
    assert [t.name for t in ready(engine, case.id)] == ["办理"]  # runs the frozen callee, not v2
    with pytest.raises(NotFound):
        engine.called_definition(caller_v1.id, "nope")


def test_state_is_stored_compressed_and_plain_json_of_the_first_format_still_loads(engine):
    import zlib

    from persistence.models import Case, CaseState

    deploy_mini(engine)
    case = engine.start_case(process_key="mini", variables=START_VARS, actor="alice")
    with engine.unit_of_work(read_only=True) as s:
        row, stored = s.get(Case, case.id), s.get(CaseState, case.id)
        blob, fmt, definition_id = bytes(stored.state), stored.serializer_version, row.definition_id
        spec, subs = engine._specs(s, definition_id)
    assert fmt.startswith("x2/")
    text = zlib.decompress(blob).decode("utf-8")
    assert len(blob) < len(text.encode("utf-8"))
    restored = engine.store.load_state(text, spec, subs)  # an x1 row held this plain JSON
    assert [t.task_spec.name for t in restored.get_tasks() if t.task_spec.name == "register"] == ["register"]


def test_deploying_caller_and_changed_callee_together_refreezes_the_caller(engine):
    caller, callee = (FIX / "caller.bpmn").read_bytes(), (FIX / "callee.bpmn").read_bytes()
    engine.deploy([("caller.bpmn", caller), ("callee.bpmn", callee)])
    changed = callee.replace("办理".encode(), "办理（新）".encode())
    second = engine.deploy([("caller.bpmn", caller), ("callee.bpmn", changed)])
    versions = {d.key: d for d in second.definitions}
    assert versions["caller"].version == 2 and versions["callee"].version == 2
    assert engine.called_definition(versions["caller"].id, "callee").id == versions["callee"].id
    case = engine.start_case(process_key="caller", actor="alice")
    assert [t.name for t in ready(engine, case.id)] == ["办理（新）"]
