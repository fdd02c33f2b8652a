"""Outside events recorded on the case page: a 复查/复核 request, 政法 feedback.

The case waits for a BPMN message; the caseworker fills in the date of receipt (checked
against the 送达 date and today) and the request; the page says what the law made of it.
"""
from __future__ import annotations

import datetime as dt

from tests.handling_driver import HEARD, INVESTIGATED, OPINION, PETITION, clock_at, sh, start
from tests.web_helpers import login, ui_app, ui_engine  # noqa: F401

START = sh(2026, 3, 2, 10, 0)


def _served(engine, tm, served_on="2026-03-06", unit="zjj"):
    case = start(engine, "handling", {**PETITION, "handling_unit": unit})
    case.complete("Task_investigate", INVESTIGATED)
    case.complete("Task_hear_petitioner", HEARD)
    case.complete("Task_draft_opinion", {**OPINION, "opinion_outcome": "reject"})
    case.complete("Task_approve_opinion", {"opinion_approval": "approve"})
    tm.move_to(sh(*map(int, served_on.split("-")), 15, 0))
    case.complete("Task_serve_opinion", {"served_on": served_on, "service_method": "direct"})
    return case


def _request(client, case, day, reasons="不服处理意见，请求复查"):
    return client.post(f"/cases/{case.id}/external/review_request",
                       data={"review_received_on": day, "review_reasons": reasons})


def test_a_review_request_in_time_is_accepted_and_goes_to_the_organ_above(login, ui_engine):
    with clock_at(START) as tm:
        case = _served(ui_engine, tm)
        tm.move_to(sh(2026, 3, 20, 9, 0))
        client = login("zjj_reg")
        page = client.get(f"/cases/{case.id}").get_data(as_text=True)
        assert "登记复查申请" in page and "收到复查申请日期" in page
        response = _request(client, case, "2026-03-18")
        assert response.status_code == 302
        page = client.get(f"/cases/{case.id}").get_data(as_text=True)
        assert "复查申请已受理（第三十五条）：由市住房和城乡建设局复查" in page
        v = case.variables
        assert v["review_unit"] == "city-zjj" and v["review_received_at"].startswith("2026-03-18T00:00")
        assert v["review_reasons"] == "不服处理意见，请求复查"
        assert case.ready_ids() == ["Task_review_draft"]
        assert "登记复查申请" not in page  # no longer waited for
        assert [e.actor for e in case.history() if e.kind == "message_received"] == ["zjj_reg"]


def test_a_review_request_out_of_time_is_recorded_and_refused_with_the_reason(login, ui_engine):
    with clock_at(START) as tm:
        case = _served(ui_engine, tm)
        tm.move_to(sh(2026, 4, 20, 9, 0))  # the window lapsed; the scheduler has not run yet
        client = login("zjj_h1")
        response = _request(client, case, "2026-04-17")
        assert response.status_code == 302
        page = client.get(f"/cases/{case.id}").get_data(as_text=True)
        assert "复查申请逾期：处理意见书于 2026-03-06 送达" in page and "不予受理" in page
        assert case.variables["termination_reason"] == "review_request_late"


def test_a_receipt_date_before_the_service_or_in_the_future_is_refused_beside_the_field(login, ui_engine):
    with clock_at(START) as tm:
        case = _served(ui_engine, tm)
        tm.move_to(sh(2026, 3, 20, 9, 0))
        client = login("zjj_reg")
        early = _request(client, case, "2026-03-05")
        assert early.status_code == 400
        html = early.get_data(as_text=True)
        assert "不能早于处理意见书送达日期（2026-03-06）" in html and 'id="review_received_on-error"' in html
        assert "不服处理意见，请求复查" in html  # what was typed is kept
        future = _request(client, case, "2026-03-21")
        assert "不能晚于今天（2026-03-20）" in future.get_data(as_text=True)
        missing = _request(client, case, "2026-03-19", reasons="")
        assert missing.status_code == 400 and 'id="review_reasons-error"' in missing.get_data(as_text=True)
        assert case.ready_ids() == [] and not case.variables.get("review_received_at")


