"""Camunda 7 task and instance queries driven by pycamunda (a third-party client from PyPI)
over real HTTP: claim-free completion, every task filter checked against the expected set,
``/count`` against the list, pages against the whole sorted list, and the runtime and
history instance lists.
"""
from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pycamunda
import pycamunda.deployment
import pycamunda.processdef
import pycamunda.processinst
import pycamunda.task
import pytest
import requests
from requests.auth import HTTPBasicAuth

from tests.rest_support import PASSWORD, create_users, live_server

REST_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "rest" / "rest_form.bpmn"
CHINA = dt.timezone(dt.timedelta(hours=8))
CASES = 8


def as_user(request, username: str):
    request.auth = HTTPBasicAuth(username, PASSWORD)
    return request


@pytest.fixture(scope="module")
def world(tmp_path_factory, sqlite_template):
    """Eight cases in known states, built once through pycamunda (the tests only read).

    0: both tasks done (ended)   1, 3: at 人社局's check     2: at 住建局's check
    4: fill claimed by dengji    5: fill claimed by dengji2  6: fill unassigned
    7: cancelled by the administrator.  Even cases go to 住建局, odd ones to 人社局.
    """
    import shutil

    from engine.bootstrap import build_engine
    from web import create_app

    path = tmp_path_factory.mktemp("queries") / "xinfang.sqlite3"
    shutil.copy(sqlite_template, path)
    engine = build_engine(f"sqlite:///{path}", migrate=False)
    create_users(engine)
    app = create_app({"TESTING": True, "ENGINE": engine, "WTF_CSRF_ENABLED": False, "SECRET_KEY": "test",
                      "START_SCHEDULER": False})
    with live_server(app) as base:
        url = f"{base}/engine-rest"
        create = as_user(pycamunda.deployment.Create(url, name="queries"), "sheji")
        with open(REST_FIXTURE, "rb") as bpmn:
            create.add_resource(bpmn)
            create()
        cases = []
        for i in range(CASES):
            start = as_user(pycamunda.processdef.StartInstance(url, key="rest_form", business_key=f"XF-Q-{i}"),
                            "dengji")
            start.add_variable("handling_unit", "zjj" if i % 2 == 0 else "rsj")
            start.add_variable("fill_due", f"2030-01-{i + 1:02d}T00:00:00+08:00")
            cases.append(start().id_)
        fills = {}
        for i, case_id in enumerate(cases):
            (fill,) = as_user(pycamunda.task.GetList(url, process_instance_id=case_id), "dengji")()
            fills[i] = fill.id_
        for i in range(4):  # completed without a claim, as Camunda allows a candidate to
            complete = as_user(pycamunda.task.Complete(url, id_=fills[i]), "dengji")
            complete.add_variable("title", f"事项{i}")
            complete()
        as_user(pycamunda.task.Claim(url, id_=fills[4], user_id="dengji"), "dengji")()
        as_user(pycamunda.task.Claim(url, id_=fills[5], user_id="dengji2"), "dengji2")()
        (check0,) = as_user(pycamunda.task.GetList(url, process_instance_id=cases[0]), "zjj_cb")()
        as_user(pycamunda.task.Complete(url, id_=check0.id_), "zjj_cb")()
        as_user(pycamunda.processinst.Delete(url, id_=cases[7]), "guanli")()
        with requests.Session() as http:
            yield url, http, cases
    engine.close()


def tasks(url, user, **query) -> list:
    return list(as_user(pycamunda.task.GetList(url, **query), user)())


def count(http, url, path, user, params) -> int:
    response = http.get(f"{url}/{path}", params=params, auth=(user, PASSWORD))
    assert response.status_code == 200, response.text
    return response.json()["count"]


def open_tasks(url, cases, user) -> dict[tuple[str, int], str]:
    """(activity, case number) -> task id, of every open task the user sees."""
    number = {case_id: n for n, case_id in enumerate(cases)}
    return {(t.task_definition_key, number[t.process_instance_id]): t.id_ for t in tasks(url, user)}


def at(day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2030, 1, day, hour, tzinfo=CHINA)


