"""The task page: the form generated from camunda:formData and the case beside it."""
from __future__ import annotations

import re

import pytest

from tests.web_helpers import login, mini, people, ui_app, ui_client, ui_engine  # noqa: F401


@pytest.fixture
def held_task(mini, ui_engine, login):
    """A web_mini task claimed by zjj_h1; returns (client of zjj_h1, task)."""
    mini(handling_unit="zjj", case_no="XF-T1")
    task = ui_engine.list_tasks()[0]
    client = login("zjj_h1")
    assert client.post(f"/tasks/{task.id}/claim").status_code == 302
    return client, task


def _field_error(html: str, field: str) -> str | None:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    return match.group(1) if match else None


def test_form_fields_are_generated_with_their_types_and_constraints(held_task):
    client, task = held_task
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert '<label for="f-opinion" class="required">处理意见</label>' in html
    # A string allowed more than 200 characters gets a multi-line box.
    # No maxlength attribute (it cuts pasted text off silently): a counter and a refusal instead.
    assert '<textarea name="opinion" id="f-opinion" required data-maxlength="500"></textarea>' in html
    assert 'id="f-opinion-count"' in html and not re.search(r'\smaxlength=', html)
    assert re.search(r'<input type="number" step="1" name="days" id="f-days" value="" min="1" max="60"', html)
    assert '<input type="checkbox" name="urgent" id="f-urgent" value="true">' in html
    assert '<option value="explain">作出解释说明</option>' in html
    assert '<input type="date" name="served_on" id="f-served_on"' in html
    assert re.search(r'name="case_no" id="f-case_no" readonly[^>]*value="XF-T1"', html)
    assert "至少 5 字，不超过 500 字" in html
    assert 'novalidate' in html  # the server's Chinese messages are the ones users see


def test_case_context_sits_beside_the_form(held_task):
    client, task = held_task
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "请求办理房产证" in html and "购房多年未办证。" in html
    assert "登记立案" in html and "认领任务" in html  # the history so far
    assert "3729**********1234" in html


def test_invalid_input_is_shown_beside_each_field_and_kept(held_task, ui_engine):
    client, task = held_task
    response = client.post(f"/tasks/{task.id}", data={
        "opinion": "太短", "days": "99", "result": "nonsense", "served_on": "2026-02-30", "urgent": "true",
        "case_no": "HACKED",
    })
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert _field_error(html, "opinion") and "5" in _field_error(html, "opinion")
    assert _field_error(html, "days") and "60" in _field_error(html, "days")
    assert _field_error(html, "result")
    assert _field_error(html, "served_on")
    assert '>太短</textarea>' in html and 'value="99"' in html and 'value="2026-02-30"' in html
    assert 'name="urgent" id="f-urgent" value="true" checked' in html
    assert 'value="HACKED"' not in html  # a readonly field keeps the case's value
    assert 'class="error-summary"' in html and 'href="#f-opinion"' in html
    assert ui_engine.get_task(task.id).state == "ready"  # nothing was applied


def test_valid_input_completes_the_task_with_typed_values(held_task, ui_engine):
    client, task = held_task
    response = client.post(f"/tasks/{task.id}", data={
        "opinion": "已调查核实，予以支持。", "days": "30", "result": "support", "served_on": "2026-12-01",
        "urgent": "true", "case_no": "HACKED",
    })
    assert response.status_code == 302 and response.headers["Location"] == "/tasks?tab=mine"
    assert ui_engine.get_task(task.id).state == "completed"
    variables = ui_engine.get_case(task.case_id).variables
    assert variables["days"] == 30 and variables["urgent"] is True and variables["result"] == "support"
    assert variables["served_on"] == "2026-12-01" and variables["case_no"] == "XF-T1"
    assert [t.name for t in ui_engine.list_tasks(case_id=task.case_id)] == ["确认送达"]


def test_completing_without_claiming_is_refused(login, mini, ui_engine):
    mini(handling_unit="zjj")
    task = ui_engine.list_tasks()[0]
    client = login("zjj_h1")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "认领此任务" in page and 'id="task-form"' not in page
    response = client.post(f"/tasks/{task.id}", data={"opinion": "已调查核实完毕。"})
    assert response.status_code == 403
    assert ui_engine.get_task(task.id).state == "ready"


def test_a_colleague_sees_the_task_but_cannot_complete_it(held_task, login, ui_engine):
    _, task = held_task
    colleague = login("zjj_h2")
    page = colleague.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "此任务由 钱承办 办理" in page and 'id="task-form"' not in page
    assert colleague.post(f"/tasks/{task.id}", data={"opinion": "抢先提交的意见"}).status_code == 403


def test_a_completed_task_is_read_only_and_cannot_be_completed_twice(held_task, ui_engine):
    client, task = held_task
    client.post(f"/tasks/{task.id}", data={"opinion": "已调查核实，予以支持。"})
    page = client.get(f"/tasks/{task.id}")
    assert page.status_code == 200 and 'id="task-form"' not in page.get_data(as_text=True)
    again = client.post(f"/tasks/{task.id}", data={"opinion": "第二次提交的意见"})
    assert again.status_code in (403, 409)


def test_another_units_task_is_not_found_everywhere(held_task, login):
    _, task = held_task
    stranger = login("rsj_h")
    assert stranger.get(f"/tasks/{task.id}").status_code == 404
    assert stranger.post(f"/tasks/{task.id}", data={"opinion": "越权提交的意见"}).status_code == 404
    assert stranger.post(f"/tasks/{task.id}/unclaim").status_code == 404
    assert stranger.post(f"/tasks/{task.id}/assign", data={"assignee": "rsj_h"}).status_code == 404
    assert stranger.get("/tasks/no-such-task").status_code == 404
    page = stranger.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "XF-T1" not in page and "张三" not in page


def test_hostile_text_is_escaped(login, mini, ui_engine):
    mini(handling_unit="zjj", petitioner_name='<script>alert("x")</script>', request="<img src=x onerror=alert(1)>")
    client = login("zjj_h1")
    task = ui_engine.list_tasks()[0]
    for path in ("/tasks?tab=claimable", f"/tasks/{task.id}", f"/cases/{task.case_id}"):
        html = client.get(path).get_data(as_text=True)
        assert '<script>alert("x")</script>' not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;" in html, path


def test_over_long_text_is_refused_with_a_message_and_kept_whole(held_task, ui_engine):
    client, task = held_task
    text = "经核实" * 167  # 501 characters, one over the form's maxlength of 500
    response = client.post(f"/tasks/{task.id}", data={"opinion": text, "result": "support"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _field_error(html, "opinion") == "长度不能超过 500 个字符"
    assert f">{text}</textarea>" in html  # nothing cut off
    assert ui_engine.get_task(task.id).state == "ready"
