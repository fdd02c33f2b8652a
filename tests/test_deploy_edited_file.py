"""Deploying the one file a designer edited: its callees and decisions are already deployed.

Call activities and business rule tasks resolve against the stored versions as their
Camunda binding says (latest, deployment, version, versionTag); problems name the file
and element that are wrong. Over the engine, the CLI, and the Modeler's REST deploy.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from engine.bootstrap import deploy_folder
from engine.errors import DeployError
from tests.process_driver import PETITIONER
from tests.rest_support import PASSWORD, basic, create_users, live_server
from web.cli import main

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = ROOT / "processes"
INTAKE = (PROCESSES / "intake.bpmn").read_bytes()
HANDLING = (PROCESSES / "handling.bpmn").read_bytes()
CALL_HANDLING = b'calledElement="handling"'


def edited(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1, old
    return data.replace(old, new)


def renamed_start(data: bytes = INTAKE) -> bytes:
    """intake.bpmn as a designer changes it: a new name on the start event."""
    return edited(data, 'name="收到信访事项"'.encode(), 'name="收到信访事项（新）"'.encode())


def bound(binding: str, **attrs: str) -> bytes:
    extra = "".join(f' camunda:{name}="{value}"' for name, value in attrs.items())
    return edited(INTAKE, CALL_HANDLING, CALL_HANDLING + f' camunda:calledElementBinding="{binding}"{extra}'.encode())


def refused(engine, name: str, data: bytes):
    with pytest.raises(DeployError) as caught:
        engine.deploy([(name, data)], source="test")
    return caught.value.problems


def definition_row(engine, definition_id: str):
    from persistence.models import ProcessDefinition

    with engine.unit_of_work(read_only=True) as s:
        row = s.get(ProcessDefinition, definition_id)
        return dict(row.called_definitions or {})


def latest_id(engine, key: str) -> str:
    return engine.list_definitions(key=key)[0].id


def test_editing_intake_alone_deploys_a_new_version_calling_the_deployed_callees(deployed_engine):
    handling = latest_id(deployed_engine, "handling")
    info = deployed_engine.deploy([("intake.bpmn", renamed_start())], source="Camunda Modeler")
    (petition,) = info.definitions
    assert (petition.key, petition.version) == ("petition", 2)
    frozen = definition_row(deployed_engine, petition.id)
    # handling and, through handling, the review and recheck versions handling was deployed with
    assert frozen["handling"] == handling
    assert frozen["review"] == latest_id(deployed_engine, "review")
    assert frozen["recheck"] == latest_id(deployed_engine, "recheck")
    case = deployed_engine.start_case(process_key="petition", business_key="XF-NEW", variables=dict(PETITIONER),
                                      actor="dengji")
    assert case.definition_id == petition.id


def test_a_callee_deployed_later_does_not_change_the_callers_frozen_version(deployed_engine):
    old_handling = latest_id(deployed_engine, "handling")
    new_handling = deployed_engine.deploy(
        [("handling.bpmn", edited(HANDLING, 'name="复查"'.encode(), 'name="复查（新）"'.encode()))]).definitions[0]
    assert new_handling.version == 2
    petition_v1 = deployed_engine.list_definitions(key="petition")[0]
    assert definition_row(deployed_engine, petition_v1.id)["handling"] == old_handling
    # the next edit of intake takes the newest handling (binding latest) ...
    latest = deployed_engine.deploy([("intake.bpmn", renamed_start())]).definitions[0]
    assert definition_row(deployed_engine, latest.id)["handling"] == new_handling.id
    # ... and a version binding keeps the old one
    pinned = deployed_engine.deploy([("intake.bpmn", bound("version", calledElementVersion="1"))]).definitions[0]
    assert definition_row(deployed_engine, pinned.id)["handling"] == old_handling


def test_version_tag_binding_picks_the_one_tagged_version(deployed_engine):
    def tagged(tag: str) -> bytes:
        process = HANDLING.split(b'<bpmn:process id="handling"', 1)[1].split(b">", 1)[0]
        assert b' camunda:versionTag="1"' in process  # what handling.bpmn carries today
        return HANDLING.replace(b'<bpmn:process id="handling"' + process,
                                b'<bpmn:process id="handling"' + process.replace(b'camunda:versionTag="1"',
                                                                                  f'camunda:versionTag="{tag}"'.encode()))

    tag_a = deployed_engine.deploy([("handling.bpmn", tagged("2026-a"))]).definitions[0]
    deployed_engine.deploy([("handling.bpmn", tagged("2026-b"))])
    caller = deployed_engine.deploy([("intake.bpmn", bound("versionTag", calledElementVersionTag="2026-a"))])
    assert definition_row(deployed_engine, caller.definitions[0].id)["handling"] == tag_a.id
    problems = refused(deployed_engine, "intake.bpmn", bound("versionTag", calledElementVersionTag="nope"))
    assert [(p.file, p.element_id) for p in problems] == [("intake.bpmn", "Call_handling")]
    assert "version tag 'nope'" in problems[0].message and "1, 2026-a, 2026-b" in problems[0].message
    # two versions with one tag: Camunda refuses to guess, and so do we
    deployed_engine.deploy([("handling.bpmn", edited(tagged("2026-a"), 'name="复查"'.encode(), 'name="复查3"'.encode()))])
    twice = refused(deployed_engine, "intake.bpmn", bound("versionTag", calledElementVersionTag="2026-a"))
    assert "2 deployed versions carry" in twice[0].message


def test_an_unknown_callee_is_reported_at_the_edited_file_with_the_deployed_keys(deployed_engine):
    problems = refused(deployed_engine, "intake.bpmn", edited(INTAKE, CALL_HANDLING, b'calledElement="handlng"'))
    assert [(p.file, p.element_id) for p in problems] == [("intake.bpmn", "Call_handling")]
    assert "'handlng'" in problems[0].message and "handling, " in problems[0].message
    assert "review" in problems[0].message  # listed as deployed, not claimed missing


def test_binding_problems_name_the_call_and_what_is_deployed(deployed_engine):
    missing = refused(deployed_engine, "intake.bpmn", bound("version", calledElementVersion="7"))
    assert [(p.file, p.element_id) for p in missing] == [("intake.bpmn", "Call_handling")]
    assert "version 7" in missing[0].message and "deployed versions: 1" in missing[0].message
    alone = refused(deployed_engine, "intake.bpmn", bound("deployment"))
    assert [(p.file, p.element_id) for p in alone] == [("intake.bpmn", "Call_handling")]
    assert "its own deployment" in alone[0].message
    odd = refused(deployed_engine, "intake.bpmn", bound("version", calledElementVersion="${v}"))
    assert "not a version number" in odd[0].message
    # with the callee in the same deployment, "deployment" is what Camunda resolves
    both = deployed_engine.deploy([("intake.bpmn", bound("deployment")),
                                   ("handling.bpmn", edited(HANDLING, 'name="复查"'.encode(), 'name="复查2"'.encode()))])
    by_key = {d.key: d for d in both.definitions}
    assert definition_row(deployed_engine, by_key["petition"].id)["handling"] == by_key["handling"].id


def test_an_unknown_decision_is_reported_once_at_the_business_rule_task(deployed_engine):
    data = edited(INTAKE, b'camunda:decisionRef="petition_classification"', b'camunda:decisionRef="classify"')
    problems = refused(deployed_engine, "intake.bpmn", data)
    assert [(p.file, p.element_id) for p in problems] == [("intake.bpmn", "Rule_classify")]
    assert "deployed decisions: petition_classification" in problems[0].message


def test_cli_deploys_the_edited_file_alone(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    runner = CliRunner()
    assert runner.invoke(main, ["deploy", str(PROCESSES)], env=env).exit_code == 0
    edited_file = tmp_path / "intake.bpmn"
    edited_file.write_bytes(renamed_start())
    result = runner.invoke(main, ["deploy", str(edited_file)], env=env)
    assert result.exit_code == 0, result.output
    assert "process  petition v2" in result.output
    wrong = tmp_path / "wrong" / "intake.bpmn"
    wrong.parent.mkdir()
    wrong.write_bytes(edited(INTAKE, CALL_HANDLING, b'calledElement="handlng"'))
    result = runner.invoke(main, ["deploy", str(wrong)], env=env)
    assert result.exit_code == 1 and "error: intake.bpmn:" in result.output
    assert "handling.bpmn" not in result.output


def test_modeler_deploys_the_edited_file_and_the_new_version_is_offered_for_migration(app, sqlite_engine, client):
    create_users(sqlite_engine)
    deploy_folder(sqlite_engine, PROCESSES)
    v1 = latest_id(sqlite_engine, "petition")
    case = sqlite_engine.start_case(process_key="petition", business_key="XF-MIG", variables=dict(PETITIONER),
                                    actor="dengji")
    with live_server(app) as base:
        multipart = [("deployment-name", (None, "intake")), ("deployment-source", (None, "Camunda Modeler")),
                     ("enable-duplicate-filtering", (None, "true")),
                     ("intake.bpmn", ("intake.bpmn", renamed_start(), "application/octet-stream"))]
        answer = requests.post(f"{base}/engine-rest/deployment/create", files=multipart,
                               headers={"accept": "application/json", **basic("sheji")}, timeout=60)
    assert answer.status_code == 200, answer.text
    (definition,) = answer.json()["deployedProcessDefinitions"].values()
    assert (definition["key"], definition["version"]) == ("petition", 2)
    client.post("/login", data={"username": "sheji", "password": PASSWORD})
    page = client.get(f"/definitions/version/{definition['id']}").get_data(as_text=True)
    assert f"/definitions/version/{definition['id']}/migrate?from={v1}".replace(":", "%3A") in page \
        or f"/definitions/version/{definition['id']}/migrate?from={v1}" in page
    preview = client.get(f"/definitions/version/{definition['id']}/migrate", query_string={"from": v1})
    assert preview.status_code == 200 and "XF-MIG" in preview.get_data(as_text=True)
    done = client.post(f"/definitions/version/{definition['id']}/migrate", data={"from": v1, "case_id": [case.id]})
    assert done.status_code == 200
    assert sqlite_engine.get_case(case.id).definition_id == definition["id"]
