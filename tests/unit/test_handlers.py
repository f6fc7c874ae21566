"""Department handlers: result shapes, idempotency, numbering and the rules each one carries (RULES §1-§6).

``MemoryLedger`` is a test double of the ``Ledger`` port (the engine provides the real one).
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import json
import logging
from datetime import date, datetime, timedelta, timezone

import pytest
from stdnum.cn import ric

import forms.newborn.regions
import handlers.newborn.common
from engine.handlers import BusinessError, DuplicateTopic, HandlerError, HandlerRegistry, HandlerResult, ServiceCall
from forms.newborn.regions import LatePayment, load_profiles, profile, profiles
from handlers.newborn import cdc, default_registry, health, hrss, medical_insurance, midwifery, police, service_center
from handlers.newborn.medical_insurance import LatePaymentNotProvided, coverage_start, premium_due_by
from tests.support.calendars import PACKAGE_CALENDAR
from tests.support.newborn_policy import station_rule_of

from .ledger_double import MemoryLedger

SHANGHAI = timezone(timedelta(hours=8))
ALL_ITEMS = [
    "birth_certificate",
    "vaccination_certificate",
    "hukou_registration",
    "social_security_card",
    "medical_insurance",
    "maternity_reimbursement",
    "parenting_guidance",
]
TOPICS = {
    "service_center.dispatch",
    "cdc.issue_vaccination_certificate",
    "midwifery.issue_birth_certificate",
    "police.register_birth",
    "service_center.push_results",
    "hrss.apply_card",
    "medical_insurance.enrol",
    "medical_insurance.reimburse_maternity",
    "health.register_guidance",
    "service_center.notify_result",
    "service_center.report_overdue",
    "medical_insurance.confirm_enrolment",
}


def make_application(region="gansu", **changes):
    app = {
        "region": region,
        "channel": "online",
        "items": list(ALL_ITEMS),
        "mother": {
            "name": "王芳",
            "id_type": "resident_id",
            "id_number": "620102199203150021",
            "nationality": "中国",
            "ethnicity": "汉族",
            "phone": "13800000001",
            "hukou_division": "620102",
            "hukou_address": "甘肃省兰州市城关区某路1号",
            "current_address": "甘肃省兰州市城关区某路1号",
            "hukou_kind": "family",
            "active_military": False,
        },
        "father": {
            "name": "李明",
            "id_type": "resident_id",
            "id_number": "620103199001010035",
            "nationality": "中国",
            "ethnicity": "汉族",
            "phone": "13800000002",
            "hukou_division": "620103",
            "hukou_address": "甘肃省兰州市七里河区某街2号",
            "current_address": "甘肃省兰州市城关区某路1号",
            "hukou_kind": "family",
            "active_military": False,
        },
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
                "institution_code": "H001",
            },
            "native_place": "甘肃省兰州市",
            "delivery_record_mother_id": "620102199203150021",
        },
        "hukou": {
            "follows": "father",
            "division_code": "620103",
            "police_station": "七里河派出所",
            "householder_name": "李强",
            "householder_id_number": "620103196501010017",
            "relationship_to_householder": "孙女",
        },
        "medical_insurance": {"year": "current", "insured_division": "620103"},
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
            "recipient_name": "李明",
            "recipient_phone": "13800000002",
            "recipient_address": "甘肃省兰州市城关区某路1号",
        },
        "applicant": {"relationship": "father", "name": "李明", "phone": "13800000002"},
        "commitment_signed": True,
    }
    for path, value in changes.items():
        target = app
        *parents, last = path.split("__")
        for part in parents:
            target = target[part]
        target[last] = value
    return app


def make_call(
    ledger,
    app=None,
    *,
    key="k1",
    now=datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI),
    results=None,
    reviews=None,
    steps=None,
    topic="test.topic",
):
    app = app or make_application()
    variables = {
        "application": app,
        "chosen": {code: code in app["items"] for code in ALL_ITEMS},
        "region": app["region"],
        "channel": app["channel"],
        "results": results or {},
        "steps": steps or {},
        "reviews": reviews
        if reviews is not None
        else {"birth_certificate_review": {"decision": "approve", "certificate_number": "Y620001234"}},
        "station_rule": station_rule_of(app, now),  # as the process's business rule task gives it
    }
    return ServiceCall(
        topic=topic,
        idempotency_key=key,
        business_key="BK-1",
        variables=variables,
        now=now,
        ledger=ledger,
        calendar=PACKAGE_CALENDAR,
    )


def run(topic, ledger, app=None, **kw):
    return default_registry().get(topic)(make_call(ledger, app, topic=topic, **kw))


def assert_json(result: HandlerResult):
    assert isinstance(result, HandlerResult)
    assert json.loads(json.dumps(result.result)) == result.result
    for notice in result.notices:
        json.dumps(notice.to_dict())


PERSONAL = ["620102199203150021", "620103199001010035", "13800000001", "13800000002", "某路1号", "某街2号"]


def assert_no_personal_data(result: HandlerResult, *extra: str):
    for notice in result.notices:
        for value in (*PERSONAL, *extra):
            assert value not in notice.text


# --- registry ---------------------------------------------------------------------------------------------


def test_default_registry_has_exactly_the_bpmn_topics():
    assert default_registry().topics() == TOPICS


def test_registering_a_topic_twice_raises():
    registry = HandlerRegistry()
    police.register(registry)
    with pytest.raises(DuplicateTopic):
        police.register(registry)


def test_each_default_registry_is_independent():
    assert default_registry() is not default_registry()


def test_no_region_is_named_in_handler_code():
    """RULES: regional differences are profile data, never ``if region == ...``."""
    for module in (service_center, midwifery, cdc, police, hrss, medical_insurance, health, handlers.newborn.common):
        source = inspect.getsource(module).lower()
        code = source.split('"""', 2)[-1]  # after the module docstring
        assert '"gansu"' not in code and '"guizhou"' not in code, module.__name__


