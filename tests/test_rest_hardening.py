"""REST hardening (issue 11 item 4): bodies checked like the UI form, 409 for a lost race,
400 instead of a database error, bounded JSON nesting, and no request answering 500."""
from __future__ import annotations

import io
import itertools
import threading
from pathlib import Path

import pytest
import requests
from sqlalchemy.exc import IntegrityError

from tests.rest_support import basic, create_users, fixture_bytes, live_server

REST_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "rest"


@pytest.fixture
def rest(client, sqlite_engine):
    create_users(sqlite_engine)
    return client


def deploy_form_process(client) -> dict:
    data = {"deployment-name": "rest-form", "rest_form.bpmn":
            (io.BytesIO((REST_FIXTURES / "rest_form.bpmn").read_bytes()), "rest_form.bpmn")}
    response = client.post("/engine-rest/deployment/create", data=data, headers=basic("sheji"),
                           content_type="multipart/form-data")
    assert response.status_code == 200, response.get_json()
    (definition,) = response.get_json()["deployedProcessDefinitions"].values()
    return definition


def start_form_case(client, **variables) -> tuple[str, dict]:
    typed = {"handling_unit": {"value": "zjj", "type": "String"},
             "fill_due": {"value": "2030-01-01T00:00:00+08:00", "type": "String"},
             **{k: {"value": v} for k, v in variables.items()}}
    started = client.post("/engine-rest/process-definition/key/rest_form/start", headers=basic("dengji"),
                          json={"businessKey": "XF-FORM", "variables": typed})
    assert started.status_code == 200, started.get_json()
    case_id = started.get_json()["id"]
    (task,) = client.get(f"/engine-rest/task?processInstanceId={case_id}", headers=basic("dengji")).get_json()
    return case_id, task


def complete(client, task_id: str, variables: dict, user: str = "dengji", path: str = "complete"):
    typed = {k: v if isinstance(v, dict) else {"value": v} for k, v in variables.items()}
    return client.post(f"/engine-rest/task/{task_id}/{path}", headers=basic(user), json={"variables": typed})


VALID = {"title": "工资拖欠", "days": 15, "decided_on": "2026-03-01", "kind": "a", "agreed": True}


@pytest.mark.parametrize("path", ["complete", "submit-form"])
@pytest.mark.parametrize(("field", "value", "message"), [
    ("title", "", "必填"),
    ("title", "这是一个超过十个字符长度的标题", "不能超过 10"),
    ("days", 0, "不能小于 1"),
    ("days", 31, "不能大于 30"),
    ("days", {"value": "many", "type": "String"}, ""),
    ("decided_on", "next tuesday", ""),
    ("kind", "z", ""),
    ("case_ref", "XF-OTHER", "只读"),
    ("accused_unit", "zjj", "受保护"),
    ("handling_unit", "rsj", "表单没有此项"),
    ("anything_else", 1, "表单没有此项"),
])
def test_complete_and_submit_form_refuse_what_the_ui_form_refuses_per_field(rest, path, field, value, message):
    deploy_form_process(rest)
    case_id, task = start_form_case(rest)
    response = complete(rest, task["id"], {**VALID, field: value}, path=path)
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["type"] == "InvalidRequestException"
    assert list(body["errors"]) == [field]
    assert message in body["errors"][field]
    # Nothing happened: the task is still open and the case kept its values.
    assert rest.get(f"/engine-rest/task/{task['id']}", headers=basic("dengji")).status_code == 200
    variables = rest.get(f"/engine-rest/process-instance/{case_id}/variables", headers=basic("dengji")).get_json()
    assert variables["handling_unit"]["value"] == "zjj" and "title" not in variables


