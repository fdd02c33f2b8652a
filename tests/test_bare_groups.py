"""Candidate groups as a Camunda Modeler user writes them (engine/groups.py).

A bare role is that role in the unit responsible for the case (``handling_unit``, else the
starter's unit), a bare unit code is that unit's handlers, ``unit:role`` stays; names that
are neither are refused at deploy with the valid ones. The end-to-end test runs a plain
Modeler file (bare groups, ``${initiator}`` as assignee, a P15D timer, a FEEL decision
table) through the web UI with the demo county's accounts.
"""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest

from engine import groups
from engine.demo import DEMO_PASSWORD, DEMO_USERS, user_for
from engine.errors import DeployError, ScriptError
from tests.rest_support import basic, fixture_bytes
from tests.web_helpers import make_app

BARE = fixture_bytes("bare_groups.bpmn")
ROUTE = fixture_bytes("bare_groups_route.dmn")


def test_a_bare_role_is_that_role_in_the_unit_responsible_for_the_case():
    def nobody():
        raise AssertionError("the starter's unit is not needed when handling_unit is set")

    unit = groups.responsible_unit({"handling_unit": "zjj"}, nobody)
    assert groups.resolve(["handler", "head"], lambda: unit, "t") == ["zjj:handler", "zjj:head"]
    starter = groups.responsible_unit({}, lambda: "xfj")
    assert groups.resolve(["registrar"], lambda: starter, "t") == ["xfj:registrar"]
    # a handling_unit that names no unit does not count
    assert groups.responsible_unit({"handling_unit": "住建局"}, lambda: "xfj") == "xfj"


def test_a_bare_unit_is_its_handlers_and_unit_role_stays():
    assert groups.resolve(["jw", "xfj:supervisor", "jw"], lambda: None, "t") == ["jw:handler", "xfj:supervisor"]


def test_a_bare_role_without_a_responsible_unit_or_an_unknown_name_fails_the_step():
    with pytest.raises(ScriptError) as no_unit:
        groups.resolve(["handler"], lambda: None, "调查处理")
    assert "handling_unit" in no_unit.value.message and "调查处理" in no_unit.value.message
    with pytest.raises(ScriptError) as unknown:
        groups.resolve(["zhengfa"], lambda: "xfj", "调查处理")
    assert "zhengfa" in unknown.value.message and "registrar" in unknown.value.message


def test_names_are_checked_as_written():
    assert groups.unknown_group("registrar") is None
    assert groups.unknown_group("town-chengguan") is None
    assert groups.unknown_group("${handling_unit}:handler") is None
    assert groups.unknown_group("${claim_groups}") is None
    assert groups.unknown_group("zhengfa") == "'zhengfa' is neither a role nor a unit"
    assert groups.unknown_group("xfj:clerk") == "'clerk' is not a role (in 'xfj:clerk')"
    assert groups.unknown_group("${unit}:clerk") == "'clerk' in '${unit}:clerk' is not a role"
    assert groups.split_names("${a}:handler, xfj:head ,${f(a, b)}") == ["${a}:handler", "xfj:head", "${f(a, b)}"]


def test_deploy_refuses_a_group_that_reaches_nobody_and_lists_the_valid_names(sqlite_engine):
    wrong = BARE.replace(b'camunda:candidateGroups="head"', b'camunda:candidateGroups="head,zhengfa"')
    with pytest.raises(DeployError) as refused:
        sqlite_engine.deploy([("bare_groups.bpmn", wrong), ("bare_groups_route.dmn", ROUTE)])
    (problem,) = refused.value.problems
    assert (problem.file, problem.element_id) == ("bare_groups.bpmn", "Task_approve")
    assert "'zhengfa' is neither a role nor a unit" in problem.message
    assert "roles: registrar, handler, head, supervisor" in problem.message
    assert re.search(r"units: .*\bxfj\b.*\bzjj\b", problem.message)


@pytest.fixture
def county(sqlite_engine, tmp_path):
    """The app on a fresh engine with the demo county's accounts and the Modeler file deployed."""
    from engine.accounts import create_user
    from persistence.accounts import add_user, find_user_by_username

    with sqlite_engine.unit_of_work() as s:
        first = DEMO_USERS[0]
        create_user(s, first.username, DEMO_PASSWORD, first.display_name, first.unit_code, list(first.roles))
        password_hash = find_user_by_username(s, first.username).password_hash
        for u in DEMO_USERS[1:]:
            add_user(s, username=u.username, display_name=u.display_name, password_hash=password_hash,
                     unit_code=u.unit_code, roles=list(u.roles), active=True, failed_logins=0)
    app = make_app(sqlite_engine, tmp_path)
    designer = app.test_client()
    deployed = designer.post("/engine-rest/deployment/create", headers=basic(user_for("xfj", "designer"),
                                                                                   DEMO_PASSWORD),
                             data={"deployment-name": "bare", "deployment-source": "Camunda Modeler",
                                   "bare_groups.bpmn": (io.BytesIO(BARE), "bare_groups.bpmn"),
                                   "bare_groups_route.dmn": (io.BytesIO(ROUTE),
                                                             "bare_groups_route.dmn")},
                             content_type="multipart/form-data")
    assert deployed.status_code == 200, deployed.get_data(as_text=True)
    return sqlite_engine, app


