"""The petitioner's 查询 page: a 查询码 opens one matter, nothing internal leaks, guessed
and expired codes are refused, addresses are rate-limited, and a served result is rated
exactly once (满意率 moves once; 不满意 opens a 回访 task for the 信访局)."""
from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from engine import documents, petitioner
from engine.clocks import clock_start, clock_stop
from engine.metrics import compute_metrics
from tests.web_helpers import login, make_app, mini, people, ui_app, ui_client, ui_engine  # noqa: F401

T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.timezone.utc)  # Monday 10:00 in 郓城
SERVED = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.timezone.utc)
NOW = dt.datetime(2026, 11, 25, 2, 0, tzinfo=dt.timezone.utc)


def _notice(engine, case_id, kind, **data):
    engine.record_event(case_id, "reg", "notice", {"kind": kind, "title": kind, **data})


@pytest.fixture
def matter(ui_engine, mini):
    """A matter registered on T0, accepted (受理告知书 with 查询码), handled by zjj and its
    信访处理意见书 served on 2026-11-20; returns (case, code, opinion document id)."""
    with time_machine.travel(T0, tick=False):
        acceptance = clock_stop(clock_start("acceptance", unit="xfj"), T0 + dt.timedelta(days=2))
        case = mini(handling_unit="zjj", petitioner_name="王小明", petitioner_phone="13800000000",
                    accused_unit=None, clock_acceptance=acceptance,
                    clock_handling=clock_start("handling", start=T0 + dt.timedelta(days=2), unit="zjj"))
        _notice(ui_engine, case.id, "受理告知书", to="王小明")
        _notice(ui_engine, case.id, "交办函", to="zjj")
    with time_machine.travel(SERVED, tick=False):
        ui_engine.complete_task(ui_engine.list_tasks(case_id=case.id)[0].id, {
            "opinion": "予以支持", "days": 10, "urgent": False, "result": "done", "served_on": "2026-11-20",
            "case_no": "XF-MINI"}, actor="zjj_h1", validate_form=False)
        _notice(ui_engine, case.id, "信访处理意见书", to="王小明", outcome="support")
        documents.sync_documents(ui_engine)
    with ui_engine.unit_of_work() as s:
        code = petitioner.existing_code(s, case.id)
        opinion = next(d for d in documents.case_documents(s, case.id) if d.kind == "opinion")
        if opinion.served_on is None:
            documents.record_service(s, opinion, "当面", "2026-11-20", None, "zjj_h1", SERVED)
        return case, code, opinion.id


def test_login_page_links_to_the_public_query_page(ui_client):
    page = ui_client.get("/login").get_data(as_text=True)
    assert 'href="/query/"' in page and "信访人查询" in page
    assert ui_client.get("/query/").status_code == 200


def test_the_code_shows_stages_deadline_and_served_documents_without_internal_names(ui_engine, matter, ui_client):
    case, code, _ = matter
    with time_machine.travel(NOW, tick=False):
        page = ui_client.post("/query/", data={"code": code.lower().replace("-", " ")})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "XF-MINI" in html and "王**" in html
    assert "登记受理" in html and "调查办理" in html
    assert "郓信受〔2026〕1号" not in html  # not served yet: only served documents are listed
    assert "郓住建处〔2026〕1号" in html and "2026-11-20" in html
    assert "期限至" in html
    for internal in ("王小明", "13800000000", "钱承办", "zjj_h1", "王登记", "reg", "adopt", case.id):
        assert internal not in html.replace("XF-MINI", ""), internal


def test_an_accusation_shows_no_unit_names(ui_engine, mini, ui_client):
    with time_machine.travel(T0, tick=False):
        case = mini(handling_unit="jw", category="检举控告", accused_unit="zjj", confidential=True,
                    clock_handling=clock_start("handling", unit="jw"))
        _notice(ui_engine, case.id, "受理告知书", to="张三")
        documents.sync_documents(ui_engine)
    with ui_engine.unit_of_work() as s:
        code = petitioner.existing_code(s, case.id)
    with time_machine.travel(NOW, tick=False):
        html = ui_client.post("/query/", data={"code": code}).get_data(as_text=True)
    assert "调查办理" in html
    for name in ("县住房和城乡建设局", "住建", "县纪委监委", "纪委"):
        assert name not in html