# --- region profiles --------------------------------------------------------------------------------------


def test_region_profiles_carry_the_regional_rules():
    gansu, guizhou = profile("gansu"), profile("guizhou")
    assert set(profiles()) == {"gansu", "guizhou"}
    assert gansu.police_visit.within_working_days == 3 and gansu.police_visit.required  # R2.8
    assert guizhou.counterfoil_mailed_to_police_station and not gansu.counterfoil_mailed_to_police_station  # R2.9
    assert guizhou.medical_insurance.payment_channels == ("微信", "支付宝", "银行APP")  # R2.10
    assert "mail" in gansu.social_security_card.delivery_options  # R2.11
    assert "mail" not in guizhou.social_security_card.delivery_options
    assert guizhou.medical_insurance.late_payment == LatePayment(60, "individual_plus_subsidy")  # R6.3
    assert gansu.medical_insurance.late_payment is None


def test_a_malformed_profile_is_refused():
    good = json.loads(json.dumps({"x": json.loads((forms.newborn.regions.PROFILES_FILE).read_text("utf-8"))["gansu"]}))
    load_profiles(good)
    bad = copy.deepcopy(good)
    bad["x"]["police_visit"]["within_days"] = 3
    with pytest.raises(ValueError):
        load_profiles(bad)
    bad = copy.deepcopy(good)
    bad["x"]["social_security_card"]["default_delivery"] = "drone"
    with pytest.raises(ValueError):
        load_profiles(bad)


def test_unknown_region_is_a_handler_error():
    app = make_application()
    app["region"] = "atlantis"
    with pytest.raises(HandlerError):
        run("hrss.apply_card", MemoryLedger(), app)


# --- service_center.dispatch (R2.4, R1.2) -----------------------------------------------------------------


def test_r2_4_dispatch_issues_one_acceptance_number_and_the_departments():
    ledger = MemoryLedger()
    result = run("service_center.dispatch", ledger)
    assert_json(result)
    assert result.item is None
    assert result.result["acceptance_number"] == "SL20261125000001"
    assert result.result["departments"] == ["midwifery", "cdc", "police", "hrss", "medical_insurance", "health"]
    assert result.result["items"] == ALL_ITEMS
    assert result.result["channel"] == "online"
    audiences = [n.audience for n in result.notices]
    assert audiences[0] == "applicant" and set(audiences[1:]) == set(result.result["departments"])
    assert_no_personal_data(result)


