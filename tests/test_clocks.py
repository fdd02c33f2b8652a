"""Case clocks: start, extension, hearing pause, stop, timer instants and the clocks table."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import time_machine
from sqlalchemy import select

from engine import calendar as cal
from engine.calendar import SHANGHAI
from engine.clocks import (
    SCRIPT_FUNCTIONS,
    ClockError,
    clock_due,
    clock_extend,
    clock_pause,
    clock_remaining_days,
    clock_resume,
    clock_start,
    clock_stop,
    clock_warn,
    sync_clocks,
)
from tests.clockdb import add_case, add_definition, make_db


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def _no_admin_files(tmp_path):
    cal.configure(holiday_file=str(tmp_path / "absent.json"))


def travel(when: datetime):
    return time_machine.travel(when, tick=False)


# --- start -------------------------------------------------------------------------

def test_handling_clock_started_now_runs_sixty_days_past_may_day_2026():
    # Mon 03-02 + 60 = 05-01, May Day 05-01..05-05 -> Wed 05-06.
    with travel(sh(2026, 3, 2, 10, 0)):
        c = clock_start("handling")
    assert c["start"] == "2026-03-02T10:00:00+08:00"
    assert c["due"] == "2026-05-06T23:59:59+08:00"
    assert c["original_due"] == c["due"]
    assert c["no_holiday_data"] is False


def test_clock_is_plain_json_data():
    c = clock_start("acceptance", "2026-03-02T10:00:00+08:00")
    assert json.loads(json.dumps(c)) == c


def test_assignment_clock_needs_the_limit_set_for_the_case():
    with pytest.raises(ClockError, match="days="):
        clock_start("assignment", "2026-03-02")
    c = clock_start("assignment", "2026-03-02", days=20)
    assert c["due"] == "2026-03-23T23:59:59+08:00"  # 03-22 is a Sunday


def test_unknown_clock_kind_is_refused():
    with pytest.raises(ClockError, match="unknown deadline kind"):
        clock_start("handlng")


def test_clock_into_2027_carries_the_no_data_warning():
    c = clock_start("handling", "2026-11-15T09:00:00+08:00")
    assert c["due"] == "2027-01-14T23:59:59+08:00"
    assert c["no_holiday_data"] is True
    assert c["warnings"] == ["no official holiday data for 2027"]


def test_objection_clock_counts_working_days():
    c = clock_start("objection", "2026-09-28T15:00:00+08:00")
    assert c["due"] == "2026-10-10T23:59:59+08:00"


# --- extension ---------------------------------------------------------------------

def test_extension_runs_thirty_days_from_the_original_due_day():
    with travel(sh(2026, 4, 20, 9, 0)):
        c = clock_extend(clock_start("handling", "2026-03-02T10:00:00+08:00"), 30, reason="涉及多个部门")
    # Original due day 05-06; + 30 = Fri 06-05.
    assert c["original_due"] == "2026-05-06T23:59:59+08:00"
    assert c["due"] == "2026-06-05T23:59:59+08:00"
    assert c["extended_days"] == 30
    assert c["extension_reason"] == "涉及多个部门"
    assert c["extended_at"] == "2026-04-20T09:00:00+08:00"


def test_extension_ending_on_dragon_boat_festival_rolls_forward():
    # handling from 03-22: 03-22 + 60 = 05-21 (Thu); + 29 = 06-19 (端午 06-19..21) -> Mon 06-22.
    with travel(sh(2026, 4, 1)):
        c = clock_extend(clock_start("handling", "2026-03-22"), 29)
    assert c["original_due"] == "2026-05-21T23:59:59+08:00"
    assert c["due"] == "2026-06-22T23:59:59+08:00"


def test_second_extension_is_refused():
    with travel(sh(2026, 4, 1)):
        once = clock_extend(clock_start("handling", "2026-03-02"), 10)
        with pytest.raises(ClockError, match="one extension only"):
            clock_extend(once, 5)


@pytest.mark.parametrize("days", [0, 31, -1])
def test_extension_outside_one_to_thirty_days_is_refused(days):
    with travel(sh(2026, 4, 1)):
        c = clock_start("handling", "2026-03-02")
        with pytest.raises(ClockError, match="1 to 30 days"):
            clock_extend(c, days)


def test_extension_after_the_period_expired_is_refused():
    c = clock_start("handling", "2026-03-02")
    with travel(sh(2026, 5, 7, 0, 0, 1)):
        with pytest.raises(ClockError, match="already expired"):
            clock_extend(c, 30)


def test_review_period_cannot_be_extended():
    with travel(sh(2026, 3, 3)):
        c = clock_start("review", "2026-03-02")
        with pytest.raises(ClockError, match="cannot be extended"):
            clock_extend(c, 10)


# --- pause (hearing time excluded from 复核, 第三十六条) ----------------------------

def test_hearing_pause_moves_the_recheck_due_by_whole_days_rounded_up():
    c = clock_start("recheck", "2026-03-02T10:00:00+08:00")
    assert c["due"] == "2026-04-01T23:59:59+08:00"
    paused = clock_pause(c, "2026-03-10T09:00:00+08:00")
    assert paused["due"] == c["due"]  # moves only on resume
    resumed = clock_resume(paused, "2026-03-11T17:00:00+08:00")  # 32 h -> 2 days
    assert resumed["paused_seconds"] == 32 * 3600
    assert resumed["paused_days"] == 2
    assert resumed["due"] == "2026-04-03T23:59:59+08:00"
    assert resumed["original_due"] == "2026-04-01T23:59:59+08:00"


def test_one_hour_hearing_gives_one_more_day_and_pauses_add_up():
    c = clock_start("recheck", "2026-03-02T10:00:00+08:00")
    c = clock_resume(clock_pause(c, "2026-03-10T09:00:00+08:00"), "2026-03-10T10:00:00+08:00")
    assert c["due"] == "2026-04-02T23:59:59+08:00"
    # A second 23-hour pause brings the total to 24 h: still one day.
    c = clock_resume(clock_pause(c, "2026-03-12T09:00:00+08:00"), "2026-03-13T08:00:00+08:00")
    assert c["paused_days"] == 1
    assert c["due"] == "2026-04-02T23:59:59+08:00"


def test_pause_pushing_the_due_into_qingming_rolls_forward():
    # 04-01 + 3 paused days = 04-04 (清明 04-04..04-06) -> Tue 04-07.
    c = clock_start("recheck", "2026-03-02T10:00:00+08:00")
    c = clock_resume(clock_pause(c, "2026-03-10T09:00:00+08:00"), "2026-03-12T10:00:00+08:00")
    assert c["paused_days"] == 3
    assert c["due"] == "2026-04-07T23:59:59+08:00"


def test_pause_and_resume_default_to_now():
    c = clock_start("recheck", "2026-03-02T10:00:00+08:00")
    with travel(sh(2026, 3, 10, 9, 0)):
        c = clock_pause(c)
    with travel(sh(2026, 3, 10, 15, 0)):
        c = clock_resume(c)
    assert c["paused_seconds"] == 6 * 3600


def test_resume_without_pause_and_double_pause_are_refused():
    c = clock_start("recheck", "2026-03-02T10:00:00+08:00")
    with pytest.raises(ClockError, match="not paused"):
        clock_resume(c, "2026-03-05")
    p = clock_pause(c, "2026-03-05")
    with pytest.raises(ClockError, match="already paused"):
        clock_pause(p, "2026-03-06")
    with pytest.raises(ClockError, match="before it was paused"):
        clock_resume(p, "2026-03-04")


# --- stop, due, warn -------------------------------------------------------------

def test_stop_on_the_due_day_evening_is_on_time_and_next_morning_is_late():
    c = clock_start("acceptance", "2026-03-02T10:00:00+08:00")  # due 03-17 23:59:59
    assert clock_stop(c, "2026-03-17T23:59:59+08:00")["on_time"] is True
    assert clock_stop(c, "2026-03-18T00:00:00+08:00")["on_time"] is False


def test_stop_after_the_original_due_but_within_the_extension_is_on_time():
    with travel(sh(2026, 4, 20)):
        c = clock_extend(clock_start("handling", "2026-03-02"), 30)
    assert clock_stop(c, "2026-06-01T10:00:00+08:00")["on_time"] is True


def test_stopping_twice_keeps_the_first_stop():
    c = clock_stop(clock_start("acceptance", "2026-03-02"), "2026-03-05T10:00:00+08:00")
    again = clock_stop(c, "2026-03-30T10:00:00+08:00")
    assert again["stopped_at"] == "2026-03-05T10:00:00+08:00"


def test_stopping_a_paused_clock_closes_the_pause_first():
    c = clock_pause(clock_start("recheck", "2026-03-02T10:00:00+08:00"), "2026-04-01T09:00:00+08:00")
    s = clock_stop(c, "2026-04-02T08:00:00+08:00")  # 23 h paused -> due 04-02
    assert s["paused_at"] is None
    assert s["due"] == "2026-04-02T23:59:59+08:00"
    assert s["on_time"] is True


def test_stopped_clock_cannot_be_extended_or_paused():
    s = clock_stop(clock_start("handling", "2026-03-02"), "2026-03-05T00:00:00+08:00")
    with travel(sh(2026, 3, 6)):
        with pytest.raises(ClockError, match="completed"):
            clock_extend(s, 10)
    with pytest.raises(ClockError, match="completed"):
        clock_pause(s, "2026-03-06")


def test_due_and_warning_instants_for_timers():
    c = clock_start("handling", "2026-03-02T10:00:00+08:00")
    assert clock_due(c) == "2026-05-06T23:59:59+08:00"
    assert clock_warn(c, 3) == "2026-05-03T23:59:59+08:00"
    assert datetime.fromisoformat(clock_warn(c, 3)).tzinfo is not None


def test_remaining_days_turn_negative_when_overdue():
    c = clock_start("acceptance", "2026-03-02T10:00:00+08:00")
    assert clock_remaining_days(c, "2026-03-14T09:00:00+08:00") == 3
    assert clock_remaining_days(c, "2026-03-19T09:00:00+08:00") == -2


def test_script_functions_are_exported_by_name():
    for name in ("clock_start", "clock_extend", "clock_pause", "clock_resume", "clock_stop",
                 "clock_due", "clock_warn"):
        assert SCRIPT_FUNCTIONS[name].__name__ == name


def test_not_a_clock_is_refused():
    with pytest.raises(ClockError, match="not a clock"):
        clock_due({"due": "2026-03-02"})


# --- sync into the clocks table and the event log ----------------------------------

@pytest.fixture
def db(tmp_path):
    engine, factory = make_db(tmp_path / "clocks.sqlite3")
    yield factory
    engine.dispose()


def _events(session, case_id):
    from persistence.models import Event
    return [(e.kind, e.data["clock"]) for e in
            session.scalars(select(Event).where(Event.case_id == case_id).order_by(Event.id))]


def test_sync_records_start_extension_pause_resume_and_stop(db):
    from persistence.models_clocks import Clock

    now = datetime(2026, 4, 1, 2, 0, tzinfo=timezone.utc)
    with db.begin() as s:
        case = add_case(s, add_definition(s))
        start = clock_start("handling", "2026-03-02T10:00:00+08:00")
        v1 = {"handling_unit": "zjj", "clock_handling": start, "other": 1}
        assert sync_clocks(s, case.id, {}, v1, "alice", now) is True
        row = s.scalars(select(Clock)).one()
        assert (row.kind, row.unit_code, row.name) == ("handling", "zjj", "clock_handling")
        assert row.due == datetime(2026, 5, 6, 15, 59, 59, tzinfo=timezone.utc)

        # Nothing changed: no event, no re-arm.
        assert sync_clocks(s, case.id, v1, dict(v1), "alice", now) is False

        with travel(sh(2026, 4, 20)):
            ext = clock_extend(start, 30, reason="复杂")
        v2 = {**v1, "clock_handling": ext}
        assert sync_clocks(s, case.id, v1, v2, "bob", now) is True
        assert row.due == datetime(2026, 6, 5, 15, 59, 59, tzinfo=timezone.utc)
        assert row.original_due == datetime(2026, 5, 6, 15, 59, 59, tzinfo=timezone.utc)
        assert (row.extended_days, row.extension_reason) == (30, "复杂")

        paused = clock_pause(ext, "2026-04-21T09:00:00+08:00")
        v3 = {**v2, "clock_handling": paused}
        assert sync_clocks(s, case.id, v2, v3, "bob", now) is False  # due unchanged while paused
        assert row.paused_at is not None

        resumed = clock_resume(paused, "2026-04-21T11:00:00+08:00")
        v4 = {**v3, "clock_handling": resumed}
        assert sync_clocks(s, case.id, v3, v4, "bob", now) is True
        assert row.paused_seconds == 7200 and row.paused_at is None

        stopped = clock_stop(resumed, "2026-05-10T10:00:00+08:00")
        v5 = {**v4, "clock_handling": stopped}
        sync_clocks(s, case.id, v4, v5, "bob", now)
        assert row.on_time is True and row.stopped_at is not None

        assert _events(s, case.id) == [
            ("clock_started", "clock_handling"), ("clock_extended", "clock_handling"),
            ("clock_paused", "clock_handling"), ("clock_resumed", "clock_handling"),
            ("clock_stopped", "clock_handling")]


def test_sync_keeps_one_row_per_clock_variable_and_flags_missing_data(db):
    from persistence.models_clocks import Clock

    now = datetime(2026, 11, 20, tzinfo=timezone.utc)
    with db.begin() as s:
        case = add_case(s, add_definition(s))
        v = {"review_unit": "xzf",
             "clock_review": clock_start("review", "2026-11-15"),
             "clock_acceptance": clock_start("acceptance", "2026-11-15", unit="xfj"),
             "clock_note": "not a clock"}
        sync_clocks(s, case.id, {}, v, "system", now)
        sync_clocks(s, case.id, v, v, "system", now)
        rows = {r.name: r for r in s.scalars(select(Clock))}
    assert set(rows) == {"clock_review", "clock_acceptance"}
    assert rows["clock_review"].unit_code == "xzf"
    assert rows["clock_acceptance"].unit_code == "xfj"
    assert rows["clock_review"].no_holiday_data is False  # 12-15 stays in 2026
    assert rows["clock_acceptance"].working_days is False


def test_sync_logs_a_pause_and_resume_done_within_one_step(db):
    now = datetime(2026, 3, 20, tzinfo=timezone.utc)
    with db.begin() as s:
        case = add_case(s, add_definition(s))
        c = clock_start("recheck", "2026-03-02T10:00:00+08:00")
        v1 = {"clock_recheck": c}
        sync_clocks(s, case.id, {}, v1, "system", now)
        c2 = clock_resume(clock_pause(c, "2026-03-10T09:00:00+08:00"), "2026-03-10T10:00:00+08:00")
        assert sync_clocks(s, case.id, v1, {"clock_recheck": c2}, "system", now) is True
        kinds = [k for k, _ in _events(s, case.id)]
    assert kinds == ["clock_started", "clock_paused", "clock_resumed"]


def test_sync_picks_up_a_handling_unit_set_after_the_clock_started(db):
    from persistence.models_clocks import Clock

    now = datetime(2026, 3, 3, tzinfo=timezone.utc)
    with db.begin() as s:
        case = add_case(s, add_definition(s))
        v1 = {"clock_handling": clock_start("handling", "2026-03-02")}
        sync_clocks(s, case.id, {}, v1, "system", now)
        assert s.scalars(select(Clock)).one().unit_code is None
        v2 = {**v1, "handling_unit": "rsj"}
        assert sync_clocks(s, case.id, v1, v2, "system", now) is False
        assert s.scalars(select(Clock)).one().unit_code == "rsj"
        assert [k for k, _ in _events(s, case.id)] == ["clock_started"]
