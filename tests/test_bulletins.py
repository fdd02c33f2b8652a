"""Bulletins: each figure equals a direct query of the database for a pinned date, the
schedule follows the statutory calendar, and the pages, PDF and Excel are served to
county-wide supervisors only."""
from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest
import time_machine
from openpyxl import load_workbook
from sqlalchemy import func, or_, select

from engine import bulletins
from engine.calendar import SHANGHAI
from engine.metrics import SNAPSHOT_EXCLUDED
from persistence.bulletins import Bulletin
from persistence.models import Case
from persistence.models_clocks import Clock
from tests.web_helpers import login, people, ui_app, ui_client, ui_engine  # noqa: F401

MONDAY = dt.date(2026, 11, 30)  # 日调度 and 周通报 day (a working Monday)
DECEMBER_FIRST = dt.date(2026, 12, 1)  # first working day of December: 月分析 of November


def local(y, m, d, h=10):
    return dt.datetime(y, m, d, h, 0, tzinfo=SHANGHAI)


def petition(engine, when: dt.datetime, n: int, *, id_number: str | None = None, domain: str = "城乡建设",
             facts: str | None = None):
    with time_machine.travel(when, tick=False):
        return engine.start_case(process_key="petition", business_key=f"XFT{n:04d}", actor="reg", variables={
            "case_no": f"XFT{n:04d}", "petitioner_name": f"信访人{n}",
            "petitioner_id_number": id_number or f"3729251980010{n:05d}", "petitioner_address": "郓城县",
            "channel": "来访", "category": "申诉求决", "domain": domain, "request": f"诉求{n}",
            "facts": facts or f"事实{n}", "reasons": "", "title": f"信访人{n}：诉求{n}",
            "registered_by": "reg", "registered_unit": "xfj"})


@pytest.fixture
def county(ui_engine):
    """Petitions spread over October and November 2026, one matter brought twice."""
    petition(ui_engine, local(2026, 10, 9), 1, domain="劳动社保")           # long open: 积案 by 11-30? no (52 days)
    petition(ui_engine, local(2026, 8, 20), 2)                              # 积案 (over 90 days)
    petition(ui_engine, local(2026, 10, 20), 3, domain="劳动社保")          # October
    petition(ui_engine, local(2026, 11, 15, 9), 4)                          # acceptance due 11-30: due today
    petition(ui_engine, local(2026, 11, 24), 5, id_number="372925198001019999", facts="同一事实")
    petition(ui_engine, local(2026, 11, 26), 6, id_number="372925198001019999", facts="同一事实")  # repeat
    petition(ui_engine, local(2026, 11, 26, 16), 7, domain="教育")         # Thursday: not new on Monday
    petition(ui_engine, local(2026, 11, 27), 8)                             # Friday: new on Monday
    petition(ui_engine, local(2026, 11, 29, 11), 9, domain="教育")         # Sunday: new on Monday
    petition(ui_engine, local(2026, 11, 30, 9), 10)                         # after 08:30 Monday: not yet
    return ui_engine


def _q(engine, statement):
    with engine.unit_of_work(read_only=True) as s:
        return s.execute(statement).all()


def _running_duty_clocks(as_of):
    return select(Clock).where(
        Clock.kind.not_in(SNAPSHOT_EXCLUDED), Clock.start <= as_of,
        or_(Clock.stopped_at.is_(None), Clock.stopped_at > as_of),
        Clock.case_id.not_in(select(Case.id).where(Case.status == "cancelled")))


def test_daily_figures_equal_direct_queries(county):
    with county.unit_of_work(read_only=True) as s:
        b = bulletins.daily(s, MONDAY)
    as_of = bulletins.as_of_for(MONDAY)
    friday = dt.datetime(2026, 11, 27, tzinfo=SHANGHAI)
    monday = dt.datetime(2026, 11, 30, tzinfo=SHANGHAI)
    new = _q(county, select(Case.business_key).where(Case.process_key == "petition", Case.started_at >= friday,
                                                      Case.started_at < monday))
    assert sorted(r["case_no"] for r in b["new"]) == sorted(k for (k,) in new) == ["XFT0008", "XFT0009"]
    clocks = [c for (c,) in _q(county, _running_duty_clocks(as_of))]
    overdue = [c for c in clocks if c.due < as_of and (c.paused_at is None or c.paused_at > as_of)]
    due_today = [c for c in clocks if c.due.astimezone(SHANGHAI).date() == MONDAY and c.due >= as_of]
    assert b["totals"]["overdue"] == len(overdue) > 0
    assert b["totals"]["due_today"] == len(due_today) >= 1
    assert "XFT0004" in {r["case_no"] for r in b["due_today"]}
    assert b["totals"]["new"] == 2
    assert sum(u["overdue"] for u in b["units"]) == len(overdue)