def test_r1_1_dispatch_only_to_the_departments_of_the_chosen_items():
    app = make_application(items=["birth_certificate", "maternity_reimbursement"])
    result = run("service_center.dispatch", MemoryLedger(), app)
    assert result.result["departments"] == ["midwifery", "medical_insurance"]
    assert result.result["items"] == ["birth_certificate", "maternity_reimbursement"]


def test_dispatch_with_nothing_chosen_is_refused():
    with pytest.raises(HandlerError):
        run("service_center.dispatch", MemoryLedger(), make_application(items=[]))


def test_dispatch_numbers_by_the_day_in_china():
    late_utc = datetime(2026, 11, 24, 17, 0, tzinfo=timezone.utc)  # 01:00 on 25 November in China
    result = run("service_center.dispatch", MemoryLedger(), now=late_utc)
    assert result.result["acceptance_number"].startswith("SL20261125")
    assert result.result["accepted_on"] == "2026-11-25"


# --- idempotency and numbering, every numbered handler ----------------------------------------------------

NUMBERED = [
    ("service_center.dispatch", "acceptance_number", "SL"),
    ("cdc.issue_vaccination_certificate", "certificate_number", "JZ"),
    ("police.register_birth", "registration_number", "HJ"),
    ("hrss.apply_card", "application_number", "SB"),
    ("medical_insurance.enrol", "enrolment_number", "YB"),
    ("health.register_guidance", "registration_number", "YE"),
]


@pytest.mark.parametrize("topic,field,prefix", NUMBERED)
def test_same_key_twice_returns_the_first_result_and_issues_nothing(topic, field, prefix):
    ledger = MemoryLedger()
    first = run(topic, ledger, key="same")
    counters = dict(ledger.counters)
    again = run(topic, ledger, key="same", now=datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI))
    assert again.result == first.result
    assert again.notices == first.notices
    assert ledger.counters == counters
    assert first.result[field] == f"{prefix}20261125000001"


@pytest.mark.parametrize("topic,field,prefix", NUMBERED)
def test_two_keys_get_two_numbers(topic, field, prefix):
    ledger = MemoryLedger()
    a = run(topic, ledger, key="a").result[field]
    b = run(topic, ledger, key="b").result[field]
    assert (a, b) == (f"{prefix}20261125000001", f"{prefix}20261125000002")


# --- cdc.issue_vaccination_certificate (RULES §1) ---------------------------------------------------------


def test_vaccination_certificate_issued_on_the_spot_by_the_midwifery_institution():
    result = run("cdc.issue_vaccination_certificate", MemoryLedger())
    assert_json(result)
    assert result.item == "vaccination_certificate"
    assert result.result == {
        "certificate_number": "JZ20261125000001",
        "number": "JZ20261125000001",
        "issued_on": "2026-11-25",
        "issued_by": "兰州市第一人民医院",
    }
    assert result.notices[0].audience == "applicant"


# --- midwifery.issue_birth_certificate (R2.1, R2.9, R2.13) ------------------------------------------------


def test_r2_13_birth_certificate_electronic_with_counterfoil_gansu_mail_delivery():
    ledger = MemoryLedger()
    result = run("midwifery.issue_birth_certificate", ledger)
    assert_json(result)
    assert result.item == "birth_certificate"
    r = result.result
    assert r["certificate_number"] == r["number"] == "Y620001234"
    assert r["licence_number"] == "CSZM20261125000001"
    assert r["counterfoil"] == {"included": True, "mailed_to_police_station": False, "mail_number": None}
    assert r["delivery"] == "mail"
    assert [n.audience for n in result.notices] == ["applicant"]
    assert "邮寄" in result.notices[0].text
    assert_no_personal_data(result)


def test_birth_certificate_pickup_at_the_institution():
    app = make_application(delivery__birth_certificate="pickup")
    result = run("midwifery.issue_birth_certificate", MemoryLedger(), app)
    assert result.notices[0].place == "兰州市第一人民医院"
    assert "领取" in result.notices[0].text


