"""Statutory period counting: every expected date below was worked out by hand.

Holiday facts used (国务院办公厅 notices, as shipped in chinesecalendar 1.11):
2025 National Day 10-01..10-08 off, Sun 09-28 and Sat 10-11 worked;
2026 Spring Festival 02-15..02-23 off, Sat 02-14 and Sat 02-28 worked;
2026 National Day 10-01..10-07 off, Sun 09-20 and Sat 10-10 worked.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine

from engine import calendar as cal
from engine.calendar import SHANGHAI, BusinessCalendar, HolidayFileError, PeriodRule


@pytest.fixture
def calendar_without_file(tmp_path):
    cal.configure(holiday_file=str(tmp_path / "absent.json"))
    return cal.default_calendar()


def last_day(start: str, days: int, working: bool = False, calendar=None) -> date:
    c = calendar or BusinessCalendar()
    return c.period_end(start, days, working_days=working).last_day


# --- calendar days, roll forward ------------------------------------------------

def test_period_ending_on_national_day_2025_moves_to_first_working_day_after_it():
    # 09-01 + 30 days = 10-01 (holiday); 10-01..10-08 off, 10-09 (Thu) is worked.
    end = BusinessCalendar().period_end("2025-09-01", 30)
    assert end.rolled_from == date(2025, 10, 1)
    assert end.last_day == date(2025, 10, 9)


def test_period_ending_on_2025_tiaoxiu_saturday_stays_on_that_saturday():
    # 09-11 + 30 = Sat 10-11, a 调休 working day: no roll.
    assert last_day("2025-09-11", 30) == date(2025, 10, 11)
    # 08-29 + 30 = Sun 09-28, also worked.
    assert last_day("2025-08-29", 30) == date(2025, 9, 28)


def test_period_ending_on_national_day_2026_moves_to_october_8():
    assert last_day("2026-09-01", 30) == date(2026, 10, 8)
    # The last holiday itself also rolls to 10-08.
    assert last_day("2026-09-07", 30) == date(2026, 10, 8)


def test_period_ending_on_2026_tiaoxiu_days_is_not_rolled():
    assert last_day("2026-09-10", 30) == date(2026, 10, 10)  # Sat 10-10 worked
    assert last_day("2026-08-21", 30) == date(2026, 9, 20)   # Sun 09-20 worked


def test_period_ending_in_spring_festival_2026_moves_to_february_24():
    # acceptance 15 days from 02-01 = 02-16 (holiday) -> Tue 02-24.
    assert last_day("2026-02-01", 15) == date(2026, 2, 24)
    # 30 days from 01-16 = 02-15, the first holiday -> 02-24 too.
    assert last_day("2026-01-16", 30) == date(2026, 2, 24)


def test_period_ending_on_spring_festival_tiaoxiu_saturday_stays():
    assert last_day("2026-01-30", 15) == date(2026, 2, 14)
    assert last_day("2026-02-13", 15) == date(2026, 2, 28)


def test_period_ending_on_an_ordinary_weekend_moves_to_monday():
    # Fri 03-06 + 15 = Sat 03-21 -> Mon 03-23.
    end = BusinessCalendar().period_end("2026-03-06", 15)
    assert end.rolled_from == date(2026, 3, 21)
    assert end.last_day == date(2026, 3, 23)


def test_period_ending_on_a_weekday_is_not_moved():
    end = BusinessCalendar().period_end("2026-03-02", 15)
    assert end.last_day == date(2026, 3, 17)
    assert end.rolled_from is None


def test_roll_forward_can_be_switched_off():
    end = BusinessCalendar().period_end("2026-03-06", 15, roll_forward=False)
    assert end.last_day == date(2026, 3, 21)


# --- start day and due instant --------------------------------------------------

def test_start_day_is_not_counted_whatever_the_time_of_day():
    early = BusinessCalendar().period_end(datetime(2026, 3, 2, 0, 5, tzinfo=SHANGHAI), 15)
    late = BusinessCalendar().period_end(datetime(2026, 3, 2, 23, 55, tzinfo=SHANGHAI), 15)
    assert early.last_day == late.last_day == date(2026, 3, 17)


def test_start_day_is_the_shanghai_date_not_the_utc_date():
    # 16:30 UTC on 03-02 is 00:30 on 03-03 in Shanghai.
    end = BusinessCalendar().period_end(datetime(2026, 3, 2, 16, 30, tzinfo=timezone.utc), 15)
    assert end.start_day == date(2026, 3, 3)
    assert end.last_day == date(2026, 3, 18)


def test_due_is_the_end_of_the_last_day_in_shanghai():
    due = BusinessCalendar().period_end("2026-03-02", 15).due
    assert due == datetime(2026, 3, 17, 23, 59, 59, tzinfo=SHANGHAI)
    assert due.utcoffset() == timedelta(hours=8)
    assert due.astimezone(timezone.utc) == datetime(2026, 3, 17, 15, 59, 59, tzinfo=timezone.utc)


# --- working days -----------------------------------------------------------------

def test_objection_counts_five_working_days_across_national_day_2026():
    # From Mon 09-28: 09-29, 09-30, (10-01..07 off), 10-08, 10-09, Sat 10-10 (调休).
    end = BusinessCalendar().period_end("2026-09-28", 5, working_days=True)
    assert end.last_day == date(2026, 10, 10)


def test_objection_from_a_friday_skips_the_weekend():
    assert last_day("2026-03-06", 5, working=True) == date(2026, 3, 13)


def test_objection_rule_is_five_working_days(calendar_without_file):
    rule = cal.rule_for("objection")
    assert (rule.days, rule.working_days) == (5, True)
    assert cal.due_for("objection", "2026-09-28").last_day == date(2026, 10, 10)


# --- years without official data ---------------------------------------------------

def test_sixty_days_from_november_2026_ends_in_2027_flagged_without_data(calendar_without_file):
    end = cal.due_for("handling", "2026-11-15")
    assert end.last_day == date(2027, 1, 14)
    assert end.missing_years == (2027,)
    assert end.warnings == ["no official holiday data for 2027"]


def test_period_ending_on_a_2027_weekend_uses_weekends_only(calendar_without_file):
    # 11-17 + 60 = Sat 2027-01-16 -> Mon 01-18.
    end = cal.due_for("handling", "2026-11-17")
    assert end.last_day == date(2027, 1, 18)
    assert end.missing_years == (2027,)


def test_working_days_into_2027_treat_new_year_as_working_without_data(calendar_without_file):
    # From Tue 2026-12-29: 12-30, 12-31, Fri 2027-01-01 (no data: a weekday), 01-04, 01-05.
    end = calendar_without_file.period_end("2026-12-29", 5, working_days=True)
    assert end.last_day == date(2027, 1, 5)
    assert end.missing_years == (2027,)


def test_period_staying_inside_2026_is_not_flagged():
    end = BusinessCalendar().period_end("2026-12-01", 15)
    assert end.last_day == date(2026, 12, 16)
    assert end.missing_years == ()


def test_holiday_file_supplies_2027_and_removes_the_flag(tmp_path):
    # Invented test data, not the official 2027 arrangement.
    path = tmp_path / "holidays.json"
    path.write_text(json.dumps({"years": {"2027": {
        "holidays": ["2027-01-01/2027-01-03", "2027-01-14"], "workdays": ["2027-01-16"]}}}))
    c = BusinessCalendar.from_file(path)
    end = c.period_end("2026-11-15", 60)
    assert end.last_day == date(2027, 1, 15)
    assert end.missing_years == ()
    assert c.period_end("2026-11-17", 60).last_day == date(2027, 1, 16)  # Sat worked


def test_holiday_file_year_replaces_the_package_data(tmp_path):
    # Invented: pretend 2026 National Day ran to 10-09 with no 调休 Saturday.
    path = tmp_path / "holidays.json"
    path.write_text(json.dumps({"years": {"2026": {"holidays": ["2026-10-01/2026-10-09"]}}}))
    c = BusinessCalendar.from_file(path)
    assert c.period_end("2026-09-01", 30).last_day == date(2026, 10, 12)
    assert not c.is_workday(date(2026, 10, 10))


def test_default_calendar_reads_the_configured_holiday_file(tmp_path):
    path = tmp_path / "h.json"
    path.write_text(json.dumps({"years": {"2027": {"holidays": ["2027-01-14"]}}}))
    cal.configure(holiday_file=str(path))
    assert cal.default_calendar().period_end("2026-11-15", 60).last_day == date(2027, 1, 15)


def test_shipped_holiday_file_is_valid_and_adds_no_unconfirmed_year():
    years = cal.load_holiday_file(cal.DEFAULT_HOLIDAY_FILE)
    assert 2027 not in years


@pytest.mark.parametrize("content, message", [
    ("{not json", "cannot read"),
    (json.dumps({"years": {"2027": {"holidays": ["2027-02-30"]}}}), "bad date"),
    (json.dumps({"years": {"2027": {"holidays": ["2028-01-01"]}}}), "not in year 2027"),
    (json.dumps({"years": {"2027": {"holidays": ["2027-01-02"], "workdays": ["2027-01-02"]}}}),
     "holiday and workday"),
])
def test_malformed_holiday_file_is_refused_with_a_clear_message(tmp_path, content, message):
    path = tmp_path / "h.json"
    path.write_text(content)
    with pytest.raises(HolidayFileError, match=message):
        cal.load_holiday_file(path)


# --- rules -------------------------------------------------------------------------

def test_default_rules_match_the_regulation():
    r = cal.RULES
    assert r["acceptance"].days == 15 and r["handling"].days == 60
    assert r["extension"].days == 30 and r["assignment"].days is None
    for kind in ("review_window", "review", "recheck_window", "recheck"):
        assert r[kind] == PeriodRule(30, label=r[kind].label)


def test_rules_file_overrides_one_kind_and_keeps_the_others(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"acceptance": {"days": 10, "working_days": True},
                                "screening": {"days": 20}}))
    cal.configure(rules_file=str(path))
    assert cal.rule_for("acceptance").days == 10
    assert cal.rule_for("acceptance").working_days is True
    assert cal.rule_for("screening").days == 20
    assert cal.rule_for("handling").days == 60
    # 10 working days from Mon 03-02 = Mon 03-16.
    assert cal.due_for("acceptance", "2026-03-02").last_day == date(2026, 3, 16)


def test_rules_file_with_unknown_field_is_refused(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"acceptance": {"dayz": 10}}))
    with pytest.raises(HolidayFileError, match="acceptance"):
        cal.load_rules(path)


def test_unknown_kind_names_the_known_kinds():
    with pytest.raises(ValueError, match="known: .*acceptance"):
        cal.rule_for("acceptanse")


def test_due_for_counts_from_now_by_default(calendar_without_file):
    with time_machine.travel(datetime(2026, 9, 16, 10, 0, tzinfo=SHANGHAI), tick=False):
        # acceptance: 09-16 + 15 = 10-01 -> 10-08.
        assert cal.due_for("acceptance").due == datetime(2026, 10, 8, 23, 59, 59, tzinfo=SHANGHAI)
