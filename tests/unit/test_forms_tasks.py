"""The clerks' user-task forms: approve or return (R2.6), materials checked to approve (R4.2)."""

from __future__ import annotations

import json

import pytest
from marshmallow import fields

from engine.forms import DuplicateForm, FormInvalid, UnknownForm
from forms.fields import Day, Section, Text
from forms.newborn.reviews import TASK_FORMS
from forms.task_forms import ReviewSchema, TaskForm

get_task_form, register_task_form, task_form_keys = TASK_FORMS.get, TASK_FORMS.register, TASK_FORMS.keys

KEYS = ("window_intake_review", "birth_certificate_review", "hukou_review")
APPROVAL_EXTRAS = {"birth_certificate_review": {"certificate_number": "R620012345"}}


def approval(key: str, **changes) -> dict:
    return {"decision": "approve", "materials_checked": True, **APPROVAL_EXTRAS.get(key, {}), **changes}


def errors_of(key: str, variables: dict) -> dict[str, list[str]]:
    with pytest.raises(FormInvalid) as caught:
        get_task_form(key).validate(variables)
    return caught.value.errors


# --- the registry -----------------------------------------------------------------------------------------


def test_the_three_review_forms_are_registered():
    assert set(task_form_keys()) >= set(KEYS)
    groups = {key: get_task_form(key).group for key in KEYS}
    assert groups == {
        "window_intake_review": "service_center",
        "birth_certificate_review": "midwifery",
        "hukou_review": "police",
    }
    assert get_task_form("window_intake_review").title == "窗口受理"


def test_unknown_form_key_is_a_lookup_error_naming_the_key():
    with pytest.raises(UnknownForm, match="no_such_form"):
        get_task_form("no_such_form")
    assert issubclass(UnknownForm, LookupError)


def test_duplicate_key_is_refused_and_the_first_form_kept():
    first = get_task_form("hukou_review")
    with pytest.raises(DuplicateForm, match="hukou_review"):
        register_task_form(TaskForm("hukou_review", "重复", "police", ReviewSchema))
    assert get_task_form("hukou_review") is first


# --- the shared review part -------------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_approve_with_materials_checked(key):
    """R4.2: the clerk approves after confirming the materials."""
    variables = approval(key)
    result = get_task_form(key).validate(variables)
    assert result == variables
    assert json.loads(json.dumps(result)) == result


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("checked", [False, None, "missing"])
def test_r4_2_approve_requires_materials_checked(key, checked):
    variables = approval(key)
    if checked == "missing":
        del variables["materials_checked"]
    else:
        variables["materials_checked"] = checked
    assert "materials_checked" in errors_of(key, variables)


@pytest.mark.parametrize("key", KEYS)
def test_r2_6_return_with_a_reason(key):
    result = get_task_form(key).validate({"decision": "return", "reason": "  结婚证照片不清晰 "})
    assert result == {"decision": "return", "reason": "结婚证照片不清晰"}


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("reason", ["missing", None, "", "   "])
def test_r2_6_return_requires_a_reason(key, reason):
    variables = {"decision": "return", "materials_checked": False}
    if reason != "missing":
        variables["reason"] = reason
    errors = errors_of(key, variables)
    assert list(errors) == ["reason"]


@pytest.mark.parametrize("key", KEYS)
def test_reason_at_most_500_characters(key):
    get_task_form(key).validate({"decision": "return", "reason": "退" * 500})
    assert "reason" in errors_of(key, {"decision": "return", "reason": "退" * 501})


@pytest.mark.parametrize("key", KEYS)
def test_blank_optional_reason_on_approval_becomes_null(key):
    """A generic form client sends "" for an empty input."""
    assert get_task_form(key).validate(approval(key, reason=""))["reason"] is None


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize(
    "variables, path",
    [
        ({}, "decision"),
        ({"decision": "maybe"}, "decision"),
        ({"decision": "return", "reason": "x", "comment": "y"}, "comment"),
        ({"decision": "return", "reason": 5}, "reason"),
        ({"decision": "approve", "materials_checked": "yes"}, "materials_checked"),
    ],
)
def test_invalid_variables(key, variables, path):
    assert path in errors_of(key, variables)


def test_not_an_object():
    assert errors_of("hukou_review", ["approve"]) == {"_schema": ["应为对象"]}


# --- the forms' own fields --------------------------------------------------------------------------------


def test_birth_certificate_approval_requires_certificate_number():
    variables = approval("birth_certificate_review")
    del variables["certificate_number"]
    assert errors_of("birth_certificate_review", variables) == {"certificate_number": ["通过时必填"]}


def test_birth_certificate_number_is_upper_cased():
    result = get_task_form("birth_certificate_review").validate(
        approval("birth_certificate_review", certificate_number=" r620012345 ")
    )
    assert result["certificate_number"] == "R620012345"