def test_guessed_and_expired_codes_are_refused_alike(ui_engine, matter, ui_client):
    case, code, _ = matter
    with time_machine.travel(NOW, tick=False):
        guessed = ui_client.post("/query/", data={"code": "ABCD-EFGH-JKMN"})
    assert guessed.status_code == 404 and "查询码无效或已过期" in guessed.get_data(as_text=True)
    with time_machine.travel(NOW, tick=False):
        ui_engine.cancel_case(case.id, "reg", reason="测试")
    with time_machine.travel(NOW + dt.timedelta(days=petitioner.CODE_VALID_DAYS_AFTER_END + 5), tick=False):
        expired = ui_client.post("/query/", data={"code": code})
    assert expired.status_code == 404 and "XF-MINI" not in expired.get_data(as_text=True)


def test_lookups_are_rate_limited_per_client_address(ui_engine, tmp_path):
    app = make_app(ui_engine, tmp_path, QUERY_RATE_LIMIT=3)
    client = app.test_client()
    answers = [client.post("/query/", data={"code": f"AAAA-BBBB-CCC{n}"}).status_code for n in range(4)]
    assert answers == [404, 404, 404, 429]
    other = app.test_client()
    assert other.post("/query/", data={"code": "AAAA"}, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 404


def test_a_rating_moves_satisfaction_exactly_once(ui_engine, matter, ui_client):
    case, code, opinion = matter
    day = NOW.astimezone(documents.SHANGHAI).date()

    def satisfaction():
        with ui_engine.unit_of_work(read_only=True) as s:
            m = compute_metrics(s, day, day, as_of=NOW + dt.timedelta(hours=1))
        unit = m.units.get("zjj")
        return (m.county.satisfaction.numerator, m.county.satisfaction.denominator,
                unit.satisfaction.denominator if unit else 0)

    assert satisfaction() == (0, 0, 0)
    with time_machine.travel(NOW, tick=False):
        first = ui_client.post("/query/rate", data={"code": code, "document": opinion, "rating": "基本满意",
                                                     "comment": "处理及时"})
        again = ui_client.post("/query/rate", data={"code": code, "document": opinion, "rating": "不满意"})
    assert first.status_code == 200 and "感谢您的评价" in first.get_data(as_text=True)
    assert again.status_code == 409 and "只能评价一次" in again.get_data(as_text=True)
    assert satisfaction() == (1, 1, 1)


def test_rating_is_refused_after_its_window_and_for_bad_input(ui_engine, matter, ui_client):
    case, code, opinion = matter
    with time_machine.travel(NOW, tick=False):
        bad = ui_client.post("/query/rate", data={"code": code, "document": opinion, "rating": "很好"})
    assert bad.status_code == 400 and "请选择满意" in bad.get_data(as_text=True)
    late = SERVED + dt.timedelta(days=petitioner.RATING_WINDOW_DAYS + 2)
    with time_machine.travel(late, tick=False):
        page = ui_client.post("/query/", data={"code": code}).get_data(as_text=True)
        refused = ui_client.post("/query/rate", data={"code": code, "document": opinion, "rating": "满意"})
    assert "提交评价" not in page
    assert refused.status_code == 409 and "已超过评价期限" in refused.get_data(as_text=True)


def test_dissatisfied_opens_a_return_visit_task_for_the_xinfang_bureau(ui_engine, matter, ui_client, people):
    case, code, opinion = matter
    with time_machine.travel(NOW, tick=False):
        ui_client.post("/query/rate", data={"code": code, "document": opinion, "rating": "不满意",
                                            "comment": "问题没有解决"})
    [task] = ui_engine.list_tasks(process_key="return_visit")
    assert task.name == "回访不满意评价" and task.candidate_groups == ["xfj:handler"]
    visit = ui_engine.get_case(task.case_id).variables
    assert visit["petition_case_id"] == case.id and visit["rating_comment"] == "问题没有解决"
    assert visit["document_no"].startswith("郓住建处")


def test_the_petitioner_opens_a_served_document_but_not_another_cases(ui_engine, matter, mini, ui_client):
    case, code, opinion = matter
    other = mini()
    _notice(ui_engine, other.id, "受理告知书", to="张三")
    documents.sync_documents(ui_engine)
    with ui_engine.unit_of_work() as s:
        other_doc = documents.case_documents(s, other.id)[0].id
    with time_machine.travel(NOW, tick=False):
        mine = ui_client.post("/query/document", data={"code": code, "document": opinion})
        theirs = ui_client.post("/query/document", data={"code": code, "document": other_doc})
    assert mine.status_code == 200 and mine.mimetype == "application/pdf"
    assert theirs.status_code == 404