# (pycamunda arguments, the same as query parameters, the expected (activity, case) pairs
# among the open ones: fill 4 5 6, check 1 2 3)
FILTERS = [
    ({}, {}, {("fill", 4), ("fill", 5), ("fill", 6), ("check", 1), ("check", 2), ("check", 3)}),
    ({"candidate_group": "xfj:registrar"}, {"candidateGroup": "xfj:registrar"}, {("fill", 6)}),
    ({"candidate_group": "xfj:registrar", "include_assigned_tasks": True},
     {"candidateGroup": "xfj:registrar", "includeAssignedTasks": "true"}, {("fill", 4), ("fill", 5), ("fill", 6)}),
    ({"candidate_user": "dengji"}, {"candidateUser": "dengji"}, {("fill", 6)}),
    ({"candidate_user": "zjj_cb"}, {"candidateUser": "zjj_cb"}, {("check", 2)}),
    ({"candidate_user": "rsj_cb"}, {"candidateUser": "rsj_cb"}, {("check", 1), ("check", 3)}),
    ({"assignee": "dengji"}, {"assignee": "dengji"}, {("fill", 4)}),
    ({"task_definition_key": "check"}, {"taskDefinitionKey": "check"}, {("check", 1), ("check", 2), ("check", 3)}),
    ({"task_definition_key": "fill", "assignee": "dengji2"}, {"taskDefinitionKey": "fill", "assignee": "dengji2"},
     {("fill", 5)}),
    ({"due_before": at(5, 12)}, {"dueBefore": "2030-01-05T12:00:00.000+0800"}, {("fill", 4)}),
    ({"due_after": at(5, 12)}, {"dueAfter": "2030-01-05T12:00:00.000+0800"}, {("fill", 5), ("fill", 6)}),
    ({"due_after": at(5, 12), "due_before": at(6, 12)},
     {"dueAfter": "2030-01-05T12:00:00.000+0800", "dueBefore": "2030-01-06T12:00:00.000+0800"}, {("fill", 5)}),
]


@pytest.mark.parametrize("user", ["guanli", "dengji", "zjj_cb", "rsj_cb"])
def test_every_task_filter_lists_exactly_the_expected_visible_tasks_and_count_agrees(world, user):
    url, http, cases = world
    visible = open_tasks(url, cases, user)  # what this user may see at all
    everything = open_tasks(url, cases, "guanli")
    for query, params, expected in FILTERS:
        listed = {(t.task_definition_key, cases.index(t.process_instance_id)) for t in tasks(url, user, **query)}
        assert listed == {key for key in expected if key in visible}, (user, params)
        assert count(http, url, "task/count", user, params) == len(listed), (user, params)
    for n, case_id in enumerate(cases):
        listed = {t.id_ for t in tasks(url, user, process_instance_id=case_id)}
        assert listed == {task_id for (_, m), task_id in visible.items() if m == n}
        assert count(http, url, "task/count", user, {"processInstanceId": case_id}) == len(listed)
    assert set(visible) <= set(everything)


SORTS = {"due_date": lambda t: t.due, "created": lambda t: t.created, "name": lambda t: t.name,
         "id": lambda t: t.id_, "priority": lambda t: t.priority, "assignee": lambda t: t.assignee}


@pytest.mark.parametrize(("sort_by", "ascending"), list(itertools.product(SORTS, [True, False])))
def test_task_pages_concatenate_to_the_whole_sorted_list(world, sort_by, ascending):
    url, _, _ = world
    whole = tasks(url, "guanli", sort_by=sort_by, ascending=ascending)
    assert len(whole) == 6
    keys = [SORTS[sort_by](t) for t in whole if SORTS[sort_by](t) is not None]
    assert keys == sorted(keys, reverse=not ascending)
    # Missing values (no due date, nobody assigned) come last either way.
    assert all(SORTS[sort_by](t) is None for t in whole[len(keys):])
    for size in (1, 2, 4):
        pages = [tasks(url, "guanli", sort_by=sort_by, ascending=ascending, first_result=first, max_results=size)
                 for first in range(0, 6, size)]
        assert [t.id_ for page in pages for t in page] == [t.id_ for t in whole]
    assert tasks(url, "guanli", sort_by=sort_by, ascending=ascending, first_result=6) == []


def test_candidate_user_together_with_a_candidate_group_is_refused_like_camunda(world):
    url, http, _ = world
    response = http.get(f"{url}/task", params={"candidateUser": "dengji", "candidateGroup": "xfj:registrar"},
                        auth=("guanli", PASSWORD))
    assert response.status_code == 400 and response.json()["type"] == "InvalidRequestException"


