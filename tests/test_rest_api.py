"""The /engine-rest API through Flask's test client: auth, roles, errors, visibility."""
from __future__ import annotations

import io

import pytest

from tests.rest_support import basic, create_users, fixture_bytes


@pytest.fixture
def rest(client, sqlite_engine):
    create_users(sqlite_engine)
    return client


def deploy(client, *names: str, user: str = "sheji", **fields):
    data = {"deployment-name": "test", "deployment-source": "Camunda Modeler",
            "enable-duplicate-filtering": "true", **fields}
    for name in names:
        data[name] = (io.BytesIO(fixture_bytes(name)), name)
    return client.post("/engine-rest/deployment/create", data=data, headers=basic(user),
                       content_type="multipart/form-data")


def start(client, definition_id: str, business_key: str, amount: int, user: str = "dengji"):
    return client.post(f"/engine-rest/process-definition/{definition_id}/start", headers=basic(user),
                       json={"businessKey": business_key,
                             "variables": {"amount": {"value": amount, "type": "Long"}}})


def deployed_definition(client) -> dict:
    response = deploy(client, "roundtrip.bpmn", "roundtrip_route.dmn")
    assert response.status_code == 200, response.get_json()
    (definition,) = response.get_json()["deployedProcessDefinitions"].values()
    return definition


def test_missing_or_wrong_credentials_answer_401_with_a_basic_challenge(rest):
    missing = rest.get("/engine-rest/deployment?maxResults=0")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Basic")
    assert missing.get_json()["type"] == "AuthenticationException"
    assert rest.get("/engine-rest/version", headers=basic("sheji", "wrong-password")).status_code == 401
    assert rest.get("/engine-rest/version", headers=basic("nobody")).status_code == 401
    assert rest.get("/engine-rest/version", headers={"Authorization": "Bearer abc"}).status_code == 401