def test_a_valid_body_completes_and_a_read_only_value_may_be_echoed_unchanged(rest):
    deploy_form_process(rest)
    case_id, task = start_form_case(rest)
    # What form-variables returned may be sent back as it is (read-only field included).
    echoed = rest.get(f"/engine-rest/task/{task['id']}/form-variables", headers=basic("dengji")).get_json()
    assert echoed["case_ref"]["value"] == "XF-FIXED"
    response = complete(rest, task["id"], {**VALID, "case_ref": "XF-FIXED", "days": {"value": "15", "type": "Long"}})
    assert response.status_code == 204, response.get_json()
    variables = rest.get(f"/engine-rest/process-instance/{case_id}/variables", headers=basic("zjj_cb")).get_json()
    assert variables["days"]["value"] == 15 and variables["decided_on"]["value"] == "2026-03-01"


def test_a_decision_routing_an_accusation_to_the_accused_unit_answers_400_and_the_task_stays(rest):
    response = rest.post("/engine-rest/deployment/create", headers=basic("sheji"), content_type="multipart/form-data",
                         data={name: (io.BytesIO(fixture_bytes(name)), name)
                               for name in ("roundtrip.bpmn", "roundtrip_route.dmn")})
    assert response.status_code == 200
    started = rest.post("/engine-rest/process-definition/key/modeler_roundtrip/start", headers=basic("dengji"),
                        json={"variables": {"amount": {"value": 5000, "type": "Long"},
                                            "accused_unit": {"value": "zjj"}}}).get_json()
    (task,) = rest.get(f"/engine-rest/task?processInstanceId={started['id']}", headers=basic("dengji")).get_json()
    # 5000 > 1000: the decision table sends it to 住建局, the unit the accusation is about.
    response = complete(rest, task["id"], {"amount": {"value": 5000, "type": "Long"}})
    assert response.status_code == 400
    assert "被检举控告" in response.get_json()["message"]
    assert rest.get(f"/engine-rest/task/{task['id']}", headers=basic("dengji")).status_code == 200


def test_a_database_constraint_becomes_a_400_that_says_why(app):
    from web.rest.errors import handle_error

    error = IntegrityError("INSERT INTO case_units ...", {}, Exception(
        "UNIQUE constraint failed: case_units.case_id, case_units.unit_code"))
    with app.test_request_context("/engine-rest/task/x/complete"):
        response = handle_error(error)
    assert response.status_code == 400
    assert response.get_json()["type"] == "InvalidRequestException"
    assert "检举控告" in response.get_json()["message"]


def test_json_nested_too_deeply_answers_400(rest):
    deploy_form_process(rest)
    _, task = start_form_case(rest)
    deep = '{"variables": {"title": {"value": ' + "[" * 60 + "]" * 60 + "}}}"
    response = rest.post(f"/engine-rest/task/{task['id']}/complete", headers=basic("dengji"), data=deep,
                         content_type="application/json")
    assert response.status_code == 400 and "嵌套" in response.get_json()["message"]
    very_deep = "[" * 100_000 + "]" * 100_000
    response = rest.post("/engine-rest/message", headers=basic("dengji"), data=very_deep,
                         content_type="application/json")
    assert response.status_code == 400 and "嵌套" in response.get_json()["message"]


def test_completing_a_task_someone_just_completed_answers_409(rest):
    deploy_form_process(rest)
    _, task = start_form_case(rest)
    assert complete(rest, task["id"], VALID).status_code == 204
    again = complete(rest, task["id"], VALID)
    assert again.status_code == 409
    assert again.get_json()["type"] == "OptimisticLockingException"
    assert rest.post(f"/engine-rest/task/{task['id']}/claim", json={}, headers=basic("dengji")).status_code == 409
    # Reading it is Camunda's runtime view: a finished task is simply not there.
    assert rest.get(f"/engine-rest/task/{task['id']}", headers=basic("dengji")).status_code == 404