def test_r2_9_guizhou_counterfoil_is_mailed_to_the_police_station():
    result = run("midwifery.issue_birth_certificate", MemoryLedger(), make_application("guizhou"))
    assert result.result["counterfoil"]["mailed_to_police_station"] is True
    assert result.result["counterfoil"]["mail_number"] == "FY20261125000001"
    police_notice = [n for n in result.notices if n.audience == "police"]
    assert len(police_notice) == 1 and "副页" in police_notice[0].text
    assert police_notice[0].place == "七里河派出所"


def test_birth_certificate_needs_the_number_from_the_review():
    with pytest.raises(HandlerError, match="没有出生医学证明编号"):
        run("midwifery.issue_birth_certificate", MemoryLedger(), reviews={"birth_certificate_review": {}})


def test_birth_certificate_idempotent_and_one_number_per_application():
    ledger = MemoryLedger()
    first = run("midwifery.issue_birth_certificate", ledger, key="a")
    assert run("midwifery.issue_birth_certificate", ledger, key="a").result == first.result
    assert ledger.counters == {"midwifery.licence.20261125": 1}
    with pytest.raises(BusinessError, match="已被其他申请使用") as refused:  # the clerk corrects it
        run("midwifery.issue_birth_certificate", ledger, key="b")
    assert refused.value.code == "certificate_number_taken"
    assert ledger.counters == {"midwifery.licence.20261125": 1}


# --- police.register_birth (R3.4-R3.6, R2.8, GB 11643) ----------------------------------------------------


def test_citizen_id_number_is_valid_and_encodes_division_birth_date_and_sex():
    ledger = MemoryLedger()
    result = run("police.register_birth", ledger)
    assert_json(result)
    assert result.item == "hukou_registration"
    number = result.result["citizen_id_number"]
    assert ric.validate(number) == number
    assert number[-1] == ric.calc_check_digit(number)
    assert number[:6] == "620103" and ric.get_birth_date(number) == date(2026, 11, 20)
    assert number[14:17] == "002" and int(number[16]) % 2 == 0  # girl: even
    assert result.result["number"] == result.result["registration_number"] == "HJ20261125000001"


def test_citizen_id_sequence_per_division_date_and_sex():
    ledger = MemoryLedger()
    boy = make_application(newborn__sex="male")
    ids = [run("police.register_birth", ledger, boy, key=k).result["citizen_id_number"] for k in ("b1", "b2")]
    girl = run("police.register_birth", ledger, key="g1").result["citizen_id_number"]
    other_day = make_application(newborn__sex="male", newborn__born_at="2026-11-21T00:30:00+08:00")
    next_day = run("police.register_birth", ledger, other_day, key="b3").result["citizen_id_number"]
    assert [i[14:17] for i in ids] == ["001", "003"]
    assert girl[14:17] == "002"
    assert next_day[6:14] == "20261121" and next_day[14:17] == "001"
    for number in (*ids, girl, next_day):
        assert ric.is_valid(number)
        assert int(number[16]) % 2 == (1 if number in (*ids, next_day) else 0)


def test_citizen_id_check_digit_x():
    # find the first sequence giving the check digit X and verify it against stdnum
    numbers = [police.citizen_id_number("620102", date(2026, 11, 20), "male", n) for n in range(1, 498)]
    x = [n for n in numbers if n.endswith("X")]
    assert x and all(ric.is_valid(n) for n in x)


def test_citizen_id_sequence_stops_before_996():
    assert police.citizen_id_number("620102", date(2026, 11, 20), "male", 498)[14:17] == "995"
    with pytest.raises(HandlerError):
        police.citizen_id_number("620102", date(2026, 11, 20), "male", 499)
    with pytest.raises(HandlerError):
        police.citizen_id_number("620102", date(2026, 11, 20), "female", 498)  # would be 996


def test_r3_4_station_of_the_parent_followed():
    result = run("police.register_birth", MemoryLedger())
    assert result.result["police_station"] == {
        "name": "七里河派出所",
        "division_code": "620103",
        "parent": "father",
        "rule": "R3.4",
    }


def test_r3_5_student_collective_hukou_registers_at_the_family_hukou():
    app = make_application(
        father__hukou_kind="student_collective",
        hukou__follows="mother",
        hukou__division_code="620102",
        hukou__police_station="城关派出所",
    )
    result = run("police.register_birth", MemoryLedger(), app)
    assert result.result["police_station"] == {
        "name": "城关派出所",
        "division_code": "620102",
        "parent": "mother",
        "rule": "R3.5",
    }
    assert result.result["citizen_id_number"].startswith("620102")


