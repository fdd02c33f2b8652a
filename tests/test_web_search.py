"""案件查询: every search field, visibility, keyset pages, sorting, and the exports."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import time_machine

from engine.clocks import clock_start
from tests.web_helpers import PEOPLE, login, mini, people, ui_app, ui_client, ui_engine  # noqa: F401

SH = dt.timezone(dt.timedelta(hours=8))
ID_A = "372925198001011234"
ID_B = "37292519900202567X"


def _rows(html: str) -> list[str]:
    """The case numbers listed in the result table, in order."""
    if '<table class="results' not in html:
        return []
    table = html[html.index('<table class="results'):html.index("</table>")]
    return re.findall(r'data-label="案件编号"><a href="/cases/[^"]+">([^<]+)</a>', table)


def _county(mini):
    with time_machine.travel(dt.datetime(2026, 11, 2, 10, 0, tzinfo=SH), tick=False):
        mini(handling_unit="zjj", case_no="XF202611020001", petitioner_name="张三", petitioner_id_number=ID_A,
             petitioner_phone="13800000001", title="张三：请求办理房产证")
    with time_machine.travel(dt.datetime(2026, 11, 10, 10, 0, tzinfo=SH), tick=False):
        late = clock_start("handling", start=dt.datetime(2026, 8, 1, 10, 0, tzinfo=SH), unit="zjj")
        mini(handling_unit="zjj", case_no="XF202611100001", petitioner_name="李四", petitioner_id_number=ID_B,
             petitioner_phone="13900000002", title="李四：小区噪声扰民", request="夜间施工噪声扰民，请求处理",
             clock_handling=late)
    with time_machine.travel(dt.datetime(2026, 11, 10, 11, 0, tzinfo=SH), tick=False):
        mini(handling_unit="rsj", case_no="XF202611100002", petitioner_name="王五", petitioner_id_number=ID_A,
             petitioner_phone="13700000003", title="王五：拖欠工资", request="请求督促企业支付拖欠工资")


def test_a_caseworker_finds_a_case_by_any_of_its_details(login, mini):
    _county(mini)
    client = login("zjj_h1")
    search = lambda **kw: _rows(client.get("/cases", query_string=kw).get_data(as_text=True))  # noqa: E731
    assert search() == ["XF202611100001", "XF202611020001"]  # newest first; 王五's case is 人社局's
    assert search(number="XF2026111") == ["XF202611100001"]
    assert search(name="张") == ["XF202611020001"]
    assert search(id_number=ID_B.lower()) == ["XF202611100001"]
    assert search(id_number="372925198") == ["XF202611020001"]
    assert search(phone="13800000001") == ["XF202611020001"]
    assert search(text="噪声") == ["XF202611100001"]
    assert search(text="%") == []
    assert search(date_from="2026-11-05", date_to="2026-11-30") == ["XF202611100001"]
    assert search(date_to="2026-11-02") == ["XF202611020001"]
    assert search(overdue="1") == ["XF202611100001"]
    assert search(status="completed") == []
    assert search(unit="rsj") == []  # another unit's case stays invisible whatever is asked
    assert search(name="王五") == []


def test_results_mask_the_id_number_and_show_the_phone(login, mini):
    _county(mini)
    html = login("zjj_h1").get("/cases", query_string={"name": "张三"}).get_data(as_text=True)
    assert ID_A not in html and "3729**********1234" in html
    assert "13800000001" in html and "县住房和城乡建设局" in html and "办理中" in html


def test_county_wide_seats_see_every_unit_and_filter_by_unit(login, mini):
    _county(mini)
    client = login("sup")
    assert _rows(client.get("/cases").get_data(as_text=True)) == ["XF202611100002", "XF202611100001",
                                                                  "XF202611020001"]
    assert _rows(client.get("/cases?unit=rsj").get_data(as_text=True)) == ["XF202611100002"]
    assert _rows(client.get("/cases?sort=no").get_data(as_text=True)) == ["XF202611020001", "XF202611100001",
                                                                         "XF202611100002"]


def test_mistakes_in_the_form_are_named_in_chinese(login, mini):
    _county(mini)
    response = login("zjj_h1").get("/cases", query_string={"date_from": "2026-13-01", "id_number": "abc"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "登记日期（起）格式不对" in html and "身份证号码只能是数字和 X" in html and _rows(html) == []
    html = login("zjj_h1").get("/cases?date_from=2026-11-30&date_to=2026-11-01").get_data(as_text=True)
    assert "登记日期（止）不能早于（起）" in html


def test_pages_follow_one_another_without_gaps_or_repeats(login, mini):
    for i in range(1, 46):
        with time_machine.travel(dt.datetime(2026, 11, 1 + i % 3, 9, 0, tzinfo=SH), tick=False):
            mini(handling_unit="zjj", case_no=f"XF2026110{1 + i % 3}{i:04d}", petitioner_name=f"信访人{i}")
    client = login("zjj_h1")
    for sort in ("new", "old", "no", "no_desc"):
        seen, url = [], f"/cases?sort={sort}"
        while url:
            html = client.get(url).get_data(as_text=True)
            rows = _rows(html)
            assert 0 < len(rows) <= 20
            seen += rows
            match = re.search(r'<a class="button" rel="next" href="([^"]+)"', html)
            url = match.group(1).replace("&amp;", "&") if match else None
        assert len(seen) == 45 and len(set(seen)) == 45, sort
        if sort == "no":
            assert seen == sorted(seen)
        if sort == "no_desc":
            assert seen == sorted(seen, reverse=True)


def test_supervisors_export_the_result_as_csv_and_excel(login, mini):
    from openpyxl import load_workbook

    _county(mini)
    client = login("sup")
    response = client.get("/cases/export.csv?text=请求")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["案件编号", "登记时间", "信访人"]
    assert sorted(r[0] for r in rows[1:]) == ["XF202611020001", "XF202611100001", "XF202611100002"]
    assert ID_A not in text and "3729**********1234" in text
    assert {r[0]: r[-1] for r in rows[1:]}["XF202611100001"] == "是"  # 是否超期
    response = client.get("/cases/export.xlsx?unit=rsj")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "案件编号" and [v[0] for v in values[1:]] == ["XF202611100002"]


def test_caseworkers_cannot_export_and_bad_formats_are_not_found(login, mini):
    _county(mini)
    client = login("zjj_h1")
    assert "导出 Excel" not in client.get("/cases").get_data(as_text=True)
    assert client.get("/cases/export.csv").status_code == 403
    assert login("sup").get("/cases/export.pdf").status_code == 404
    assert login("sup").get("/cases/export.csv?date_from=x").status_code == 400