def test_cors_preflight_is_answered_without_credentials(rest):
    response = rest.options("/engine-rest/deployment/create", headers={
        "Origin": "null", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "null")
    assert {"authorization", "content-type"} <= {
        h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")}


def test_only_designers_and_admins_may_deploy(rest):
    refused = deploy(rest, "roundtrip.bpmn", "roundtrip_route.dmn", user="dengji")
    assert refused.status_code == 403
    assert refused.get_json()["type"] == "AuthorizationException"
    assert deploy(rest, "roundtrip.bpmn", "roundtrip_route.dmn", user="guanli").status_code == 200


def test_broken_bpmn_answers_400_parse_exception_with_line_and_element_id(rest):
    response = deploy(rest, "broken.bpmn", "roundtrip_route.dmn")
    assert response.status_code == 400
    body = response.get_json()
    assert body["type"] == "ParseException"
    assert body["message"].startswith("ENGINE-09005 Could not parse BPMN process.")
    errors = body["details"]["broken.bpmn"]["errors"]
    flow_errors = [e for e in errors if e["mainBpmnElementId"] == "Flow_register_route"]
    assert flow_errors, errors
    broken_line = next(n for n, text in enumerate(fixture_bytes("broken.bpmn").decode().splitlines(), 1)
                       if "Rule_missing" in text)
    assert flow_errors[0]["line"] == broken_line
    assert "Rule_missing" in flow_errors[0]["message"]
    # Nothing of a refused deployment is stored.
    assert rest.get("/engine-rest/process-definition", headers=basic("sheji")).get_json() == []


def test_redeploy_with_duplicate_filtering_creates_nothing_new(rest):
    first = deploy(rest, "roundtrip.bpmn", "roundtrip_route.dmn").get_json()
    second = deploy(rest, "roundtrip.bpmn", "roundtrip_route.dmn").get_json()
    assert second["id"] == first["id"]
    assert second["deployedProcessDefinitions"] == first["deployedProcessDefinitions"]
    assert second["deployedDecisionDefinitions"] == first["deployedDecisionDefinitions"]
    definitions = rest.get("/engine-rest/process-definition", headers=basic("sheji")).get_json()
    assert [(d["key"], d["version"]) for d in definitions] == [("modeler_roundtrip", 1)]
    assert rest.get("/engine-rest/process-definition/count", headers=basic("sheji")).get_json() == {"count": 1}


def test_process_definition_by_id_key_and_xml(rest):
    definition = deployed_definition(rest)
    by_id = rest.get(f"/engine-rest/process-definition/{definition['id']}", headers=basic("dengji")).get_json()
    by_key = rest.get("/engine-rest/process-definition/key/modeler_roundtrip", headers=basic("dengji")).get_json()
    assert by_id == by_key == definition
    xml = rest.get(f"/engine-rest/process-definition/{definition['id']}/xml", headers=basic("dengji")).get_json()
    assert xml["id"] == definition["id"]
    assert xml["bpmn20Xml"] == fixture_bytes("roundtrip.bpmn").decode("utf-8")
    missing = rest.get("/engine-rest/process-definition/nope:1:00000000", headers=basic("dengji"))
    assert missing.status_code == 404
    assert missing.get_json()["type"] == "InvalidRequestException"


def test_start_by_key_refuses_malformed_typed_variables_with_400(rest):
    deployed_definition(rest)
    response = rest.post("/engine-rest/process-definition/key/modeler_roundtrip/start", headers=basic("dengji"),
                         json={"variables": {"amount": {"value": "lots", "type": "Long"}}})
    assert response.status_code == 400
    body = response.get_json()
    assert body["type"] == "InvalidRequestException" and "amount" in body["errors"]
    assert rest.get("/engine-rest/task/count", headers=basic("dengji")).get_json() == {"count": 0}


def test_caseworkers_may_not_start_cases_over_rest(rest):
    definition = deployed_definition(rest)
    assert start(rest, definition["id"], "XF-1", 5, user="zjj_cb").status_code == 403


def test_another_units_task_and_case_answer_404(rest):
    definition = deployed_definition(rest)
    case = start(rest, definition["id"], "XF-1", 5000).get_json()
    (task,) = rest.get(f"/engine-rest/task?processInstanceId={case['id']}", headers=basic("dengji")).get_json()
    for path in (f"/engine-rest/task/{task['id']}", f"/engine-rest/task/{task['id']}/form-variables",
                 f"/engine-rest/process-instance/{case['id']}"):
        response = rest.get(path, headers=basic("zjj_cb"))
        assert response.status_code == 404, path
        assert response.get_json()["type"] == "InvalidRequestException"
    assert rest.post(f"/engine-rest/task/{task['id']}/claim", json={"userId": "zjj_cb"},
                     headers=basic("zjj_cb")).status_code == 404
    assert rest.get("/engine-rest/task", headers=basic("zjj_cb")).get_json() == []


def test_a_second_claim_conflicts_and_a_held_task_is_completed_only_by_its_holder(rest):
    definition = deployed_definition(rest)
    case = start(rest, definition["id"], "XF-1", 5).get_json()
    (task,) = rest.get(f"/engine-rest/task?processInstanceId={case['id']}", headers=basic("dengji")).get_json()
    assert rest.post(f"/engine-rest/task/{task['id']}/claim", json={"userId": "dengji"},
                     headers=basic("dengji")).status_code == 204
    taken = rest.post(f"/engine-rest/task/{task['id']}/claim", json={"userId": "dengji2"}, headers=basic("dengji2"))
    assert taken.status_code == 409
    assert taken.get_json()["type"] == "OptimisticLockingException"
    assert rest.post(f"/engine-rest/task/{task['id']}/claim", json={},
                     headers=basic("guanli")).status_code == 403  # not a registrar: not a candidate
    held = rest.post(f"/engine-rest/task/{task['id']}/complete", headers=basic("dengji2"),
                     json={"variables": {"amount": {"value": 7, "type": "Long"}}})
    assert held.status_code == 409 and "dengji" in held.get_json()["message"]
    assert rest.post(f"/engine-rest/task/{task['id']}/unclaim", headers=basic("dengji")).status_code == 204
    assert rest.get(f"/engine-rest/task/{task['id']}", headers=basic("dengji")).get_json()["assignee"] is None


@pytest.mark.parametrize("user", ["dengji", "guanli"])
def test_a_candidate_or_an_administrator_completes_without_claiming(rest, user):
    definition = deployed_definition(rest)
    case = start(rest, definition["id"], "XF-1", 5).get_json()
    (task,) = rest.get(f"/engine-rest/task?processInstanceId={case['id']}", headers=basic("dengji")).get_json()
    done = rest.post(f"/engine-rest/task/{task['id']}/complete", headers=basic(user),
                     json={"variables": {"amount": {"value": 7, "type": "Long"}}})
    assert done.status_code == 204, done.get_json()
    (handle,) = rest.get(f"/engine-rest/task?processInstanceId={case['id']}", headers=basic("guanli")).get_json()
    assert handle["taskDefinitionKey"] == "Task_handle"
    # 人社局's handler may not complete 住建局's … and a registrar is not a handler at all.
    refused = rest.post(f"/engine-rest/task/{handle['id']}/complete", headers=basic("dengji"),
                        json={"variables": {"opinion": {"value": "x"}}})
    assert refused.status_code == 403


def test_submit_form_and_complete_both_validate_the_form(rest):
    definition = deployed_definition(rest)
    case = start(rest, definition["id"], "XF-1", 5).get_json()
    (task,) = rest.get(f"/engine-rest/task?processInstanceId={case['id']}", headers=basic("dengji")).get_json()
    for path in ("submit-form", "complete"):
        invalid = rest.post(f"/engine-rest/task/{task['id']}/{path}", headers=basic("dengji"),
                            json={"variables": {"amount": {"value": -3, "type": "Long"}}})
        assert invalid.status_code == 400
        assert "amount" in invalid.get_json()["errors"]
    assert rest.get(f"/engine-rest/task/{task['id']}", headers=basic("dengji")).status_code == 200
    assert rest.post(f"/engine-rest/task/{task['id']}/complete", headers=basic("dengji"),
                     json={"variables": {"amount": {"value": 7, "type": "Long"}}}).status_code == 204
    assert rest.get(f"/engine-rest/task/{task['id']}", headers=basic("dengji")).status_code == 404


def test_task_filters_sort_and_paging(rest):
    definition = deployed_definition(rest)
    ids = [start(rest, definition["id"], f"XF-{n}", n).get_json()["id"] for n in range(3)]
    everything = rest.get("/engine-rest/task?sortBy=created&sortOrder=desc", headers=basic("dengji")).get_json()
    assert {t["processInstanceId"] for t in everything} == set(ids)
    page = rest.get("/engine-rest/task?sortBy=created&sortOrder=asc&firstResult=1&maxResults=1",
                    headers=basic("dengji")).get_json()
    assert len(page) == 1
    assert rest.get("/engine-rest/task?dueBefore=2029-12-31T00:00:00.000%2B0800",
                    headers=basic("dengji")).get_json() == []
    assert len(rest.get("/engine-rest/task?dueAfter=2029-12-31T00:00:00.000%2B0800",
                        headers=basic("dengji")).get_json()) == 3
    # "+0800" sent unencoded arrives as " 0800" and still means China time.
    assert len(rest.get("/engine-rest/task?dueAfter=2029-12-31T23:59:59.000+0800",
                        headers=basic("dengji")).get_json()) == 3
    assert rest.get("/engine-rest/task?dueAfter=tomorrow", headers=basic("dengji")).status_code == 400
    rest.post(f"/engine-rest/task/{everything[0]['id']}/claim", json={}, headers=basic("dengji"))
    assert rest.get("/engine-rest/task/count?candidateGroup=xfj:registrar",
                    headers=basic("dengji")).get_json() == {"count": 2}
    assert rest.get("/engine-rest/task/count?unassigned=true", headers=basic("dengji")).get_json() == {"count": 2}
    assert rest.get("/engine-rest/task/count?assignee=dengji", headers=basic("dengji")).get_json() == {"count": 1}
    assert rest.get("/engine-rest/task?sortBy=bogus", headers=basic("dengji")).status_code == 400


def test_delete_process_instance_cancels_it_for_admins_only(rest):
    definition = deployed_definition(rest)
    case = start(rest, definition["id"], "XF-1", 5).get_json()
    assert rest.delete(f"/engine-rest/process-instance/{case['id']}", headers=basic("dengji")).status_code == 403
    assert rest.delete(f"/engine-rest/process-instance/{case['id']}", headers=basic("guanli")).status_code == 204
    assert rest.get(f"/engine-rest/process-instance/{case['id']}", headers=basic("guanli")).get_json()["ended"] is True
    assert rest.get(f"/engine-rest/task?processInstanceId={case['id']}", headers=basic("dengji")).get_json() == []


def test_message_without_a_waiting_case_answers_404(rest):
    deployed_definition(rest)
    response = rest.post("/engine-rest/message", headers=basic("dengji"),
                         json={"messageName": "review_request", "businessKey": "XF-none"})
    assert response.status_code == 404


def test_unknown_paths_answer_json_404_and_well_known_links_into_the_ui(rest):
    response = rest.get("/engine-rest/job", headers=basic("sheji"))
    assert response.status_code == 404 and response.get_json()["type"] == "InvalidRequestException"
    links = rest.get("/.well-known/camunda-automation-platform/webapps").get_json()
    assert links["cockpitUrl"].endswith("/definitions/modeler/")
    assert set(links) == {"cockpitUrl", "tasklistUrl", "adminUrl"}