def test_r3_5_following_the_student_parent_needs_the_clerk_to_set_the_station():
    app = make_application(father__hukou_kind="student_collective")  # follows father, station is his
    with pytest.raises(BusinessError, match="学生集体户口.*母亲户籍地.*登记派出所") as refused:
        run("police.register_birth", MemoryLedger(), app)
    assert refused.value.code == "police_station_required"
    reviews = {"hukou_review": {"decision": "approve", "police_station": "城关派出所"}}
    result = run("police.register_birth", MemoryLedger(), app, reviews=reviews)
    assert result.result["police_station"] == {
        "name": "城关派出所",
        "division_code": "620102",
        "parent": "mother",
        "rule": "hukou_review",
    }
    assert result.result["citizen_id_number"].startswith("620102")


def test_r3_6_active_military_parent_registers_at_the_civilian_parent():
    app = make_application(
        father__active_military=True,
        hukou__follows="mother",
        hukou__division_code="620102",
        hukou__police_station="城关派出所",
    )
    result = run("police.register_birth", MemoryLedger(), app)
    assert result.result["police_station"]["parent"] == "mother"
    assert result.result["police_station"]["rule"] == "R3.6"
    with pytest.raises(BusinessError, match="现役军人.*母亲户籍地") as refused:
        run("police.register_birth", MemoryLedger(), make_application(father__active_military=True))
    assert refused.value.code == "police_station_required"


def test_r3_5_and_r3_6_in_conflict_need_the_clerk():
    app = make_application(mother__hukou_kind="student_collective", father__active_military=True)
    with pytest.raises(BusinessError, match="两条落户规定指向不同的父母") as refused:
        run("police.register_birth", MemoryLedger(), app)
    assert refused.value.code == "police_station_required"
    reviews = {"hukou_review": {"police_station": "某派出所", "division_code": "620104"}}
    result = run("police.register_birth", MemoryLedger(), app, reviews=reviews)
    assert result.result["police_station"] == {
        "name": "某派出所",
        "division_code": "620104",
        "parent": None,
        "rule": "hukou_review",
    }


def test_r3_4_the_review_overrides_the_station():
    reviews = {"hukou_review": {"decision": "approve", "police_station": "西固派出所"}}
    result = run("police.register_birth", MemoryLedger(), reviews=reviews)
    assert result.result["police_station"]["name"] == "西固派出所"
    assert result.result["police_station"]["rule"] == "hukou_review"
    assert result.notices[0].place == "西固派出所"


def test_r2_8_gansu_police_visit_within_3_working_days_across_a_weekend():
    friday = datetime(2026, 11, 20, 16, 0, tzinfo=SHANGHAI)
    result = run("police.register_birth", MemoryLedger(), now=friday)
    visit = result.result["visit"]
    assert visit["due"] == "2026-11-25"  # Mon 23, Tue 24, Wed 25
    assert visit["required"] is True and visit["rule"] == "R2.8"
    notice = result.notices[0]
    assert notice.audience == "applicant" and notice.due == "2026-11-25" and notice.place == "七里河派出所"
    assert "原件" in notice.text and "3个工作日" in notice.text
    assert_no_personal_data(result, result.result["citizen_id_number"])


def test_r2_8_gansu_police_visit_across_national_day_2026():
    result = run("police.register_birth", MemoryLedger(), now=datetime(2026, 9, 30, 10, 0, tzinfo=SHANGHAI))
    assert result.result["visit"]["due"] == "2026-10-10"  # Thu 8, Fri 9, make-up Saturday 10 October


def test_r2_8_visit_date_in_a_year_without_its_notice_is_provisional():
    """R5.1: counted through 2027 (no notice loaded) the date is given, marked 预计, and can be counted again."""
    result = run("police.register_birth", MemoryLedger(), now=datetime(2026, 12, 30, 10, 0, tzinfo=SHANGHAI))
    visit = result.result["visit"]
    assert visit["due"] == "2027-01-05" and visit["provisional"] is True  # Thu 31, (1 Jan off), Mon 4, Tue 5
    assert visit["counted_from"] == "2026-12-30" and visit["working_days"] == 3
    notice = result.notices[0]
    assert notice.provisional and "2027-01-05（预计）前" in notice.text
    assert notice.to_dict()["provisional"] is True


