"""One journey in Debian's Chromium: the registrar's case page carries the 受理告知书 PDF
with its 文号 and the 查询码; the petitioner, without an account, follows the matter from
the login page's 信访人查询 link; the served 信访处理意见书 is rated and the dashboard's
满意率 moves."""
from __future__ import annotations

import datetime as dt
import io
import re

import pypdf
import pytest
import time_machine

from engine.calendar import SHANGHAI
from tests.test_browser_journeys import Session, browser, server  # noqa: F401
from tests.web_helpers import PASSWORD, people, ui_engine, valid_id_number  # noqa: F401

pytestmark = pytest.mark.browser

PINNED = dt.datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)  # a working Wednesday


@pytest.fixture
def pinned():
    with time_machine.travel(PINNED, tick=True):
        yield PINNED


def _pdf_text(data: bytes) -> str:
    return "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages).replace("\n", "")


def test_acceptance_notice_query_code_rating_and_satisfaction(pinned, browser, server, ui_engine):
    reg = Session(browser, server, "reg")
    page = reg.go("/register")
    page.fill("#petitioner-0-name", "刘红")
    page.fill("#petitioner-0-id_number", valid_id_number("37292519850202123"))
    page.fill("#petitioner-0-phone", "13900000000")
    page.fill("#petitioner-0-address", "郓城县张营镇刘庄村")
    page.select_option("#channel", "来访")
    page.select_option("#category", "申诉求决")
    page.select_option("#domain", "城乡建设")
    page.fill("#request", "请求解决安置房漏水问题")
    page.fill("#facts", "2024年入住安置房，屋顶漏水至今未修。")
    page.click("text=登记并受理")
    page.wait_for_url(re.compile(r".*/cases/[0-9a-f-]{36}$"))
    case_id = page.url.rsplit("/", 1)[1]
    xfj_head = Session(browser, server, "xfj_head")  # a second person checks the registration
    xfj_head.claim_and_open("核实登记信息")
    xfj_head.submit()
    page = reg.claim_and_open("分类并提出处理意见")
    page.select_option("#f-demand_type", "其他")
    page.select_option("#f-routing", "forward")
    page.select_option("#f-handling_unit", "zjj")
    reg.submit()
    zjj_reg = Session(browser, server, "zjj_reg")
    page = zjj_reg.claim_and_open("签收或提出异议")
    page.fill("#f-receipt_note", "已签收")
    zjj_reg.submit()
    zjj_reg.close()

    # The registrar's case page: the 受理告知书 with its 文号, the 查询码, the PDF to print.
    page = reg.go(f"/cases/{case_id}")
    row = page.locator("#documents tr", has_text="受理告知书").first
    doc_no = row.get_attribute("data-doc-no")
    assert re.fullmatch(r"郓信受〔2026〕\d+号", doc_no)
    code = page.locator("[data-query-code]").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    pdf_url = row.get_by_role("link", name="受理告知书").get_attribute("href")
    pdf = page.request.get(server + pdf_url)
    assert pdf.headers["content-type"] == "application/pdf"
    text = _pdf_text(pdf.body())
    assert doc_no in text and code in text and "刘红" in text and "2026年12月2日" in text and "第二十二条" in text
    reg.shot("case-documents")
    reg.close()

    # The petitioner: no account, from the login page's link, with the code from paper.
    visitor = browser.new_context(locale="zh-CN")
    public = visitor.new_page()
    public.goto(f"{server}/login")
    public.click("[data-public-query]")
    public.fill("#code", code.lower())
    public.click("button[type=submit]")
    public.wait_for_selector("[data-case-no]")
    html = public.content()
    assert "刘*" in html and "登记受理" in html and "刘红" not in html and "13900000000" not in html
    assert "王登记" not in html  # no staff names

    # 办理 to the served 信访处理意见书.
    handler = Session(browser, server, "zjj_h1")
    page = handler.claim_and_open("调查核实")
    page.fill("#f-investigation_findings", "经核实，屋顶防水层破损。")
    handler.submit()
    page = handler.claim_and_open("听取信访人意见")
    page.select_option("#f-hearing_method", "in_person")
    page.fill("#f-petitioner_opinion", "要求一个月内修好")
    handler.submit()
    page = handler.claim_and_open("起草信访处理意见书")
    page.select_option("#f-opinion_outcome", "support")
    page.fill("#f-opinion_facts", "屋顶防水层破损属实。")
    page.fill("#f-opinion_basis", "《建设工程质量管理条例》第四十条")
    page.fill("#f-opinion_text", "责成施工单位于三十日内维修。")
    handler.submit()
    head = Session(browser, server, "zjj_head")
    page = head.claim_and_open("审批信访处理意见书")
    page.select_option("#f-opinion_approval", "approve")
    head.submit()
    head.close()
    page = handler.claim_and_open("送达信访处理意见书")
    page.fill("#f-served_on", "2026-12-02")
    page.select_option("#f-service_method", "direct")
    handler.submit()
    handler.close()

    sup = Session(browser, server, "sup")
    page = sup.go("/dashboard/")
    before = page.locator('[data-metric="satisfaction"] .kpi-note').inner_text()

    # The petitioner sees the served opinion and rates it, once.
    public.goto(f"{server}/query/")
    public.fill("#code", code)
    public.click("button[type=submit]")
    opinion = public.locator("tr", has_text="信访处理意见书")
    assert re.fullmatch(r"郓住建处〔2026〕\d+号", opinion.get_attribute("data-doc-no"))
    opinion.locator("input[value=满意]").check()
    opinion.locator("textarea").fill("维修及时")
    opinion.get_by_role("button", name="提交评价").click()
    public.wait_for_selector("text=感谢您的评价")
    assert "已评价：满意" in public.locator("tr", has_text="信访处理意见书").inner_text()
    visitor.close()

    page = sup.go("/dashboard/")
    after = page.locator('[data-metric="satisfaction"] .kpi-note').inner_text()
    n0, d0 = map(int, re.match(r"(\d+) / (\d+)", before).groups())
    assert after.startswith(f"{n0 + 1} / {d0 + 1}")
    sup.shot("dashboard-satisfaction")
    sup.close()
