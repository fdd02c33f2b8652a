"""The form model built from Spiff's parsed Form, and server-side validation."""
from __future__ import annotations

import json

import pytest
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG as CAMUNDA_CONFIG
from SpiffWorkflow.camunda.specs.user_task import EnumFormField, FormField
from SpiffWorkflow.camunda.specs.user_task import Form as SpiffForm
from werkzeug.datastructures import MultiDict

from engine.errors import InvalidInput
from forms import MAX_TEXT_LENGTH, Form, Option, initial_values, validate, validate_or_raise


def spiff_field(field_id, field_type="string", label="字段", default=None, constraints=(), properties=()):
    """A Spiff FormField as the Camunda parser would build it."""
    f = FormField(field_type)
    f.id, f.type, f.label, f.default_value = field_id, field_type, label, default
    for name, config in constraints:
        f.add_validation(name, config)
    for prop_id, value in properties:
        f.add_property(prop_id, value)
    return f


def spiff_enum(field_id, options, label="选项", default=None, constraints=()):
    f = EnumFormField()
    f.id, f.label, f.default_value = field_id, label, default
    for option_id, name in options:
        f.add_option(option_id, name)
    for name, config in constraints:
        f.add_validation(name, config)
    return f


def form_of(*spiff_fields, key="task-form"):
    spiff_form = SpiffForm()
    spiff_form.key = key
    for f in spiff_fields:
        spiff_form.add_field(f)
    return Form.from_spiff(spiff_form)


CATEGORIES = [("suggestion", "建议意见"), ("complaint", "检举控告"), ("appeal", "申诉求决")]


# --- the model ---------------------------------------------------------------------


def test_model_keeps_ids_chinese_labels_types_defaults_options_and_properties():
    form = form_of(
        spiff_field("petitioner_name", label="信访人姓名", constraints=[("required", None), ("maxlength", "50")]),
        spiff_field("copies", "long", label="份数", default="1", constraints=[("min", "1"), ("max", "9")]),
        spiff_field("accepted", "boolean", label="是否受理", default="true"),
        spiff_field("received_on", "date", label="收到日期", properties=[("help", "以登记日为准")]),
        spiff_enum("category", CATEGORIES, label="类别", default="appeal"),
    )

    assert form.key == "task-form"
    assert [f.id for f in form.fields] == ["petitioner_name", "copies", "accepted", "received_on", "category"]
    name, copies, accepted, received_on, category = form.fields
    assert (name.label, name.type, name.required, name.max_length) == ("信访人姓名", "string", True, 50)
    assert (copies.type, copies.default, copies.literal_default(), copies.min, copies.max) == ("long", "1", 1, 1, 9)
    assert accepted.literal_default() is True
    assert received_on.properties == {"help": "以登记日为准"}
    assert category.options == [Option("suggestion", "建议意见"), Option("complaint", "检举控告"), Option("appeal", "申诉求决")]
    assert category.literal_default() == "appeal"
    assert form.notes == []


def test_widget_hints_follow_type_length_and_textarea_property():
    form = form_of(
        spiff_field("short_text", constraints=[("maxlength", "200")]),
        spiff_field("long_text", constraints=[("maxlength", "201")]),
        spiff_field("opinion", properties=[("textarea", "true")]),
        spiff_field("not_textarea", properties=[("textarea", "false")]),
        spiff_field("count", "long"),
        spiff_field("agree", "boolean"),
        spiff_field("on", "date"),
        spiff_enum("category", CATEGORIES),
    )

    assert [f.widget for f in form.fields] == [
        "text", "textarea", "textarea", "text", "number", "checkbox", "date", "select"
    ]


def test_form_to_dict_is_json_serialisable_and_marks_expression_defaults():
    form = form_of(
        spiff_field("handler", default="${initiator}"),
        spiff_field("deadline", "date", constraints=[("min", "2024-01-01")]),
        spiff_enum("category", CATEGORIES),
    )

    data = json.loads(json.dumps(form.to_dict(), ensure_ascii=False))

    assert data["fields"][0]["default"] == "${initiator}"
    assert data["fields"][0]["default_is_expression"] is True
    assert data["fields"][1]["min"] == "2024-01-01"
    assert data["fields"][2]["options"][0] == {"id": "suggestion", "name": "建议意见"}


