"""Every date a person enters has a valid range (forms/dates.py): not after today unless
it is a planned date, not before the case's earlier events the form field names."""
from __future__ import annotations

import datetime as dt

import pytest

from engine.errors import InvalidInput
from forms.dates import date_error
from forms.model import Field
from tests.handling_driver import HEARD, INVESTIGATED, OPINION, PETITION, clock_at, sh, start

TODAY = dt.date(2026, 3, 20)


def _field(**properties):
    return Field(id="d", label="日期", type="date", widget="date", properties=properties)


@pytest.mark.parametrize(("properties", "value", "variables", "expected"), [
    ({}, "2026-03-20", {}, None),
    ({}, "2026-03-21", {}, "不能晚于今天（2026-03-20）"),
    ({}, "2019-01-01", {}, None),  # an outside fact may precede the case
    ({"notBefore": "served_on"}, "2026-03-05", {"served_on": "2026-03-06"}, "不能早于处理意见书送达日期（2026-03-06）"),
    ({"notBefore": "served_on"}, "2026-03-06", {"served_on": "2026-03-06"}, None),
    ({"notBefore": "case_start"}, "2026-03-01", {}, "不能早于登记日期（2026-03-02）"),
    ({"notBefore": "served_on,case_start"}, "2026-03-04", {"served_on": "2026-03-06"},
     "不能早于处理意见书送达日期（2026-03-06）"),
    ({"notBefore": "served_on"}, "2026-03-05", {}, None),  # nothing earlier recorded yet
    ({"planned": "true"}, "2026-05-01", {}, None),
    ({"planned": "true"}, "2026-03-19", {}, "计划日期不能早于今天（2026-03-20）"),
])
def test_a_date_outside_its_range_gets_a_chinese_reason(properties, value, variables, expected):
    assert date_error(_field(**properties), value, variables, today=TODAY, registered=dt.date(2026, 3, 2)) == expected


def test_a_service_date_in_the_future_is_refused_and_does_not_move_the_review_window(deployed_engine):
    with clock_at(sh(2026, 3, 2, 10, 0)):
        case = start(deployed_engine, "handling", {**PETITION, "handling_unit": "zjj"})
        case.complete("Task_investigate", INVESTIGATED)
        case.complete("Task_hear_petitioner", HEARD)
        case.complete("Task_draft_opinion", {**OPINION, "opinion_outcome": "reject"})
        case.complete("Task_approve_opinion", {"opinion_approval": "approve"})
        serve = case.task("Task_serve_opinion")
        for day, message in (("2027-01-01", "不能晚于今天（2026-03-02）"), ("2026-03-01", "不能早于登记日期（2026-03-02）")):
            with pytest.raises(InvalidInput) as refused:
                deployed_engine.complete_task(serve.id, {"served_on": day, "service_method": "direct"}, "caseworker")
            assert refused.value.errors == {"served_on": message}
        assert case.ready_ids() == ["Task_serve_opinion"] and "clock_review_window" not in case.variables
