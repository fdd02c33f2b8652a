"""The main journeys in Debian's Chromium against a real server on 127.0.0.1.

Screenshots of the main pages go to test-artifacts/ (not committed).  The server runs
with CSRF on, so every form the browser submits carries its token for real.
"""
from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path

import pytest

from tests.web_helpers import (  # noqa: F401
    PASSWORD,
    deploy_mini,
    make_app,
    people,
    start_mini,
    ui_engine,
    valid_id_number,
)

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


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


@pytest.fixture
def server(ui_engine, tmp_path):
    from werkzeug.serving import make_server

    app = make_app(ui_engine, tmp_path, WTF_CSRF_ENABLED=True)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(5)


def _today() -> str:
    """Today in China, the day the server counts dates by (the machine may run on UTC)."""
    return dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date().isoformat()


class Session:
    """One user's browser window: logs in, opens pages, records console problems."""

    def __init__(self, browser, base: str, username: str):
        self.base = base
        self.context = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        # Console errors and warnings (a CSP refusal shows up here) are problems, and so is
        # any failed script, style or fetch; a page answered 400 (a refused form) is not.
        self.page.on("console", lambda m: m.type in ("error", "warning")
                     and not m.text.startswith("Failed to load resource") and self.problems.append(m.text))
        self.page.on("response", lambda r: r.status >= 400 and r.request.resource_type != "document"
                     and self.problems.append(f"{r.status} {r.url}"))
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))
        # Nothing may leave the machine: any request to another origin fails the test.
        self.page.route(re.compile(r"^(?!http://127\.0\.0\.1:\d+/).*"),
                        lambda route: (self.problems.append(f"external request {route.request.url}"),
                                       route.abort()))
        self.go("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{base}/tasks")

    def go(self, path: str):
        self.page.goto(self.base + path)
        return self.page

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def claim_and_open(self, task_name: str):
        """Claim ``task_name`` from 待认领 and land on its page."""
        self.go("/tasks?tab=claimable")
        row = self.page.locator("tr", has=self.page.get_by_role("link", name=task_name, exact=True)).first
        row.get_by_role("button", name="认领").click()
        self.page.wait_for_selector("#task-form")
        assert self.page.locator("h1").inner_text() == task_name
        return self.page

    def submit(self):
        self.page.click("#task-form button[type=submit]")
        self.page.wait_for_url(re.compile(r".*/tasks\?tab=mine$"))
        assert "已办理完成" in self.page.locator(".flash").inner_text()

    def close(self):
        assert self.problems == [], self.problems
        self.context.close()