def test_two_clients_racing_to_complete_one_task_get_one_204_and_one_409(app, sqlite_engine):
    create_users(sqlite_engine)
    with app.test_client() as setup:
        deploy_form_process(setup)
        _, task = start_form_case(setup)
    with live_server(app) as base:
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def racer(user: str):
            with requests.Session() as http:
                http.headers.update(basic(user))
                http.get(f"{base}/engine-rest/version")  # warm the connection and the login
                barrier.wait()
                response = http.post(f"{base}/engine-rest/task/{task['id']}/complete",
                                     json={"variables": {k: {"value": v} for k, v in VALID.items()}})
                statuses.append(response.status_code)

        threads = [threading.Thread(target=racer, args=(u,)) for u in ("dengji", "dengji2")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert sorted(statuses) == [204, 409]


BAD_BODIES = [b"", b"{", b"[]", b"null", b'"text"', b"123", b'{"variables": []}', b'{"variables": {"a": 5}}',
              b'{"variables": {"a": {"type": "Object", "value": "{"}}}', b'{"variables": {"": {"value": 1}}}',
              b'{"userId": 5}', b'{"businessKey": {"a": 1}}', b'{"messageName": ["x"]}',
              b'{"variables": {"a": {"value": 1e999, "type": "Double"}}}', b"\xff\xfe", b"[" * 5000]
BAD_IDS = ["nope", "%00", "..", "a" * 300, "00000000-0000-0000-0000-000000000000"]
ROUTES = [
    ("GET", "/engine-rest/task/{id}"), ("GET", "/engine-rest/task/{id}/form-variables"),
    ("POST", "/engine-rest/task/{id}/claim"), ("POST", "/engine-rest/task/{id}/unclaim"),
    ("POST", "/engine-rest/task/{id}/complete"), ("POST", "/engine-rest/task/{id}/submit-form"),
    ("GET", "/engine-rest/process-instance/{id}"), ("GET", "/engine-rest/process-instance/{id}/variables"),
    ("DELETE", "/engine-rest/process-instance/{id}"), ("GET", "/engine-rest/process-definition/{id}"),
    ("GET", "/engine-rest/process-definition/{id}/xml"), ("POST", "/engine-rest/process-definition/{id}/start"),
    ("POST", "/engine-rest/process-definition/key/{id}/start"), ("GET", "/engine-rest/deployment/{id}"),
    ("GET", "/engine-rest/history/process-instance/{id}"), ("POST", "/engine-rest/message"),
]
BAD_QUERIES = ["sortBy=x", "sortOrder=up", "firstResult=-1", "maxResults=abc", "dueBefore=yesterday",
               "active=maybe", "processInstanceIds=", "candidateGroups=,,,", "latestVersion=2",
               "finished=maybe", "startedAfter=soon", "businessKey=%00", "sortBy=instanceId&sortOrder=desc"]
LISTS = ["/engine-rest/task", "/engine-rest/task/count", "/engine-rest/process-instance",
         "/engine-rest/process-instance/count", "/engine-rest/history/process-instance",
         "/engine-rest/history/process-instance/count", "/engine-rest/process-definition",
         "/engine-rest/deployment"]


def test_no_malformed_request_answers_500(rest):
    deploy_form_process(rest)
    _, task = start_form_case(rest)
    seen = set()
    attempts = [(m, r, i, b"") for (m, r), i in itertools.product(ROUTES, BAD_IDS + [task["id"]])]
    attempts += [(m, r, i, b) for (m, r), i, b in itertools.product(ROUTES, ["nope", task["id"]], BAD_BODIES)
                 if m == "POST"]
    for method, route, ident, body in attempts:
        response = rest.open(route.format(id=ident), method=method, data=body, headers=basic("guanli"),
                             content_type="application/json")
        assert response.status_code < 500, (method, route, ident, body, response.get_data(as_text=True))
        assert response.status_code == 204 or response.is_json, (method, route)
        seen.add(response.status_code)
    for path, query in itertools.product(LISTS, BAD_QUERIES):
        response = rest.get(f"{path}?{query}", headers=basic("guanli"))
        assert response.status_code < 500, (path, query, response.get_data(as_text=True))
    assert 400 in seen and 404 in seen
