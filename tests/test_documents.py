"""Official documents: notices become documents with 文号, PDFs carry the right text,
numbers never repeat or skip under parallel issue, and 送达 is checked and recorded."""
from __future__ import annotations

import datetime as dt
import io
import threading

import pypdf
import pytest
import time_machine
from sqlalchemy import select

from engine import documents, petitioner
from engine.errors import Conflict, InvalidInput
from persistence.documents import Document
from persistence.models import Case, Event
from tests.web_helpers import deploy_mini, start_mini, login, mini, people, ui_app, ui_client, ui_engine  # noqa: F401

ISSUED = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 in 郓城, 2026-12-03


def pdf_text(pdf: bytes) -> str:
    # Lines wrap anywhere in Chinese text: join them before looking for a phrase.
    return "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")


def notice(engine, case_id: str, kind: str, **data) -> None:
    engine.record_event(case_id, "reg", "notice", {"kind": kind, "title": data.pop("title", kind), **data})


def docs_of(engine, case_id: str) -> list[Document]:
    with engine.unit_of_work(read_only=True) as s:
        docs = documents.case_documents(s, case_id)
        s.expunge_all()
        return docs


def test_acceptance_notice_becomes_a_pdf_with_doc_no_petitioner_date_article_and_query_code(ui_engine, mini):
    case = mini(handling_unit="rsj", petitioner_name="李四", request="请求支付拖欠工资")
    with time_machine.travel(ISSUED, tick=False):
        notice(ui_engine, case.id, "受理告知书", to="李四")
        assert documents.sync_documents(ui_engine) == 1
    [doc] = docs_of(ui_engine, case.id)
    assert doc.doc_no == "郓信受〔2026〕1号"
    with ui_engine.unit_of_work() as s:
        text = pdf_text(documents.document_pdf(s, s.get(Document, doc.id)))
        code = petitioner.existing_code(s, case.id)
    assert "郓信受〔2026〕1号" in text
    assert "郓城县信访局" in text
    assert "李四：" in text
    assert "请求支付拖欠工资" in text
    assert "2026年12月3日" in text
    assert "第二十二条" in text
    assert code and code in text