def test_register_accept_forward_handle_and_reply(browser, server, ui_engine):
    reg = Session(browser, server, "reg")
    page = reg.go("/register")
    reg.shot("register-form")
    page.fill("#petitioner-0-name", "张三")
    page.fill("#petitioner-0-id_number", valid_id_number("37292519800101123"))
    page.fill("#petitioner-0-phone", "13800000000")
    page.fill("#petitioner-0-address", "郓城县城关镇幸福路8号")
    page.select_option("#channel", "来访")
    page.select_option("#category", "申诉求决")
    page.select_option("#domain", "城乡建设")
    page.fill("#request", "请求督促开发商按合同约定办理房产证")
    page.fill("#facts", "2019年购买某小区住房，开发商至今未办理不动产权证书。")
    page.set_input_files("#attachments", files=[{"name": "购房合同.pdf", "mimeType": "application/pdf",
                                                   "buffer": b"%PDF-1.4\n%%EOF\n"}])
    page.click("text=登记并受理")
    page.wait_for_url(re.compile(r".*/cases/[0-9a-f-]{36}$"))
    case_id = page.url.rsplit("/", 1)[1]
    page.wait_for_selector("#diagram[data-rendered=main]")
    assert page.locator(".djs-element.marker-current").count() >= 1
    assert page.get_by_role("link", name="购房合同.pdf").count() == 1
    reg.shot("case-registered")

    # 受理: a second person (信访局负责人) checks the registration data, then the
    # registrar classifies and forwards to 住建局.
    reg.go("/tasks?tab=claimable")
    assert reg.page.get_by_role("link", name="核实登记信息", exact=True).count() == 0
    xfj_head = Session(browser, server, "xfj_head")
    page = xfj_head.claim_and_open("核实登记信息")
    assert page.input_value("#f-petitioner_name") == "张三"  # the form starts from the case's data
    xfj_head.shot("task-verify-registration")
    xfj_head.submit()
    xfj_head.close()
    page = reg.claim_and_open("分类并提出处理意见")
    page.select_option("#f-demand_type", "其他")
    page.select_option("#f-routing", "forward")
    page.select_option("#f-handling_unit", "zjj")
    reg.submit()
    reg.close()

    # 转送: 住建局 signs for it.
    zjj_reg = Session(browser, server, "zjj_reg")
    page = zjj_reg.claim_and_open("签收或提出异议")
    page.fill("#f-receipt_note", "已签收，转承办人办理")
    zjj_reg.submit()
    zjj_reg.close()

    # 办理: investigate, hear the petitioner, draft the opinion.
    handler = Session(browser, server, "zjj_h1")
    handler.go("/tasks?tab=claimable")
    handler.shot("inbox-claimable")
    page = handler.claim_and_open("调查核实")
    page.fill("#f-investigation_findings", "经现场核实，开发商因土地出让金欠缴未能办证。")
    handler.submit()
    page = handler.claim_and_open("听取信访人意见")
    page.select_option("#f-hearing_method", "in_person")
    page.fill("#f-petitioner_opinion", "要求三个月内办好房产证")
    handler.submit()
    page = handler.claim_and_open("起草信访处理意见书")
    page.select_option("#f-opinion_outcome", "support")
    page.fill("#f-opinion_facts", "开发商欠缴土地出让金，导致无法办证属实。")
    page.fill("#f-opinion_basis", "《城市房地产开发经营管理条例》")
    page.fill("#f-opinion_text", "责成开发商于三个月内补缴并为业主办理不动产权证书。")
    handler.shot("task-draft-opinion")
    handler.submit()

    head = Session(browser, server, "zjj_head")
    page = head.claim_and_open("审批信访处理意见书")
    page.select_option("#f-opinion_approval", "approve")
    head.submit()
    head.close()

    # 答复: the handler serves the written opinion on the petitioner.
    page = handler.claim_and_open("送达信访处理意见书")
    page.fill("#f-served_on", _today())
    page.select_option("#f-service_method", "direct")
    handler.submit()
    page = handler.go(f"/cases/{case_id}")
    page.wait_for_selector("#diagram[data-rendered=main]")
    timeline = page.locator(".timeline").inner_text()
    for step in ("核实登记信息", "分类并提出处理意见", "签收或提出异议", "调查核实", "起草信访处理意见书",
                 "审批信访处理意见书", "送达信访处理意见书"):
        assert f"办理完成：{step}" in timeline
    handler.shot("case-after-reply")
    # The call activity into 办理 is current; its own diagram shows where the case stands.
    assert page.locator('.djs-element.marker-current[data-element-id="Call_handling"]').count() == 1
    page.get_by_role("button", name=re.compile("^查看子流程")).click()
    page.wait_for_selector("#diagram[data-rendered=handling]")
    assert page.locator('.djs-element.marker-current[data-element-id="Task_execute_opinion"]').count() == 1
    handler.shot("case-called-process-diagram")
    page.get_by_role("button", name="返回主流程").click()
    page.wait_for_selector("#diagram[data-rendered=main]")
    handler.close()

    variables = ui_engine.get_case(case_id).variables
    assert variables["handling_unit"] == "zjj" and variables["service_method"] == "direct"
    assert variables["opinion_outcome"] == "support"
    assert [t.name for t in ui_engine.list_tasks(case_id=case_id)] == ["落实处理意见"]


def test_claim_then_fix_an_invalid_value_and_complete(browser, server, ui_engine):
    deploy_mini(ui_engine)
    case = start_mini(ui_engine, handling_unit="zjj", case_no="XF-B1")
    handler = Session(browser, server, "zjj_h1")
    page = handler.claim_and_open("调查处理")
    page.fill("#f-opinion", "太短")
    page.fill("#f-days", "90")
    page.click("#task-form button[type=submit]")
    error = page.locator("#opinion-error")
    assert "5" in error.inner_text()
    assert "60" in page.locator("#days-error").inner_text()
    assert page.input_value("#f-opinion") == "太短" and page.input_value("#f-days") == "90"
    assert page.get_attribute("#f-opinion", "aria-invalid") == "true"
    handler.shot("task-invalid-input")
    page.fill("#f-opinion", "经调查核实，信访人反映属实，予以支持。")
    page.fill("#f-days", "30")
    page.select_option("#f-result", "support")
    handler.submit()
    assert ui_engine.list_tasks(case_id=case.id)[0].name == "确认送达"
    handler.shot("inbox-after-complete")
    handler.close()


