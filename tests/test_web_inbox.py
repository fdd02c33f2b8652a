"""The inbox: tabs, counts, columns, filters, pagination; claim, return and hand over."""
from __future__ import annotations

import datetime as dt
import re

from engine.calendar import SHANGHAI
from tests.web_helpers import login, mini, people, ui_app, ui_client, ui_engine  # noqa: F401


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr data-task-id="([^"]+)"', html)


def _count(html: str, key: str) -> int:
    return int(re.search(rf'data-count="{key}">(\d+)<', html).group(1))


def _in_days(days: int) -> str:
    when = dt.datetime.now(SHANGHAI).replace(hour=23, minute=59, second=59, microsecond=0) + dt.timedelta(days=days)
    return when.isoformat()


def test_claimable_tab_lists_the_units_new_tasks_with_masked_id_numbers(login, mini):
    mini(handling_unit="zjj", case_no="XF-A", petitioner_id_number="372925198001011234")
    html = login("zjj_h1").get("/tasks?tab=claimable").get_data(as_text=True)
    assert len(_rows(html)) == 1
    assert "XF-A" in html and "张三" in html and "调查处理" in html and "县住房和城乡建设局" in html
    assert "3729**********1234" in html
    assert "372925198001011234" not in html  # the full number never reaches the list
    assert "申诉求决" in html and "城乡建设" in html


def test_counts_in_the_navigation_follow_claiming(login, mini, ui_engine):
    mini(handling_unit="zjj")
    mini(handling_unit="zjj")
    client = login("zjj_h1")
    html = client.get("/tasks").get_data(as_text=True)
    assert (_count(html, "mine"), _count(html, "claimable")) == (0, 2)
    task_id = ui_engine.list_tasks()[0].id
    assert client.post(f"/tasks/{task_id}/claim").status_code == 302
    html = client.get("/tasks").get_data(as_text=True)
    assert (_count(html, "mine"), _count(html, "claimable")) == (1, 1)
    assert _rows(html) == [task_id]


def test_another_units_user_sees_nothing_of_the_task(login, mini):
    mini(handling_unit="zjj")
    html = login("rsj_h").get("/tasks?tab=claimable").get_data(as_text=True)
    assert _rows(html) == [] and _count(html, "claimable") == 0


def test_due_dates_show_normal_soon_and_overdue_by_n_days(login, mini):
    mini(case_no="XF-LATE", due_at=_in_days(-4))
    mini(case_no="XF-SOON", due_at=_in_days(2))
    mini(case_no="XF-FAR", due_at=_in_days(20))
    html = login("zjj_h1").get("/tasks?tab=claimable").get_data(as_text=True)
    assert '<span class="due due-overdue"' in html and "超期 4 天" in html
    assert '<span class="due due-soon"' in html and "2 天后到期" in html
    assert '<span class="due due-normal"' in html and "剩 20 天" in html
    # Sorted by due date, nearest (most overdue) first.
    assert html.index("XF-LATE") < html.index("XF-SOON") < html.index("XF-FAR")


def test_filters_narrow_the_list(login, mini):
    mini(case_no="XF-LATE", due_at=_in_days(-1), category="检举控告", domain="城乡建设")
    mini(case_no="XF-SOON", due_at=_in_days(1), category="申诉求决", domain="教育")
    mini(case_no="XF-FAR", due_at=_in_days(30), category="申诉求决", domain="城乡建设")
    client = login("zjj_h1")

    def listed(query: str) -> set[str]:
        html = client.get(f"/tasks?tab=claimable&{query}").get_data(as_text=True)
        return set(re.findall(r">(XF-[A-Z]+)</a>", html))

    assert listed("") == {"XF-LATE", "XF-SOON", "XF-FAR"}
    assert listed("due=overdue") == {"XF-LATE"}
    assert listed("due=soon") == {"XF-SOON"}
    assert listed("due=normal") == {"XF-FAR"}
    assert listed("category=申诉求决") == {"XF-SOON", "XF-FAR"}
    assert listed("domain=城乡建设") == {"XF-LATE", "XF-FAR"}
    assert listed("domain=城乡建设&category=申诉求决") == {"XF-FAR"}
    assert listed("unit=rsj") == set()
    assert listed("unit=zjj") == {"XF-LATE", "XF-SOON", "XF-FAR"}
    assert listed("case_no=XF-SOON") == {"XF-SOON"}
    far_first = client.get("/tasks?tab=claimable&sort=-due").get_data(as_text=True)
    assert far_first.index("XF-FAR") < far_first.index("XF-LATE")