def test_r2_8_visit_date_needs_a_calendar():
    call = make_call(MemoryLedger(), None, topic="police.register_birth")
    with pytest.raises(HandlerError, match="没有工作日历"):
        default_registry().get("police.register_birth")(dataclasses.replace(call, calendar=None))


def test_r2_9_guizhou_visit_has_no_deadline():
    result = run("police.register_birth", MemoryLedger(), make_application("guizhou"))
    assert result.result["visit"]["due"] is None and result.result["visit"]["required"] is False
    assert result.notices[0].due is None and "户口页" in result.notices[0].text


def test_r8_2_police_never_logs_the_id_number(caplog):
    with caplog.at_level(logging.DEBUG):
        result = run("police.register_birth", MemoryLedger())
    assert result.result["citizen_id_number"] not in caplog.text
    for value in PERSONAL:
        assert value not in caplog.text


def test_police_refuses_a_bad_division_code():
    with pytest.raises(HandlerError):
        run("police.register_birth", MemoryLedger(), make_application(hukou__division_code="6201"))


# --- service_center.push_results (R2.5) -------------------------------------------------------------------


def test_r2_5_hukou_result_pushed_to_health_cdc_medical_insurance_hrss():
    ledger = MemoryLedger()
    hukou = run("police.register_birth", ledger).result
    result = run("service_center.push_results", ledger, results={"hukou_registration": hukou})
    assert_json(result)
    assert result.item is None
    assert result.result["departments"] == ["health", "cdc", "medical_insurance", "hrss"]
    assert result.result["push_id"] == "TS20261125000001"
    assert result.result["reference"] == hukou["registration_number"]
    assert hukou["citizen_id_number"] not in json.dumps(result.result, ensure_ascii=False)
    assert {n.audience for n in result.notices} == {"health", "cdc", "medical_insurance", "hrss"}
    again = run("service_center.push_results", ledger, results={"hukou_registration": hukou})
    assert again.result == result.result


def test_r2_5_nothing_to_push_without_the_hukou_result():
    with pytest.raises(HandlerError):
        run("service_center.push_results", MemoryLedger())


# --- hrss.apply_card (R2.11) ------------------------------------------------------------------------------


def test_r2_11_card_application_pickup_at_the_chosen_bank():
    result = run("hrss.apply_card", MemoryLedger())
    assert_json(result)
    assert result.item == "social_security_card"
    assert result.result == {
        "application_number": "SB20261125000001",
        "number": "SB20261125000001",
        "applied_on": "2026-11-25",
        "bank": "中国工商银行",
        "delivery": "pickup",
        "delivery_requested": "pickup",
    }
    assert "中国工商银行网点领取" in result.notices[0].text and result.notices[0].place == "中国工商银行"


def test_r2_11_gansu_mails_the_card():
    app = make_application(delivery__social_security_card="mail")
    result = run("hrss.apply_card", MemoryLedger(), app)
    assert result.result["delivery"] == "mail"
    assert "邮寄" in result.notices[0].text
    assert_no_personal_data(result)


def test_r2_11_guizhou_offers_pickup_only():
    app = make_application("guizhou", delivery__social_security_card="mail")
    result = run("hrss.apply_card", MemoryLedger(), app)
    assert result.result["delivery"] == "pickup" and result.result["delivery_requested"] == "mail"
    assert "暂不提供邮寄" in result.notices[0].text
    assert "监护人有效身份证件原件" in result.notices[0].text


def test_r2_11_card_needs_a_bank():
    with pytest.raises(HandlerError, match="服务银行"):
        run("hrss.apply_card", MemoryLedger(), make_application(social_security_card__bank=""))


# --- medical_insurance.enrol (R6, R2.10) ------------------------------------------------------------------


