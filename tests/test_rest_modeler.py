"""Camunda Modeler's round trip and a third-party Camunda 7 client, over a real socket.

The first test replays the requests Camunda Modeler 5 sends (its CamundaAPI: connection
check, version, multipart deploy with duplicate filtering, start with typed variables),
preflights included, then works the case to its end over REST.  The second drives the
same with pycamunda, a Camunda 7 REST client from PyPI, unchanged.
"""
from __future__ import annotations

import pytest
import requests

from tests.rest_support import FIXTURES, basic, create_users, fixture_bytes, live_server

MODELER_ORIGIN = "null"  # the Modeler's window is a file:// page


@pytest.fixture
def server(app, sqlite_engine):
    create_users(sqlite_engine)
    with live_server(app) as base:
        with requests.Session() as http:
            yield base, http


def modeler_headers(username: str, **extra) -> dict[str, str]:
    return {"accept": "application/json", "Origin": MODELER_ORIGIN, **basic(username), **extra}


def preflight(http, url: str, method: str, headers: str) -> requests.Response:
    return http.options(url, headers={"Origin": MODELER_ORIGIN, "Access-Control-Request-Method": method,
                                      "Access-Control-Request-Headers": headers})


def test_modeler_deploys_bpmn_and_dmn_starts_with_typed_variables_and_the_case_runs_to_its_end(server):
    base, http = server
    rest = f"{base}/engine-rest"

    # (1) Connection check: 401 without or with wrong credentials, then OK.
    assert http.get(f"{rest}/deployment?maxResults=0", headers={"accept": "application/json"}).status_code == 401
    wrong = http.get(f"{rest}/deployment?maxResults=0", headers=modeler_headers("sheji") | basic("sheji", "nope"))
    assert wrong.status_code == 401
    assert wrong.json()["type"] == "AuthenticationException"
    check = http.get(f"{rest}/deployment?maxResults=0", headers=modeler_headers("sheji"))
    assert check.status_code == 200 and check.json() == []
    assert check.headers["Access-Control-Allow-Origin"] in ("*", "null")

    # (2) Version.
    version = http.get(f"{rest}/version", headers=modeler_headers("sheji"))
    assert version.status_code == 200
    assert version.json()["version"].startswith("7.")

    # (3) Deploy: preflight, then the multipart body in the Modeler's field order.
    pre = preflight(http, f"{rest}/deployment/create", "POST", "authorization")
    assert pre.status_code == 200
    assert pre.headers["Access-Control-Allow-Origin"] in ("*", "null")
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert "authorization" in pre.headers["Access-Control-Allow-Headers"].lower()
    multipart = [
        ("deployment-name", (None, "roundtrip")),
        ("deployment-source", (None, "Camunda Modeler")),
        ("enable-duplicate-filtering", (None, "true")),
        ("roundtrip.bpmn", ("roundtrip.bpmn", fixture_bytes("roundtrip.bpmn"), "text/xml")),
        ("roundtrip_route.dmn", ("roundtrip_route.dmn", fixture_bytes("roundtrip_route.dmn"),
                                 "application/octet-stream")),
    ]
    deployed = http.post(f"{rest}/deployment/create", files=multipart, headers=modeler_headers("sheji"))
    assert deployed.status_code == 200, deployed.text
    body = deployed.json()
    assert body["name"] == "roundtrip" and body["source"] == "Camunda Modeler"
    (definition,) = body["deployedProcessDefinitions"].values()
    assert definition["key"] == "modeler_roundtrip" and definition["version"] == 1
    assert definition["deploymentId"] == body["id"] and definition["suspended"] is False
    (decision,) = body["deployedDecisionDefinitions"].values()
    assert decision["key"] == "roundtrip_route"

    # The Modeler's success link opens our definitions pages.
    links = http.get(f"{base}/.well-known/camunda-automation-platform/webapps").json()
    assert links["cockpitUrl"].startswith(base) and not links["cockpitUrl"].rstrip("/").endswith("cockpit")

    # (4) Start with typed variables, as the Modeler's start dialog sends them.
    assert preflight(http, f"{rest}/process-definition/{definition['id']}/start", "POST",
                     "authorization,content-type").status_code == 200
    started = http.post(f"{rest}/process-definition/{definition['id']}/start",
                        json={"businessKey": "XF-2026-0001", "variables": {
                            "petitioner_name": {"value": "张三", "type": "String"},
                            "amount": {"value": 5000, "type": "Long"},
                            "urgent": {"value": True},
                        }},
                        headers=modeler_headers("sheji", **{"content-type": "application/json"}))
    assert started.status_code == 200, started.text
    instance = started.json()
    assert instance["definitionId"] == definition["id"] and instance["businessKey"] == "XF-2026-0001"
    assert instance["ended"] is False and instance["links"][0]["rel"] == "self"
    case_id = instance["id"]

    # (5) The registrar finds the registration task in their group, claims and submits its form.
    tasks = http.get(f"{rest}/task", params={"processInstanceId": case_id, "candidateGroup": "xfj:registrar"},
                     headers=basic("dengji")).json()
    assert [t["taskDefinitionKey"] for t in tasks] == ["Task_register"]
    register = tasks[0]
    assert register["processDefinitionId"] == definition["id"] and register["due"].startswith("2030-01-01T00:00:00")
    assert http.get(f"{rest}/task/count", params={"processInstanceId": case_id},
                    headers=basic("dengji")).json() == {"count": 1}
    form = http.get(f"{rest}/task/{register['id']}/form-variables", headers=basic("dengji")).json()
    assert form["amount"] == {"type": "Long", "value": 5000, "valueInfo": {}}
    assert form["urgent"]["type"] == "Boolean"
    assert http.post(f"{rest}/task/{register['id']}/claim", json={"userId": "dengji"},
                     headers=basic("dengji")).status_code == 204
    assert http.get(f"{rest}/task/{register['id']}", headers=basic("dengji")).json()["assignee"] == "dengji"
    submitted = http.post(f"{rest}/task/{register['id']}/submit-form",
                          json={"variables": {"amount": {"value": 5000, "type": "Long"},
                                              "urgent": {"value": True, "type": "Boolean"}}},
                          headers=basic("dengji"))
    assert submitted.status_code == 204, submitted.text

    # (6) The DMN sent it to 住建局: another unit's handler cannot even see the task.
    (handle,) = http.get(f"{rest}/task", params={"processInstanceId": case_id},
                         headers=basic("zjj_cb")).json()
    assert handle["taskDefinitionKey"] == "Task_handle"
    assert http.get(f"{rest}/task/{handle['id']}", headers=basic("rsj_cb")).status_code == 404
    assert http.get(f"{rest}/task", params={"processInstanceId": case_id}, headers=basic("rsj_cb")).json() == []
    assert http.post(f"{rest}/task/{handle['id']}/claim", json={"userId": "zjj_cb"},
                     headers=basic("zjj_cb")).status_code == 204
    done = http.post(f"{rest}/task/{handle['id']}/complete",
                     json={"variables": {"opinion": {"value": "已协调解决", "type": "String"}},
                           "withVariablesInReturn": True},
                     headers=basic("zjj_cb"))
    assert done.status_code == 200, done.text
    assert done.json()["handling_unit"]["value"] == "zjj"

    # (7) The 复查 request arrives as a message correlated by business key; the case ends.
    correlated = http.post(f"{rest}/message", json={"messageName": "review_request", "businessKey": "XF-2026-0001",
                                                    "resultEnabled": True}, headers=basic("zjj_cb"))
    assert correlated.status_code == 200, correlated.text
    assert correlated.json()[0]["execution"]["processInstanceId"] == case_id
    final = http.get(f"{rest}/process-instance/{case_id}", headers=basic("zjj_cb")).json()
    assert final["ended"] is True
    assert http.get(f"{rest}/task", params={"processInstanceId": case_id}, headers=basic("zjj_cb")).json() == []

    # Deploying the same files again with duplicate filtering makes nothing new.
    again = http.post(f"{rest}/deployment/create", files=multipart, headers=modeler_headers("sheji")).json()
    assert again["id"] == body["id"]
    assert list(again["deployedProcessDefinitions"]) == [definition["id"]]
    all_versions = http.get(f"{rest}/process-definition", params={"key": "modeler_roundtrip"},
                            headers=basic("sheji")).json()
    assert [d["version"] for d in all_versions] == [1]