def test_custom_type_is_treated_as_string_with_a_warning():
    form = form_of(spiff_field("phone", "custom:phone"))

    phone = form.fields[0]
    assert (phone.type, phone.declared_type, phone.widget) == ("string", "custom:phone", "text")
    assert [(n.field_id, n.severity) for n in form.notes] == [("phone", "warning")]
    assert "custom:phone" in form.notes[0].message
    assert form.problems == []


def test_custom_validator_is_recorded_but_not_run():
    form = form_of(spiff_field("id_number", constraints=[("validator", "com.example.IdNumberValidator")]))

    assert form.fields[0].validators == ["com.example.IdNumberValidator"]
    assert form.notes[0].severity == "warning"
    assert validate(form, {"id_number": "anything"}) == ({"id_number": "anything"}, {})


@pytest.mark.parametrize(
    ("spiff", "fragment"),
    [
        (spiff_field("x", constraints=[("maxlength", "many")]), "maxlength"),
        (spiff_field("x", constraints=[("minlength", "9"), ("maxlength", "3")]), "minlength 大于 maxlength"),
        (spiff_field("x", "long", constraints=[("min", "one")]), "min"),
        (spiff_field("x", "long", constraints=[("min", "9"), ("max", "1")]), "min 大于 max"),
        (spiff_field("x", constraints=[("min", "1")]), "只适用于"),
        (spiff_field("x", constraints=[("pattern", "[0-9]+")]), "未知的校验约束"),
        (spiff_field("x", "long", default="abc"), "默认值"),
        (spiff_enum("x", CATEGORIES, default="other"), "默认值"),
        (spiff_enum("x", []), "没有任何选项"),
        (spiff_field("__class__"), "不能用作变量名"),
    ],
)
def test_definition_mistakes_are_reported_as_problems_not_raised(spiff, fragment):
    form = form_of(spiff)

    assert len(form.problems) == 1
    assert fragment in form.problems[0].message


def test_duplicate_field_id_keeps_the_first_and_reports_a_problem():
    form = form_of(spiff_field("name", label="第一个"), spiff_field("name", label="第二个"))

    assert [f.label for f in form.fields] == ["第一个"]
    assert "重复" in form.problems[0].message


def test_maxlength_above_global_cap_is_clamped_with_a_warning():
    form = form_of(spiff_field("facts", constraints=[("maxlength", str(MAX_TEXT_LENGTH * 2))]))

    assert form.fields[0].max_length == MAX_TEXT_LENGTH
    assert form.notes[0].severity == "warning"


def test_missing_label_falls_back_to_the_field_id():
    form = form_of(spiff_field("remark", label=None))

    assert form.fields[0].label == "remark"


# --- validation: types -------------------------------------------------------------


def test_string_is_trimmed_and_kept():
    form = form_of(spiff_field("name"))

    assert validate(form, {"name": "  张三 \n"}) == ({"name": "张三"}, {})


def test_empty_optional_string_is_stored_as_empty_string():
    form = form_of(spiff_field("remark"))

    assert validate(form, {"remark": "   "}) == ({"remark": ""}, {})


@pytest.mark.parametrize(
    ("submitted", "stored"),
    [("42", 42), (" -7 ", -7), ("+3", 3), ("１２", 12), (42, 42), (5.0, 5), ("", None)],
)
def test_long_accepts_integers_including_full_width_digits(submitted, stored):
    form = form_of(spiff_field("count", "long"))

    assert validate(form, {"count": submitted}) == ({"count": stored}, {})


@pytest.mark.parametrize("submitted", ["4.5", "1e3", "1_000", "1,000", "abc", "٣", True, 4.5, {"x": 1}])
def test_long_refuses_anything_but_an_integer(submitted):
    form = form_of(spiff_field("count", "long"))

    assert validate(form, {"count": submitted}) == ({}, {"count": "请输入整数"})


