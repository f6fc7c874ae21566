"""The application form (start form ``application``, CONTRACT.md "The application", RULES §7)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re

import pytest
from marshmallow import ValidationError
from stdnum.cn import ric

from forms.errors import flatten_errors
from forms.newborn.application import ApplicationSchema, validate_application
from forms.newborn.ethnicities import ETHNICITIES, ETHNICITY_CODES
from forms.newborn.items import ITEM_CODES
from forms.newborn.regions import REGIONS

CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=CST)


def resident_id(prefix: str, birth: str, sequence: str) -> str:
    """A valid 18-digit resident ID number (GB 11643 check digit computed by stdnum)."""
    body = prefix + birth + sequence
    return body + ric.calc_check_digit(body + "0")


MOTHER_ID = resident_id("620102", "19920315", "002")
FATHER_ID = resident_id("620102", "19900101", "001")


def parent(name: str, id_number: str, phone: str) -> dict:
    return {
        "name": name,
        "id_type": "resident_id",
        "id_number": id_number,
        "nationality": "中国",
        "ethnicity": "汉族",
        "phone": phone,
        "hukou_division": "620102",
        "hukou_address": "甘肃省兰州市城关区张掖路1号",
        "current_address": "甘肃省兰州市城关区张掖路1号",
        "hukou_kind": "family",
        "active_military": False,
    }


def gansu_application() -> dict:
    """A complete, valid Gansu application choosing all seven items."""
    return {
        "region": "gansu",
        "channel": "online",
        "items": list(ITEM_CODES),
        "mother": parent("王芳", MOTHER_ID, "13800000001"),
        "father": parent("李强", FATHER_ID, "13800000002"),
        "marriage": {"status": "married", "certificate_number": "J620102-2020-001234"},
        "newborn": {
            "surname": "李",
            "given_name": "安然",
            "sex": "female",
            "born_at": "2026-11-20T08:30:00+08:00",
            "birth_place": {
                "province": "甘肃省",
                "city": "兰州市",
                "county": "城关区",
                "township": "",
                "institution": "兰州市第一人民医院",
                "institution_code": "12620100438000000X",
            },
            "native_place": "甘肃省兰州市",
            "delivery_record_mother_id": MOTHER_ID,
        },
        "hukou": {
            "follows": "father",
            "division_code": "620102",
            "police_station": "张掖路派出所",
            "householder_name": "李强",
            "householder_id_number": FATHER_ID,
            "relationship_to_householder": "子女",
        },
        "medical_insurance": {"year": "current", "insured_division": "620102"},
        "social_security_card": {"bank": "中国工商银行", "id_valid_from": "2026-11-20", "id_valid_to": "2031-11-19"},
        "maternity_reimbursement": {
            "settled_at_discharge": True,
            "bank_name": None,
            "account_number": None,
            "account_holder": None,
        },
        "delivery": {
            "birth_certificate": "mail",
            "social_security_card": "pickup",
            "recipient_name": "李强",
            "recipient_phone": "13800000002",
            "recipient_address": "甘肃省兰州市城关区张掖路1号",
        },
        "applicant": {"relationship": "father", "name": "李强", "phone": "13800000002"},
        "commitment_signed": True,
    }


def errors_of(data: dict) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        validate_application(data, now=NOW)
    return flatten_errors(caught.value.messages)


def only_json_types(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and only_json_types(v) for k, v in value.items())
    if isinstance(value, list):
        return all(only_json_types(v) for v in value)
    return value is None or isinstance(value, (str, int, bool))


def same_shape(a, b) -> bool:
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_shape(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b)
    return True


# --- reference data ---------------------------------------------------------------------------------------


def test_56_unique_ethnicities_in_gb_t_3304_order():
    assert len(ETHNICITIES) == 56
    assert len(set(ETHNICITIES)) == 56
    assert ETHNICITIES[0] == "汉族" and ETHNICITIES[2] == "回族" and ETHNICITIES[-1] == "基诺族"
    assert all(name.endswith("族") for name in ETHNICITIES)
    assert ETHNICITY_CODES["汉族"] == "01" and ETHNICITY_CODES["基诺族"] == "56"


def test_regions_are_data():
    assert REGIONS["gansu"].name == "甘肃省" and REGIONS["gansu"].division_prefix == "62"
    assert REGIONS["guizhou"].name == "贵州省" and REGIONS["guizhou"].division_prefix == "52"


# --- valid applications -----------------------------------------------------------------------------------


def test_full_gansu_application_passes_and_is_json_compatible():
    data = gansu_application()
    result = validate_application(data, now=NOW)
    assert result == data  # already normal: nothing changes
    assert only_json_types(result)
    assert json.loads(json.dumps(result, ensure_ascii=False)) == result


def test_normalizes_strings_ids_phones_and_times():
    data = gansu_application()
    data["mother"]["name"] = "  王芳 "
    data["mother"]["phone"] = "+86 138-0000-0001"
    data["newborn"]["born_at"] = "2026-11-20T08:30+08:00"
    data["social_security_card"]["id_valid_from"] = "2026-11-20"
    x_id = resident_id("620102", "19880808", "106")
    assert x_id.endswith("X"), "pick a number whose check character is X"
    data["father"]["id_number"] = x_id[:-1] + "x"
    data["hukou"]["householder_id_number"] = x_id.lower()
    data["delivery"]["recipient_phone"] = "138 0000 0002"
    data["maternity_reimbursement"] = {
        "settled_at_discharge": False,
        "bank_name": "中国银行",
        "account_number": "6217 0000 1234 5678",
        "account_holder": "王芳",
    }

    result = validate_application(data, now=NOW)

    assert same_shape(data, result)
    assert only_json_types(result)
    assert result["mother"]["name"] == "王芳"
    assert result["mother"]["phone"] == "13800000001"
    assert result["newborn"]["born_at"] == "2026-11-20T08:30:00+08:00"
    assert result["father"]["id_number"] == x_id
    assert result["hukou"]["householder_id_number"] == x_id
    assert result["delivery"]["recipient_phone"] == "13800000002"
    assert result["maternity_reimbursement"]["account_number"] == "6217000012345678"


def test_utc_born_at_keeps_its_offset_in_iso_form():
    data = gansu_application()
    data["newborn"]["born_at"] = "2026-11-20T00:30:00Z"
    assert validate_application(data, now=NOW)["newborn"]["born_at"] == "2026-11-20T00:30:00+00:00"


def test_clock_is_used_when_now_is_not_given():
    data = gansu_application()
    data["newborn"]["born_at"] = "2025-01-01T08:00:00+08:00"
    assert validate_application(data)["newborn"]["born_at"] == "2025-01-01T08:00:00+08:00"


def test_naive_now_is_taken_as_utc():
    data = gansu_application()
    data["newborn"]["born_at"] = "2026-11-25T09:00:00+08:00"  # 01:00 UTC
    validate_application(data, now=dt.datetime(2026, 11, 25, 1, 0))
    with pytest.raises(ValidationError):
        validate_application(data, now=dt.datetime(2026, 11, 25, 0, 59))


def without(*sections: str, items: tuple[str, ...]) -> dict:
    data = gansu_application()
    data["items"] = list(items)
    for section in sections:
        del data[section]
    return data


def mutate(data: dict, path: str, value) -> dict:
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        node = node[part]
    if value is DELETE:
        del node[leaf]
    else:
        node[leaf] = value
    return data


DELETE = object()


def foreign_father(data: dict) -> dict:
    data["father"].update(
        {
            "id_type": "passport",
            "id_number": "E12345678",
            "nationality": "法国",
            "ethnicity": None,
            "hukou_division": None,
            "hukou_address": None,
            "hukou_kind": None,
        }
    )
    data["hukou"]["follows"] = "mother"
    return data


def guizhou(data: dict) -> dict:
    guizhou_mother = resident_id("520102", "19950505", "024")
    data["region"] = "guizhou"
    data["mother"].update(id_number=guizhou_mother, hukou_division="520102", hukou_address="贵州省贵阳市南明区")
    data["newborn"]["delivery_record_mother_id"] = guizhou_mother
    return data


VALID_VARIANTS = {
    # R1.1: the applicant chooses some items; the sections of the others may be left out.
    "R1.1 only birth and vaccination certificates": lambda: without(
        "hukou",
        "medical_insurance",
        "social_security_card",
        "maternity_reimbursement",
        items=("birth_certificate", "vaccination_certificate"),
    ),
    "R1.1 only parenting guidance, no delivery section": lambda: without(
        "hukou",
        "medical_insurance",
        "social_security_card",
        "maternity_reimbursement",
        "delivery",
        items=("parenting_guidance",),
    ),
    "R1.1 unchosen section given as null": lambda: mutate(
        without("hukou", items=("birth_certificate",)), "medical_insurance", None
    ),
    "section given for an unchosen item is kept": lambda: without(items=("birth_certificate",)),
    "father left out": lambda: mutate(mutate(gansu_application(), "father", DELETE), "hukou.follows", "mother"),
    "father null": lambda: mutate(mutate(gansu_application(), "father", None), "hukou.follows", "mother"),
    "foreign father: passport, no ethnicity, no hukou": lambda: foreign_father(gansu_application()),
    "single mother: no certificate number": lambda: mutate(
        gansu_application(), "marriage", {"status": "single", "certificate_number": None}
    ),
    # R3.8 refusing a nameless newborn is Guizhou policy, not the form's business.
    "Guizhou, newborn not named yet": lambda: mutate(guizhou(gansu_application()), "newborn.given_name", ""),
    "R2.12 manual maternity claim with its bank account": lambda: mutate(
        gansu_application(),
        "maternity_reimbursement",
        {
            "settled_at_discharge": False,
            "bank_name": "中国银行",
            "account_number": "6217000012345678",
            "account_holder": "王芳",
        },
    ),
    "R2.12 settled at discharge: bank fields left out": lambda: mutate(
        gansu_application(), "maternity_reimbursement", {"settled_at_discharge": True}
    ),
    "everything picked up: no recipient": lambda: mutate(
        gansu_application(), "delivery", {"birth_certificate": "pickup", "social_security_card": "pickup"}
    ),
    "window channel": lambda: mutate(gansu_application(), "channel", "window"),
    "R6.2 current and next year": lambda: mutate(gansu_application(), "medical_insurance.year", "current_and_next"),
    "student collective hukou, active military father (R3.5, R3.6 are policy)": lambda: mutate(
        mutate(gansu_application(), "mother.hukou_kind", "student_collective"), "father.active_military", True
    ),
    "ID validity of one day": lambda: mutate(gansu_application(), "social_security_card.id_valid_to", "2026-11-20"),
}


@pytest.mark.parametrize("build", VALID_VARIANTS.values(), ids=VALID_VARIANTS.keys())
def test_valid_variants(build):
    data = build()
    result = validate_application(data, now=NOW)
    assert same_shape(data, result)
    assert only_json_types(result)


def test_section_for_unchosen_item_is_kept_as_given():
    data = without(items=("birth_certificate",))
    assert validate_application(data, now=NOW)["hukou"] == data["hukou"]


# --- invalid applications ---------------------------------------------------------------------------------

BAD_CHECK_DIGIT = MOTHER_ID[:-1] + ("1" if MOTHER_ID[-1] != "1" else "2")
BAD_BIRTH_DATE = resident_id("620102", "19921315", "002")
FUTURE_BIRTH_DATE = resident_id("620102", "20270101", "001")


def _delete(path):
    return lambda data: mutate(data, path, DELETE)


def _set(path, value):
    return lambda data: mutate(data, path, value)


def _append_item(code):
    def change(data):
        data["items"].append(code)
        return data

    return change


INVALID_CASES = [
    # (id, change, dotted path, part of the message or None)
    ("bad check digit", _set("mother.id_number", BAD_CHECK_DIGIT), "mother.id_number", "校验位"),
    ("impossible birth date in ID", _set("mother.id_number", BAD_BIRTH_DATE), "mother.id_number", "出生日期"),
    ("birth date in ID in the future", _set("father.id_number", FUTURE_BIRTH_DATE), "father.id_number", "出生日期"),
    ("ID too short", _set("mother.id_number", MOTHER_ID[:-1]), "mother.id_number", "18位"),
    ("ID with letters", _set("mother.id_number", "62010219920315A02X"), "mother.id_number", "格式"),
    (
        "malformed passport number",
        lambda d: mutate(mutate(d, "mother.id_type", "passport"), "mother.id_number", "E12"),
        "mother.id_number",
        "格式",
    ),
    ("unknown id type", _set("mother.id_type", "driving_licence"), "mother.id_type", None),
    (
        "householder ID invalid",
        _set("hukou.householder_id_number", BAD_CHECK_DIGIT),
        "hukou.householder_id_number",
        "校验位",
    ),
    ("bad phone", _set("mother.phone", "12800000001"), "mother.phone", "手机"),
    ("short phone", _set("applicant.phone", "1380000000"), "applicant.phone", "手机"),
    ("unknown ethnicity", _set("mother.ethnicity", "汉"), "mother.ethnicity", "民族"),
    ("citizen without ethnicity", _set("father.ethnicity", None), "father.ethnicity", "必填项"),
    ("resident without hukou division", _set("mother.hukou_division", None), "mother.hukou_division", "必填项"),
    ("resident without hukou kind", _delete("mother.hukou_kind"), "mother.hukou_kind", "必填项"),
    ("bad hukou division", _set("mother.hukou_division", "6201"), "mother.hukou_division", "行政区划"),
    (
        "unknown province in division",
        _set("medical_insurance.insured_division", "990102"),
        "medical_insurance.insured_division",
        "行政区划",
    ),
    ("unknown hukou kind", _set("mother.hukou_kind", "rural"), "mother.hukou_kind", None),
    ("active_military not a boolean", _set("mother.active_military", "no"), "mother.active_military", None),
    ("R1.1 unknown item", _append_item("passport_application"), "items.7", "未知事项"),
    ("R1.1 duplicate item", _append_item("hukou_registration"), "items.7", "重复"),
    ("R1.1 no item", _set("items", []), "items", "至少"),
    ("items not a list", _set("items", "birth_certificate"), "items", None),
    ("unknown region", _set("region", "sichuan"), "region", "地区"),
    ("unknown channel", _set("channel", "phone"), "channel", None),
    ("R1.1 chosen hukou_registration without hukou", _delete("hukou"), "hukou", "必填"),
    ("R1.1 chosen medical_insurance without its section", _delete("medical_insurance"), "medical_insurance", None),
    (
        "R1.1 chosen social_security_card without its section",
        _set("social_security_card", None),
        "social_security_card",
        None,
    ),
    (
        "R1.1 chosen maternity_reimbursement without its section",
        _delete("maternity_reimbursement"),
        "maternity_reimbursement",
        None,
    ),
    ("R1.1 chosen birth_certificate without delivery", _delete("delivery"), "delivery", None),
    (
        "delivery mode of a chosen item missing",
        _delete("delivery.birth_certificate"),
        "delivery.birth_certificate",
        "必填项",
    ),
    ("unknown delivery mode", _set("delivery.social_security_card", "courier"), "delivery.social_security_card", None),
    ("section not an object", _set("hukou", "father"), "hukou", "对象"),
    (
        "R2.12 not settled: bank name",
        _set("maternity_reimbursement.settled_at_discharge", False),
        "maternity_reimbursement.bank_name",
        "银行",
    ),
    (
        "R2.12 not settled: account number",
        _set("maternity_reimbursement.settled_at_discharge", False),
        "maternity_reimbursement.account_number",
        "银行",
    ),
    (
        "R2.12 not settled: account holder",
        _set("maternity_reimbursement.settled_at_discharge", False),
        "maternity_reimbursement.account_holder",
        "银行",
    ),
    (
        "bad account number",
        lambda d: mutate(
            d,
            "maternity_reimbursement",
            {
                "settled_at_discharge": False,
                "bank_name": "中国银行",
                "account_number": "62-17AB",
                "account_holder": "王芳",
            },
        ),
        "maternity_reimbursement.account_number",
        "账号",
    ),
    ("recipient name missing when mail", _set("delivery.recipient_name", None), "delivery.recipient_name", "收件"),
    ("recipient address blank when mail", _set("delivery.recipient_address", "  "), "delivery.recipient_address", None),
    ("recipient phone missing when mail", _delete("delivery.recipient_phone"), "delivery.recipient_phone", "收件"),
    ("recipient phone invalid", _set("delivery.recipient_phone", "010-12345678"), "delivery.recipient_phone", "手机"),
    ("born_at in the future", _set("newborn.born_at", "2026-11-25T10:00:01+08:00"), "newborn.born_at", "晚于"),
    ("born_at without offset", _set("newborn.born_at", "2026-11-20T08:30:00"), "newborn.born_at", "时区"),
    ("born_at only a date", _set("newborn.born_at", "2026-11-20"), "newborn.born_at", None),
    ("born_at garbage", _set("newborn.born_at", "yesterday"), "newborn.born_at", None),
    ("unknown sex", _set("newborn.sex", "f"), "newborn.sex", None),
    ("blank surname", _set("newborn.surname", " "), "newborn.surname", "必填项"),
    ("given_name key missing", _delete("newborn.given_name"), "newborn.given_name", "必填项"),
    (
        "birth place missing institution",
        _delete("newborn.birth_place.institution"),
        "newborn.birth_place.institution",
        "必填项",
    ),
    (
        "R3.10 delivery record mother ID missing",
        _delete("newborn.delivery_record_mother_id"),
        "newborn.delivery_record_mother_id",
        "必填项",
    ),
    (
        "R3.2 married without certificate number",
        _set("marriage.certificate_number", None),
        "marriage.certificate_number",
        "结婚证",
    ),
    ("unknown marriage status", _set("marriage.status", "engaged"), "marriage.status", None),
    (
        "ID valid to before from",
        _set("social_security_card.id_valid_to", "2026-11-19"),
        "social_security_card.id_valid_to",
        "早于",
    ),
    (
        "ID valid from not a date",
        _set("social_security_card.id_valid_from", "20/11/2026"),
        "social_security_card.id_valid_from",
        "日期",
    ),
    ("R6.2 unknown insurance year", _set("medical_insurance.year", "last"), "medical_insurance.year", None),
    ("hukou follows father who is left out", _delete("father"), "hukou.follows", "父亲"),
    ("unknown hukou follows", _set("hukou.follows", "grandfather"), "hukou.follows", None),
    ("unknown applicant relationship", _set("applicant.relationship", "uncle"), "applicant.relationship", None),
    ("R4.2 commitment not signed", _set("commitment_signed", False), "commitment_signed", "承诺"),
    ("R4.2 commitment missing", _delete("commitment_signed"), "commitment_signed", "必填项"),
    ("R4.2 commitment as a string", _set("commitment_signed", "true"), "commitment_signed", None),
    ("mother missing", _delete("mother"), "mother", "必填项"),
    ("mother null", _set("mother", None), "mother", "必填项"),
    ("newborn missing", _delete("newborn"), "newborn", "必填项"),
    ("applicant missing", _delete("applicant"), "applicant", "必填项"),
    ("marriage missing", _delete("marriage"), "marriage", "必填项"),
    ("unknown top-level field", _set("remarks", "hello"), "remarks", "未知字段"),
    ("unknown nested field", _set("mother.age", 34), "mother.age", "未知字段"),
    (
        "unknown deeply nested field",
        _set("newborn.birth_place.country", "中国"),
        "newborn.birth_place.country",
        "未知字段",
    ),
    ("name too long", _set("mother.name", "王" * 51), "mother.name", "50"),
    ("name not a string", _set("mother.name", 42), "mother.name", "文本"),
]


@pytest.mark.parametrize("change, path, message", [c[1:] for c in INVALID_CASES], ids=[c[0] for c in INVALID_CASES])
def test_invalid_case_is_reported_at_its_path(change, path, message):
    errors = errors_of(change(gansu_application()))
    assert path in errors, errors
    if message:
        assert any(message in m for m in errors[path]), errors[path]


def test_every_error_of_a_bad_application_is_reported_at_once_in_chinese():
    data = gansu_application()
    data["mother"]["id_number"] = BAD_CHECK_DIGIT
    data["father"]["phone"] = "123"
    data["items"].append("hukou_registration")
    del data["medical_insurance"]
    data["maternity_reimbursement"]["settled_at_discharge"] = False
    data["commitment_signed"] = False
    data["extra"] = 1
    errors = errors_of(data)
    assert set(errors) == {
        "mother.id_number",
        "father.phone",
        "items.7",
        "medical_insurance",
        "maternity_reimbursement.bank_name",
        "maternity_reimbursement.account_number",
        "maternity_reimbursement.account_holder",
        "commitment_signed",
        "extra",
    }
    chinese = re.compile(r"[\u4e00-\u9fff]")
    assert all(chinese.search(m) for messages in errors.values() for m in messages)


def test_invalid_item_does_not_hide_a_missing_section():
    data = gansu_application()
    data["items"] = ["nonsense", "hukou_registration", "hukou_registration"]
    del data["hukou"]
    errors = errors_of(data)
    assert errors["items.0"] == ["未知事项"]
    assert errors["items.2"] == ["事项重复"]
    assert "hukou" in errors


def test_invalid_value_gets_one_error_not_also_required():
    data = gansu_application()
    data["delivery"]["recipient_phone"] = "abc"
    assert errors_of(data) == {"delivery.recipient_phone": ["手机号码应为11位大陆手机号"]}


@pytest.mark.parametrize("data", [None, [], "application", 42])
def test_not_an_object(data):
    with pytest.raises(ValidationError) as caught:
        validate_application(data, now=NOW)
    assert flatten_errors(caught.value.messages) == {"_schema": ["应为对象"]}


def test_schema_class_is_exported_for_openapi():
    fields = ApplicationSchema().fields
    assert {"region", "channel", "items", "mother", "father", "newborn", "commitment_signed"} <= set(fields)
    assert fields["mother"].metadata["title"] == "母亲信息"


def test_does_not_modify_its_input():
    data = gansu_application()
    data["mother"]["name"] = " 王芳 "
    before = copy.deepcopy(data)
    validate_application(data, now=NOW)
    assert data == before


# --- flatten_errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "messages, flat",
    [
        ({"a": ["x"]}, {"a": ["x"]}),
        ({"mother": {"id_number": ["x", "y"]}}, {"mother.id_number": ["x", "y"]}),
        ({"items": {0: ["x"], 3: ["y"]}}, {"items.0": ["x"], "items.3": ["y"]}),
        ({"a": {"b": {"c": ["x"]}}}, {"a.b.c": ["x"]}),
        ({"hukou": {"_schema": ["x"]}}, {"hukou": ["x"]}),
        ({"_schema": ["x"]}, {"_schema": ["x"]}),
        (["x"], {"_schema": ["x"]}),
        ({"a": ["x", "x"]}, {"a": ["x"]}),
        ({"a": {"_schema": ["x"], "b": ["y"]}}, {"a": ["x"], "a.b": ["y"]}),
        ({"rows": {1: {"name": ["x"]}}}, {"rows.1.name": ["x"]}),
    ],
)
def test_flatten_errors(messages, flat):
    assert flatten_errors(messages) == flat