def test_weekly_figures_equal_direct_queries(county):
    with county.unit_of_work(read_only=True) as s:
        b = bulletins.weekly(s, MONDAY)
    assert (b["week_start"], b["week_end"]) == ("2026-11-23", "2026-11-29")
    assert [r["case_no"] for r in b["repeats"]] == ["XFT0006"]
    as_of = bulletins.as_of_for(MONDAY)
    backlog = _q(county, select(Case.business_key).where(
        Case.process_key == "petition", Case.started_at <= as_of - dt.timedelta(days=90), Case.ended_at.is_(None)))
    assert [r["case_no"] for r in b["backlog"]] == [k for (k,) in backlog] == ["XFT0002"]
    overdue = [c for (c,) in _q(county, _running_duty_clocks(as_of)) if c.due < as_of]
    assert sum(u["overdue"] for u in b["top_overdue"]) == len(overdue)


def test_monthly_figures_equal_direct_queries(county):
    with county.unit_of_work(read_only=True) as s:
        b = bulletins.monthly(s, DECEMBER_FIRST)
    assert b["month"] == "2026-11"

    def count(first, last):
        start = dt.datetime.combine(first, dt.time(0), tzinfo=SHANGHAI)
        end = dt.datetime.combine(last, dt.time(0), tzinfo=SHANGHAI)
        return _q(county, select(func.count()).select_from(Case).where(
            Case.process_key == "petition", Case.started_at >= start, Case.started_at < end))[0][0]

    assert b["total"] == count(dt.date(2026, 11, 1), dt.date(2026, 12, 1)) == 7
    assert b["total_before"] == count(dt.date(2026, 10, 1), dt.date(2026, 11, 1)) == 2
    domains = {d["domain"]: (d["count"], d["before"]) for d in b["domains"]}
    assert domains["劳动社保"] == (0, 2) and domains["教育"] == (2, 0)
    assert b["repeats"] == 1 and b["repeated_matters"][0]["case_nos"] == ["XFT0005", "XFT0006"]


def test_a_past_bulletin_regenerated_later_shows_the_same_figures(county):
    with county.unit_of_work(read_only=True) as s:
        first = bulletins.daily(s, MONDAY)
    petition(county, local(2026, 12, 2), 11)  # later registrations do not change Monday's figures
    with county.unit_of_work(read_only=True) as s:
        again = bulletins.daily(s, MONDAY)
    assert again == first


def test_schedule_follows_the_statutory_calendar():
    assert bulletins.due_kinds(MONDAY) == ["daily", "leaders", "weekly"]
    assert bulletins.due_kinds(DECEMBER_FIRST) == ["daily", "leaders", "monthly"]
    assert bulletins.due_kinds(dt.date(2026, 10, 1)) == []  # 国庆节
    assert bulletins.due_kinds(dt.date(2026, 11, 28)) == []  # Saturday
    assert bulletins.first_workday_of_month(dt.date(2026, 10, 15)) == dt.date(2026, 10, 8)  # after 国庆 (10-01..10-07)
    assert bulletins.previous_workday(MONDAY) == dt.date(2026, 11, 27)


def test_issue_due_archives_todays_bulletins_once_after_0830(county):
    assert bulletins.issue_due(county, local(2026, 11, 30, 8)) == []
    assert bulletins.issue_due(county, local(2026, 11, 30, 9)) == ["daily", "leaders", "weekly"]
    assert bulletins.issue_due(county, local(2026, 11, 30, 11)) == []
    rows = _q(county, select(Bulletin.kind, Bulletin.day))
    assert sorted(rows) == [("daily", MONDAY), ("leaders", MONDAY), ("weekly", MONDAY)]


def test_supervisor_views_and_downloads_a_daily_and_last_months_analysis(county, login):
    with time_machine.travel(local(2026, 12, 4, 9), tick=False):
        client = login("sup")
        page = client.get("/bulletins/daily/2026-11-30")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert 'data-total="new">2<' in html and "XFT0008" in html
        pdf = client.get("/bulletins/daily/2026-11-30.pdf")
        xlsx = client.get("/bulletins/monthly/2026-12-01.xlsx")
        monthly = client.get("/bulletins/monthly/2026-12-01").get_data(as_text=True)
        future = client.get("/bulletins/daily/2026-12-05")
        index = client.get("/bulletins/").get_data(as_text=True)
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages).replace("\n", "")
    assert pdf.mimetype == "application/pdf" and "日调度" in text and "XFT0008" in text
    book = load_workbook(io.BytesIO(xlsx.data))
    assert [r[0].value for r in book["按领域"].iter_rows(min_row=2)] == ["城乡建设", "教育", "劳动社保"]
    assert "<svg" in monthly and "2026-11" in monthly
    assert future.status_code == 404
    assert "日调度" in index and "月分析" in index


def test_bulletins_are_for_county_wide_supervisors_only(county, login):
    assert login("zjj_h1").get("/bulletins/").status_code == 403
    assert login("zjj_h1").get("/bulletins/daily/2026-11-30.xlsx").status_code == 403
    assert login("lead").get("/bulletins/").status_code == 200