def test_running_instances_by_business_key_definition_ids_and_visibility(world):
    url, http, cases = world
    running = as_user(pycamunda.processinst.GetList(url, sort_by="business_key"), "guanli")()
    assert [p.business_key for p in running] == [f"XF-Q-{i}" for i in range(1, 7)]
    assert all(not p.suspended and p.definition_id.startswith("rest_form:") for p in running)
    assert count(http, url, "process-instance/count", "guanli", {}) == 6
    (one,) = as_user(pycamunda.processinst.GetList(url, business_key="XF-Q-3"), "guanli")()
    assert one.id_ == cases[3]
    some = as_user(pycamunda.processinst.GetList(url, process_instance_ids=[cases[0], cases[2], cases[5]],
                                                 process_definition_key="rest_form", active=True), "guanli")()
    assert {p.id_ for p in some} == {cases[2], cases[5]}  # case 0 has ended: history only
    params = {"processInstanceIds": f"{cases[0]},{cases[2]},{cases[5]}"}
    assert count(http, url, "process-instance/count", "guanli", params) == 2
    assert as_user(pycamunda.processinst.GetList(url, process_definition_key="other"), "guanli")() == ()
    assert as_user(pycamunda.processinst.GetList(url, suspended=True), "guanli")() == ()
    # 住建局 sees the cases routed to it (the even ones), nothing else.
    mine = as_user(pycamunda.processinst.GetList(url), "zjj_cb")()
    assert {p.id_ for p in mine} == {cases[2], cases[4], cases[6]}
    assert count(http, url, "process-instance/count", "zjj_cb", {}) == 3
    by_id = [as_user(pycamunda.processinst.GetList(url, sort_by="instance_id", ascending=False, first_result=n,
                                                   max_results=2), "guanli")() for n in (0, 2, 4)]
    ids = [p.id_ for page in by_id for p in page]
    assert ids == sorted((cases[i] for i in range(1, 7)), reverse=True)


def test_history_lists_ended_cases_with_camunda_fields(world):
    url, http, cases = world
    auth = ("guanli", PASSWORD)
    ended = http.get(f"{url}/history/process-instance", params={"finished": "true", "sortBy": "businessKey",
                                                                "sortOrder": "asc"}, auth=auth).json()
    assert [(h["businessKey"], h["state"]) for h in ended] == [("XF-Q-0", "COMPLETED"),
                                                              ("XF-Q-7", "EXTERNALLY_TERMINATED")]
    first = ended[0]
    assert first["id"] == cases[0] and first["processDefinitionKey"] == "rest_form"
    assert first["processDefinitionVersion"] == 1 and first["processDefinitionName"] == "表单校验测试"
    assert first["startUserId"] == "dengji" and first["durationInMillis"] >= 0
    assert first["endTime"] is not None and first["startTime"] <= first["endTime"]
    assert count(http, url, "history/process-instance/count", "guanli", {"finished": "true"}) == 2
    assert count(http, url, "history/process-instance/count", "guanli", {"unfinished": "true"}) == 6
    assert count(http, url, "history/process-instance/count", "guanli", {}) == 8
    single = http.get(f"{url}/history/process-instance/{cases[7]}", auth=auth).json()
    assert single["state"] == "EXTERNALLY_TERMINATED"
    running = http.get(f"{url}/history/process-instance/{cases[1]}", auth=auth).json()
    assert running["state"] == "ACTIVE" and running["endTime"] is None and running["durationInMillis"] is None
    # Another unit's case is not there, in the list or by id.
    assert http.get(f"{url}/history/process-instance/{cases[1]}", auth=("zjj_cb", PASSWORD)).status_code == 404
    theirs = http.get(f"{url}/history/process-instance", auth=("zjj_cb", PASSWORD)).json()
    assert {h["id"] for h in theirs} == {cases[0], cases[2], cases[4], cases[6]}
    by_duration = http.get(f"{url}/history/process-instance", params={"sortBy": "duration", "sortOrder": "desc"},
                           auth=auth).json()
    assert len(by_duration) == 8 and all(h["durationInMillis"] is None for h in by_duration[2:])
