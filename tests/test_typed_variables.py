"""Camunda 7 REST typed variables in and out, and the form-variables response."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from SpiffWorkflow.camunda.specs.user_task import EnumFormField, FormField
from SpiffWorkflow.camunda.specs.user_task import Form as SpiffForm

from engine.errors import InvalidInput
from forms import MAX_TEXT_LENGTH, Form, form_variables, from_camunda, to_camunda, validate


def refusal(variables):
    """The InvalidInput from_camunda raises for these variables."""
    with pytest.raises(InvalidInput) as caught:
        from_camunda(variables)
    return caught.value


# --- from_camunda: each type ---------------------------------------------------------


@pytest.mark.parametrize(
    ("dto", "stored"),
    [
        ({"value": "张三", "type": "String"}, "张三"),
        ({"value": 12, "type": "String"}, "12"),
        ({"value": True, "type": "Boolean"}, True),
        ({"value": "false", "type": "Boolean"}, False),
        ({"value": -32768, "type": "Short"}, -32768),
        ({"value": 2**31 - 1, "type": "Integer"}, 2**31 - 1),
        ({"value": "5", "type": "Integer"}, 5),
        ({"value": 2**63 - 1, "type": "Long"}, 2**63 - 1),
        ({"value": 2.5, "type": "Double"}, 2.5),
        ({"value": 3, "type": "Double"}, 3.0),
        ({"value": "2013-06-30T21:33:45.000+0200", "type": "Date"}, "2013-06-30T19:33:45+00:00"),
        ({"value": "2024-03-05T09:30:00.250Z", "type": "Date"}, "2024-03-05T09:30:00.250+00:00"),
        ({"value": "2024-03-05T09:30:00", "type": "Date"}, "2024-03-05T01:30:00+00:00"),  # China time
        ({"value": '{"units": ["gaj", "sfj"], "n": 2}', "type": "Json"}, {"units": ["gaj", "sfj"], "n": 2}),
        (
            {
                "value": '{"name": "李四"}',
                "type": "Object",
                "valueInfo": {"objectTypeName": "java.util.HashMap", "serializationDataFormat": "application/json"},
            },
            {"name": "李四"},
        ),
        ({"value": None, "type": "Null"}, None),
        ({"value": None, "type": "Integer"}, None),
        ({"value": 5, "type": "integer"}, 5),  # type names as Camunda's REST accepts them
    ],
)
def test_typed_value_is_converted_to_plain_case_data(dto, stored):
    assert from_camunda({"v": dto}) == {"v": stored}


@pytest.mark.parametrize(
    ("value", "stored"),
    [("文本", "文本"), (7, 7), (1.5, 1.5), (False, False), (None, None), ({"a": [1, "b"]}, {"a": [1, "b"]})],
)
def test_untyped_value_keeps_its_json_kind(value, stored):
    assert from_camunda({"v": {"value": value}}) == {"v": stored}


def test_no_variables_is_empty_case_data():
    assert from_camunda(None) == {}
    assert from_camunda({}) == {}


def test_strings_are_cleaned_of_control_characters_but_not_trimmed():
    values = from_camunda({"request": {"value": " 请求\x00解决\u202e \n", "type": "String"}})

    assert values == {"request": " 请求解决 \n"}


def test_strings_inside_json_are_cleaned_too():
    values = from_camunda({"data": {"value": '{"k\\u0000": "v\\u001b"}', "type": "Json"}})

    assert values == {"data": {"k": "v"}}


# --- from_camunda: refusals ---------------------------------------------------------


def test_java_serialized_object_is_refused_with_a_clear_error():
    error = refusal(
        {
            "payload": {
                "value": "rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA==",
                "type": "Object",
                "valueInfo": {
                    "objectTypeName": "java.util.HashMap",
                    "serializationDataFormat": "application/x-java-serialized-object",
                },
            }
        }
    )

    assert set(error.errors) == {"payload"}
    assert "Java 序列化对象" in error.errors["payload"]
    assert error.message.startswith("变量 payload 无效")
    assert error.status == 400


def test_object_without_json_format_is_refused():
    error = refusal({"payload": {"value": "{}", "type": "Object", "valueInfo": {}}})

    assert "application/json" in error.errors["payload"]


@pytest.mark.parametrize(
    ("dto", "fragment"),
    [
        ({"value": 2**31, "type": "Integer"}, "超出 Integer 的范围"),
        ({"value": 40000, "type": "Short"}, "超出 Short 的范围"),
        ({"value": 2**63, "type": "Long"}, "超出 Long 的范围"),
        ({"value": 1.5, "type": "Long"}, "必须是整数"),
        ({"value": True, "type": "Integer"}, "必须是整数"),
        ({"value": "five", "type": "Integer"}, "必须是整数"),
        ({"value": "yes", "type": "Boolean"}, "true 或 false"),
        ({"value": "NaN", "type": "Double"}, "有限数字"),
        ({"value": "abc", "type": "Double"}, "必须是数字"),
        ({"value": "30/06/2013", "type": "Date"}, "yyyy-MM-dd"),
        ({"value": "{not json", "type": "Json"}, "不是有效的 JSON"),
        ({"value": '{"x": NaN}', "type": "Json"}, "不是有效的 JSON"),
        ({"value": {"a": 1}, "type": "String"}, "必须是文本"),
        ({"value": "AAEC", "type": "Bytes"}, "不支持的变量类型 Bytes"),
        ({"value": "<a/>", "type": "Xml"}, "不支持的变量类型 Xml"),
        (5, '{"value": …, "type": …}'),
    ],
)
def test_values_that_do_not_fit_their_type_are_refused(dto, fragment):
    error = refusal({"amount": dto})

    assert fragment in error.errors["amount"]


def test_every_bad_variable_is_named():
    error = refusal(
        {
            "ok": {"value": 1, "type": "Integer"},
            "a": {"value": "x", "type": "Integer"},
            "b": {"value": "x", "type": "Boolean"},
        }
    )

    assert set(error.errors) == {"a", "b"}
    assert error.message == "2 个变量无效：a、b"


@pytest.mark.parametrize("name", ["", "__builtins__", "bad\x00name", "x" * 256])
def test_hostile_variable_names_are_refused(name):
    error = refusal({name: {"value": 1}})

    assert list(error.errors) == [name]


def test_deeply_nested_json_is_refused():
    deep = "[" * 40 + "]" * 40

    error = refusal({"data": {"value": deep, "type": "Json"}})

    assert "嵌套过深" in error.errors["data"]


def test_overlong_string_is_refused():
    error = refusal({"facts": {"value": "访" * (MAX_TEXT_LENGTH + 1), "type": "String"}})

    assert "内容过长" in error.errors["facts"]


def test_variables_that_are_not_an_object_are_refused():
    error = refusal(["amount", 5])

    assert error.errors == {"variables": "必须是对象"}


# --- to_camunda ----------------------------------------------------------------------


def test_plain_values_get_camunda_types():
    typed = to_camunda(
        {
            "name": "王五",
            "small": 5,
            "big": 2**40,
            "ratio": 0.5,
            "flag": True,
            "nothing": None,
            "data": {"units": ["gaj"]},
            "at": datetime(2024, 3, 5, 1, 30, 0, 250000, tzinfo=timezone.utc),
        }
    )

    assert typed == {
        "name": {"type": "String", "value": "王五", "valueInfo": {}},
        "small": {"type": "Integer", "value": 5, "valueInfo": {}},
        "big": {"type": "Long", "value": 2**40, "valueInfo": {}},
        "ratio": {"type": "Double", "value": 0.5, "valueInfo": {}},
        "flag": {"type": "Boolean", "value": True, "valueInfo": {}},
        "nothing": {"type": "Null", "value": None, "valueInfo": {}},
        "data": {"type": "Json", "value": '{"units": ["gaj"]}', "valueInfo": {}},
        "at": {"type": "Date", "value": "2024-03-05T01:30:00.250+0000", "valueInfo": {}},
    }


@pytest.mark.parametrize(
    "value",
    ["申诉求决", "", 0, -(2**31), 2**31, 2**63 - 1, 1.25, True, False, None, {"a": [1, 2.5, None, "中"]}, [1, "x"]],
)
def test_plain_values_survive_a_round_trip(value):
    assert from_camunda(to_camunda({"v": value})) == {"v": value}


def test_date_round_trip_gives_the_same_instant_as_an_iso_string():
    moment = datetime(2024, 3, 5, 9, 30, tzinfo=timezone(timedelta(hours=8)))

    stored = from_camunda(to_camunda({"at": moment}))["at"]

    assert datetime.fromisoformat(stored) == moment
    assert to_camunda({"at": stored}) == {"at": {"type": "String", "value": stored, "valueInfo": {}}}


def test_to_camunda_output_is_json():
    typed = to_camunda({"data": {"n": 1}, "name": "中文"})

    assert json.loads(json.dumps(typed, ensure_ascii=False)) == typed


# --- form-variables -----------------------------------------------------------------


def acceptance_form():
    spiff_form = SpiffForm()
    spiff_form.key = "accept"
    for field_id, field_type, default in [
        ("reasons", "string", None),
        ("limit_days", "long", "60"),
        ("informed", "boolean", None),
        ("accepted_on", "date", None),
        ("handler", "string", "${initiator}"),
    ]:
        f = FormField(field_type)
        f.id, f.type, f.label, f.default_value = field_id, field_type, field_id, default
        spiff_form.add_field(f)
    decision = EnumFormField()
    decision.id, decision.label, decision.default_value = "decision", "受理意见", "accept"
    decision.add_option("accept", "予以受理")
    decision.add_option("reject", "不予受理")
    spiff_form.add_field(decision)
    return Form.from_spiff(spiff_form)


def test_form_variables_type_fields_by_the_form_and_fill_defaults():
    case_data = {"reasons": "符合受理条件", "accepted_on": "2024-03-05", "case_no": "XF-1", "clock_acceptance": {"due": "x"}}

    body = form_variables(acceptance_form(), case_data, evaluate=lambda expression: "alice")

    assert body == {
        "reasons": {"type": "String", "value": "符合受理条件", "valueInfo": {}},
        "limit_days": {"type": "Long", "value": 60, "valueInfo": {}},
        "informed": {"type": "Boolean", "value": None, "valueInfo": {}},
        "accepted_on": {"type": "String", "value": "2024-03-05", "valueInfo": {}},
        "handler": {"type": "String", "value": "alice", "valueInfo": {}},
        "decision": {"type": "String", "value": "accept", "valueInfo": {}},
        "case_no": {"type": "String", "value": "XF-1", "valueInfo": {}},
        "clock_acceptance": {"type": "Json", "value": '{"due": "x"}', "valueInfo": {}},
    }


def test_form_variables_honours_variable_names_filter_and_can_omit_other_variables():
    form = acceptance_form()
    case_data = {"reasons": "理由", "case_no": "XF-1"}

    assert list(form_variables(form, case_data, names=["reasons", "case_no"])) == ["reasons", "case_no"]
    assert "case_no" not in form_variables(form, case_data, include_other_variables=False)


def test_form_variables_sent_back_through_submit_form_validate_unchanged():
    form = acceptance_form()
    case_data = {"reasons": "符合受理条件", "limit_days": 30, "informed": True, "accepted_on": "2024-03-05",
                 "handler": "bob", "decision": "reject"}

    submitted = from_camunda(form_variables(form, case_data, include_other_variables=False))
    values, errors = validate(form, submitted, absent_checkbox_is_false=False)

    assert (values, errors) == (case_data, {})


def test_camunda_date_submitted_for_a_date_field_becomes_the_day_in_china():
    form = acceptance_form()

    submitted = from_camunda({"accepted_on": {"value": "2024-03-04T16:30:00.000+0000", "type": "Date"}})
    values, errors = validate(form, submitted, {"reasons": "x"}, absent_checkbox_is_false=False)

    assert errors == {}
    assert values["accepted_on"] == "2024-03-05"