def test_long_outside_java_long_range_is_refused():
    form = form_of(spiff_field("count", "long"))

    assert validate(form, {"count": str(2**63)}) == ({}, {"count": "数值超出范围"})


@pytest.mark.parametrize(
    ("submitted", "stored"),
    [("on", True), ("true", True), ("是", True), ("false", False), ("0", False), ("", False), (True, True)],
)
def test_boolean_converts_checkbox_and_select_strings(submitted, stored):
    form = form_of(spiff_field("agree", "boolean"))

    assert validate(form, {"agree": submitted}) == ({"agree": stored}, {})


def test_absent_checkbox_is_false():
    form = form_of(spiff_field("agree", "boolean", default="true"))

    assert validate(form, {}) == ({"agree": False}, {})


def test_absent_boolean_gets_its_default_when_checkbox_semantics_are_off():
    form = form_of(spiff_field("agree", "boolean", default="true"))

    assert validate(form, {}, absent_checkbox_is_false=False) == ({"agree": True}, {})


def test_hidden_false_plus_checked_checkbox_is_true():
    form = form_of(spiff_field("agree", "boolean"))

    assert validate(form, MultiDict([("agree", "false"), ("agree", "on")])) == ({"agree": True}, {})


def test_boolean_refuses_other_words():
    form = form_of(spiff_field("agree", "boolean"))

    assert validate(form, {"agree": "maybe"}) == ({}, {"agree": "请选择是或否"})


@pytest.mark.parametrize(
    ("submitted", "stored"),
    [
        ("2024-03-05", "2024-03-05"),
        ("2024/3/5", "2024-03-05"),
        ("2024年3月5日", "2024-03-05"),
        ("05/03/2024", "2024-03-05"),  # Camunda's dd/MM/yyyy form pattern
        ("2024-03-04T16:00:00.000+0000", "2024-03-05"),  # a Camunda Date: the day in China
        ("", None),
    ],
)
def test_date_is_stored_as_iso_string(submitted, stored):
    form = form_of(spiff_field("received_on", "date"))

    assert validate(form, {"received_on": submitted}) == ({"received_on": stored}, {})


@pytest.mark.parametrize("submitted", ["2024-02-30", "yesterday", "2024-13-01", 20240305])
def test_date_refuses_impossible_or_unreadable_dates(submitted):
    form = form_of(spiff_field("received_on", "date"))

    values, errors = validate(form, {"received_on": submitted})

    assert values == {}
    assert errors["received_on"].startswith("请输入有效日期")


def test_enum_accepts_an_option_id():
    form = form_of(spiff_enum("category", CATEGORIES))

    assert validate(form, {"category": "complaint"}) == ({"category": "complaint"}, {})


@pytest.mark.parametrize(
    ("submitted", "message"),
    [("检举控告", "请选择有效选项"), ("other", "请选择有效选项"), (["complaint", "appeal"], "只能填写一个值")],
)
def test_enum_refuses_names_unknown_ids_and_several_values(submitted, message):
    form = form_of(spiff_enum("category", CATEGORIES))

    assert validate(form, {"category": submitted}) == ({}, {"category": message})


def test_single_item_list_is_read_as_its_value():
    form = form_of(spiff_field("name"))

    assert validate(form, {"name": ["李四"]}) == ({"name": "李四"}, {})


# --- validation: constraints -------------------------------------------------------


def test_required_string_fails_when_blank_and_passes_when_filled():
    form = form_of(spiff_field("name", constraints=[("required", None)]))

    assert validate(form, {"name": "  "}) == ({}, {"name": "此项为必填项"})
    assert validate(form, {"name": "王五"}) == ({"name": "王五"}, {})


def test_required_field_missing_from_submission_fails():
    form = form_of(spiff_field("count", "long", constraints=[("required", None)]))

    assert validate(form, {}) == ({}, {"count": "此项为必填项"})


def test_required_field_missing_from_submission_passes_when_case_already_has_it():
    form = form_of(spiff_field("count", "long", constraints=[("required", None)]))

    assert validate(form, {}, existing={"count": 3}) == ({}, {})


