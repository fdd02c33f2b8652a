"""County metrics on a hand-built set of cases; every expected figure is counted by hand.

Range: March 2026 (Shanghai days 03-01..03-31). as_of: 2026-04-10 12:00 +08:00.

acceptance (unit xfj)   A1 due 03-10 stopped 03-05 on time
                        A2 due 03-20 stopped 03-21 late
                        A3 due 03-25 running          -> decided late, overdue
                        A4 due 04-20 running          -> undecided, not due soon
                        A5 due 02-28 stopped 02-27    -> outside the range
handling                H1 zjj C1 extended: original due 02-28, due 03-15, stopped 03-10 on time
                        H2 zjj C2 due 03-12 stopped 03-14 late; C2 then got 复查 R2
                        R2 xzf C2 review due 04-19 stopped 03-30 on time
                        H3 rsj C3 due 03-18 stopped 03-17 on time; C4 repeats its matter 03-25
                        H4 rsj C5 due 03-31 stopped 03-31 15:00 on time; C6 (same matter) is older
                        H5 rsj C7 due 04-11 running -> due soon, counted without holiday data
                        H6 rsj C8 due 04-05 running -> overdue, decided in April (not March)
                        H7 zjj C9 due 03-28 paused  -> neither decided nor overdue
window                  W  on C1 review_window due 03-31 running -> never overdue
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from engine.calendar import SHANGHAI
from engine.metrics import compute_metrics, range_bounds
from persistence.models import Event
from persistence.models_clocks import Clock
from tests.clockdb import add_case, add_definition, make_db

MARCH = (date(2026, 3, 1), date(2026, 3, 31))
AS_OF = datetime(2026, 4, 10, 12, 0, tzinfo=SHANGHAI)


def sh(y, m, d, hh=23, mm=59, ss=59) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI)


def clock(case, kind, unit, *, due, start=None, stopped=None, paused=None, original_due=None,
          extended=0, no_data=False, name=None) -> Clock:
    return Clock(case_id=case.id, name=name or f"clock_{kind}", kind=kind, unit_code=unit,
                 start=start or sh(2026, 2, 1, 9, 0, 0), due=due, original_due=original_due or due,
                 days=0, working_days=False, extended_days=extended, paused_at=paused,
                 paused_seconds=0, stopped_at=stopped,
                 on_time=None if stopped is None else stopped <= due, no_holiday_data=no_data)


@pytest.fixture
def session(tmp_path):
    engine, factory = make_db(tmp_path / "metrics.sqlite3")
    with factory() as s:
        build_cases(s)
        s.commit()
        yield s
    engine.dispose()


def build_cases(s):
    d = add_definition(s)
    acc = [add_case(s, d) for _ in range(5)]
    s.add_all([
        clock(acc[0], "acceptance", "xfj", due=sh(2026, 3, 10), stopped=sh(2026, 3, 5, 10, 0, 0)),
        clock(acc[1], "acceptance", "xfj", due=sh(2026, 3, 20), stopped=sh(2026, 3, 21, 9, 0, 0)),
        clock(acc[2], "acceptance", "xfj", due=sh(2026, 3, 25)),
        clock(acc[3], "acceptance", "xfj", due=sh(2026, 4, 20)),
        clock(acc[4], "acceptance", "xfj", due=sh(2026, 2, 28), stopped=sh(2026, 2, 27, 9, 0, 0)),
    ])
    c1, c2 = add_case(s, d), add_case(s, d)
    c3 = add_case(s, d, matter_key="m3", started_at=sh(2026, 1, 10, 9, 0, 0))
    c4 = add_case(s, d, matter_key="m3", started_at=sh(2026, 3, 25, 9, 0, 0))
    c5 = add_case(s, d, matter_key="m5", started_at=sh(2026, 1, 20, 9, 0, 0))
    add_case(s, d, matter_key="m5", started_at=sh(2025, 12, 1, 9, 0, 0))  # C6, older
    c7, c8, c9 = add_case(s, d), add_case(s, d), add_case(s, d)
    s.add_all([
        clock(c1, "handling", "zjj", due=sh(2026, 3, 15), original_due=sh(2026, 2, 28), extended=15,
              stopped=sh(2026, 3, 10, 10, 0, 0)),
        clock(c1, "review_window", "zjj", due=sh(2026, 3, 31), start=sh(2026, 3, 1, 9, 0, 0)),
        clock(c2, "handling", "zjj", due=sh(2026, 3, 12), stopped=sh(2026, 3, 14, 10, 0, 0)),
        clock(c2, "review", "xzf", due=sh(2026, 4, 19), start=sh(2026, 3, 20, 9, 0, 0),
              stopped=sh(2026, 3, 30, 10, 0, 0)),
        clock(c3, "handling", "rsj", due=sh(2026, 3, 18), stopped=sh(2026, 3, 17, 10, 0, 0)),
        clock(c4, "acceptance", None, due=sh(2026, 4, 30), start=sh(2026, 4, 15, 9, 0, 0)),
        clock(c5, "handling", "rsj", due=sh(2026, 3, 31), stopped=sh(2026, 3, 31, 15, 0, 0)),
        clock(c7, "handling", "rsj", due=sh(2026, 4, 11), no_data=True),
        clock(c8, "handling", "rsj", due=sh(2026, 4, 5)),
        clock(c9, "handling", "zjj", due=sh(2026, 3, 28), paused=sh(2026, 3, 20, 9, 0, 0)),
    ])
    s.add_all([
        Event(case_id=c1.id, at=sh(2026, 3, 12, 10, 0, 0), actor="p1", kind="evaluation",
              data={"satisfied": True}),
        Event(case_id=c2.id, at=sh(2026, 3, 20, 10, 0, 0), actor="p2", kind="evaluation",
              data={"satisfied": False}),
        Event(case_id=c3.id, at=sh(2026, 4, 2, 10, 0, 0), actor="p3", kind="evaluation",
              data={"satisfied": True, "unit": "rsj"}),
        Event(case_id=c5.id, at=sh(2026, 3, 31, 23, 30, 0), actor="p5", kind="evaluation",
              data={"satisfied": True}),
        # 00:10 on 04-01 in Shanghai is still 03-31 in UTC: outside March here.
        Event(case_id=c5.id, at=sh(2026, 4, 1, 0, 10, 0), actor="p5", kind="evaluation",
              data={"satisfied": False}),
    ])
    for settled in (True, True, True, False):
        s.add(Event(case_id=None, at=sh(2026, 3, 8, 10, 0, 0), actor="town1", kind="screening_result",
                    data={"settled": settled, "unit": "town1"}))
    s.add(Event(case_id=None, at=sh(2026, 2, 8, 10, 0, 0), actor="town1", kind="screening_result",
                data={"settled": False, "unit": "town1"}))


def pair(rate):
    return (rate.numerator, rate.denominator)


def test_timely_acceptance_counts_running_overdue_clocks_as_late(session):
    r = compute_metrics(session, *MARCH, as_of=AS_OF)
    assert pair(r.units["xfj"].timely_acceptance) == (1, 3)
    assert r.units["xfj"].timely_acceptance.value == pytest.approx(0.3333)


def test_on_time_handling_honours_extensions_and_skips_paused_clocks(session):
    r = compute_metrics(session, *MARCH, as_of=AS_OF)
    assert pair(r.units["zjj"].on_time_handling) == (1, 2)   # H1 (extended) on time, H2 late
    assert pair(r.units["rsj"].on_time_handling) == (2, 2)   # H3, H4; H6 falls in April
    assert pair(r.units["xzf"].on_time_handling) == (1, 1)   # 复查 R2
    assert pair(r.county.on_time_handling) == (4, 5)


def test_first_time_resolution_excludes_review_requests_and_repeat_petitions(session):
    r = compute_metrics(session, *MARCH, as_of=AS_OF)
    assert pair(r.units["zjj"].first_time_resolution) == (1, 2)  # C2 went to 复查
    assert pair(r.units["rsj"].first_time_resolution) == (1, 2)  # C3 repeated by C4
    assert pair(r.county.first_time_resolution) == (2, 4)


def test_satisfaction_uses_shanghai_days_for_the_range(session):
    r = compute_metrics(session, *MARCH, as_of=AS_OF)
    assert pair(r.units["zjj"].satisfaction) == (1, 2)
    assert pair(r.units["rsj"].satisfaction) == (1, 1)
    assert pair(r.county.satisfaction) == (2, 3)


def test_pre_petition_resolution_counts_screening_results_in_range(session):
    r = compute_metrics(session, *MARCH, as_of=AS_OF)
    assert pair(r.units["town1"].pre_petition_resolution) == (3, 4)
    assert r.county.pre_petition_resolution.value == 0.75


def test_overdue_and_due_soon_snapshot_ignores_paused_clocks_and_request_windows(session):
    r = compute_metrics(session, *MARCH, as_of=AS_OF)
    assert (r.county.overdue, r.county.due_soon) == (2, 1)     # A3, H6; H5
    assert (r.units["xfj"].overdue, r.units["xfj"].due_soon) == (1, 0)
    assert (r.units["rsj"].overdue, r.units["rsj"].due_soon) == (1, 1)
    assert r.units["zjj"].overdue == 0                          # H7 paused, W a window
    assert r.units["rsj"].no_holiday_data == 1


def test_snapshot_at_a_past_instant_shows_clocks_running_then(session):
    r = compute_metrics(session, *MARCH, as_of=sh(2026, 3, 13, 12, 0, 0))
    # H2 (due 03-12, stopped 03-14) was overdue then; A3 not yet.
    assert r.units["zjj"].overdue == 1
    assert r.units["xfj"].overdue == 0
    # And only what was known by then is rated: A1 on time.
    assert pair(r.units["xfj"].timely_acceptance) == (1, 1)


def test_one_unit_only(session):
    r = compute_metrics(session, *MARCH, as_of=AS_OF, unit="rsj")
    assert set(r.units) == {"rsj"}
    assert pair(r.county.on_time_handling) == (2, 2)
    assert r.county.overdue == 1


def test_empty_range_gives_no_rate_rather_than_a_perfect_one(session):
    r = compute_metrics(session, date(2025, 1, 1), date(2025, 1, 31), as_of=AS_OF)
    assert r.county.timely_acceptance.value is None
    assert r.county.on_time_handling.denominator == 0


def test_report_is_json_serialisable(session):
    data = json.loads(json.dumps(compute_metrics(session, *MARCH, as_of=AS_OF).to_dict()))
    assert data["county"]["on_time_handling"] == {"numerator": 4, "denominator": 5, "value": 0.8}
    assert data["date_from"] == "2026-03-01"
    assert data["units"]["xfj"]["overdue"] == 1


def test_range_bounds_are_shanghai_midnights():
    a, b = range_bounds(date(2026, 3, 1), date(2026, 3, 31))
    assert a == datetime(2026, 2, 28, 16, 0, tzinfo=timezone.utc)
    assert b == datetime(2026, 3, 31, 16, 0, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        range_bounds(date(2026, 3, 2), date(2026, 3, 1))


def test_cancelled_cases_and_objection_windows_are_never_overdue(session):
    d = add_definition(session, key="other")
    cancelled = add_case(session, d, status="cancelled")
    running = add_case(session, d)
    session.add_all([clock(cancelled, "handling", "jyj", due=sh(2026, 3, 20)),
                     clock(running, "objection", "jyj", due=sh(2026, 3, 20)),
                     clock(running, "handling", "jyj", due=sh(2026, 3, 21))])
    session.flush()
    r = compute_metrics(session, *MARCH, as_of=AS_OF)
    assert r.units["jyj"].overdue == 1  # only the running case's handling clock
    assert r.county.overdue == 3        # A3, H6 and that one


def test_due_soon_means_due_by_the_end_of_the_third_day_ahead(session):
    d = add_definition(session, key="soon")
    case = add_case(session, d)
    # as_of is Friday 2026-04-10 12:00; the third day ahead ends Monday 04-13 23:59:59.
    session.add_all([clock(case, "handling", "sfj", due=sh(2026, 4, 13), name="clock_a"),
                     clock(case, "review", "sfj", due=sh(2026, 4, 14), name="clock_b")])
    session.flush()
    r = compute_metrics(session, *MARCH, as_of=AS_OF)
    assert r.units["sfj"].due_soon == 1