def test_r6_1_current_year_enrolment():
    result = run("medical_insurance.enrol", MemoryLedger())
    assert_json(result)
    r = result.result
    assert result.item == "medical_insurance"
    assert r["enrolment_number"] == r["number"] == "YB20261125000001"
    assert r["years"] == [2026] and r["year_choice"] == "current"
    assert r["coverage"] == [{"year": 2026, "start": "2026-11-20", "end": "2026-12-31"}]
    assert r["premium_due_by"] == "2027-02-18"  # birth + 90 days
    assert r["insured_division"] == "620103"
    assert result.notices[0].due == "2027-02-18"


def test_r6_2_gansu_october_birth_may_enrol_for_the_next_year():
    app = make_application(newborn__born_at="2026-10-08T23:10:00+08:00", medical_insurance__year="next")
    r = run("medical_insurance.enrol", MemoryLedger(), app).result
    assert r["years"] == [2027]
    assert r["coverage"] == [{"year": 2027, "start": "2026-10-08", "end": "2027-12-31"}]
    assert r["premium_due_by"] == "2027-01-06"


def test_r6_2_gansu_december_birth_current_and_next():
    app = make_application(newborn__born_at="2026-12-01T02:00:00+08:00", medical_insurance__year="current_and_next")
    r = run("medical_insurance.enrol", MemoryLedger(), app).result
    assert r["years"] == [2026, 2027]
    assert r["coverage"] == [
        {"year": 2026, "start": "2026-12-01", "end": "2026-12-31"},
        {"year": 2027, "start": "2027-01-01", "end": "2027-12-31"},
    ]


def test_r6_3_guizhou_tells_how_to_pay():
    """(Guizhou offers no next year: the eligibility table refuses it at the start, test_policy_tables.)"""
    app = make_application("guizhou", newborn__born_at="2026-11-20T08:30:00+08:00", medical_insurance__year="current")
    result = run("medical_insurance.enrol", MemoryLedger(), app)
    assert result.result["late_payment"] == {
        "premium": "individual_plus_subsidy",
        "coverage_starts_days_after_payment": 61,
    }
    assert result.result["payment_channels"] == ["微信", "支付宝", "银行APP"]
    text = result.notices[0].text
    assert "微信、支付宝、银行APP" in text and "2027-02-18" in text  # R2.10
    assert "60日后" in text


def test_medical_insurance_year_defaults_to_current_when_the_form_has_none():
    app = make_application("guizhou")
    del app["medical_insurance"]["year"]
    assert run("medical_insurance.enrol", MemoryLedger(), app).result["years"] == [2026]


def test_medical_insurance_unknown_year_choice():
    with pytest.raises(HandlerError):
        run("medical_insurance.enrol", MemoryLedger(), make_application(medical_insurance__year="both"))


# --- R6.3 as a pure function ------------------------------------------------------------------------------

GUIZHOU_LATE = LatePayment(coverage_waiting_days=60, premium="individual_plus_subsidy")
BORN = date(2026, 11, 20)


def test_r6_1_premium_due_by_is_birth_plus_90_days():
    assert premium_due_by(BORN) == date(2027, 2, 18)
    assert premium_due_by(date(2026, 1, 1)) == date(2026, 4, 1)


def test_r6_3_paid_on_day_90_covered_from_birth():
    assert coverage_start(BORN, BORN + timedelta(days=90), late=GUIZHOU_LATE) == BORN
    assert coverage_start(BORN, BORN, late=GUIZHOU_LATE) == BORN


def test_r6_3_paid_on_day_91_covered_from_the_61st_day_after_payment():
    paid = BORN + timedelta(days=91)  # 2027-02-19
    assert coverage_start(BORN, paid, late=GUIZHOU_LATE) == paid + timedelta(days=61) == date(2027, 4, 21)


def test_r6_1_late_payment_without_a_regional_rule():
    with pytest.raises(LatePaymentNotProvided):
        coverage_start(BORN, BORN + timedelta(days=91), late=None)
    assert coverage_start(BORN, BORN + timedelta(days=90), late=None) == BORN


def test_premium_paid_before_birth_is_impossible():
    with pytest.raises(ValueError):
        coverage_start(BORN, BORN - timedelta(days=1), late=GUIZHOU_LATE)


# --- medical_insurance.reimburse_maternity (R2.12) --------------------------------------------------------