def test_case_page_marks_an_overdue_activity_on_the_diagram(browser, server, ui_engine):
    deploy_mini(ui_engine)
    case = start_mini(ui_engine, handling_unit="zjj", due_at="2026-01-05T23:59:59+08:00")
    supervisor = Session(browser, server, "sup")
    page = supervisor.go(f"/cases/{case.id}")
    page.wait_for_selector("#diagram[data-rendered=main]")
    overdue = page.locator('.djs-element.marker-overdue[data-element-id="handle"]')
    assert overdue.count() == 1
    assert page.locator(".diagram-badge.overdue").inner_text() == "超期"
    assert page.locator('.djs-element.marker-done[data-element-id="start"]').count() == 1
    assert "超期" in page.locator("#diagram-status").inner_text()
    supervisor.shot("case-overdue-diagram")
    supervisor.close()


def _reviewers(engine) -> None:
    """The 复查 organ (市住建局) and the 复核 organ (市人民政府) staff for the journey."""
    from persistence.accounts import add_user
    from tests.web_helpers import _password_hash

    with engine.unit_of_work() as s:
        for username, display, unit, role in (("city_zjj_h", "冯复查", "city-zjj", "handler"),
                                              ("city_zjj_head", "褚处长", "city-zjj", "head"),
                                              ("city_gov_h", "卫复核", "city-gov", "handler"),
                                              ("city_gov_head", "蒋主任", "city-gov", "head")):
            add_user(s, username=username, display_name=display, password_hash=_password_hash(),
                     unit_code=unit, roles=[role], active=True, failed_logins=0)


def _draft_approve_serve(browser, server, prefix: str, organ: str) -> None:
    today = _today()
    handler = Session(browser, server, f"{organ}_h")
    page = handler.claim_and_open(f"起草{'复查' if prefix == 'review' else '复核'}意见书")
    page.fill(f"#f-{prefix}_findings", "原处理意见认定事实清楚，证据充分。")
    page.select_option(f"#f-{prefix}_decision", "uphold")
    page.select_option(f"#f-{prefix}_outcome", "reject")
    page.fill(f"#f-{prefix}_basis", "《信访工作条例》第三十二条")
    handler.submit()
    head = Session(browser, server, f"{organ}_head")
    page = head.claim_and_open(f"审批{'复查' if prefix == 'review' else '复核'}意见书")
    page.select_option(f"#f-{prefix}_approval", "approve")
    head.submit()
    head.close()
    page = handler.claim_and_open(f"送达{'复查' if prefix == 'review' else '复核'}意见书")
    page.fill(f"#f-{prefix}_served_on", today)
    page.select_option(f"#f-{prefix}_service_method", "direct")
    handler.submit()
    handler.close()


def _record_request(session, case_id: str, kind: str, reasons: str) -> str:
    """On the case page, record a 复查/复核 request received today; answers the page's verdict."""
    page = session.go(f"/cases/{case_id}")
    form = page.locator(f"form[action$='/external/{kind}']")
    form.locator("input[type=date]").fill(_today())
    form.locator("textarea").fill(reasons)
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf".*/cases/{case_id}$"))
    return page.locator(".flash").inner_text()


