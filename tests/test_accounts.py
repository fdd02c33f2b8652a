"""Accounts (engine/accounts.py) and the access policy (engine/access.py)."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from engine import access
from engine.accounts import (
    LOCK_DURATION,
    MAX_FAILED_LOGINS,
    authenticate,
    create_user,
    get_user,
    get_user_by_username,
    user_groups,
)
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound
from persistence.accounts import User
from tests.web_helpers import PASSWORD, create_people, deploy_mini, start_mini

NOW = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.timezone.utc)


# ---------------------------------------------------------------------- accounts
def test_password_is_stored_hashed_and_the_right_one_logs_in(sqlite_engine):
    with sqlite_engine.unit_of_work() as s:
        created = create_user(s, "zjj_h1", PASSWORD, "钱承办", "zjj", ["handler"])
    with sqlite_engine.unit_of_work() as s:
        row = s.scalars(select(User).where(User.username == "zjj_h1")).one()
        assert PASSWORD not in row.password_hash
        assert row.password_hash.startswith(("scrypt:", "pbkdf2:"))
        user = authenticate(s, "zjj_h1", PASSWORD, now=NOW)
    assert user == created
    assert user.groups == ["zjj:handler"] and user.unit_name == "县住房和城乡建设局"
    assert not user.county_wide


def test_wrong_password_and_unknown_user_are_refused_alike(sqlite_engine):
    create_people(sqlite_engine, ["reg"])
    with sqlite_engine.unit_of_work() as s:
        assert authenticate(s, "reg", "wrong password", now=NOW) is None
        assert authenticate(s, "nobody", PASSWORD, now=NOW) is None
        assert authenticate(s, "", "", now=NOW) is None


def test_five_wrong_passwords_lock_the_account_for_five_minutes(sqlite_engine):
    create_people(sqlite_engine, ["reg"])
    for _ in range(MAX_FAILED_LOGINS):
        with sqlite_engine.unit_of_work() as s:
            assert authenticate(s, "reg", "guess", now=NOW) is None
    with sqlite_engine.unit_of_work() as s:
        assert authenticate(s, "reg", PASSWORD, now=NOW + dt.timedelta(minutes=1)) is None
    with sqlite_engine.unit_of_work() as s:
        user = authenticate(s, "reg", PASSWORD, now=NOW + LOCK_DURATION + dt.timedelta(seconds=1))
    assert user is not None and user.username == "reg"


def test_a_successful_login_resets_the_failure_count(sqlite_engine):
    create_people(sqlite_engine, ["reg"])
    for _ in range(MAX_FAILED_LOGINS - 1):
        with sqlite_engine.unit_of_work() as s:
            authenticate(s, "reg", "guess", now=NOW)
    with sqlite_engine.unit_of_work() as s:
        assert authenticate(s, "reg", PASSWORD, now=NOW) is not None
    with sqlite_engine.unit_of_work() as s:
        assert authenticate(s, "reg", "guess", now=NOW) is None
    with sqlite_engine.unit_of_work() as s:
        assert authenticate(s, "reg", PASSWORD, now=NOW) is not None


def test_deactivated_user_can_neither_log_in_nor_be_loaded(sqlite_engine):
    people = create_people(sqlite_engine, ["reg"])
    with sqlite_engine.unit_of_work() as s:
        s.get(User, people["reg"].id).active = False
    with sqlite_engine.unit_of_work() as s:
        assert authenticate(s, "reg", PASSWORD, now=NOW) is None
        with pytest.raises(NotFound):
            get_user(s, people["reg"].id)
        with pytest.raises(NotFound):
            get_user(s, "not-a-number")


def test_create_user_names_each_bad_field(sqlite_engine):
    with sqlite_engine.unit_of_work() as s:
        with pytest.raises(InvalidInput) as refused:
            create_user(s, "bad name!", "short", "", "nowhere", ["wizard"])
    assert set(refused.value.errors) == {"username", "password", "display_name", "unit_code", "roles"}
    assert "wizard" in refused.value.errors["roles"]


def test_a_taken_user_name_is_a_conflict(sqlite_engine):
    create_people(sqlite_engine, ["reg"])
    with sqlite_engine.unit_of_work() as s:
        with pytest.raises(Conflict):
            create_user(s, "reg", PASSWORD, "另一个", "rsj", ["handler"])


@pytest.mark.parametrize(("unit", "roles", "county_wide"), [
    ("xfj", ["supervisor"], True),
    ("xfj", ["leader"], True),
    ("county-lead", ["leader"], True),
    ("zjj", ["admin"], True),
    ("xfj", ["registrar", "handler"], False),
    ("zjj", ["leader", "head"], False),
    ("county-lead", ["supervisor"], False),
])
def test_county_wide_seats(unit, roles, county_wide):
    assert access.is_county_wide(unit, roles) is county_wide


def test_groups_are_unit_colon_role():
    assert user_groups("town-yunhe", ["registrar", "head"]) == ["town-yunhe:registrar", "town-yunhe:head"]


# ---------------------------------------------------------------------- visibility (both databases)
def test_a_case_is_visible_to_its_units_and_to_county_wide_seats_only(engine):
    deploy_mini(engine)
    people = create_people(engine)
    case = start_mini(engine, handling_unit="zjj")
    with engine.unit_of_work() as s:
        seen = {name for name, user in people.items() if access.can_see_case(s, user, case.id)}
    assert seen == {"zjj_reg", "zjj_h1", "zjj_h2", "zjj_head", "sup", "lead", "admin"}


def test_the_accused_unit_never_sees_a_confidential_accusation(engine):
    # 第三十条第三款: the material must not reach the accused unit, even when it is involved.
    deploy_mini(engine)
    people = create_people(engine)
    against_zjj = start_mini(engine, handling_unit="zjj", accused_unit="zjj", category="检举控告")
    against_xfj = start_mini(engine, handling_unit="zjj", accused_unit="xfj", category="检举控告")
    with engine.unit_of_work() as s:
        assert not access.can_see_case(s, people["zjj_h1"], against_zjj.id)
        assert not access.can_see_case(s, people["zjj_head"], against_zjj.id)
        assert access.can_see_case(s, people["sup"], against_zjj.id)
        # Even a county-wide seat is refused when its own unit is the accused one.
        assert not access.can_see_case(s, people["sup"], against_xfj.id)
        assert access.can_see_case(s, people["lead"], against_xfj.id)
        assert access.can_see_case(s, people["zjj_h1"], against_xfj.id)
    tasks = engine.list_tasks(task_filter=access.task_filter_for(people["zjj_h1"]))
    assert {t.case_id for t in tasks} == {against_xfj.id}


def test_task_filter_keeps_another_units_tasks_out(engine):
    deploy_mini(engine)
    people = create_people(engine)
    zjj_case = start_mini(engine, handling_unit="zjj")
    rsj_case = start_mini(engine, handling_unit="rsj")
    for name, expected in (("zjj_h1", {zjj_case.id}), ("rsj_h", {rsj_case.id}), ("sup", {zjj_case.id, rsj_case.id})):
        visible = engine.list_tasks(task_filter=access.task_filter_for(people[name]))
        assert {t.case_id for t in visible} == expected, name
    rsj_task = engine.list_tasks(case_id=rsj_case.id)[0]
    with engine.unit_of_work() as s:
        with pytest.raises(NotFound):
            access.require_task(s, people["zjj_h1"], rsj_task.id)
        with pytest.raises(NotFound):
            access.require_case(s, people["zjj_h1"], rsj_case.id)
        with pytest.raises(NotFound):
            access.require_case(s, people["sup"], "no-such-case")
        assert access.require_task(s, people["rsj_h"], rsj_task.id) == rsj_case.id


# ---------------------------------------------------------------------- acting on tasks
def test_claim_unclaim_reassign_and_complete_rules(sqlite_engine):
    deploy_mini(sqlite_engine)
    people = create_people(sqlite_engine)
    start_mini(sqlite_engine, handling_unit="zjj")
    task = sqlite_engine.list_tasks()[0]
    h1, h2, head, reg = people["zjj_h1"], people["zjj_h2"], people["zjj_head"], people["zjj_reg"]

    access.check_claim(h1, task)
    with pytest.raises(Forbidden):
        access.check_claim(reg, task)  # same unit, but not a handler
    with pytest.raises(Forbidden):
        access.check_complete(h1, task)  # not claimed yet

    held = sqlite_engine.claim(task.id, h1.username)
    access.check_complete(h1, held)
    access.check_unclaim(h1, held)
    access.check_unclaim(head, held)
    with pytest.raises(Forbidden):
        access.check_unclaim(h2, held)
    access.check_reassign(h1, held, h2)
    access.check_reassign(head, held, h2)
    with pytest.raises(Forbidden):
        access.check_reassign(h2, held, h2)  # only the holder or the head hands over
    with pytest.raises(Forbidden):
        access.check_reassign(h1, held, people["rsj_h"])  # never outside the unit
    with pytest.raises(Forbidden):
        access.check_reassign(h1, held, reg)  # nor to someone without the task's role
    with pytest.raises(Forbidden):
        access.check_register(h1)
    access.check_register(people["reg"])


def test_get_user_by_username_answers_the_same_user(sqlite_engine):
    people = create_people(sqlite_engine, ["sup"])
    with sqlite_engine.unit_of_work() as s:
        assert get_user_by_username(s, "sup") == people["sup"]
        with pytest.raises(NotFound):
            get_user_by_username(s, "ghost")
