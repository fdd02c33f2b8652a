"""The dashboard's late and due-soon lists come one page at a time, in due order, with the full count."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from engine.accounts import UserInfo
from engine.calendar import SHANGHAI
from engine.supervision_queries import clock_page
from persistence.models import CaseUnit
from persistence.models_clocks import Clock
from tests.clockdb import add_case, add_definition, make_db

AS_OF = datetime(2026, 4, 10, 12, 0, tzinfo=SHANGHAI)
SUPERVISOR = UserInfo(1, "sup", "督查", "xfj", ["supervisor"], ["xfj:supervisor"], county_wide=True)
ZJJ_HEAD = UserInfo(2, "head", "负责人", "zjj", ["head"], ["zjj:head"])


@pytest.fixture
def session(tmp_path):
    engine, factory = make_db(tmp_path / "pages.sqlite3")
    with factory() as s:
        d = add_definition(s)
        for i in range(7):  # overdue by 7..1 days; the even ones are zjj's
            case = add_case(s, d)
            unit = "zjj" if i % 2 == 0 else "rsj"
            s.add(CaseUnit(case_id=case.id, unit_code=unit))
            s.add(Clock(case_id=case.id, name="clock_handling", kind="handling", unit_code=unit,
                        start=AS_OF - timedelta(days=70), due=AS_OF - timedelta(days=7 - i),
                        original_due=AS_OF - timedelta(days=7 - i)))
        stopped = add_case(s, d)  # stopped: on no list
        s.add(Clock(case_id=stopped.id, name="clock_handling", kind="handling", unit_code="zjj",
                    start=AS_OF - timedelta(days=70), due=AS_OF - timedelta(days=9),
                    original_due=AS_OF - timedelta(days=9), stopped_at=AS_OF - timedelta(days=10)))
        s.commit()
        yield s
    engine.dispose()


def test_pages_follow_each_other_most_overdue_first_and_count_everything(session):
    seen = []
    for page in range(3):
        rows, total = clock_page(session, SUPERVISOR, "late", as_of=AS_OF, offset=page * 3, limit=3)
        assert total == 7
        seen += rows
    assert [r.days for r in seen] == [7, 6, 5, 4, 3, 2, 1]
    assert len({r.clock_id for r in seen}) == 7


def test_a_unit_sees_only_its_own_rows_in_its_pages(session):
    rows, total = clock_page(session, ZJJ_HEAD, "late", as_of=AS_OF, offset=0, limit=2)
    assert total == 4 and [r.days for r in rows] == [7, 5]
    assert {r.unit_code for r in rows} == {"zjj"}
    assert clock_page(session, ZJJ_HEAD, "soon", as_of=AS_OF) == ([], 0)
