"""The case page (timeline, notices, clocks, diagram data) and who may open which page."""
from __future__ import annotations

import datetime as dt

import pytest

from engine.clocks import clock_extend, clock_start
from tests.web_helpers import PEOPLE, login, mini, people, ui_app, ui_client, ui_engine  # noqa: F401


def test_timeline_lists_every_event_with_who_and_what_changed(login, mini, ui_engine):
    case = mini(handling_unit="zjj", case_no="XF-C1")
    task = ui_engine.list_tasks()[0]
    client = login("zjj_h1")
    client.post(f"/tasks/{task.id}/claim")
    client.post(f"/tasks/{task.id}", data={"opinion": "经核实，诉求合理，予以支持。", "result": "support"})
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    timeline = html[html.index('<ol class="timeline">'):]
    kinds = [e.kind for e in ui_engine.history(case.id)]
    assert timeline.count("<li data-kind=") == len(kinds)
    assert "认领任务：调查处理" in timeline and "办理完成：调查处理" in timeline
    assert "钱承办" in timeline  # the actor by name, not by login
    # Submitted values under the labels their form gave them, enum values by name.
    assert '处理意见：</span>经核实，诉求合理，予以支持。' in timeline
    assert '处理结果：</span>予以支持' in timeline


def test_notices_issued_are_listed(login, mini, ui_engine):
    case = mini(handling_unit="zjj")
    task = ui_engine.list_tasks()[0]
    client = login("zjj_h1")
    client.post(f"/tasks/{task.id}/claim")
    client.post(f"/tasks/{task.id}", data={"opinion": "经核实，诉求合理，予以支持。"})
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    section = html[html.index('id="notices-h"'):html.index('id="timeline-h"')]
    assert "信访处理意见书" in section and "张三" in section


def test_clocks_show_due_dates_and_extensions(login, mini):
    start = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.timezone.utc)
    handling = clock_extend(clock_start("handling", start=start, unit="zjj"), 30, reason="案情复杂，需补充调查")
    case = mini(handling_unit="zjj", clock_handling=handling)
    html = login("zjj_h1").get(f"/cases/{case.id}").get_data(as_text=True)
    section = html[html.index('id="clocks-h"'):]
    assert "办理期限" in section and "60日" in section
    assert "延长 30 天" in section and "案情复杂，需补充调查" in section
    due = dt.datetime.fromisoformat(handling["due"]).strftime("%Y-%m-%d")
    original = dt.datetime.fromisoformat(handling["original_due"]).strftime("%Y-%m-%d")
    assert due in section and f"原 {original}" in section


def test_diagram_data_names_current_and_overdue_activities(login, mini, ui_engine):
    case = mini(handling_unit="zjj", due_at="2020-01-01T00:00:00+08:00")
    response = login("zjj_h1").get(f"/cases/{case.id}/diagram.json")
    assert response.status_code == 200 and response.is_json
    data = response.get_json()
    assert 'id="web_mini"' in data["xml"] and "<bpmndi:BPMNDiagram" in data["xml"]
    assert "handle" in data["active"] and data["overdue"] == ["handle"]
    assert "start" in data["completed"]


def test_diagram_data_of_a_called_process(login, ui_engine):
    from tests.process_driver import PETITIONER

    case = ui_engine.start_case(process_key="petition", variables=dict(PETITIONER, case_no="XF-D"), actor="reg")
    client = login("sup")
    called = client.get(f"/cases/{case.id}/diagram.json?called=handling").get_json()
    assert 'id="handling"' in called["xml"] and called["definition_id"].startswith("handling:")
    assert client.get(f"/cases/{case.id}/diagram.json?called=no_such_process").status_code == 404
    assert login("rsj_h").get(f"/cases/{case.id}/diagram.json?called=handling").status_code == 404


def test_the_case_page_loads_the_local_bpmn_js_viewer(login, mini):
    case = mini(handling_unit="zjj")
    html = login("zjj_h1").get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'src="/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js"' in html
    assert 'src="/static/js/case-diagram.js"' in html
    assert "https://" not in html.split("<main>")[0]  # nothing fetched from another origin
    assert ui_client_static_ok(login("zjj_h1"))


