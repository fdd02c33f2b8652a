"""The supervisor dashboard (督查督办): who may open it, its figures on a hand-built set of
cases, its lists, and 督办函 / 风险提醒函 issued from a row through the ``supervision`` process.

The set (built once per module at fixed instants, Asia/Shanghai), seen on 2026-06-15 10:00:

    A  handling, 县住建局 (zjj), 城乡建设, started 04-01 09:00: 60 days end Sun 05-31, rolled
       to Mon 06-01 23:59:59 -> running, overdue 14 days (decided late in the range)
    B  handling, 县人社局 (rsj), 劳动社保, started 04-14 09:00: 60 days end Sat 06-13, rolled
       to Mon 06-15 23:59:59 -> running, due today (due soon), undecided
    C  handling, zjj, 城乡建设, started 04-20, opinion served 05-20 -> on time; its 复查
       request window is the petitioner's, never listed; evaluated "satisfied" on 05-25
    D  petition, registered 06-10 by 县信访局, 教育 -> acceptance due 06-25, not listed
    screening results: 05-12 settled, 06-02 not settled (town-chengguan)

Range 2026-05-01..2026-06-15: 按期办理率 1/2 (C on time, A late), 及时受理率 — (nothing
decided), 一次性化解率 1/1 (C), 访前化解率 1/2, 满意率 1/1, overdue 1, due soon 1.
"""
from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
import time_machine

from tests.handling_driver import HEARD, INVESTIGATED, OPINION, PETITION
from tests.web_helpers import PASSWORD, create_people, csrf_token_of, make_app

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI)
RANGE = {"date_from": "2026-05-01", "date_to": "2026-06-15"}


