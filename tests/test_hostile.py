"""The hostile corpus (tests/hostile/) is refused at deploy: checks, engine and HTTP."""
from __future__ import annotations

import pytest
import requests

from engine.errors import DeployError
from engine.expressions import check_expression
from tests.hostile_corpus import carrier, lookalikes, name_templates, payloads, place, reserved_names
from tests.rest_support import basic, create_users, live_server

REFUSED = payloads("refused.txt")


def test_the_corpus_is_complete():
    assert len(reserved_names()) >= 50
    assert len(name_templates()) >= 20
    assert len(REFUSED) >= 50
    kinds = {p.kind for p in REFUSED}
    assert {"condition", "text", "script", "dmn_output", "unary_tests"} <= kinds


@pytest.mark.parametrize(("kind", "template"), name_templates(), ids=lambda v: v if "\n" not in v else "script")
def test_every_lookalike_of_every_reserved_name_is_refused(kind, template):
    let_through = []
    for name in reserved_names():
        for label, variant in lookalikes(name).items():
            text = template.replace("NAME", variant)
            if not check_expression(text, kind):
                let_through.append(f"{label} {name}: {text}")
    assert let_through == []


def test_lookalike_refusal_says_what_python_would_read():
    (problem,) = check_expression("${_ｓｂ_sized(x, '__class__')}", "condition")
    assert "the name '_ｓｂ_sized'" in problem
    assert "would read as '_sb_sized'" in problem
    problems = check_expression("y = x.__claſſ__", "script")
    assert any("Python would read it as '__class__'" in p and "(line 1)" in p for p in problems)


@pytest.mark.parametrize("payload", REFUSED, ids=lambda p: p.id)
def test_hostile_payload_is_refused_at_deploy(payload):
    assert check_expression(payload.text, payload.kind) != []


DEPLOYED = [p for p in REFUSED if p.kind in ("condition", "text", "script", "dmn_output", "unary_tests", "timeDate")]


@pytest.mark.parametrize("payload", DEPLOYED, ids=lambda p: p.id)
def test_hostile_payload_in_a_process_is_refused_naming_file_line_and_element(sqlite_engine, payload):
    resources, file, element = place(payload.kind, payload.text)
    with pytest.raises(DeployError) as caught:
        sqlite_engine.deploy(resources, name="hostile", deployed_by="test")
    problems = [p for p in caught.value.problems if p.element_id == element]
    assert problems, [str(p) for p in caught.value.problems]
    assert problems[0].file == file
    assert problems[0].line and problems[0].line > 1
    assert sqlite_engine.list_definitions() == []


def test_the_carrier_itself_deploys(sqlite_engine):
    info = sqlite_engine.deploy(carrier(), name="hostile", deployed_by="test")
    assert [d.key for d in info.definitions] == ["hostile_carrier"]


@pytest.fixture
def rest(app, sqlite_engine):
    create_users(sqlite_engine)
    with live_server(app) as base, requests.Session() as http:
        yield f"{base}/engine-rest", http


@pytest.mark.parametrize("payload_id", ["issue-fullwidth-condition", "issue-fullwidth-assignee",
                                        "issue-fullwidth-dmn-output", "catch-warnings-gadget",
                                        "format-attribute", "genexp-frame", "deep-juel-brackets"])
def test_hostile_payload_deployed_over_http_answers_400_naming_the_element(rest, payload_id):
    base, http = rest
    payload = next(p for p in REFUSED if p.id == payload_id)
    resources, file, element = place(payload.kind, payload.text)
    files = [("deployment-name", (None, "hostile"))] + [(name, (name, data, "text/xml")) for name, data in resources]
    answer = http.post(f"{base}/deployment/create", files=files, headers=basic("sheji"))
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["type"] == "ParseException"
    errors = body["details"][file]["errors"]
    named = [e for e in errors if e["mainBpmnElementId"] == element]
    assert named and named[0]["line"] > 1
    assert http.get(f"{base}/process-definition", headers=basic("sheji")).json() == []