def test_required_boolean_must_be_checked():
    form = form_of(spiff_field("informed", "boolean", constraints=[("required", None)]))

    assert validate(form, {}) == ({}, {"informed": "请勾选此项"})
    assert validate(form, {"informed": "on"}) == ({"informed": True}, {})


def test_minlength_counts_chinese_characters():
    form = form_of(spiff_field("reasons", constraints=[("minlength", "5")]))

    assert validate(form, {"reasons": "理由不足"}) == ({}, {"reasons": "长度不能少于 5 个字符"})
    assert validate(form, {"reasons": "理由很充分"}) == ({"reasons": "理由很充分"}, {})


def test_maxlength_refuses_longer_text():
    form = form_of(spiff_field("phone", constraints=[("maxlength", "11")]))

    assert validate(form, {"phone": "1380000000012"}) == ({}, {"phone": "长度不能超过 11 个字符"})
    assert validate(form, {"phone": "13800000000"}) == ({"phone": "13800000000"}, {})


def test_min_and_max_bound_a_long():
    form = form_of(spiff_field("days", "long", constraints=[("min", "1"), ("max", "30")]))

    assert validate(form, {"days": "0"}) == ({}, {"days": "不能小于 1"})
    assert validate(form, {"days": "31"}) == ({}, {"days": "不能大于 30"})
    assert validate(form, {"days": "30"}) == ({"days": 30}, {})


def test_min_and_max_bound_a_date():
    form = form_of(spiff_field("on", "date", constraints=[("min", "2024-01-01"), ("max", "2024-12-31")]))

    assert validate(form, {"on": "2023-12-31"}) == ({}, {"on": "不能早于 2024-01-01"})
    assert validate(form, {"on": "2025-01-01"}) == ({}, {"on": "不能晚于 2024-12-31"})
    assert validate(form, {"on": "2024-06-01"}) == ({"on": "2024-06-01"}, {})


def test_constraints_do_not_apply_to_an_empty_optional_value():
    form = form_of(spiff_field("remark", constraints=[("minlength", "5")]))

    assert validate(form, {"remark": ""}) == ({"remark": ""}, {})


def test_every_failing_field_is_reported_at_once():
    form = form_of(
        spiff_field("name", constraints=[("required", None)]),
        spiff_field("count", "long"),
        spiff_enum("category", CATEGORIES),
    )

    values, errors = validate(form, {"name": "", "count": "x", "category": "?"})

    assert values == {}
    assert set(errors) == {"name", "count", "category"}


# --- readonly, defaults, unknown keys ---------------------------------------------


def test_readonly_field_keeps_existing_value_and_ignores_input():
    form = form_of(spiff_field("case_no", constraints=[("readonly", None)]))

    values, errors = validate(form, {"case_no": "伪造编号"}, existing={"case_no": "XF-2024-001"})

    assert (values, errors) == ({"case_no": "XF-2024-001"}, {})


def test_readonly_field_without_existing_value_gets_its_default_not_the_input():
    form = form_of(spiff_field("channel", default="来信", constraints=[("readonly", None)]))

    assert validate(form, {"channel": "网上"}) == ({"channel": "来信"}, {})


def test_readonly_required_field_is_not_required_of_the_caseworker():
    form = form_of(spiff_field("case_no", constraints=[("readonly", None), ("required", None)]))

    assert validate(form, {}) == ({}, {})


def test_unknown_submitted_keys_are_never_returned():
    form = form_of(spiff_field("opinion"))

    values, errors = validate(
        form, {"opinion": "同意", "handling_unit": "gaj", "matter_status": "terminated", "__class__": "x"}
    )

    assert (values, errors) == ({"opinion": "同意"}, {})


def test_absent_field_keeps_the_case_value_rather_than_its_default():
    form = form_of(spiff_field("channel", default="来信"))

    assert validate(form, {}, existing={"channel": "走访"}) == ({}, {})


def test_absent_field_gets_its_literal_default_converted():
    form = form_of(spiff_field("copies", "long", default="2"))

    assert validate(form, {}) == ({"copies": 2}, {})


