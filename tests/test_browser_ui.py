"""The caseworker's day in Chromium (issue 16): 案件查询, the case page header, phone-sized
pages without sideways scrolling, the bell, and the administrator's pages.

Screenshots at desktop and phone width go to test-artifacts/ (not committed).
"""
from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from engine.clocks import clock_start
from tests.test_browser_journeys import ARTIFACTS, Session, browser, server  # noqa: F401
from tests.web_helpers import deploy_mini, people, start_mini, ui_engine  # noqa: F401

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
SH = dt.timezone(dt.timedelta(hours=8))


def at_width(session: Session, viewport: dict) -> Session:
    session.page.set_viewport_size(viewport)
    return session


def assert_no_sideways_scroll(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .slice(0, 8).map(e => e.tagName + '.' + e.className)""")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {page.viewport_size}: {wide}"


def shots(session: Session, name: str) -> None:
    """A screenshot at desktop width and one at phone width (asserting no sideways scroll)."""
    session.page.set_viewport_size({"width": 1360, "height": 900})
    session.shot(f"{name}-desktop")
    session.page.set_viewport_size(PHONE)
    session.page.reload()
    assert_no_sideways_scroll(session.page)
    session.shot(f"{name}-phone")
    session.page.set_viewport_size({"width": 1360, "height": 900})


@pytest.fixture
def county(ui_engine):
    deploy_mini(ui_engine)
    late = clock_start("handling", start=dt.datetime(2026, 8, 1, 10, 0, tzinfo=SH), unit="zjj")
    cases = {}
    for i, (name, unit, title) in enumerate([("张三", "zjj", "请求办理房产证"), ("李四", "zjj", "小区夜间施工噪声扰民"),
                                             ("王五", "rsj", "请求督促企业支付拖欠工资")], start=1):
        extra = {"clock_handling": late} if i == 2 else {}
        cases[name] = start_mini(ui_engine, handling_unit=unit, case_no=f"XF2026111000{i:02d}", petitioner_name=name,
                                 petitioner_phone=f"1380000000{i}", title=f"{name}：{title}", request=title, **extra)
    return cases


def test_a_caseworker_looks_up_a_case_by_the_petitioners_phone(browser, server, county):
    s = Session(browser, server, "zjj_h1")
    s.page.get_by_role("link", name="案件查询").click()
    s.page.wait_for_url("**/cases")
    s.page.fill("#s-phone", "13800000002")
    s.page.get_by_role("button", name="查询").click()
    rows = s.page.locator("table.results tbody tr")
    assert rows.count() == 1 and "李四" in rows.first.inner_text() and "已超期" in rows.first.inner_text()
    s.page.get_by_role("link", name="清除").click()
    assert s.page.locator("table.results tbody tr").count() == 2  # 王五's case belongs to 人社局
    shots(s, "case-search")
    rows.first.get_by_role("link").first.click()
    s.page.wait_for_selector("h1")
    assert "XF20261110" in s.page.locator("h1").inner_text()
    assert not s.problems, s.problems


def test_the_inbox_becomes_cards_on_a_phone(browser, server, county):
    s = at_width(Session(browser, server, "zjj_h1"), PHONE)
    s.go("/tasks?tab=claimable")
    row = s.page.locator("table.inbox tbody tr").first
    assert row.evaluate("r => getComputedStyle(r).display") == "block"
    assert s.page.locator("table.inbox thead").evaluate("h => h.getBoundingClientRect().height") <= 1
    assert_no_sideways_scroll(s.page)
    s.shot("inbox-phone")
    s.go(f"/cases/{county['李四'].id}")
    assert_no_sideways_scroll(s.page)
    s.shot("case-phone")
    assert not s.problems, s.problems


def test_a_text_over_its_limit_shows_the_count_and_is_not_submitted(browser, server, county, ui_engine):
    task = ui_engine.list_tasks(case_id=county["张三"].id)[0]
    s = Session(browser, server, "zjj_h1")
    s.go(f"/tasks/{task.id}")
    s.page.get_by_role("button", name="认领").first.click()
    s.page.wait_for_selector("#task-form")
    s.page.fill("#f-opinion", "经核实，")
    assert s.page.locator("#f-opinion-count").inner_text() == "已输入 4 / 500 字"
    s.page.fill("#f-opinion", "字" * 510)  # as a paste would: nothing is cut off
    assert len(s.page.input_value("#f-opinion")) == 510
    counter = s.page.locator("#f-opinion-count")
    assert "超出上限 10 字" in counter.inner_text() and "error" in counter.get_attribute("class")
    url = s.page.url
    s.page.click("#task-form button[type=submit]")
    s.page.wait_for_timeout(300)
    assert s.page.url == url and len(s.page.input_value("#f-opinion")) == 510
    s.shot("task-text-over-limit")
    assert not s.problems, s.problems


def test_an_administrator_runs_accounts_without_a_terminal(browser, server, ui_engine):
    s = Session(browser, server, "admin")
    s.page.get_by_role("link", name="用户管理").click()
    s.page.get_by_role("link", name="新建用户").click()
    s.page.fill("#a-username", "zjj_new")
    s.page.fill("#a-display_name", "新来的承办人")
    s.page.select_option("#a-unit_code", "zjj")
    s.page.check("input[name=roles][value=handler]")
    s.page.fill("#a-password", "start-pass-123")
    s.page.get_by_role("button", name="保存").click()
    s.page.wait_for_url("**/admin/users")
    row = s.page.locator('tr[data-username="zjj_new"]')
    assert "新来的承办人" in row.inner_text() and "县住房和城乡建设局" in row.inner_text()
    row.get_by_role("button", name="停用").click()
    s.page.wait_for_url("**/admin/users")
    assert "已停用" in s.page.locator('tr[data-username="zjj_new"]').inner_text()
    shots(s, "admin-users")
    s.page.locator('tr[data-username="zjj_new"]').get_by_role("link", name="修改").click()
    shots(s, "admin-user-edit")
    assert not s.problems, s.problems


def test_the_bell_tells_a_caseworker_a_task_arrived(browser, server, county):
    s = Session(browser, server, "zjj_h2")
    bell = s.page.locator("a.bell")
    assert bell.locator(".count").inner_text() == "2"  # two new 住建局 tasks
    bell.click()
    s.page.wait_for_url("**/notifications")
    assert s.page.locator("li.notice.unread").count() == 2
    shots(s, "notifications")
    s.page.locator("li.notice").first.get_by_role("button").click()
    s.page.wait_for_selector("h1")
    assert "/tasks/" in s.page.url
    assert s.page.locator("a.bell .count").inner_text() == "1"
    assert not s.problems, s.problems
