"""The bell: new tasks for me or my groups, tasks handed to me, deadlines, 督办函 received;
read per person; one unread count."""
from __future__ import annotations

import datetime as dt
import re

import time_machine

from tests.web_helpers import login, mini, people, ui_app, ui_client, ui_engine  # noqa: F401

SH = dt.timezone(dt.timedelta(hours=8))


def _count(client) -> int:
    html = client.get("/tasks").get_data(as_text=True)
    match = re.search(r'<span class="count" data-count="bell">(\d+)</span>', html)
    return int(match.group(1)) if match else 0


def _items(client) -> list[str]:
    html = client.get("/notifications").get_data(as_text=True)
    return re.findall(r'data-notification-id="(\d+)"', html)


def test_a_new_task_rings_for_everyone_of_its_group_and_is_read_per_person(login, mini):
    h1, h2, other = login("zjj_h1"), login("zjj_h2"), login("rsj_h")
    assert _count(h1) == 0
    mini(handling_unit="zjj", title="张三：请求办理房产证")
    assert _count(h1) == 1 and _count(h2) == 1 and _count(other) == 0
    html = h1.get("/notifications").get_data(as_text=True)
    assert "新任务" in html and "调查处理：张三：请求办理房产证" in html and "未读" in html
    (item,) = _items(h1)
    response = h1.post(f"/notifications/{item}")
    assert response.status_code == 302 and "/tasks/" in response.headers["Location"]
    assert _count(h1) == 0 and _count(h2) == 1  # read for 钱承办 only
    assert other.post(f"/notifications/{item}").headers["Location"].endswith("/notifications")  # not theirs


def test_a_task_handed_over_tells_the_new_holder(login, mini, ui_engine):
    mini(handling_unit="zjj")
    task = ui_engine.list_tasks()[0]
    h1, h2 = login("zjj_h1"), login("zjj_h2")
    h2.post("/notifications/read-all")
    h1.post(f"/tasks/{task.id}/claim")
    assert _count(h1) == 1  # the group's new-task notice; claiming it myself adds nothing
    h1.post(f"/tasks/{task.id}/assign", data={"assignee": "zjj_h2"})
    assert _count(h2) == 1
    assert "转交给我" in h2.get("/notifications").get_data(as_text=True)


def test_deadlines_ring_once_when_near_and_once_when_passed(login, mini, ui_engine):
    from engine.notifications import Bell

    mini(handling_unit="zjj", due_at="2026-11-20T23:59:59+08:00")
    h1 = login("zjj_h1")
    h1.post("/notifications/read-all")
    bell = Bell(ui_engine)
    assert bell.sweep(dt.datetime(2026, 11, 10, 9, 0, tzinfo=SH)) == 0  # ten days ahead: quiet
    assert bell.sweep(dt.datetime(2026, 11, 18, 9, 0, tzinfo=SH)) == 1
    assert bell.sweep(dt.datetime(2026, 11, 19, 9, 0, tzinfo=SH)) == 0  # announced once
    assert bell.sweep(dt.datetime(2026, 11, 21, 9, 0, tzinfo=SH)) == 1
    html = h1.get("/notifications").get_data(as_text=True)
    assert "即将到期" in html and "已超期" in html and _count(h1) == 2
    h1.post("/notifications/read-all")
    assert _count(h1) == 0


def test_a_supervision_letter_rings_for_the_units_head(login, ui_engine, people):
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, 0, tzinfo=SH), tick=False):
        ui_engine.start_case(process_key="supervision", business_key="督-XF202611200001", actor="sup", variables={
            "target_case_id": "x", "target_case_no": "XF202611200001", "target_unit": "zjj",
            "target_clock": "handling", "target_due": "2026-11-10T23:59:59+08:00",
            "supervision_reason": "overdue", "supervision_detail": "超期未办结，请书面答复",
            "title": "督办函：县住房和城乡建设局 XF202611200001", "issued_by": "sup"})
    head = login("zjj_head")
    html = head.get("/notifications").get_data(as_text=True)
    assert "督办函" in html and "收到督办函：县住房和城乡建设局 XF202611200001" in html
    assert _count(head) == 1 and _count(login("zjj_h1")) == 0


def test_the_unread_count_is_one_query(login, mini, ui_engine):
    from sqlalchemy import event

    from engine.notifications import unread_count

    for i in range(3):
        mini(handling_unit="zjj", case_no=f"XF-N{i}")
    statements = []
    with ui_engine.unit_of_work(read_only=True) as s:
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(s.get_bind(), "before_cursor_execute", listen)
        try:
            assert unread_count(s, people_of(ui_engine, "zjj_h1")) == 3
        finally:
            event.remove(s.get_bind(), "before_cursor_execute", listen)
    selects = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1 and "count(" in selects[0].lower()


def people_of(engine, username):
    from engine.accounts import get_user_by_username

    with engine.unit_of_work() as s:
        return get_user_by_username(s, username)
