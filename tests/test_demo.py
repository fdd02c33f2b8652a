"""The demo county: loads into a fresh database through the engine, with petitions at
every stage, overdue ones among them, and demo users who can all log in."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import datetime as dt

import pytest
import time_machine
from sqlalchemy import select

from engine.demo import DEMO_PASSWORD, DEMO_USERS, STAGES, load_demo, users_markdown
from engine.demo_data import id_number
from engine.registration import valid_id_number

ROOT = Path(__file__).resolve().parents[1]
CASES = 60
# The demo's history ends "now"; its spread over stages depends on where weekends and
# holidays fall, so the whole module runs on a pinned clock (a Friday morning, China time).
PINNED_NOW = dt.datetime(2026, 11, 27, 9, 40, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(scope="module")
def pinned_clock():
    with time_machine.travel(PINNED_NOW, tick=True):
        yield PINNED_NOW


@pytest.fixture(scope="module")
def demo(pinned_clock, deployed_template, tmp_path_factory):
    """A database with the demo county loaded once for the module (``CASES`` petitions)."""
    from engine.bootstrap import build_engine

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    shutil.copy(deployed_template, path)
    engine = build_engine(f"sqlite:///{path}", migrate=False)
    summary = load_demo(engine, cases=CASES)
    yield engine, summary
    engine.db.dispose()


def test_the_demo_loads_petitions_at_every_stage(demo):
    engine, summary = demo
    assert summary["loaded"] is True and summary["simulated_history"] is True
    assert summary["cases"] == CASES and sum(summary["by_stage"].values()) == CASES
    stages = summary["by_stage"]
    for stage in ("registration", "classification", "handling", "review_window", "completed", "terminated"):
        assert stages.get(STAGES[stage], 0) > 0, f"no petition at stage {STAGES[stage]}: {stages}"
    assert stages.get(STAGES["review"], 0) + stages.get(STAGES["recheck"], 0) > 0
    petitions = engine.list_cases(process_key="petition", limit=None)
    assert len(petitions) == CASES
    done = STAGES["completed"], STAGES["terminated"], STAGES["not_accepted"], STAGES["linked"]
    assert sum(1 for c in petitions if c.status == "completed") == sum(stages.get(s, 0) for s in done)
    assert all(re.fullmatch(r"XF\d{8}\d{4}", c.business_key) for c in petitions)
    assert len({c.business_key for c in petitions}) == CASES
    # 三级终结 and the other closures mark the matter closed for good
    assert any(c.matter_status == "terminated" for c in petitions)


def test_overdue_and_supervised_cases_exist_and_show_in_red(demo, tmp_path):
    from tests.web_helpers import make_app

    engine, summary = demo
    assert summary["overdue"] > 0 and summary["supervision_letters"] > 0
    assert engine.list_cases(process_key="supervision", limit=None)
    client = make_app(engine, tmp_path).test_client()
    client.post("/login", data={"username": "demo-supervisor", "password": DEMO_PASSWORD})
    html = client.get("/dashboard/").get_data(as_text=True)
    late = html[html.index('id="late"'):html.index('id="soon"')]
    assert late.count('class="row-late"') >= 1 and "due-overdue" in late and "已发督办函" in late


def test_histories_are_spread_over_the_past_months(demo):
    engine, _ = demo
    petitions = engine.list_cases(process_key="petition", limit=None)
    started = sorted(c.started_at for c in petitions)
    assert (started[-1] - started[0]).days > 60
    sample = next(c for c in petitions if c.status == "completed")
    events = engine.history(sample.id)
    assert events[0].at == sample.started_at and events[-1].at > events[0].at
    assert {e.actor for e in events} & {u.username for u in DEMO_USERS}


def test_every_demo_user_exists_as_documented_and_can_log_in(demo, tmp_path):
    from werkzeug.security import check_password_hash

    from persistence.accounts import User
    from tests.web_helpers import make_app

    engine, summary = demo
    assert summary["users_created"] == len(DEMO_USERS)
    with engine.unit_of_work() as s:
        rows = {u.username: u for u in s.scalars(select(User))}
    verified: dict[str, bool] = {}
    for u in DEMO_USERS:
        row = rows[u.username]
        assert (row.display_name, row.unit_code, tuple(row.roles), row.active) == \
            (u.display_name, u.unit_code, u.roles, True)
        # scrypt is slow on purpose: check each distinct stored hash once
        if row.password_hash not in verified:
            verified[row.password_hash] = check_password_hash(row.password_hash, DEMO_PASSWORD)
        assert verified[row.password_hash], u.username
    # and one user of every role through the login form
    app = make_app(engine, tmp_path)
    seen_roles = set()
    for u in DEMO_USERS:
        if u.roles[0] in seen_roles:
            continue
        seen_roles.add(u.roles[0])
        client = app.test_client()
        response = client.post("/login", data={"username": u.username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, u.username
        assert client.get("/tasks").status_code == 200
    assert seen_roles == {"registrar", "handler", "head", "supervisor", "leader", "designer", "admin"}


def test_demo_users_have_work_waiting(demo):
    engine, summary = demo
    assert summary["claimed_tasks"] > 0
    mine = engine.list_tasks(assignee="demo-zjj-handler") + engine.list_tasks(assignee="demo-registrar")
    offered = engine.list_tasks(candidate_groups=["xfj:registrar"], unassigned=True)
    assert mine and offered


def test_demo_users_are_listed_in_the_docs():
    assert users_markdown() in (ROOT / "docs" / "demo.md").read_text(encoding="utf-8")


def test_petitioners_are_synthetic_with_well_formed_id_numbers(demo):
    engine, _ = demo
    for case in engine.list_cases(process_key="petition", limit=None):
        number = case.summary["petitioner_id_number"]
        assert valid_id_number(number) and number.startswith("371725") and number[14:16] == "99", number


def test_loading_again_into_a_used_database_is_skipped_when_asked(demo):
    engine, _ = demo
    assert load_demo(engine, cases=5, if_empty=True) == {
        "loaded": False, "reason": "database not empty (users or cases exist)"}
    assert len(engine.list_cases(process_key="petition", limit=None)) == CASES


def test_synthetic_id_numbers_carry_the_right_check_digit():
    import datetime as dt
    import random

    rng = random.Random(1)
    for male in (True, False):
        number = id_number(dt.date(1980, 1, 1), male, rng)
        assert valid_id_number(number) and number[:14] == "37172519800101"
        assert int(number[16]) % 2 == (1 if male else 0)


def test_a_petition_registered_after_the_demo_gets_a_number_no_demo_case_has(demo, tmp_path):
    from tests.web_helpers import Petition, make_app, valid_id_number

    engine, _ = demo
    numbers = {c.business_key for c in engine.list_cases(process_key="petition", limit=None)}
    # register on the day of the newest demo petition, whose day counter the loader used
    newest = max(numbers)
    day = dt.datetime.strptime(newest[2:10], "%Y%m%d").replace(hour=15, tzinfo=PINNED_NOW.tzinfo)
    client = make_app(engine, tmp_path).test_client()
    petition = Petition(id_number=valid_id_number("37172519900101123"), request="新登记的事项：请求维修村道")
    with time_machine.travel(day, tick=False):
        client.post("/login", data={"username": "demo-registrar", "password": DEMO_PASSWORD})
        response = client.post("/register", data=petition.form(confirm_repeat="yes"))
    assert response.status_code == 302, response.get_data(as_text=True)[:1000]
    case = engine.get_case(response.headers["Location"].rsplit("/", 1)[1])
    assert case.business_key[:10] == newest[:10] and case.business_key not in numbers
    assert case.business_key == newest[:10] + f"{int(newest[10:]) + 1:04d}"


def test_demo_petitioners_rate_served_results_through_the_query_code_path(demo):
    from engine.petitioner import SATISFIED
    from persistence.documents import Document, Rating
    from persistence.models import Event

    engine, _ = demo
    with engine.unit_of_work(read_only=True) as s:
        ratings = list(s.scalars(select(Rating)))
        evaluations = list(s.scalars(select(Event).where(Event.kind == "evaluation")))
        served = {d.id: d for d in s.scalars(select(Document).where(Document.served_on.is_not(None)))}
    assert ratings, "no demo petitioner rated a result"
    assert len(evaluations) == len(ratings)  # every evaluation comes with its once-only rating row
    for r in ratings:
        assert r.document_id in served and served[r.document_id].kind in ("opinion", "reply", "review", "recheck")
    dissatisfied = sum(r.rating not in SATISFIED for r in ratings)
    assert len(engine.list_tasks(process_key="return_visit", state=None)) == dissatisfied