def test_r2_12_settled_at_discharge_needs_no_claim():
    ledger = MemoryLedger()
    result = run("medical_insurance.reimburse_maternity", ledger)
    assert result.item == "maternity_reimbursement"
    assert result.result == {"mode": "settled_at_discharge"}
    assert ledger.counters == {} and ledger.records == {}
    assert "直接结算" in result.notices[0].text


def test_r2_12_manual_claim_with_materials():
    app = make_application(
        maternity_reimbursement={
            "settled_at_discharge": False,
            "bank_name": "中国银行",
            "account_number": "6216000000000000000",
            "account_holder": "王芳",
        }
    )
    ledger = MemoryLedger()
    result = run("medical_insurance.reimburse_maternity", ledger, app, key="m")
    assert_json(result)
    r = result.result
    assert r["mode"] == "manual_claim" and r["claim_number"] == r["number"] == "BX20261125000001"
    assert r["bank_account_given"] is True
    assert "6216000000000000000" not in json.dumps(r)
    text = result.notices[0].text
    for material in ("发票", "费用清单", "出院记录", "银行账户"):
        assert material in text
    assert "6216000000000000000" not in text
    assert run("medical_insurance.reimburse_maternity", ledger, app, key="m").result == r
    assert (
        run("medical_insurance.reimburse_maternity", ledger, app, key="n").result["claim_number"] == "BX20261125000002"
    )


def test_r2_12_manual_claim_asks_for_a_missing_bank_account():
    app = make_application("guizhou", maternity_reimbursement={"settled_at_discharge": False})
    result = run("medical_insurance.reimburse_maternity", MemoryLedger(), app)
    assert result.result["bank_account_given"] is False
    assert "请补充" in result.notices[0].text
    assert "医保电子凭证" in result.notices[0].text  # Guizhou's list


# --- health.register_guidance (R2.3) ----------------------------------------------------------------------


def test_parenting_guidance_registration():
    result = run("health.register_guidance", MemoryLedger())
    assert_json(result)
    assert result.item == "parenting_guidance"
    assert result.result == {
        "registration_number": "YE20261125000001",
        "number": "YE20261125000001",
        "registered_on": "2026-11-25",
    }


# --- service_center.notify_result (R2.7) ------------------------------------------------------------------


def test_r2_7_final_feedback_lists_each_chosen_items_result():
    ledger = MemoryLedger()
    results = {}
    for topic in (
        "midwifery.issue_birth_certificate",
        "cdc.issue_vaccination_certificate",
        "police.register_birth",
        "hrss.apply_card",
        "medical_insurance.enrol",
        "medical_insurance.reimburse_maternity",
    ):
        outcome = run(topic, ledger)
        results[outcome.item] = outcome.result
    steps = {"service_center.dispatch": run("service_center.dispatch", ledger).result}
    result = run("service_center.notify_result", ledger, results=results, steps=steps)
    assert_json(result)
    assert result.item is None
    lines = {line["item"]: line for line in result.result["items"]}
    assert list(lines) == ALL_ITEMS
    assert lines["birth_certificate"]["number"] == "Y620001234"
    assert lines["hukou_registration"]["number"] == "HJ20261125000001"
    assert lines["maternity_reimbursement"] == {
        "item": "maternity_reimbursement",
        "name": "生育医疗费用报销",
        "status": "settled_at_discharge",
        "number": None,
    }
    assert lines["parenting_guidance"]["status"] == "not_completed"
    text = result.notices[0].text
    assert result.notices[0].audience == "applicant"
    assert "SL20261125000001" in text and "Y620001234" in text and "出院时已直接结算" in text
    assert "科学育儿指导服务登记：未办结" in text
    assert results["hukou_registration"]["citizen_id_number"] not in text
    assert result.result["notice_id"] == "FK20261125000001"
    again = run("service_center.notify_result", ledger, results=results, steps=steps)
    assert again.result == result.result


def test_r2_7_feedback_only_for_the_chosen_items():
    app = make_application(items=["birth_certificate"])
    results = {"birth_certificate": {"number": "Y1"}, "hukou_registration": {"number": "HJ1"}}
    result = run("service_center.notify_result", MemoryLedger(), app, results=results)
    assert [line["item"] for line in result.result["items"]] == ["birth_certificate"]