def sh(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def _at(when):
    return time_machine.travel(when, tick=False)


def _start(engine, key: str, when, case_no: str, **variables) -> str:
    with _at(when):
        info = engine.start_case(process_key=key, business_key=case_no, actor="reg", variables={
            **PETITION, "case_no": case_no, "petitioner_id_number": f"3717251980010{case_no[-4:]}1",
            "facts": f"{case_no} 的事实", **variables})
    return info.id


def _do(engine, case_id: str, activity: str, values: dict, when, actor: str = "zjj_h1") -> None:
    with _at(when):
        task = next(t for t in engine.list_tasks(case_id=case_id) if t.activity_id == activity)
        engine.complete_task(task.id, values, actor)


def build_set(engine) -> dict[str, str]:
    ids = {
        "A": _start(engine, "handling", sh(2026, 4, 1, 9, 0), "XF202604010001", handling_unit="zjj",
                    domain="城乡建设", petitioner_name="甲某"),
        "B": _start(engine, "handling", sh(2026, 4, 14, 9, 0), "XF202604140001", handling_unit="rsj",
                    domain="劳动社保", petitioner_name="乙某"),
        "C": _start(engine, "handling", sh(2026, 4, 20, 9, 0), "XF202604200001", handling_unit="zjj",
                    domain="城乡建设", petitioner_name="丙某"),
    }
    c = ids["C"]
    _do(engine, c, "Task_investigate", INVESTIGATED, sh(2026, 4, 25, 10, 0))
    _do(engine, c, "Task_hear_petitioner", HEARD, sh(2026, 4, 28, 10, 0))
    _do(engine, c, "Task_draft_opinion", {**OPINION, "opinion_outcome": "explain"}, sh(2026, 5, 10, 10, 0))
    _do(engine, c, "Task_approve_opinion", {"opinion_approval": "approve"}, sh(2026, 5, 15, 10, 0), "zjj_head")
    _do(engine, c, "Task_serve_opinion", {"served_on": "2026-05-20", "service_method": "direct"},
        sh(2026, 5, 20, 10, 0))
    ids["D"] = _start(engine, "petition", sh(2026, 6, 10, 9, 0), "XF202606100001", domain="教育",
                      category="建议意见", registering_unit="xfj", petitioner_name="丁某")
    for when, kind, data, case in ((sh(2026, 5, 25, 9, 0), "evaluation", {"satisfied": True}, c),
                                   (sh(2026, 5, 12, 9, 0), "screening_result",
                                    {"settled": True, "unit": "town-chengguan"}, None),
                                   (sh(2026, 6, 2, 9, 0), "screening_result",
                                    {"settled": False, "unit": "town-chengguan"}, None)):
        with _at(when):
            engine.record_event(case, "tester", kind, data)
    return ids


@pytest.fixture(scope="module")
def built(deployed_template, tmp_path_factory):
    """A database file with the people and the hand-built set, copied per test."""
    from engine.accounts import create_user
    from engine.bootstrap import build_engine

    path = tmp_path_factory.mktemp("dashboard") / "built.sqlite3"
    shutil.copy(deployed_template, path)
    engine = build_engine(f"sqlite:///{path}", migrate=False)
    try:
        create_people(engine)
        with engine.unit_of_work() as s:  # a township's supervisor: sees its own unit's cases only
            create_user(s, "town_sup", PASSWORD, "韩督查", "town-chengguan", ["supervisor"])
        ids = build_set(engine)
    finally:
        engine.db.dispose()
    return path, ids


@pytest.fixture
def engine(built, tmp_path):
    from engine.bootstrap import build_engine

    path = tmp_path / "xinfang.sqlite3"
    shutil.copy(built[0], path)
    e = build_engine(f"sqlite:///{path}", migrate=False)
    yield e
    e.db.dispose()


@pytest.fixture
def ids(built) -> dict[str, str]:
    return built[1]


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def app(engine, tmp_path, now):
    return make_app(engine, tmp_path)


@pytest.fixture
def login(app):
    def _login(username: str):
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, f"login of {username} failed"
        return client
    return _login


def _rows(html: str, section: str) -> dict[str, int]:
    """case id -> clock id of the rows in the #late or #soon section."""
    start = html.index(f'id="{section}"')
    end = html.find("</section>", start)
    return {case: int(clock) for clock, case in
            re.findall(r'data-clock-id="(\d+)" data-case-id="([^"]+)"', html[start:end])}


def _supervisions(engine):
    return engine.list_cases(process_key="supervision")


# ---------------------------------------------------------------------- access
@pytest.mark.parametrize("username, status", [
    ("reg", 403), ("xfj_handler", 403), ("zjj_h1", 403), ("zjj_head", 403), ("rsj_reg", 403),
    ("sup", 200), ("lead", 200), ("admin", 200), ("town_sup", 200),
])
def test_only_supervisors_leaders_and_administrators_open_the_dashboard(login, username, status):
    client = login(username)
    assert client.get("/dashboard/").status_code == status
    assert client.get("/dashboard/metrics.json").status_code == status
    nav = client.get("/tasks").get_data(as_text=True)
    assert ('href="/dashboard/"' in nav) is (status == 200)


def test_anonymous_visitors_are_sent_to_login_and_the_json_answers_401(app):
    client = app.test_client()
    response = client.get("/dashboard/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.get("/dashboard/metrics.json")
    assert response.status_code == 401 and response.get_json()["error"] == "请先登录"


@pytest.mark.parametrize("username, status", [("reg", 403), ("zjj_head", 403), ("admin", 403)])
def test_only_supervisors_and_leaders_issue_letters(login, engine, ids, username, status):
    html = login("sup").get("/dashboard/", query_string=RANGE).get_data(as_text=True)
    clock = _rows(html, "late")[ids["A"]]
    response = login(username).post(f"/dashboard/clocks/{clock}/letter", data={"reason": "overdue", "detail": "超期"})
    assert response.status_code == status
    assert _supervisions(engine) == []


def test_administrators_see_no_letter_buttons(login):
    html = login("admin").get("/dashboard/", query_string=RANGE).get_data(as_text=True)
    assert "逾期事项" in html and "预览督办函" not in html


def test_a_township_supervisor_sees_only_its_own_unit_and_other_ids_answer_404(login, engine, ids):
    client = login("town_sup")
    html = client.get("/dashboard/").get_data(as_text=True)
    assert _rows(html, "late") == {} and _rows(html, "soon") == {}
    assert "城关镇人民政府" in html and '<option value="">全县</option>' not in html
    data = client.get("/dashboard/metrics.json", query_string=RANGE).get_json()
    assert data["scope"] == "town-chengguan" and data["totals"]["pre_petition_resolution"]["denominator"] == 2
    assert data["totals"]["on_time_handling"]["denominator"] == 0
    assert client.get("/dashboard/", query_string={"unit": "zjj"}).status_code == 404
    response = client.get("/dashboard/metrics.json", query_string={"unit": "zjj"})
    assert response.status_code == 404 and response.is_json
    # the id of another unit's overdue clock: the same answer as an unknown id
    sup_html = login("sup").get("/dashboard/").get_data(as_text=True)
    clock = _rows(sup_html, "late")[ids["A"]]
    assert client.post(f"/dashboard/clocks/{clock}/letter", data={"reason": "overdue", "detail": "x"}).status_code == 404
    assert _supervisions(engine) == []


def test_another_units_clock_is_not_found_for_a_unit_leader(engine, tmp_path, now, ids):
    """A 领导 seat outside the county-wide ones sees its own unit's cases only."""
    from engine.accounts import create_user
    from engine.dashboard import Dashboard
    from engine.errors import NotFound

    with engine.unit_of_work() as s:
        rsj_leader = create_user(s, "rsj_lead", PASSWORD, "分管领导", "rsj", ["leader"])
        sup = create_user(s, "sup2", PASSWORD, "督查", "xfj", ["supervisor"])
    dashboard = Dashboard(engine)
    filters = dashboard.filters_for(sup, RANGE)
    overview = dashboard.overview(sup, filters)
    a_clock = next(r.clock_id for _, rows in overview.late for r in rows if r.case_id == ids["A"])
    b_clock = next(r.clock_id for _, rows in overview.due_soon for r in rows if r.case_id == ids["B"])
    with pytest.raises(NotFound):
        dashboard.issue_letter(rsj_leader, a_clock, {"reason": "overdue", "detail": "超期"})
    assert dashboard.issue_letter(rsj_leader, b_clock, {"detail": "即将到期"}).letter == "风险提醒函"


# ---------------------------------------------------------------------- figures
def test_metrics_json_has_the_documented_shape_and_the_hand_counted_numbers(login):
    response = login("sup").get("/dashboard/metrics.json", query_string=RANGE)
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) == {"date_from", "date_to", "as_of", "scope", "scope_name", "due_soon_days", "totals", "units",
                         "weeks", "domains"}
    assert (data["date_from"], data["date_to"], data["scope"], data["scope_name"]) == \
        ("2026-05-01", "2026-06-15", "county", "全县")
    assert data["as_of"].startswith("2026-06-15T10:0")
    t = data["totals"]
    assert t["on_time_handling"] == {"numerator": 1, "denominator": 2, "value": 0.5}
    assert t["timely_acceptance"] == {"numerator": 0, "denominator": 0, "value": None}
    assert t["first_time_resolution"] == {"numerator": 1, "denominator": 1, "value": 1.0}
    assert t["pre_petition_resolution"] == {"numerator": 1, "denominator": 2, "value": 0.5}
    assert t["satisfaction"] == {"numerator": 1, "denominator": 1, "value": 1.0}
    assert (t["overdue"], t["due_soon"]) == (1, 1)
    assert data["units"]["zjj"]["on_time_handling"]["value"] == 0.5 and data["units"]["zjj"]["overdue"] == 1
    assert data["units"]["rsj"]["due_soon"] == 1 and data["units"]["rsj"]["overdue"] == 0

    weeks = data["weeks"]
    assert [(w["week_start"], w["week_end"]) for w in weeks][:2] == [("2026-05-01", "2026-05-03"),
                                                                      ("2026-05-04", "2026-05-10")]
    assert weeks[-1]["week_start"] == weeks[-1]["week_end"] == "2026-06-15" and len(weeks) == 8
    on_time = {w["week_start"]: w["on_time_handling"]["numerator"] for w in weeks if w["on_time_handling"]["denominator"]}
    assert on_time == {"2026-05-18": 1, "2026-06-01": 0}  # C served 05-20; A's due 06-01 passed
    # A was overdue at the end of the week of 06-01 and the week after; B due soon only now
    assert [w["overdue"] for w in weeks] == [0, 0, 0, 0, 0, 1, 1, 1]
    assert [w["due_soon"] for w in weeks][-1] == 1

    domains = {d["domain"]: d for d in data["domains"]}
    assert domains["城乡建设"]["on_time_handling"] == {"numerator": 1, "denominator": 2, "value": 0.5}
    assert domains["城乡建设"]["overdue"] == 1 and domains["劳动社保"]["due_soon"] == 1
    assert domains["教育"]["received"] == 1 and domains["城乡建设"]["received"] == 0  # petitions only


def test_metrics_for_one_unit(login):
    data = login("sup").get("/dashboard/metrics.json", query_string={**RANGE, "unit": "rsj"}).get_json()
    assert data["scope"] == "rsj" and data["scope_name"] == "县人力资源和社会保障局"
    assert data["totals"]["due_soon"] == 1 and data["totals"]["overdue"] == 0
    assert data["totals"]["on_time_handling"]["denominator"] == 0
    assert list(data["units"]) == ["rsj"]


@pytest.mark.parametrize("query, field", [
    ({"date_from": "2026-13-01"}, "date_from"),
    ({"date_from": "2026-06-10", "date_to": "2026-06-01"}, "date_to"),
    ({"date_from": "2024-01-01", "date_to": "2026-06-01"}, "date_to"),
    ({"unit": "nowhere"}, "unit"),
])
def test_bad_filters_are_refused_with_the_field_named(login, query, field):
    response = login("sup").get("/dashboard/metrics.json", query_string=query)
    assert response.status_code == 400 and field in response.get_json()["errors"]
    page = login("sup").get("/dashboard/", query_string=query)
    assert page.status_code == 200 and 'class="flash flash-error"' in page.get_data(as_text=True)


def test_page_shows_figures_charts_and_the_lists_grouped_by_unit(login, ids):
    html = login("sup").get("/dashboard/", query_string=RANGE).get_data(as_text=True)
    kpi = re.search(r'data-metric="on_time_handling">.*?kpi-value">([^<]+)<', html, re.S).group(1)
    assert kpi == "50.0%"
    assert re.search(r'data-metric="overdue">.*?kpi-value">1<', html, re.S)
    assert html.count("<svg viewBox=\"0 0 ") - html.count("<svg viewBox=\"0 0 24 24\"") == 4 and "<title>县住房和城乡建设局 逾期 1 件</title>" in html
    assert "style=" not in html.split("<main>")[1]  # the CSP forbids inline styles
    assert list(_rows(html, "late")) == [ids["A"]]
    assert list(_rows(html, "soon")) == [ids["B"]]
    late = html[html.index('id="late"'):html.index('id="soon"')]
    assert "县住房和城乡建设局</strong> · 逾期 1 件" in late and "超期 14 天" in late and "调查核实" in late
    soon = html[html.index('id="soon"'):]
    assert "县人力资源和社会保障局</strong> · 临期 1 件" in soon and "今日到期" in soon and "预览风险提醒函" in soon
    assert ids["C"] not in html and ids["D"] not in html  # on time, or not due: not listed


# ---------------------------------------------------------------------- letters
def test_a_letter_from_an_overdue_row_starts_supervision_and_is_logged_on_the_case(login, engine, ids):
    client = login("sup")
    html = client.get("/dashboard/", query_string=RANGE).get_data(as_text=True)
    clock = _rows(html, "late")[ids["A"]]
    response = client.post(f"/dashboard/clocks/{clock}/letter",
                           data={"reason": "overdue", "detail": "办理期限已届满，请书面答复。", **RANGE})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard/?date_from=2026-05-01&date_to=2026-06-15#late")

    (sup_case,) = _supervisions(engine)
    v = engine.get_case(sup_case.id).variables
    assert (v["target_case_id"], v["target_unit"], v["supervision_reason"]) == (ids["A"], "zjj", "overdue")
    assert v["supervision_detail"] == "办理期限已届满，请书面答复。" and v["issued_by"] == "sup"
    (answer,) = engine.list_tasks(case_id=sup_case.id)
    assert answer.activity_id == "Task_answer_letter" and answer.candidate_groups == ["zjj:head"]
    notices = [e.data for e in engine.history(sup_case.id) if e.kind == "notice"]
    assert [n["kind"] for n in notices] == ["督办函"] and notices[0]["case"] == ids["A"]

    (event,) = [e for e in engine.history(ids["A"]) if e.kind == "supervision_issued"]
    assert event.actor == "sup" and event.at == NOW
    assert event.data["supervision_case_id"] == sup_case.id and event.data["letter"] == "督办函"
    assert event.data["unit"] == "zjj" and event.data["days_overdue"] == 14 and event.data["clock"] == "handling"

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已向县住房和城乡建设局发出督办函" in page
    row = page[page.index(f'data-case-id="{ids["A"]}"'):]
    assert "已发督办函" in row[:2000] and "督办中" in row[:2000]
    # the unit's head sees the letter to answer
    assert [t.name for t in engine.list_tasks(candidate_groups=["zjj:head"])] == ["书面答复督办函"]


def test_a_second_letter_while_the_first_is_open_is_refused(login, engine, ids):
    client = login("lead")
    clock = _rows(client.get("/dashboard/").get_data(as_text=True), "late")[ids["A"]]
    assert client.post(f"/dashboard/clocks/{clock}/letter", data={"detail": "请答复"}).status_code == 302
    response = client.post(f"/dashboard/clocks/{clock}/letter", data={"detail": "再次"}, follow_redirects=True)
    assert "督办尚未办结" in response.get_data(as_text=True)
    assert len(_supervisions(engine)) == 1


def test_a_due_soon_row_gets_a_risk_reminder(login, engine, ids):
    client = login("sup")
    clock = _rows(client.get("/dashboard/").get_data(as_text=True), "soon")[ids["B"]]
    assert client.post(f"/dashboard/clocks/{clock}/letter", data={"reason": "due_soon", "detail": "今日到期"}).status_code == 302
    (sup_case,) = _supervisions(engine)
    (task,) = engine.list_tasks(case_id=sup_case.id)
    assert task.activity_id == "Task_risk_feedback" and task.candidate_groups == ["rsj:head"]
    assert [e.data["letter"] for e in engine.history(ids["B"]) if e.kind == "supervision_issued"] == ["风险提醒函"]


@pytest.mark.parametrize("section, form, message", [
    ("late", {"reason": "due_soon", "detail": "x"}, "期限已届满，应发督办函"),
    ("soon", {"reason": "overdue", "detail": "x"}, "期限尚未届满，可发风险提醒函"),
    ("late", {"reason": "overdue", "detail": "   "}, "请填写情况说明"),
    ("late", {"reason": "scold", "detail": "x"}, "请选择督办事由"),
])
def test_letters_with_the_wrong_reason_or_no_detail_are_refused(login, engine, ids, section, form, message):
    client = login("sup")
    rows = _rows(client.get("/dashboard/").get_data(as_text=True), section)
    clock = rows[ids["A"] if section == "late" else ids["B"]]
    response = client.post(f"/dashboard/clocks/{clock}/letter", data=form, follow_redirects=True)
    assert message in response.get_data(as_text=True)
    assert _supervisions(engine) == []


def test_letters_need_the_csrf_token(engine, tmp_path, now, ids):
    app = make_app(engine, tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "sup", "password": PASSWORD, "csrf_token": token})
    html = client.get("/dashboard/").get_data(as_text=True)
    clock = _rows(html, "late")[ids["A"]]
    refused = client.post(f"/dashboard/clocks/{clock}/letter", data={"reason": "overdue", "detail": "超期"})
    assert refused.status_code == 400 and _supervisions(engine) == []
    token = csrf_token_of(html[html.index('id="late"'):])
    accepted = client.post(f"/dashboard/clocks/{clock}/letter",
                           data={"reason": "overdue", "detail": "超期", "csrf_token": token})
    assert accepted.status_code == 302 and len(_supervisions(engine)) == 1