def test_three_level_termination_then_a_repeat_is_refused(browser, server, ui_engine, tmp_path):
    """办理 → 复查 request → 复查 → 复核 request → 复核 → 终结 → the same matter again is refused."""
    from engine.attachments import AttachmentStore
    from engine.casework import Casework
    from tests.web_helpers import Petition

    _reviewers(ui_engine)
    petition = Petition(id_number=valid_id_number("37292519850202123"))
    casework = Casework(ui_engine, AttachmentStore(tmp_path / "files"))
    with ui_engine.unit_of_work() as s:
        from engine.accounts import get_user_by_username
        reg_user = get_user_by_username(s, "reg")
    case = casework.register(reg_user, petition.form(), [], [], False).case
    case_id = case.id
    # 受理 (already walked in the browser by the first journey): verified, classified, signed.
    for activity, values, actor in (
            ("Task_register", {}, "xfj_head"),
            ("Task_classify", {"demand_type": "其他", "routing": "forward", "handling_unit": "zjj"}, "reg"),
            ("Task_receive", {"objection": False, "receipt_note": "签收"}, "zjj_reg")):
        task = next(t for t in ui_engine.list_tasks(case_id=case_id) if t.activity_id == activity)
        ui_engine.complete_task(task.id, values, actor)

    # 办理 by 县住建局, 不予支持, served today.
    handler = Session(browser, server, "zjj_h1")
    page = handler.claim_and_open("调查核实")
    page.fill("#f-investigation_findings", "经核实，开发商已按合同办证，信访人诉求缺乏依据。")
    handler.submit()
    page = handler.claim_and_open("听取信访人意见")
    page.select_option("#f-hearing_method", "in_person")
    page.fill("#f-petitioner_opinion", "坚持要求赔偿")
    handler.submit()
    page = handler.claim_and_open("起草信访处理意见书")
    page.select_option("#f-opinion_outcome", "reject")
    page.fill("#f-opinion_facts", "开发商已办证，不存在逾期。")
    page.fill("#f-opinion_basis", "《城市房地产开发经营管理条例》")
    page.fill("#f-opinion_text", "信访人的赔偿请求不予支持。")
    handler.submit()
    head = Session(browser, server, "zjj_head")
    page = head.claim_and_open("审批信访处理意见书")
    page.select_option("#f-opinion_approval", "approve")
    head.submit()
    head.close()
    page = handler.claim_and_open("送达信访处理意见书")
    page.fill("#f-served_on", _today())
    page.select_option("#f-service_method", "direct")
    handler.submit()
    handler.close()

    # 复查 request, recorded by 住建局's registrar on the case page: accepted, to 市住建局.
    zjj_reg = Session(browser, server, "zjj_reg")
    verdict = _record_request(zjj_reg, case_id, "review_request", "不服处理意见，请求复查")
    assert "复查申请已受理（第三十五条）：由市住房和城乡建设局复查" in verdict
    zjj_reg.shot("case-review-request-recorded")
    _draft_approve_serve(browser, server, "review", "city_zjj")

    # 复核 request: accepted, to 市人民政府; 复核 without a hearing.
    verdict = _record_request(zjj_reg, case_id, "recheck_request", "不服复查意见，请求复核")
    assert "复核申请已受理（第三十六条）：由市人民政府复核" in verdict
    zjj_reg.close()
    examiner = Session(browser, server, "city_gov_h")
    page = examiner.claim_and_open("复核审查")
    page.fill("#f-recheck_examination", "书面审查，无需听证。")
    examiner.submit()
    examiner.close()
    _draft_approve_serve(browser, server, "recheck", "city_gov")

    # 终结: the 信访局 reports the terminated matter to the province for filing.
    reg = Session(browser, server, "reg")
    page = reg.claim_and_open("报省信访局备案")
    page.fill("#f-filing_summary", "经办理、复查、复核，三级终结。")
    reg.submit()
    info = ui_engine.get_case(case_id)
    assert info.status == "completed" and info.matter_status == "terminated"
    page = reg.go(f"/cases/{case_id}")
    notices = page.locator("#notices-h").locator("xpath=..").inner_text()
    for title in ("信访处理意见书", "复查意见书", "复核意见书", "信访事项终结备案报告"):
        assert title in notices
    reg.shot("case-three-level-terminated")

    # The same petitioner on the same facts and reasons: not accepted again (第三十六条第三款).
    page = reg.go("/register")
    page.fill("#petitioner-0-name", petition.name)
    page.fill("#petitioner-0-id_number", petition.id_number)
    page.fill("#petitioner-0-address", petition.address)
    page.select_option("#channel", petition.channel)
    page.select_option("#category", petition.category)
    page.select_option("#domain", petition.domain)
    page.fill("#request", petition.request)
    page.fill("#facts", petition.facts)
    page.fill("#reasons", petition.reasons)
    page.click("text=登记并受理")
    page.wait_for_selector("#repeat-warning")
    assert "终结" in page.locator("#repeat-warning").inner_text()
    reg.shot("register-repeat-after-termination")
    page.check("#confirm_repeat")
    page.click("text=登记并受理")
    page.wait_for_url(re.compile(r".*/cases/[0-9a-f-]{36}$"))
    again = ui_engine.get_case(page.url.rsplit("/", 1)[1])
    assert again.status == "completed" and again.variables["intake_outcome"] == "refused_terminated"
    reg.shot("register-repeat-refused")
    assert "不再受理告知书" in page.locator("main").inner_text()
    reg.close()
