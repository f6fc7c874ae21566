"""The application (start form ``application``): one form for all the chosen items (RULES §7, R1.2).

The shape is the one in CONTRACT.md "The application". This module checks the form only: whether the
applicant may use the joint service at all (wedlock, hukou, a named newborn ...) is policy (RULES §3).

Codes used here besides the contract's:

- ``marriage.status``: ``married`` 已婚, ``divorced`` 离异, ``widowed`` 丧偶, ``single`` 单亲（未婚，另一方
  不在申请中）, ``unmarried_cohabiting`` 非婚生育（父母双方均在，未登记结婚）. ``certificate_number`` is
  required when ``married``.
- A parent with a ``resident_id`` must give ``hukou_division``, ``hukou_address`` and ``hukou_kind``; other
  ID types (no mainland hukou) may leave them out or null. ``ethnicity`` may be null only for a
  ``passport`` or ``foreign_permanent_id`` holder.
- ``father`` may be left out or null (single mothers exist; policy decides); ``mother`` may not.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from marshmallow import ValidationError, validate, validates_schema

from forms.fields import (
    OTHER_ID_RE,
    REQUIRED,
    Choice,
    Day,
    Division,
    Flag,
    FormSchema,
    IdNumber,
    Many,
    Moment,
    PersonName,
    Phone,
    ResidentId,
    Section,
    Text,
    absent,
    add_error,
    evaluated_at,
    not_in_future,
    resident_id_problem,
    within_years,
)
from forms.newborn.ethnicities import ETHNICITIES
from forms.newborn.items import ITEMS
from forms.newborn.regions import REGIONS

# A birth longer ago than this is no newborn's: refused as input (the policy's own refusals, such as a
# declaration after one month, R3.4, apply to what is inside it).
BIRTH_YEARS_BACK = 5

ID_TYPES = {
    "resident_id": "居民身份证",
    "hk_macao_permit": "港澳居民来往内地通行证",
    "taiwan_permit": "台湾居民来往大陆通行证",
    "passport": "护照",
    "foreign_permanent_id": "外国人永久居留身份证",
}
NON_CITIZEN_ID_TYPES = frozenset({"passport", "foreign_permanent_id"})
HUKOU_KINDS = {"family": "家庭户", "student_collective": "学生集体户", "collective": "集体户"}
MARRIAGE_STATUSES = {
    "married": "已婚",
    "divorced": "离异",
    "widowed": "丧偶",
    "single": "单亲（未婚）",
    "unmarried_cohabiting": "非婚生育（父母未登记结婚）",
}
SEXES = {"male": "男", "female": "女"}
PARENTS = {"father": "父亲", "mother": "母亲"}
INSURANCE_YEARS = {"current": "当年", "next": "次年", "current_and_next": "当年加次年"}
APPLICANT_RELATIONSHIPS = {"father": "父亲", "mother": "母亲", "guardian": "监护人", "other": "其他"}
CHANNELS = {"online": "网上申请", "window": "窗口申请"}

# A section of the form -> the items that need it ("a section for a chosen item is required").
SECTION_ITEMS: dict[str, tuple[str, ...]] = {
    "hukou": ("hukou_registration",),
    "medical_insurance": ("medical_insurance",),
    "social_security_card": ("social_security_card",),
    "maternity_reimbursement": ("maternity_reimbursement",),
    "delivery": ("birth_certificate", "social_security_card"),
}
# Items delivered by mail or collected: the delivery field named after the item is required when chosen.
DELIVERED_ITEMS = ("birth_certificate", "social_security_card")


class ParentSchema(FormSchema):
    name = PersonName("姓名", required=True)
    id_type = Choice("证件类型", ID_TYPES, required=True)
    id_number = IdNumber("证件号码", required=True)
    nationality = Text("国籍", required=True, max_length=50)
    ethnicity = Choice(
        "民族",
        {name: name for name in ETHNICITIES},
        required=True,
        allow_none=True,
        error="民族应为56个民族名称之一（如 汉族）",
    )
    phone = Phone("手机号码", required=True)
    hukou_division = Division("户籍地行政区划代码", allow_none=True)
    hukou_address = Text("户籍地址", allow_none=True)
    current_address = Text("现住址", required=True)
    hukou_kind = Choice("户口类型", HUKOU_KINDS, allow_none=True)
    active_military = Flag("是否现役军人", required=True)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_id(self, data, original, **kwargs):
        errors: dict = {}
        id_type, number = data.get("id_type"), data.get("id_number")
        if id_type == "resident_id" and number:
            problem = resident_id_problem(number)
            if problem:
                add_error(errors, "id_number", problem)
        elif id_type and number and not OTHER_ID_RE.fullmatch(number):
            add_error(errors, "id_number", "证件号码格式不正确")
        if id_type == "resident_id":
            for key in ("hukou_division", "hukou_address", "hukou_kind"):
                if absent(data, original, key):
                    add_error(errors, key, REQUIRED)
        if id_type and id_type not in NON_CITIZEN_ID_TYPES and absent(data, original, "ethnicity"):
            add_error(errors, "ethnicity", REQUIRED)
        if errors:
            raise ValidationError(errors)


class MarriageSchema(FormSchema):
    status = Choice("婚姻状况", MARRIAGE_STATUSES, required=True)
    certificate_number = Text("结婚证编号", allow_none=True, max_length=50)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_certificate(self, data, original, **kwargs):
        if data.get("status") == "married" and absent(data, original, "certificate_number"):
            raise ValidationError({"certificate_number": ["已婚须填写结婚证编号"]})


class BirthPlaceSchema(FormSchema):
    province = Text("出生地省（自治区、直辖市）", required=True, max_length=50)
    city = Text("出生地市（地区）", required=True, max_length=50)
    county = Text("出生地县（市、区）", required=True, max_length=50)
    township = Text("出生地乡（镇、街道）", allow_blank=True, allow_none=True, max_length=50)
    institution = Text("助产机构名称", required=True, max_length=100)
    institution_code = Text("助产机构代码", allow_blank=True, allow_none=True, max_length=50)


class NewbornSchema(FormSchema):
    surname = PersonName("新生儿姓", required=True)
    given_name = PersonName("新生儿名", required=True, allow_blank=True, allow_none=True)
    sex = Choice("性别", SEXES, required=True)
    born_at = Moment("出生时间", required=True, validate=[not_in_future, within_years(BIRTH_YEARS_BACK, "出生时间")])
    birth_place = Section(BirthPlaceSchema, "出生地点", required=True)
    native_place = Text("籍贯", required=True, max_length=100)
    delivery_record_mother_id = IdNumber("住院分娩登记的母亲证件号码", required=True)


class HukouSchema(FormSchema):
    follows = Choice("随父或随母落户", PARENTS, required=True)
    division_code = Division("落户地行政区划代码", required=True)
    police_station = Text("落户地派出所", required=True, max_length=100)
    householder_name = PersonName("户主姓名", required=True)
    householder_id_number = ResidentId("户主身份证号码", required=True)
    relationship_to_householder = Text("新生儿与户主关系", required=True, max_length=20)


class MedicalInsuranceSchema(FormSchema):
    year = Choice("参保年度", INSURANCE_YEARS, required=True)
    insured_division = Division("参保地行政区划代码", required=True)


class SocialSecurityCardSchema(FormSchema):
    bank = Text("服务银行", required=True, max_length=50)
    id_valid_from = Day("证件有效期起始日期", required=True)
    id_valid_to = Day("证件有效期截止日期", required=True)

    @validates_schema
    def _check_period(self, data, **kwargs):
        if data["id_valid_to"] < data["id_valid_from"]:
            raise ValidationError({"id_valid_to": ["截止日期不能早于起始日期"]})


def _validate_account(value: str) -> None:
    if not re.fullmatch(r"\d{8,30}", value):
        raise ValidationError("银行账号应为8至30位数字")


class AccountNumber(Text):
    """A bank account number: digits, spaces and hyphens removed."""

    def __init__(self, label: str, **kwargs):
        super().__init__(label, max_length=None, validate=_validate_account, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return re.sub(r"[\s\-]", "", super()._deserialize(value, attr, data, **kwargs))


class MaternityReimbursementSchema(FormSchema):
    settled_at_discharge = Flag("出院时是否已直接结算", required=True)
    bank_name = Text("开户银行", allow_none=True, max_length=50)
    account_number = AccountNumber("银行账号", allow_none=True)
    account_holder = PersonName("账户名", allow_none=True)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_bank(self, data, original, **kwargs):
        """R2.12: a manual claim (not settled at discharge) needs the bank account."""
        if data.get("settled_at_discharge") is False:
            missing = [k for k in ("bank_name", "account_number", "account_holder") if absent(data, original, k)]
            if missing:
                raise ValidationError({k: ["出院未直接结算的，须填写银行账户信息"] for k in missing})


class DeliverySchema(FormSchema):
    birth_certificate = Choice("出生医学证明送达方式", {"mail": "邮寄", "pickup": "到助产机构领取"}, allow_none=True)
    social_security_card = Choice("社会保障卡送达方式", {"mail": "邮寄", "pickup": "到银行网点领取"}, allow_none=True)
    recipient_name = PersonName("收件人姓名", allow_none=True)
    recipient_phone = Phone("收件人手机号码", allow_none=True)
    recipient_address = Text("收件地址", allow_none=True)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_recipient(self, data, original, **kwargs):
        if "mail" in (data.get("birth_certificate"), data.get("social_security_card")):
            missing = [
                k for k in ("recipient_name", "recipient_phone", "recipient_address") if absent(data, original, k)
            ]
            if missing:
                raise ValidationError({k: ["选择邮寄的，须填写收件信息"] for k in missing})


class ApplicantSchema(FormSchema):
    relationship = Choice("申请人与新生儿关系", APPLICANT_RELATIONSHIPS, required=True)
    name = PersonName("申请人姓名", required=True)
    phone = Phone("申请人手机号码", required=True)


class ApplicationSchema(FormSchema):
    """The whole application, as the portal or a window clerk submits it."""

    region = Choice(
        "地区", {code: region.name for code, region in REGIONS.items()}, required=True, error="不支持的地区"
    )
    channel = Choice("申请渠道", CHANNELS, required=True)
    items = Many(
        Choice("事项", {item.code: item.name for item in ITEMS}, error="未知事项"),
        "申请事项",
        required=True,
        validate=validate.Length(min=1, error="至少选择一个事项"),
    )
    mother = Section(ParentSchema, "母亲信息", required=True)
    father = Section(ParentSchema, "父亲信息", allow_none=True)
    marriage = Section(MarriageSchema, "婚姻信息", required=True)
    newborn = Section(NewbornSchema, "新生儿信息", required=True)
    hukou = Section(HukouSchema, "户口登记信息", allow_none=True)
    medical_insurance = Section(MedicalInsuranceSchema, "医保参保信息", allow_none=True)
    social_security_card = Section(SocialSecurityCardSchema, "社会保障卡信息", allow_none=True)
    maternity_reimbursement = Section(MaternityReimbursementSchema, "生育医疗费用报销信息", allow_none=True)
    delivery = Section(DeliverySchema, "送达方式", allow_none=True)
    applicant = Section(ApplicantSchema, "申请人信息", required=True)
    commitment_signed = Flag(
        "承诺所填信息真实有效并签名", required=True, validate=validate.Equal(True, error="须承诺所填信息真实有效并签名")
    )

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _check_sections(self, data, original, **kwargs):
        """R1.1: each item chosen once; the sections of the chosen items are required, others may be left out."""
        if not isinstance(original, Mapping):
            return  # not an object at all: already refused
        errors: dict = {}
        _check_unique_items(original.get("items"), errors)
        chosen = set(data.get("items") or ())
        for section, needed_by in SECTION_ITEMS.items():
            if chosen.intersection(needed_by) and absent(data, original, section):
                add_error(errors, section, "已选择需要此部分的事项，此项必填")
        delivery = data.get("delivery")
        if isinstance(delivery, dict):
            for item in DELIVERED_ITEMS:
                if item in chosen and absent(delivery, original.get("delivery"), item):
                    add_error(errors, f"delivery.{item}", REQUIRED)
        hukou = data.get("hukou")
        if isinstance(hukou, dict) and hukou.get("follows") == "father" and absent(data, original, "father"):
            add_error(errors, "hukou.follows", "随父落户须填写父亲信息")
        if errors:
            raise ValidationError(errors)


def _check_unique_items(raw, errors: dict) -> None:
    """Mark each repetition of an item at its own index (``items.3``), as given in the input."""
    if not isinstance(raw, list):
        return
    seen: set[str] = set()
    for index, code in enumerate(raw):
        if not isinstance(code, str):
            continue
        if code.strip() in seen:
            errors.setdefault("items", {}).setdefault(index, []).append("事项重复")
        seen.add(code.strip())


_APPLICATION_SCHEMA = ApplicationSchema()  # built once: its fields are many, and it keeps no state between calls


def validate_application(data: dict, *, now: dt.datetime | None = None) -> dict:
    """Validate an application; return it normalized and JSON-compatible, or raise ValidationError.

    The result has the input's shape with strings trimmed, ID numbers and codes normalized and times
    re-written in ISO 8601 (``2026-11-20T08:30:00+08:00``, ``2026-11-20``). `now` (aware; naive means UTC)
    is the moment "not in the future" is checked against; the clock when omitted.
    """
    schema = _APPLICATION_SCHEMA
    with evaluated_at(now):
        loaded = schema.load(data)
    return schema.dump(loaded)