def test_issue_and_rendering_leave_their_sha256_in_the_case_history(ui_engine, mini):
    case = mini()
    notice(ui_engine, case.id, "转送函", to="zjj")
    documents.sync_documents(ui_engine)
    [doc] = docs_of(ui_engine, case.id)
    with ui_engine.unit_of_work() as s:
        pdf = documents.document_pdf(s, s.get(Document, doc.id))
    import hashlib

    history = {e.kind: e.data for e in ui_engine.history(case.id)}
    assert history["document_issued"]["sha256"] == hashlib.sha256(doc.html.encode()).hexdigest()
    assert history["document_rendered"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert doc.doc_no.startswith("郓信转〔")


def test_numbers_run_per_organ_kind_and_year(ui_engine, mini):
    case = mini()
    with time_machine.travel(ISSUED, tick=False):
        notice(ui_engine, case.id, "转送函", to="zjj")
        notice(ui_engine, case.id, "交办函", to="zjj", title="交办函 一")
        notice(ui_engine, case.id, "转送函", to="rsj", title="转送函 二")
    with time_machine.travel(dt.datetime(2027, 1, 4, 2, 0, tzinfo=dt.timezone.utc), tick=False):
        notice(ui_engine, case.id, "转送函", to="rsj", title="转送函 三")
    documents.sync_documents(ui_engine)
    assert [d.doc_no for d in docs_of(ui_engine, case.id)] == [
        "郓信转〔2026〕1号", "郓信交〔2026〕1号", "郓信转〔2026〕2号", "郓信转〔2027〕1号"]


def test_the_accused_unit_and_petitioner_are_left_out_of_a_forwarded_accusation(ui_engine, mini):
    case = mini(category="检举控告", petitioner_name="举报人甲", accused_unit="zjj", facts="某局长收受贿赂")
    notice(ui_engine, case.id, "转送函", to="jw")
    documents.sync_documents(ui_engine)
    [doc] = docs_of(ui_engine, case.id)
    assert "举报人甲" not in doc.html and "收受贿赂" not in doc.html
    assert "第三十条第三款" in doc.html


def _issue_many(engine, case_id: str, threads: int, per_thread: int) -> list[str]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def work():
        try:
            barrier.wait()
            for _ in range(per_thread):
                with engine.unit_of_work() as s:
                    case = s.get(Case, case_id)
                    documents.issue_document(s, case, {"petitioner_name": "张三"}, documents.KINDS["supervision"],
                                             {"to": "zjj"}, at=ISSUED, actor="sup")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors, errors
    with engine.unit_of_work(read_only=True) as s:
        return list(s.scalars(select(Document.doc_no).where(Document.kind == "supervision")))


def test_parallel_issue_gives_every_document_its_own_number_without_gaps(engine):
    deploy_mini(engine)
    case = start_mini(engine)
    numbers = _issue_many(engine, case.id, threads=6, per_thread=5)
    assert sorted(numbers) == sorted(f"郓信督〔2026〕{n}号" for n in range(1, 31))


def test_parallel_syncs_issue_each_notice_once(engine):
    deploy_mini(engine)
    case = start_mini(engine)
    for n in range(8):
        notice(engine, case.id, "督办函", to="zjj", title=f"督办函{n}")
    threads = [threading.Thread(target=documents.sync_documents, args=(engine,)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    docs = docs_of(engine, case.id)
    assert len(docs) == 8
    assert sorted(d.seq for d in docs) == list(range(1, 9))


def test_service_date_may_not_be_before_issue_or_in_the_future(ui_engine, mini):
    case = mini()
    with time_machine.travel(ISSUED, tick=False):
        notice(ui_engine, case.id, "受理告知书", to="张三")
        documents.sync_documents(ui_engine)
    [doc] = docs_of(ui_engine, case.id)
    now = dt.datetime(2026, 12, 5, 2, 0, tzinfo=dt.timezone.utc)
    with ui_engine.unit_of_work() as s:
        d = s.get(Document, doc.id)
        with pytest.raises(InvalidInput) as early:
            documents.record_service(s, d, "当面", "2026-12-02", None, "reg", now)
        with pytest.raises(InvalidInput) as future:
            documents.record_service(s, d, "邮寄", "2026-12-06", None, "reg", now)
        with pytest.raises(InvalidInput) as method:
            documents.record_service(s, d, "飞鸽", "2026-12-04", None, "reg", now)
    assert "早于发文日期" in early.value.errors["served_on"]
    assert "晚于今天" in future.value.errors["served_on"]
    assert "送达方式" in method.value.errors["method"]
    with ui_engine.unit_of_work() as s:
        documents.record_service(s, s.get(Document, doc.id), "邮寄", "2026-12-04", None, "reg", now)
    with ui_engine.unit_of_work() as s:
        with pytest.raises(Conflict):
            documents.record_service(s, s.get(Document, doc.id), "当面", "2026-12-05", None, "reg", now)
    [served] = docs_of(ui_engine, case.id)
    assert (served.served_on, served.service_method) == (dt.date(2026, 12, 4), "邮寄")
    assert any(e.kind == "document_served" and e.data["served_on"] == "2026-12-04"
               for e in ui_engine.history(case.id))


def test_a_result_is_served_on_the_date_the_serve_task_recorded(ui_engine, mini):
    case = mini(handling_unit="zjj", served_on="2026-12-02", service_method="mail", opinion_outcome="support")
    with time_machine.travel(ISSUED, tick=False):
        notice(ui_engine, case.id, "信访处理意见书", to="张三", outcome="support")
        documents.sync_documents(ui_engine)
    [doc] = docs_of(ui_engine, case.id)
    assert doc.doc_no == "郓住建处〔2026〕1号"
    assert (doc.served_on, doc.service_method) == (dt.date(2026, 12, 2), "邮寄")
    assert "予以支持" in doc.html and "第三十五条" in doc.html


# ---------------------------------------------------------------------- web
def test_case_page_lists_documents_and_serves_the_pdf_inline(ui_engine, mini, login):
    case = mini(handling_unit="zjj")
    notice(ui_engine, case.id, "交办函", to="zjj")
    client = login("zjj_h1")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "郓信交〔" in page
    [doc] = docs_of(ui_engine, case.id)
    response = client.get(f"/cases/{case.id}/documents/{doc.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("inline")
    assert doc.doc_no in pdf_text(response.data)


def test_another_units_document_answers_404(ui_engine, mini, login):
    case = mini(handling_unit="zjj")
    notice(ui_engine, case.id, "交办函", to="zjj")
    documents.sync_documents(ui_engine)
    [doc] = docs_of(ui_engine, case.id)
    assert login("rsj_h").get(f"/cases/{case.id}/documents/{doc.id}.pdf").status_code == 404


def test_service_with_receipt_scan_is_recorded_from_the_case_page(ui_engine, mini, login):
    case = mini(handling_unit="zjj")
    with time_machine.travel(ISSUED, tick=False):
        notice(ui_engine, case.id, "交办函", to="zjj")
        documents.sync_documents(ui_engine)
    [doc] = docs_of(ui_engine, case.id)
    with time_machine.travel(ISSUED + dt.timedelta(days=1), tick=True):
        _serve_with_receipt(ui_engine, login, case, doc)


def _serve_with_receipt(ui_engine, login, case, doc):
    client = login("zjj_h1")
    today = dt.datetime.now(documents.SHANGHAI).date().isoformat()
    bad = client.post(f"/cases/{case.id}/documents/{doc.id}/service", data={"method": "当面", "served_on": "明天"})
    assert bad.status_code == 302
    assert "请填写送达日期" in client.get(f"/cases/{case.id}").get_data(as_text=True)
    response = client.post(f"/cases/{case.id}/documents/{doc.id}/service", data={
        "method": "当面", "served_on": today, "receipt": (io.BytesIO(b"%PDF-1.4 receipt"), "回证.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    [served] = docs_of(ui_engine, case.id)
    assert served.service_method == "当面" and served.service_receipt
    receipt = client.get(f"/cases/{case.id}/documents/{doc.id}/receipt")
    body = receipt.data
    receipt.close()
    assert receipt.status_code == 200 and body == b"%PDF-1.4 receipt"


def test_administrator_saves_a_new_template_version_that_the_next_document_uses(ui_engine, mini, login):
    client = login("admin")
    page = client.get("/admin/document-templates/supervision")
    assert page.status_code == 200 and "督办函" in page.get_data(as_text=True)
    broken = client.post("/admin/document-templates/supervision", data={"body": "{% if %}", "action": "save"})
    assert broken.status_code == 422 and "模板无法使用" in broken.get_data(as_text=True)
    saved = client.post("/admin/document-templates/supervision", data={
        "body": "<p>请{{ doc.addressee }}于五日内报告（第四十条）。</p>", "action": "save"})
    assert saved.status_code == 302
    preview = client.post("/admin/document-templates/supervision", data={
        "body": "<p>预览{{ doc.doc_no }}</p>", "action": "preview"})
    assert preview.mimetype == "application/pdf" and "预览" in pdf_text(preview.data)
    case = mini()
    notice(ui_engine, case.id, "督办函", to="zjj")
    documents.sync_documents(ui_engine)
    [doc] = docs_of(ui_engine, case.id)
    assert doc.template_version == 1 and "请县住房和城乡建设局于五日内报告" in doc.html
    assert login("zjj_h1").get("/admin/document-templates").status_code == 403


# ---------------------------------------------------------------------- result issued before its 送达
def _route6_case_waiting_for_service(engine):
    """A petition forwarded to 住建局 and handled up to 送达信访处理意见书, on 2026-12-01."""
    from tests.handling_driver import HEARD, INVESTIGATED, OPINION

    with time_machine.travel(dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.timezone.utc), tick=True):
        case = engine.start_case(process_key="petition", business_key="XF-SERVE", actor="reg", variables={
            "case_no": "XF-SERVE", "petitioner_name": "赵六", "petitioner_id_number": "371725198001019912",
            "petitioner_address": "郓城县", "channel": "来访", "category": "申诉求决", "domain": "城乡建设",
            "request": "请求交付安置房", "facts": "约定去年交房，至今未交付。", "registering_unit": "xfj"})
        for activity, values, actor in (
                ("Task_register", {}, "reg"),
                ("Task_classify", {"category": "申诉求决", "domain": "城乡建设", "demand_type": "其他",
                                   "routing": "forward", "handling_unit": "zjj"}, "reg"),
                ("Task_receive", {"objection": False, "receipt_note": "已签收"}, "zjj_reg"),
                ("Task_investigate", INVESTIGATED, "zjj_h1"),
                ("Task_hear_petitioner", HEARD, "zjj_h1"),
                ("Task_draft_opinion", {**OPINION, "opinion_outcome": "support"}, "zjj_h1"),
                ("Task_approve_opinion", {"opinion_approval": "approve"}, "zjj_head")):
            task = next(t for t in engine.list_tasks(case_id=case.id) if t.activity_id == activity)
            engine.complete_task(task.id, values, actor)
    return case


def test_a_result_issued_before_service_completes_the_serve_task_with_the_recorded_date(ui_engine, login):
    case = _route6_case_waiting_for_service(ui_engine)
    with time_machine.travel(dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.timezone.utc), tick=True):
        _issue_and_serve(ui_engine, login, case)


def _issue_and_serve(ui_engine, login, case):
    client = login("zjj_h1")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-pending-result="opinion"' in page
    [serve] = [t for t in ui_engine.list_tasks(case_id=case.id) if t.activity_id == "Task_serve_opinion"]
    assert client.post(f"/cases/{case.id}/results/{serve.id}").status_code == 302
    assert client.post(f"/cases/{case.id}/results/{serve.id}").status_code == 409  # once only
    opinion = next(d for d in docs_of(ui_engine, case.id) if d.kind == "opinion")
    assert opinion.doc_no == "郓住建处〔2026〕1号" and opinion.notice_event_id is None
    assert "予以支持" in opinion.html and "欠付补偿款属实" in opinion.html
    today = dt.datetime.now(documents.SHANGHAI).date().isoformat()
    response = client.post(f"/cases/{case.id}/documents/{opinion.id}/service",
                           data={"method": "邮寄", "served_on": today})
    assert response.status_code == 302
    variables = ui_engine.get_case(case.id).variables
    assert variables["served_on"] == today and variables["service_method"] == "mail"
    assert variables["service_receipt"] == "郓住建处〔2026〕1号"
    assert variables["clock_review_window"]["start"].startswith(today)  # the 30 days run from the 送达
    documents.sync_documents(ui_engine)
    opinions = [d for d in docs_of(ui_engine, case.id) if d.kind == "opinion"]
    assert len(opinions) == 1 and opinions[0].notice_event_id is not None  # the notice found its document
    assert opinions[0].served_on.isoformat() == today and opinions[0].service_method == "邮寄"


def test_the_minute_job_issues_documents_of_new_notices_and_skips_other_notices(ui_engine, mini):
    from engine.bulletins import BulletinScheduler

    case = mini()
    notice(ui_engine, case.id, "催办函", to="zjj")  # not an official document kind: stays a line
    notice(ui_engine, case.id, "风险提醒函", to="zjj")
    job = BulletinScheduler(ui_engine)  # not started: its job is called directly
    assert job.sync_documents() == 1
    assert job.sync_documents() == 0
    assert [d.kind for d in docs_of(ui_engine, case.id)] == ["risk"]