def _login(app, username: str):
    client = app.test_client()
    answer = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    assert answer.status_code == 302, f"login of {username} failed"
    return client


def _work(app, engine, username: str, task_name: str, tab: str, form: dict | None = None) -> None:
    """As ``username``: find the task in the inbox tab, claim it if needed, complete it."""
    client = _login(app, username)
    inbox = client.get(f"/tasks?tab={tab}").get_data(as_text=True)
    assert task_name in inbox, f"{task_name} is not in {username}'s inbox ({tab})"
    (task,) = [t for t in engine.list_tasks(state="ready") if t.name == task_name]
    assert f"/tasks/{task.id}" in inbox
    if tab == "claimable":
        assert client.post(f"/tasks/{task.id}/claim").status_code == 302
    done = client.post(f"/tasks/{task.id}", data=form or {})
    assert done.status_code == 302, done.get_data(as_text=True)[:2000]
    assert engine.get_task(task.id).state == "completed"


def test_modeler_file_with_bare_groups_reaches_each_demo_user_and_runs_to_its_end(county, time_machine):
    engine, app = county
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    time_machine.move_to(start, tick=False)
    registrar = user_for("xfj", "registrar")
    started = app.test_client().post("/engine-rest/process-definition/key/modeler_bare_groups/start",
                                     headers=basic(registrar, DEMO_PASSWORD), json={"businessKey": "LX-1"})
    assert started.status_code == 200, started.get_data(as_text=True)
    case_id = started.get_json()["id"]
    assert engine.get_case(case_id).variables["initiator"] == registrar

    def groups_of(name: str) -> list[str]:
        (task,) = [t for t in engine.list_tasks(case_id=case_id, state="ready") if t.name == name]
        return task.candidate_groups

    # bare "registrar": the starter's unit (县信访局)
    assert groups_of("登记核实") == ["xfj:registrar"]
    _work(app, engine, registrar, "登记核实", "claimable", {"topic": "城乡建设", "summary": "小区供暖不达标"})
    # the FEEL decision sets handling_unit; bare "handler" follows it
    assert engine.get_case(case_id).variables["handling_unit"] == "zjj"
    assert groups_of("调查处理") == ["zjj:handler"]
    assert engine.get_case(case_id).next_timer_at == (start + dt.timedelta(days=15)).astimezone(dt.timezone.utc)
    # nobody else's inbox has it
    other = _login(app, user_for("rsj", "handler")).get("/tasks?tab=claimable").get_data(as_text=True)
    assert "调查处理" not in other

    time_machine.move_to(start + dt.timedelta(days=15, minutes=1), tick=False)
    assert engine.fire_due() == 1
    assert groups_of("督促办理") == ["xfj:supervisor"]
    _work(app, engine, user_for("xfj", "supervisor"), "督促办理", "claimable")
    _work(app, engine, user_for("zjj", "handler"), "调查处理", "claimable", {"opinion": "已协调供热公司整改"})
    assert groups_of("审批处理意见") == ["zjj:head"]
    _work(app, engine, user_for("zjj", "head"), "审批处理意见", "claimable")
    # ${initiator}: straight into the registrar's own list
    (confirm,) = engine.list_tasks(case_id=case_id, state="ready")
    assert confirm.assignee == registrar and confirm.candidate_groups == []
    _work(app, engine, registrar, "确认办结", "mine")
    assert engine.get_case(case_id).status == "completed"


def test_a_group_computed_at_run_time_that_reaches_nobody_stops_the_step_and_keeps_nothing(sqlite_engine):
    computed = BARE.replace(b'camunda:candidateGroups="registrar"', b'camunda:candidateGroups="${grp}"')
    sqlite_engine.deploy([("bare_groups.bpmn", computed), ("bare_groups_route.dmn", ROUTE)])
    with pytest.raises(ScriptError) as stopped:
        sqlite_engine.start_case(process_key="modeler_bare_groups", variables={"grp": "zhengfa"}, actor="x")
    assert "zhengfa" in stopped.value.message and "登记核实" in stopped.value.message
    assert sqlite_engine.list_cases() == []
    case = sqlite_engine.start_case(process_key="modeler_bare_groups", variables={"grp": "rsj"}, actor="x")
    assert [t.candidate_groups for t in sqlite_engine.list_tasks(case_id=case.id)] == [["rsj:handler"]]