def ui_client_static_ok(client) -> bool:
    for path in ("/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js",
                 "/static/vendor/bpmn-js/diagram-js.css", "/static/js/case-diagram.js", "/static/css/app.css"):
        with client.get(path) as response:
            if response.status_code != 200:
                return False
    return True


# ---------------------------------------------------------------------- role × endpoint
ZJJ_CASE_VISIBLE = {"zjj_reg", "zjj_h1", "zjj_h2", "zjj_head", "sup", "lead", "admin"}
REGISTRARS = {"reg", "zjj_reg", "rsj_reg"}


@pytest.mark.parametrize("username", sorted(PEOPLE))
def test_each_role_on_the_main_pages(login, mini, ui_engine, username):
    case = mini(handling_unit="zjj")
    task = ui_engine.list_tasks()[0]
    client = login(username)
    seen = 200 if username in ZJJ_CASE_VISIBLE else 404
    expected = {
        "/tasks": 200,
        "/tasks?tab=claimable": 200,
        "/tasks?tab=done": 200,
        "/register": 200 if username in REGISTRARS else 403,
        f"/cases/{case.id}": seen,
        f"/cases/{case.id}/diagram.json": seen,
        f"/tasks/{task.id}": seen,
        "/cases/00000000-0000-0000-0000-000000000000": 404,
    }
    actual = {path: client.get(path).status_code for path in expected}
    assert actual == expected
    claim = client.post(f"/tasks/{task.id}/claim").status_code
    assert claim == (302 if username in {"zjj_h1", "zjj_h2"} else 403 if username in ZJJ_CASE_VISIBLE else 404)


def test_a_not_found_page_says_nothing_about_the_case(login, mini):
    case = mini(handling_unit="zjj", case_no="XF-SECRET")
    response = login("rsj_h").get(f"/cases/{case.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and "页面不存在或您无权查看" in html
    assert "XF-SECRET" not in html and "张三" not in html
    assert login("rsj_h").get(f"/cases/{case.id}/diagram.json").get_json()["error"]


def _section(html: str, heading_id: str) -> str:
    start = html.index(f'id="{heading_id}"')
    return html[start:html.index("</section>", start)]


def test_the_header_says_who_has_the_case_since_when_and_until_when(login, mini, ui_engine):
    start = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.timezone.utc)
    case = mini(handling_unit="zjj", due_at="2026-12-31T23:59:59+08:00",
                clock_handling=clock_start("handling", start=start, unit="zjj"))
    task = ui_engine.list_tasks(case_id=case.id)[0]
    client = login("zjj_h1")
    header = _section(client.get(f"/cases/{case.id}").get_data(as_text=True), "now-h")
    assert "调查处理" in header and "县住房和城乡建设局" in header
    assert "承办人岗位（待认领）" in header
    assert task.created_at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M") in header
    assert "2026-12-31 23:59" in header  # the exact due, not only "剩 N 天"
    due = dt.datetime.fromisoformat(ui_engine.get_case(case.id).variables["clock_handling"]["due"])
    assert "下一个法定期限" in header and "办理期限" in header and due.strftime("%Y-%m-%d 23:59") in header
    client.post(f"/tasks/{task.id}/claim")
    header = _section(client.get(f"/cases/{case.id}").get_data(as_text=True), "now-h")
    assert "钱承办" in header and "待认领" not in header


def test_variables_read_in_plain_chinese_and_raw_names_only_for_designers(login, mini, ui_engine):
    case = mini(handling_unit="zjj", major_urgent=True, routing="forward", try_mediation=False,
                served_on="2026-11-02", internal_flag=True, hearing_method="in_person")
    html = login("zjj_h1").get(f"/cases/{case.id}").get_data(as_text=True)
    facts = _section(html, "facts-h")
    assert "<dt>是否重大紧急</dt><dd>是</dd>" in facts and "<dt>处理方式</dt><dd>转送</dd>" in facts
    assert "<dt>送达日期</dt><dd>2026-11-02</dd>" in facts and "<dt>听证方式</dt>" not in facts
    for raw in ("internal_flag", "major_urgent", "routing", "True", "in_person", "技术信息"):
        assert raw not in html, raw
    admin = login("admin").get(f"/cases/{case.id}").get_data(as_text=True)
    technical = admin[admin.index('<details class="card technical">'):]
    assert "<code>internal_flag</code>" in technical and "<code>true</code>" in technical
    assert "<code>routing</code>" in technical