@pytest.mark.parametrize("number", ["R62001234", "R6200123456", "6200123456", "RR20012345", "R62001234X"])
def test_birth_certificate_number_format(number):
    errors = errors_of("birth_certificate_review", approval("birth_certificate_review", certificate_number=number))
    assert "certificate_number" in errors


def test_birth_certificate_return_needs_no_certificate_number():
    assert get_task_form("birth_certificate_review").validate({"decision": "return", "reason": "材料不全"})


def test_hukou_police_station_is_optional():
    """R3.5/R3.6: the clerk names the registering station only when it differs from the application."""
    form = get_task_form("hukou_review")
    assert "police_station" not in form.validate(approval("hukou_review"))
    result = form.validate(approval("hukou_review", police_station=" 张掖路派出所 "))
    assert result["police_station"] == "张掖路派出所"


def test_window_intake_has_only_the_shared_fields():
    ids = [f["id"] for f in get_task_form("window_intake_review").describe()["fields"]]
    assert ids == ["decision", "reason", "materials_checked"]


# --- describe() -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_describe_has_camunda_form_field_shape(key):
    form = get_task_form(key)
    described = form.describe()
    assert set(described) == {"key", "fields"} and described["key"] == key
    assert [f["id"] for f in described["fields"]] == list(form.schema().fields)
    for field in described["fields"]:
        assert field["type"] in {"string", "long", "boolean", "date", "enum"}
        assert isinstance(field["label"], str) and field["label"]
        assert isinstance(field["required"], bool)
        if field["type"] == "enum":
            assert set(field) == {"id", "label", "type", "required", "options", "constraints"}
            assert all(set(option) == {"id", "name"} for option in field["options"])
        else:
            assert set(field) == {"id", "label", "type", "required", "constraints"}
    json.dumps(described, ensure_ascii=False)


def test_describe_decision_reason_and_materials():
    by_id = {f["id"]: f for f in get_task_form("window_intake_review").describe()["fields"]}
    assert by_id["decision"] == {
        "id": "decision",
        "label": "审核结果",
        "type": "enum",
        "required": True,
        "options": [{"id": "approve", "name": "受理"}, {"id": "return", "name": "退件"}],
        "constraints": {"required": True, "one_of": ["approve", "return"]},
    }
    assert {k: v for k, v in by_id["reason"].items() if k != "constraints"} == {
        "id": "reason",
        "label": "退件原因",
        "type": "string",
        "required": False,
    }
    assert by_id["materials_checked"]["type"] == "boolean"


def test_describe_names_the_approval_after_the_task():
    options = {f["id"]: f for f in get_task_form("birth_certificate_review").describe()["fields"]}["decision"][
        "options"
    ]
    assert options[0] == {"id": "approve", "name": "签发"}


def test_describe_follows_the_schema():
    """A field added to a schema appears in describe() with its type: nothing is written twice."""

    class ExtraSchema(ReviewSchema):
        visit_on = Day("到派出所日期", required=True)
        copies = fields.Integer(required=True, metadata={"label": "份数"})
        note = Text("备注", allow_none=True)

    by_id = {f["id"]: f for f in TaskForm("extra", "测试", "police", ExtraSchema).describe()["fields"]}
    assert by_id["visit_on"] == {
        "id": "visit_on",
        "label": "到派出所日期",
        "type": "date",
        "required": True,
        "constraints": {"required": True},
    }
    assert by_id["copies"] == {
        "id": "copies",
        "label": "份数",
        "type": "long",
        "required": True,
        "constraints": {"required": True},
    }
    assert by_id["note"]["type"] == "string"


def test_a_field_that_cannot_be_a_form_field_is_refused_at_registration():
    class NestedSchema(ReviewSchema):
        address = Section(ReviewSchema, "地址")

    with pytest.raises(TypeError, match="address"):
        register_task_form(TaskForm("nested_form", "测试", "police", NestedSchema))
    assert "nested_form" not in task_form_keys()


def test_the_description_gives_every_constraint_the_server_checks():
    """Issue 16: a client builds the same form: required, pattern with its message, lengths, options, and what
    the decision makes required."""
    fields_ = {f["id"]: f["constraints"] for f in get_task_form("birth_certificate_review").describe()["fields"]}
    assert fields_["decision"] == {"required": True, "one_of": ["approve", "return"]}
    assert fields_["certificate_number"]["pattern"] == "[A-Z]\\d{9}"
    assert "1位大写字母加9位数字" in fields_["certificate_number"]["pattern_message"]
    assert fields_["certificate_number"]["required_if"] == {"field": "decision", "equals": "approve"}
    assert fields_["reason"]["required_if"] == {"field": "decision", "equals": "return"}
    assert fields_["reason"]["max_length"] == 500 and fields_["reason"]["message"] == "退件须说明原因"
    assert fields_["materials_checked"]["true_if"] == {"field": "decision", "equals": "approve"}
