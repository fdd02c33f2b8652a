"""A supervisor opens an overdue case from the dashboard and issues a 督办函, in Debian's
Chromium against a real server on 127.0.0.1 with CSRF on. Screenshots go to
test-artifacts/ (not committed)."""
from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path

import pytest
import time_machine

from tests.web_helpers import PASSWORD, create_people, make_app

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CASE_NO = "XF202600000042"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("Debian's Chromium is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


def _overdue_petition(engine) -> str:
    """A petition accepted 80 days ago and forwarded to the 县住建局, which never answered."""
    began = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=80)
    with time_machine.travel(began, tick=True):
        case = engine.start_case(process_key="petition", business_key=CASE_NO, actor="reg", variables={
            "case_no": CASE_NO, "petitioner_name": "王某某", "petitioner_id_number": "371725198001019912",
            "petitioner_address": "郓城县城关镇东关社区8号", "channel": "来访", "category": "申诉求决",
            "domain": "城乡建设", "request": "请求督促开发商交付安置房", "facts": "约定2025年底交房，至今未交付。",
            "registering_unit": "xfj"})
        for activity, values, actor in (
                ("Task_register", {}, "reg"),
                ("Task_classify", {"category": "申诉求决", "domain": "城乡建设", "demand_type": "其他",
                                   "routing": "forward", "handling_unit": "zjj"}, "reg"),
                ("Task_receive", {"objection": False, "receipt_note": "已签收"}, "zjj_reg")):
            task = next(t for t in engine.list_tasks(case_id=case.id) if t.activity_id == activity)
            engine.complete_task(task.id, values, actor)
    return case.id


@pytest.fixture
def server(deployed_engine, tmp_path):
    from werkzeug.serving import make_server

    create_people(deployed_engine)
    case_id = _overdue_petition(deployed_engine)
    app = make_app(deployed_engine, tmp_path, WTF_CSRF_ENABLED=True)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", case_id
    httpd.shutdown()
    thread.join(5)


def _watch(page, problems: list[str]) -> None:
    """Console errors (a CSP refusal among them), failed assets and external requests are problems."""
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.route(re.compile(r"^(?!http://127\.0\.0\.1:\d+/).*"),
               lambda route: (problems.append(f"external request {route.request.url}"), route.abort()))


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_supervisor_opens_an_overdue_case_from_the_dashboard_and_issues_a_supervision_letter(
        browser, server, deployed_engine):
    base, case_id = server
    context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    _watch(page, problems)

    page.goto(f"{base}/login")
    page.fill("#username", "sup")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/tasks")
    page.get_by_role("link", name="督查督办").click()
    page.wait_for_url(f"{base}/dashboard/")
    assert page.locator("h1").inner_text() == "督查督办"
    assert page.locator("[data-metric=overdue] .kpi-value").inner_text() == "1"
    assert page.locator(".chart svg").count() == 4
    row = page.locator(f"#late tr[data-case-id='{case_id}']")
    assert "超期" in row.locator(".due-overdue").inner_text()
    assert "调查核实" in row.inner_text()
    _shot(page, "dashboard")

    # open the overdue case from its row
    row.get_by_role("link", name=CASE_NO).click()
    page.wait_for_url(f"{base}/cases/{case_id}")
    assert CASE_NO in page.locator("main").inner_text()
    _shot(page, "dashboard-overdue-case")

    # back on the dashboard: the 督办函 with its reason and the prepared 情况说明 is
    # previewed (to whom, the reply deadline) and issued only on confirmation
    page.go_back()
    page.wait_for_url(f"{base}/dashboard/")
    row = page.locator(f"#late tr[data-case-id='{case_id}']")
    row.locator("details summary").click()
    detail = row.locator("textarea[name=detail]")
    assert CASE_NO in detail.input_value() and "请于收到本函之日起10日内书面答复" in detail.input_value()
    row.get_by_role("button", name="预览督办函").click()
    page.wait_for_selector(".letter-preview")
    preview = page.locator(".letter-preview").inner_text()
    assert "县住房和城乡建设局" in preview and CASE_NO in preview and "逾期未办结" in preview
    assert "书面答复期限" in preview and re.search(r"\d{4}-\d{2}-\d{2} 23:59", preview)
    assert not deployed_engine.list_cases(process_key="supervision")  # nothing issued yet
    _shot(page, "dashboard-letter-preview")
    page.get_by_role("button", name="确认发出督办函").click()
    page.wait_for_url(re.compile(r".*/dashboard/\?.*#late$"))
    assert "已向县住房和城乡建设局发出督办函" in page.locator(".flash").inner_text()
    row = page.locator(f"#late tr[data-case-id='{case_id}']")
    assert "已发督办函" in row.inner_text() and "督办中" in row.inner_text()
    assert "答复：待书面答复" in row.inner_text()  # the reply is tracked in the same row
    assert row.get_by_role("button", name="预览督办函").count() == 0
    _shot(page, "dashboard-letter-issued")

    (supervision,) = deployed_engine.list_cases(process_key="supervision")
    variables = deployed_engine.get_case(supervision.id).variables
    assert variables["target_case_id"] == case_id and variables["target_unit"] == "zjj"
    assert [e.data["supervision_case_id"] for e in deployed_engine.history(case_id)
            if e.kind == "supervision_issued"] == [supervision.id]

    # the letter's case page opens from the row
    row.get_by_role("link", name="已发督办函").click()
    page.wait_for_url(f"{base}/cases/{supervision.id}")
    assert "书面答复督办函" in page.locator("main").inner_text()
    _shot(page, "dashboard-supervision-case")

    assert problems == [], problems
    context.close()