def test_a_stopped_or_unknown_clock_is_not_found(login, engine, ids):
    from persistence.models_clocks import Clock
    from sqlalchemy import select

    with engine.unit_of_work() as s:
        stopped = s.scalar(select(Clock.id).where(Clock.case_id == ids["C"], Clock.kind == "handling"))
    client = login("sup")
    for clock in (stopped, 999999):
        assert client.post(f"/dashboard/clocks/{clock}/letter", data={"detail": "x"}).status_code == 404
    assert _supervisions(engine) == []


def test_a_matter_under_supervision_is_one_row_with_its_own_and_its_letters_clocks(login, engine, ids):
    client = login("sup")
    clock = _rows(client.get("/dashboard/", query_string=RANGE).get_data(as_text=True), "late")[ids["A"]]
    client.post(f"/dashboard/clocks/{clock}/letter", data={"reason": "overdue", "detail": "请书面答复。"})
    (sup_case,) = _supervisions(engine)
    with _at(NOW + dt.timedelta(days=12)):  # the 10-day reply period has run out too
        html = client.get("/dashboard/").get_data(as_text=True)
    late = html[html.index('id="late"'):html.index('id="soon"')]
    soon = html[html.index('id="soon"'):]
    assert late.count(f'data-case-id="{ids["A"]}"') == 1 and f'data-case-id="{sup_case.id}"' not in late + soon
    assert "督-" not in late and "督-" not in soon
    row = late[late.index(f'data-case-id="{ids["A"]}"'):late.index("</tr>", late.index(f'data-case-id="{ids["A"]}"'))]
    assert 'data-clock-kind="handling"' in row and 'data-clock-kind="supervision_answer"' in row
    assert "督办答复期限" in row and "答复：待书面答复" in row
    rows = re.findall(r'data-case-id="([^"]+)"', late)
    assert len(rows) == len(set(rows))  # one row per matter, however many clocks
    assert f'<span class="badge badge-late">{len(rows)}</span>' in late


def test_a_letter_is_previewed_with_its_reply_deadline_before_anything_is_issued(login, engine, ids):
    client = login("sup")
    clock = _rows(client.get("/dashboard/", query_string=RANGE).get_data(as_text=True), "late")[ids["A"]]
    response = client.post(f"/dashboard/clocks/{clock}/letter/preview",
                           data={"reason": "irregular", "detail": "推诿拖延，请说明。", **RANGE})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and not _supervisions(engine)
    preview = html[html.index('class="card letter-preview"'):]
    assert "县住房和城乡建设局" in preview and "受理办理不规范" in preview and "推诿拖延，请说明。" in preview
    assert "书面答复期限" in preview and "2026-06-25 23:59" in preview  # 10 days from 2026-06-15
    assert 'name="reason" value="irregular"' in html and f'/dashboard/clocks/{clock}/letter"' in html
    refused = client.post(f"/dashboard/clocks/{clock}/letter/preview", data={"reason": "overdue", "detail": ""},
                          follow_redirects=True)
    assert "请填写情况说明" in refused.get_data(as_text=True) and not _supervisions(engine)
    assert login("zjj_h1").post(f"/dashboard/clocks/{clock}/letter/preview",
                                data={"reason": "overdue", "detail": "x"}).status_code == 403