def test_only_the_units_concerned_may_record_and_only_while_the_case_waits(login, ui_engine):
    with clock_at(START) as tm:
        case = start(ui_engine, "handling", {**PETITION, "handling_unit": "zjj"})
        client = login("zjj_reg")
        assert "登记复查申请" not in client.get(f"/cases/{case.id}").get_data(as_text=True)
        assert _request(client, case, "2026-03-02").status_code == 409  # not waiting for it yet
        case = _served(ui_engine, tm)
        assert _request(login("rsj_h"), case, "2026-03-06").status_code == 404
        assert "登记复查申请" not in login("zjj_head").get(f"/cases/{case.id}").get_data(as_text=True)
        assert client.post(f"/cases/{case.id}/external/no_such").status_code == 404


def test_a_recheck_request_is_recorded_after_the_review_opinion(login, ui_engine):
    with clock_at(START) as tm:
        case = _served(ui_engine, tm)
        tm.move_to(sh(2026, 3, 20, 9, 0))
        _request(login("zjj_reg"), case, "2026-03-20")
        draft = {"review_findings": "原处理意见认定事实清楚", "review_decision": "uphold", "review_outcome": "reject",
                 "review_basis": "《信访工作条例》第三十五条"}
        case.complete("Task_review_draft", draft)
        case.complete("Task_review_approve", {"review_approval": "approve"}, actor="head")
        tm.move_to(sh(2026, 3, 27, 9, 0))
        case.complete("Task_review_serve", {"review_served_on": "2026-03-27", "review_service_method": "direct"})
        tm.move_to(sh(2026, 4, 10, 9, 0))
        client = login("zjj_reg")
        early = client.post(f"/cases/{case.id}/external/recheck_request",
                            data={"recheck_received_on": "2026-03-26", "recheck_reasons": "不服复查意见"})
        assert "不能早于复查意见书送达日期（2026-03-27）" in early.get_data(as_text=True)
        client.post(f"/cases/{case.id}/external/recheck_request",
                    data={"recheck_received_on": "2026-04-09", "recheck_reasons": "不服复查意见"})
        page = client.get(f"/cases/{case.id}").get_data(as_text=True)
        assert "复核申请已受理（第三十六条）：由市人民政府复核" in page
        assert case.ready_ids() == ["Task_recheck_examine"]


def test_feedback_of_a_judicial_organ_is_recorded_and_leads_to_checking_it(login, ui_engine):
    from tests.process_driver import PETITIONER

    with clock_at(sh(2026, 6, 1, 9, 0)) as tm:
        case = start(ui_engine, "litigation_handoff", PETITIONER)
        case.complete("Task_forward", {"judicial_unit": "fy", "transfer_summary": "不服生效判决，转法院依法处理",
                                       "followup_days": 30})
        case.complete("Task_receipt", {"receipt_date": "2026-06-01", "receipt_no": "法收〔2026〕8号"})
        tm.move_to(sh(2026, 6, 20, 9, 0))
        client = login("xfj_handler")
        assert "登记政法部门反馈" in client.get(f"/cases/{case.id}").get_data(as_text=True)
        late = client.post(f"/cases/{case.id}/external/judicial_report",
                           data={"judicial_feedback_on": "2026-05-30", "judicial_feedback": "已裁定驳回再审申请"})
        assert "不能早于政法部门签收日期（2026-06-01）" in late.get_data(as_text=True)
        client.post(f"/cases/{case.id}/external/judicial_report",
                    data={"judicial_feedback_on": "2026-06-19", "judicial_feedback": "已裁定驳回再审申请"})
        assert "已登记县人民法院的书面反馈" in client.get(f"/cases/{case.id}").get_data(as_text=True)
        assert case.ready_ids() == ["Task_record"]
        assert case.variables["judicial_feedback"] == "已裁定驳回再审申请"