def test_expression_default_is_evaluated_by_the_callback():
    form = form_of(spiff_field("handler", default="${initiator}"))
    seen = []

    def evaluate(expression):
        seen.append(expression)
        return "alice"

    assert validate(form, {}, evaluate=evaluate) == ({"handler": "alice"}, {})
    assert seen == ["${initiator}"]


def test_expression_default_is_skipped_without_a_callback():
    form = form_of(spiff_field("handler", default="${initiator}"))

    assert validate(form, {}) == ({}, {})


def test_expression_default_of_the_wrong_type_is_reported_on_the_field():
    form = form_of(spiff_field("days", "long", default="${limit}"))

    values, errors = validate(form, {}, evaluate=lambda expression: "thirty")

    assert values == {}
    assert errors["days"] == "默认值无效（请输入整数），请联系流程设计员"


def test_initial_values_prefer_case_values_then_defaults():
    form = form_of(
        spiff_field("channel", default="来信"),
        spiff_field("copies", "long", default="1"),
        spiff_field("handler", default="${initiator}"),
        spiff_field("remark"),
    )

    shown = initial_values(form, {"channel": "走访"}, evaluate=lambda expression: "alice")

    assert shown == {"channel": "走访", "copies": 1, "handler": "alice", "remark": None}


# --- hostile input -----------------------------------------------------------------


def test_script_tags_are_kept_as_text_for_the_template_to_escape():
    form = form_of(spiff_field("request"))

    text = '<script>alert("x")</script><img src=x onerror=alert(1)>'

    assert validate(form, {"request": text}) == ({"request": text}, {})


def test_control_characters_are_stripped_but_newlines_and_tabs_kept():
    form = form_of(spiff_field("facts"))

    values, errors = validate(form, {"facts": "第一段\x00\x07\x1b[31m\r\n第二段\t完\x7f\x85"})

    assert (values, errors) == ({"facts": "第一段[31m\n第二段\t完"}, {})


def test_bidi_overrides_and_lone_surrogates_are_stripped():
    form = form_of(spiff_field("name"))

    values, _ = validate(form, {"name": "张\u202e三\ud800\ufeff"})

    assert values == {"name": "张三"}


def test_text_beyond_the_global_cap_is_refused_even_without_maxlength():
    form = form_of(spiff_field("facts"))

    assert validate(form, {"facts": "访" * MAX_TEXT_LENGTH}) == ({"facts": "访" * MAX_TEXT_LENGTH}, {})
    values, errors = validate(form, {"facts": "访" * (MAX_TEXT_LENGTH + 1)})
    assert values == {}
    assert errors == {"facts": f"内容过长，不能超过 {MAX_TEXT_LENGTH} 个字符"}


def test_huge_text_is_refused_for_every_type():
    form = form_of(spiff_field("count", "long"))

    assert validate(form, {"count": "1" * 1_000_000}) == ({}, {"count": f"内容过长，不能超过 {MAX_TEXT_LENGTH} 个字符"})


def test_multidict_first_value_does_not_hide_a_second_value():
    form = form_of(spiff_field("opinion"))

    values, errors = validate(form, MultiDict([("opinion", "同意"), ("opinion", "不同意")]))

    assert (values, errors) == ({}, {"opinion": "只能填写一个值"})


# --- raising helper ----------------------------------------------------------------


def test_validate_or_raise_returns_values_when_valid():
    form = form_of(spiff_field("name", constraints=[("required", None)]))

    assert validate_or_raise(form, {"name": "赵六"}) == {"name": "赵六"}


def test_validate_or_raise_raises_invalid_input_with_field_errors():
    form = form_of(spiff_field("name", constraints=[("required", None)]))

    with pytest.raises(InvalidInput) as caught:
        validate_or_raise(form, {"name": ""})

    assert caught.value.errors == {"name": "此项为必填项"}
    assert caught.value.status == 400
    assert "1 项" in caught.value.message


# --- from parsed BPMN --------------------------------------------------------------