def test_pycamunda_client_deploys_starts_and_completes_unchanged(server):
    import pycamunda
    import pycamunda.deployment
    import pycamunda.message
    import pycamunda.processdef
    import pycamunda.processinst
    import pycamunda.task
    from requests.auth import HTTPBasicAuth

    from tests.rest_support import PASSWORD

    base, _ = server
    url = f"{base}/engine-rest"

    def authed(request, username):
        request.auth = HTTPBasicAuth(username, PASSWORD)
        return request

    create = authed(pycamunda.deployment.Create(url, name="roundtrip", source="pycamunda",
                                                enable_duplicate_filtering=True), "sheji")
    with open(FIXTURES / "roundtrip.bpmn", "rb") as bpmn, open(FIXTURES / "roundtrip_route.dmn", "rb") as dmn:
        create.add_resource(bpmn)
        create.add_resource(dmn)
        deployment = create()
    (definition,) = deployment.deployed_process_definitions.values()
    assert definition.key == "modeler_roundtrip" and deployment.deployment_time is not None

    listed = authed(pycamunda.processdef.GetList(url, key="modeler_roundtrip", latest_version=True), "sheji")()
    assert [d.id_ for d in listed] == [definition.id_]
    xml = authed(pycamunda.processdef.GetXML(url, id_=definition.id_), "sheji")()
    assert "modeler_roundtrip" in xml

    start = authed(pycamunda.processdef.StartInstance(url, key="modeler_roundtrip", business_key="XF-PY-1"), "sheji")
    start.add_variable("amount", 10, "Integer")
    instance = start()
    assert instance.definition_id == definition.id_ and not instance.suspended

    (register,) = authed(pycamunda.task.GetList(url, process_instance_id=instance.id_,
                                                candidate_group="xfj:registrar"), "dengji")()
    assert register.task_definition_key == "Task_register" and register.due is not None
    authed(pycamunda.task.Claim(url, id_=register.id_, user_id="dengji"), "dengji")()
    complete = authed(pycamunda.task.Complete(url, id_=register.id_), "dengji")
    complete.add_variable("amount", 10, "Long")
    complete()

    # 10 ≤ 1000: the decision table routes it to 人社局.
    (handle,) = authed(pycamunda.task.GetList(url, process_instance_id=instance.id_), "rsj_cb")()
    authed(pycamunda.task.Claim(url, id_=handle.id_, user_id="rsj_cb"), "rsj_cb")()
    finish = authed(pycamunda.task.Complete(url, id_=handle.id_), "rsj_cb")
    finish.add_variable("opinion", "已答复")
    finish()

    (result,) = authed(pycamunda.message.CorrelateSingle(url, message_name="review_request", business_key="XF-PY-1",
                                                         result_enabled=True), "rsj_cb")()
    assert result.execution.process_instance_id == instance.id_
    ended = authed(pycamunda.processinst.Get(url, id_=instance.id_), "rsj_cb")()
    assert ended.id_ == instance.id_

    with pytest.raises(pycamunda.NotFound):
        authed(pycamunda.task.Get(url, id_=handle.id_), "zjj_cb")()