def test_pages_of_twenty_with_links_that_keep_the_filters(login, mini, ui_app):
    for i in range(23):
        mini(case_no=f"XF-{i:03d}", due_at=_in_days(5 + i))
    client = login("zjj_h1")
    first = client.get("/tasks?tab=claimable&domain=城乡建设").get_data(as_text=True)
    assert len(_rows(first)) == 20 and "共 23 条" in first
    assert "page=2" in first and "domain=" in first
    second = client.get("/tasks?tab=claimable&domain=城乡建设&page=2").get_data(as_text=True)
    assert len(_rows(second)) == 3
    assert not set(_rows(first)) & set(_rows(second))
    assert len(_rows(client.get("/tasks?tab=claimable&page=abc").get_data(as_text=True))) == 20


def test_done_tab_lists_what_i_completed(login, mini, ui_engine):
    mini(case_no="XF-DONE")
    task = ui_engine.list_tasks()[0]
    client = login("zjj_h1")
    client.post(f"/tasks/{task.id}/claim")
    response = client.post(f"/tasks/{task.id}", data={"opinion": "已经调查清楚，予以支持。", "result": "support"})
    assert response.status_code == 302
    done = client.get("/tasks?tab=done").get_data(as_text=True)
    assert _rows(done) == [task.id] and "按期办结" in done
    assert _rows(login("zjj_h2").get("/tasks?tab=done").get_data(as_text=True)) == []


def test_claim_of_a_task_not_offered_to_me_is_refused(login, mini, ui_engine):
    mini(handling_unit="zjj")
    task = ui_engine.list_tasks()[0]
    assert login("zjj_reg").post(f"/tasks/{task.id}/claim").status_code == 403  # same unit, wrong role
    assert login("rsj_h").post(f"/tasks/{task.id}/claim").status_code == 404  # another unit
    assert ui_engine.get_task(task.id).assignee is None


def test_claiming_a_task_someone_else_holds_is_a_conflict(login, mini, ui_engine):
    mini(handling_unit="zjj")
    task = ui_engine.list_tasks()[0]
    login("zjj_h1").post(f"/tasks/{task.id}/claim")
    response = login("zjj_h2").post(f"/tasks/{task.id}/claim")
    assert response.status_code == 409
    assert ui_engine.get_task(task.id).assignee == "zjj_h1"


def test_only_the_holder_or_the_head_returns_a_task(login, mini, ui_engine):
    mini(handling_unit="zjj")
    task = ui_engine.list_tasks()[0]
    login("zjj_h1").post(f"/tasks/{task.id}/claim")
    assert login("zjj_h2").post(f"/tasks/{task.id}/unclaim").status_code == 403
    assert login("zjj_head").post(f"/tasks/{task.id}/unclaim").status_code == 302
    assert ui_engine.get_task(task.id).assignee is None


def test_handing_over_stays_within_the_unit(login, mini, ui_engine):
    mini(handling_unit="zjj")
    task = ui_engine.list_tasks()[0]
    client = login("zjj_h1")
    client.post(f"/tasks/{task.id}/claim")
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert '<option value="zjj_h2">吴承办' in page and 'value="rsj_h"' not in page
    refused = client.post(f"/tasks/{task.id}/assign", data={"assignee": "rsj_h"}, follow_redirects=True)
    assert "只能转交给本单位" in refused.get_data(as_text=True)
    assert ui_engine.get_task(task.id).assignee == "zjj_h1"
    assert client.post(f"/tasks/{task.id}/assign", data={"assignee": "ghost"}).status_code == 302
    assert ui_engine.get_task(task.id).assignee == "zjj_h1"
    assert client.post(f"/tasks/{task.id}/assign", data={"assignee": "zjj_h2"}).status_code == 302
    assert ui_engine.get_task(task.id).assignee == "zjj_h2"
    history = [e.kind for e in ui_engine.history(task.case_id)]
    assert history.count("task_assigned") == 1