MODELER_USER_TASK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
                  id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn"
                  exporter="Camunda Modeler" exporterVersion="5.20.0">
  <bpmn:process id="acceptance" name="受理" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1">
      <bpmn:outgoing>Flow_1</bpmn:outgoing>
    </bpmn:startEvent>
    <bpmn:userTask id="Task_Accept" name="受理审查" camunda:formKey="accept"
                   camunda:candidateGroups="xfj:registrar">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="case_no" label="信访事项编号" type="string">
            <camunda:validation>
              <camunda:constraint name="readonly" />
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="decision" label="受理意见" type="enum" defaultValue="accept">
            <camunda:value id="accept" name="予以受理" />
            <camunda:value id="reject" name="不予受理" />
          </camunda:formField>
          <camunda:formField id="reasons" label="理由" type="string">
            <camunda:properties>
              <camunda:property id="textarea" value="true" />
            </camunda:properties>
            <camunda:validation>
              <camunda:constraint name="required" />
              <camunda:constraint name="minlength" config="5" />
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="limit_days" label="办理期限（日）" type="long" defaultValue="60">
            <camunda:validation>
              <camunda:constraint name="min" config="1" />
              <camunda:constraint name="max" config="90" />
            </camunda:validation>
          </camunda:formField>
          <camunda:formField id="informed" label="已告知信访人" type="boolean" />
          <camunda:formField id="accepted_on" label="受理日期" type="date" />
        </camunda:formData>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_1</bpmn:incoming>
      <bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="EndEvent_1">
      <bpmn:incoming>Flow_2</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_Accept" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_Accept" targetRef="EndEvent_1" />
  </bpmn:process>
</bpmn:definitions>
"""


def parse_acceptance():
    parser = CamundaParser()
    parser.add_bpmn_str(MODELER_USER_TASK.encode(), filename="acceptance.bpmn")
    return parser.get_spec("acceptance")


@pytest.fixture
def parsed_spiff_form():
    return parse_acceptance().task_specs["Task_Accept"].form


def test_form_from_camunda_parser_has_every_field_and_constraint(parsed_spiff_form):
    form = Form.from_spiff(parsed_spiff_form)

    assert form.key == "accept"
    assert form.notes == []
    assert [(f.id, f.label, f.type, f.widget) for f in form.fields] == [
        ("case_no", "信访事项编号", "string", "text"),
        ("decision", "受理意见", "enum", "select"),
        ("reasons", "理由", "string", "textarea"),
        ("limit_days", "办理期限（日）", "long", "number"),
        ("informed", "已告知信访人", "boolean", "checkbox"),
        ("accepted_on", "受理日期", "date", "date"),
    ]
    case_no, decision, reasons, limit_days, _, _ = form.fields
    assert case_no.readonly
    assert decision.options == [Option("accept", "予以受理"), Option("reject", "不予受理")]
    assert decision.default == "accept"
    assert (reasons.required, reasons.min_length) == (True, 5)
    assert (limit_days.literal_default(), limit_days.min, limit_days.max) == (60, 1, 90)


def test_form_from_camunda_parser_validates_a_caseworker_submission(parsed_spiff_form):
    form = Form.from_spiff(parsed_spiff_form)
    submitted = MultiDict(
        [
            ("case_no", "篡改"),
            ("decision", "reject"),
            ("reasons", "  不属于本机关职权范围  "),
            ("limit_days", "30"),
            ("accepted_on", "2024-03-05"),
            ("csrf_token", "abc"),
        ]
    )

    values, errors = validate(form, submitted, existing={"case_no": "XF-2024-0001"})

    assert errors == {}
    assert values == {
        "case_no": "XF-2024-0001",
        "decision": "reject",
        "reasons": "不属于本机关职权范围",
        "limit_days": 30,
        "informed": False,
        "accepted_on": "2024-03-05",
    }


def test_form_of_a_workflow_saved_and_restored_by_spiff_builds_the_same_model():
    workflow = BpmnWorkflow(parse_acceptance())
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))

    restored = serializer.deserialize_json(serializer.serialize_json(workflow))

    restored_form = restored.spec.task_specs["Task_Accept"].form
    original_form = workflow.spec.task_specs["Task_Accept"].form
    assert Form.from_spiff(restored_form) == Form.from_spiff(original_form)
    assert len(Form.from_spiff(restored_form).fields) == 6
