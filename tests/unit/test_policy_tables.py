"""The policy decision tables of ``workflows/*.dmn`` (RULES §3-§6), evaluated as the process and the check do.

Table-driven: each case names the rule it checks. Applications are the samples of ``api.samples`` (an eligible
Gansu or Guizhou family, the baby born two days before now) with one change; "now" is pinned, never slept.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from engine.clock import CHINA
from engine.dmn import parse_dmn
from engine.dmn.model import DecisionSet
from engine.errors import PolicyError
from engine.handlers import BusinessError
from forms.newborn.application import validate_application
from forms.newborn.items import ITEM_CODES
from forms.newborn.material_codes import MATERIALS
from handlers.newborn import police, policy
from handlers.newborn.samples import resident_id, sample_application
from tests.support.calendars import PACKAGE_CALENDAR

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows" / "newborn"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=CHINA)  # a Wednesday


def load_decisions(replace: dict[str, tuple[str, str]] | None = None) -> DecisionSet:
    """Every DMN file of ``workflows/`` (``replace``: file name → (old, new) text edit)."""
    decisions = DecisionSet()
    for path in sorted(WORKFLOWS.glob("*.dmn")):
        text = path.read_text(encoding="utf-8")
        if replace and path.name in replace:
            old, new = replace[path.name]
            assert old in text, f"{old!r} not in {path.name}"
            text = text.replace(old, new, 1)
        parse_dmn(text.encode("utf-8"), path.name, into=decisions)
    return decisions


DECISIONS = load_decisions()


def application(change=None, *, region="gansu", now=NOW, born=None, items=ITEM_CODES):
    raw = sample_application(now, region=region, items=items)
    if born is not None:
        raw["newborn"]["born_at"] = born
    if change:
        change(raw)
    return validate_application(raw, now=now)


def check(change=None, *, region="gansu", now=NOW, decisions=DECISIONS, **kwargs):
    return policy.check(decisions, application(change, region=region, now=now, **kwargs), now, PACKAGE_CALENDAR)


def refused(change=None, **kwargs) -> list[tuple[str, str]]:
    return [(r["rule"], r["code"]) for r in check(change, **kwargs)["refusals"]]


def test_deployed_tables_have_no_problems():
    assert DECISIONS.problems == []
    assert {"eligibility", "materials", "time_limits", "police_station_rule"} <= set(DECISIONS)


# -- eligibility (RULES §3, §6) -----------------------------------------------------------------------------


def setter(path: str, value):
    def change(app):
        *parents, key = path.split(".")
        target = app
        for part in parents:
            target = target[part]
        target[key] = value

    return change


def both(*changes):
    def change(app):
        for each in changes:
            each(app)

    return change


FOREIGN_FATHER = both(
    setter("father.id_type", "passport"),
    setter("father.id_number", "E12345678"),
    setter("father.nationality", "美国"),
    setter("father.ethnicity", None),
    setter("father.hukou_division", None),
    setter("father.hukou_address", None),
    setter("father.hukou_kind", None),
    setter("hukou.follows", "mother"),
)
HK_MOTHER = both(
    setter("mother.id_type", "hk_macao_permit"),
    setter("mother.id_number", "H12345678"),
    setter("newborn.delivery_record_mother_id", "H12345678"),
    setter("mother.hukou_division", None),
    setter("mother.hukou_address", None),
    setter("mother.hukou_kind", None),
)
TAIWAN_FATHER = both(
    setter("father.id_type", "taiwan_permit"),
    setter("father.id_number", "T12345678"),
    setter("father.hukou_division", None),
    setter("father.hukou_address", None),
    setter("father.hukou_kind", None),
    setter("hukou.follows", "mother"),
)


def born_days_ago(days: int, now=NOW) -> str:
    return (now - timedelta(days=days)).replace(microsecond=0).isoformat()


GANSU_CASES = {
    # name (rule first): (change, extra keyword arguments, expected refusals)
    "eligible sample": (None, {}, []),
    "R3.1/R3.7 delivered outside Gansu": (
        setter("newborn.birth_place.province", "陕西省"),
        {},
        [("R3.1", "born_outside_region")],
    ),
    "R3.1 'Gansu' written without 省 is Gansu": (setter("newborn.birth_place.province", "甘肃"), {}, []),
    "R3.7 no parent with Gansu hukou": (
        both(setter("mother.hukou_division", "610102"), setter("father.hukou_division", "610103")),
        {},
        [("R3.7", "no_parent_hukou_in_region")],
    ),
    "R3.7 one parent with Gansu hukou is enough": (setter("father.hukou_division", "610103"), {}, []),
    "R3.7 a foreign father, the mother with Gansu hukou": (FOREIGN_FATHER, {}, []),
    "R3.2 divorced": (setter("marriage.status", "divorced"), {}, [("R3.2", "not_in_wedlock")]),
    "R3.2 single": (setter("marriage.status", "single"), {}, [("R3.2", "not_in_wedlock")]),
    "R3.2 not married": (setter("marriage.status", "unmarried_cohabiting"), {}, [("R3.2", "not_in_wedlock")]),
    "R3.2 widowed is still born in wedlock": (setter("marriage.status", "widowed"), {}, []),
    "R3.3/R3.4 exactly one year old": (
        None,
        {"born": "2025-11-25T08:00:00+08:00"},
        [("R3.3", "one_year_or_older"), ("R3.4", "declared_after_one_month")],
    ),
    "R3.4 one day short of a year": (
        None,
        {"born": "2025-11-26T08:00:00+08:00"},
        [("R3.4", "declared_after_one_month")],
    ),
    "R3.4 exactly one month after birth is in time": (None, {"born": "2026-10-25T08:00:00+08:00"}, []),
    "R3.4 one month and a day is late": (
        None,
        {"born": "2026-10-24T08:00:00+08:00"},
        [("R3.4", "declared_after_one_month")],
    ),
    "R3.4 only applies to hukou registration": (
        None,
        {"born": "2026-10-01T08:00:00+08:00", "items": ["birth_certificate", "medical_insurance"]},
        [],
    ),
    "R3.3 neither parent has a family hukou": (
        both(setter("mother.hukou_kind", "student_collective"), setter("father.hukou_kind", "collective")),
        {},
        [("R3.3", "no_family_hukou")],
    ),
    "R3.5 one student collective hukou, the other a family hukou": (
        setter("mother.hukou_kind", "student_collective"),
        {},
        [],
    ),
    "R3.13 parents of different ethnicity may apply (a letter is a material)": (
        setter("father.ethnicity", "回族"),
        {},
        [],
    ),
    "R3.8-R3.12 are Guizhou's: no name, HK mother, mismatching record are accepted in Gansu": (
        both(setter("newborn.given_name", ""), HK_MOTHER),
        {},
        [],
    ),
    "R6.2 born in November may enrol for the next year": (setter("medical_insurance.year", "next"), {}, []),
    "several reasons at once, every one listed": (
        both(setter("marriage.status", "divorced"), setter("newborn.birth_place.province", "四川省")),
        {"born": "2026-09-01T08:00:00+08:00"},
        [("R3.1", "born_outside_region"), ("R3.2", "not_in_wedlock"), ("R3.4", "declared_after_one_month")],
    ),
}

GUIZHOU_CASES = {
    "eligible sample": (None, {}, []),
    "R3.1 delivered outside Guizhou": (
        setter("newborn.birth_place.province", "云南省"),
        {},
        [("R3.1", "born_outside_region")],
    ),
    "R3.8 the newborn has no name yet": (setter("newborn.given_name", ""), {}, [("R3.8", "no_name")]),
    "R3.9 neither parent's hukou in Guizhou": (
        both(setter("mother.hukou_division", "620102"), setter("father.hukou_division", "620103")),
        {},
        [("R3.9", "no_parent_hukou_in_region")],
    ),
    "R3.9 one parent's hukou in Guizhou is enough": (setter("mother.hukou_division", "620102"), {}, []),
    "R3.10 divorced": (setter("marriage.status", "divorced"), {}, [("R3.10", "divorced_or_single_parent")]),
    "R3.10 single parent": (setter("marriage.status", "single"), {}, [("R3.10", "divorced_or_single_parent")]),
    "R3.10 widowed (single parent)": (
        setter("marriage.status", "widowed"),
        {},
        [("R3.10", "divorced_or_single_parent")],
    ),
    "R3.10 born out of wedlock": (setter("marriage.status", "unmarried_cohabiting"), {}, [("R3.10", "out_of_wedlock")]),
    "R3.10 mother's ID does not match the delivery record": (
        setter("newborn.delivery_record_mother_id", resident_id("520102", "19920315", 98)),
        {},
        [("R3.10", "mother_id_mismatch")],
    ),
    "R3.11 a foreign father (passport, nationality): told once": (
        FOREIGN_FATHER,
        {},
        [("R3.11", "foreign_or_hkmt_parent")],
    ),
    "R3.11 a Hong Kong or Macao mother": (HK_MOTHER, {}, [("R3.11", "foreign_or_hkmt_parent")]),
    "R3.11 a Taiwan father": (TAIWAN_FATHER, {}, [("R3.11", "foreign_or_hkmt_parent")]),
    "R3.12 parents of different ethnicity": (
        setter("father.ethnicity", "苗族"),
        {},
        [("R3.12", "parents_different_ethnicity")],
    ),
    "R3.3 one year old": (None, {"born": "2025-11-20T08:00:00+08:00"}, [("R3.3", "one_year_or_older")]),
    "R3.4 Guizhou's documents set no one-month deadline": (None, {"born": "2026-10-01T08:00:00+08:00"}, []),
    "R3.3 neither parent has a family hukou": (
        both(setter("mother.hukou_kind", "collective"), setter("father.hukou_kind", "collective")),
        {},
        [("R3.3", "no_family_hukou")],
    ),
    "R6.1 Guizhou enrols for the current year only": (
        setter("medical_insurance.year", "current_and_next"),
        {},
        [("R6.1", "next_year_not_allowed")],
    ),
    "every exclusion at once": (
        both(
            setter("newborn.given_name", ""),
            setter("marriage.status", "divorced"),
            setter("father.ethnicity", "苗族"),
            HK_MOTHER,
        ),
        {},
        [
            ("R3.10", "divorced_or_single_parent"),
            ("R3.11", "foreign_or_hkmt_parent"),
            ("R3.12", "parents_different_ethnicity"),
            ("R3.8", "no_name"),
        ],
    ),
}


@pytest.mark.parametrize("change, kwargs, expected", GANSU_CASES.values(), ids=GANSU_CASES.keys())
def test_gansu_eligibility(change, kwargs, expected):
    """R3.1-R3.7 (Gansu service guide 适用对象说明 and 受理条件), R3.13, R6.2."""
    assert refused(change, region="gansu", **kwargs) == expected


@pytest.mark.parametrize("change, kwargs, expected", GUIZHOU_CASES.values(), ids=GUIZHOU_CASES.keys())
def test_guizhou_eligibility(change, kwargs, expected):
    """R3.1-R3.3 (资格条件) and every 暂不纳入情形 R3.8-R3.12 (Guizhou 附件2/附件4)."""
    assert refused(change, region="guizhou", **kwargs) == expected


def test_refusals_carry_a_plain_chinese_message():
    [refusal] = check(setter("newborn.given_name", ""), region="guizhou")["refusals"]
    assert refusal["rule"] == "R3.8" and "取名" in refusal["message"]
    assert check(setter("newborn.given_name", ""), region="guizhou")["eligible"] is False
    assert check()["eligible"] is True


@pytest.mark.parametrize("parent", ["mother", "father"])
def test_r3_11_guizhou_invalid_id(parent):
    """R3.11 身份证无效: the form refuses a malformed ID first; the table still refuses the fact."""
    variables = policy.decision_variables(application(region="guizhou"), NOW)
    variables["facts"][parent]["id_valid"] = False
    assert [(r["rule"], r["code"]) for r in policy.refusals(DECISIONS, variables, NOW)] == [("R3.11", "invalid_id")]
    variables["region"] = "gansu"
    assert "invalid_id" not in {r["code"] for r in policy.refusals(DECISIONS, variables, NOW)}


INSURANCE_CASES = [
    # (born, year choice, refused) -- Gansu R6.2: only 1 October - 31 December may choose the next year
    ("2026-09-30T20:00:00+08:00", "next", True),
    ("2026-09-30T20:00:00+08:00", "current_and_next", True),
    ("2026-09-30T20:00:00+08:00", "current", False),
    ("2026-10-01T08:00:00+08:00", "next", False),
    ("2026-12-20T08:00:00+08:00", "current_and_next", False),
    ("2026-01-15T08:00:00+08:00", "next", True),
]


@pytest.mark.parametrize("born, year, is_refused", INSURANCE_CASES)
def test_r6_2_gansu_next_year_only_for_october_to_december_births(born, year, is_refused):
    now = datetime.fromisoformat(born) + timedelta(days=2)
    codes = refused(
        setter("medical_insurance.year", year), now=now, born=born, items=["birth_certificate", "medical_insurance"]
    )
    assert codes == ([("R6.2", "next_year_not_allowed")] if is_refused else [])


def test_r6_2_year_choice_is_ignored_when_insurance_is_not_chosen():
    born = "2026-03-01T08:00:00+08:00"
    now = datetime(2026, 3, 3, 10, tzinfo=CHINA)
    assert refused(setter("medical_insurance.year", "next"), now=now, born=born, items=["birth_certificate"]) == []


@pytest.mark.parametrize("region", ["gansu", "guizhou"])
def test_r6_insurance_table_refuses_next_year_outside_the_profiles_months(region):
    """R6.1/R6.2: the table refuses "next"/"current_and_next" exactly for births outside the months the
    region's profile lists (Gansu October to December; Guizhou none)."""
    for month, choice in itertools.product(range(1, 13), ("current", "next", "current_and_next")):
        born = datetime(2026, month, 10, 8, tzinfo=CHINA)
        variables = policy.decision_variables(
            application(
                setter("medical_insurance.year", choice),
                region=region,
                now=born + timedelta(days=2),
                born=born.isoformat(),
            ),
            born + timedelta(days=2),
        )
        table_refuses = any(
            r["code"] == "next_year_not_allowed"
            for r in policy.refusals(DECISIONS, variables, born + timedelta(days=2))
        )
        months = {"gansu": {10, 11, 12}, "guizhou": set()}[region]  # R6.2 as the policy documents state it
        assert table_refuses == (choice != "current" and month not in months), (region, month, choice)


# -- materials (R4.1, R3.13, R2.12) -------------------------------------------------------------------------


def materials(change=None, **kwargs) -> dict[str, tuple[int, list[str]]]:
    return {m["code"]: (m["copies"], m["items"]) for m in check(change, **kwargs)["materials"]}


MANUAL_CLAIM = setter(
    "maternity_reimbursement",
    {
        "settled_at_discharge": False,
        "bank_name": "中国银行",
        "account_number": "6217000010001234567",
        "account_holder": "王芳",
    },
)
BC, VC, HK, SC, MI, MR, PG = ITEM_CODES
MATERIAL_CASES = {
    "R4.1 Gansu, every item (附件3)": (
        "gansu",
        None,
        ITEM_CODES,
        {"parent_id_cards": (2, [BC, SC]), "hukou_books": (3, [HK, SC]), "marriage_certificate": (1, [BC, HK])},
    ),
    "R3.13 Gansu, parents of different ethnicity: the ethnicity confirmation letter": (
        "gansu",
        setter("father.ethnicity", "回族"),
        ITEM_CODES,
        {
            "parent_id_cards": (2, [BC, SC]),
            "hukou_books": (3, [HK, SC]),
            "marriage_certificate": (1, [BC, HK]),
            "ethnicity_confirmation": (1, [HK]),
        },
    ),
    "R3.13 Gansu, different ethnicity but no hukou registration: no letter": (
        "gansu",
        setter("father.ethnicity", "回族"),
        [BC],
        {"parent_id_cards": (2, [BC]), "marriage_certificate": (1, [BC])},
    ),
    "R4.1 Gansu, the social security card alone": (
        "gansu",
        None,
        [SC],
        {"parent_id_cards": (2, [SC]), "hukou_books": (3, [SC])},
    ),
    "R4.1 Gansu, hukou registration alone": (
        "gansu",
        None,
        [HK],
        {"hukou_books": (3, [HK]), "marriage_certificate": (1, [HK])},
    ),
    "R4.1 Gansu, services that need nothing": ("gansu", None, [VC, PG, MI], {}),
    "R2.12 Gansu, settled at discharge: nothing for maternity": ("gansu", None, [MR], {}),
    "R2.12 Gansu, a manual claim": (
        "gansu",
        MANUAL_CLAIM,
        [MR],
        {"invoices": (1, [MR]), "itemised_bill": (1, [MR]), "discharge_record": (1, [MR]), "bank_account": (1, [MR])},
    ),
    "R4.1 Guizhou, every item (附件4 申请材料)": (
        "guizhou",
        None,
        ITEM_CODES,
        {
            "application_form": (1, list(ITEM_CODES)),
            "birth_certificate": (1, [HK, SC]),
            "hukou_books": (1, [HK, SC]),
            "marriage_certificate": (1, [HK]),
            "guardian_id": (1, [HK, SC]),
        },
    ),
    "R4.1 Guizhou, the vaccination certificate alone: the application form": (
        "guizhou",
        None,
        [VC],
        {"application_form": (1, [VC])},
    ),
    "R2.12 Guizhou, a manual claim adds the insurance credential, bills and bank account": (
        "guizhou",
        MANUAL_CLAIM,
        [BC, MR],
        {
            "application_form": (1, [BC, MR]),
            "insured_id": (1, [MR]),
            "invoices": (1, [MR]),
            "itemised_bill": (1, [MR]),
            "discharge_record": (1, [MR]),
            "bank_account": (1, [MR]),
        },
    ),
}


@pytest.mark.parametrize("region, change, items, expected", MATERIAL_CASES.values(), ids=MATERIAL_CASES.keys())
def test_materials_for_the_chosen_items(region, change, items, expected):
    """R4.1: exactly the materials the chosen items need, each once, with the items it serves, max copies."""
    assert materials(change, region=region, items=items) == expected


def test_material_names_come_from_the_table():
    [form] = [m for m in check(region="guizhou", items=[VC])["materials"]]
    assert form == {
        "code": "application_form",
        "name": "新生儿出生“一件事”申请表（申请人签名并按手印）",
        "copies": 1,
        "items": [VC],
    }


def test_every_material_of_the_table_can_be_uploaded():
    """The material codes the table gives are the codes the materials upload accepts."""
    table = DECISIONS["materials"].table
    code_column = [o.name for o in table.outputs].index("code")
    codes = {rule.outputs[code_column].evaluate({}) for rule in table.rules}
    assert codes <= set(MATERIALS), codes - set(MATERIALS)


# -- time limits (R5) -----------------------------------------------------------------------------------------


def test_r5_time_limits_per_region():
    """RULES §5 table: working days per step, the promised total (Gansu 3, Guizhou 23), Guizhou's 17:00."""
    gansu = check()
    assert [(i["code"], i["department"], i["due_working_days"]) for i in gansu["items"]] == [
        (BC, "midwifery", 1),
        (VC, "cdc", 1),
        (HK, "police", 1),
        (SC, "hrss", 1),
        (MI, "medical_insurance", 1),
        (MR, "medical_insurance", 1),
        (PG, "health", 1),
    ]
    assert gansu["promised_working_days"] == 3
    guizhou = check(region="guizhou")
    assert {i["code"]: i["due_working_days"] for i in guizhou["items"]} == {
        BC: 0,
        VC: 0,
        HK: 3,
        SC: 7,
        MI: 1,
        MR: 20,
        PG: 1,
    }
    assert guizhou["promised_working_days"] == 23
    limits = policy.time_limits(DECISIONS, {"region": "guizhou"}, NOW)
    assert (limits["service_center"], limits["feedback"], limits["closing_time"]) == (0, 1, "17:00")
    limits = policy.time_limits(DECISIONS, {"region": "gansu"}, NOW)
    assert (limits["service_center"], limits["feedback"], limits["closing_time"]) == (0, None, None)


def test_check_items_follow_the_chosen_items():
    assert [i["code"] for i in check(items=[SC, BC])["items"]] == [SC, BC]


PROMISED_CASES = [
    # (region, now, promised by) -- R5.1 the calendar, R5.2 Guizhou's closing time
    ("gansu", "2026-11-25 10:00", "2026-11-30T23:59:59+08:00"),  # over a weekend
    ("gansu", "2026-09-30 10:00", "2026-10-10T23:59:59+08:00"),  # National Day; Saturday 10 October worked
    ("gansu", "2026-09-18 10:00", "2026-09-22T23:59:59+08:00"),  # Sunday 20 September worked
    ("gansu", "2025-12-30 10:00", "2026-01-05T23:59:59+08:00"),  # 2025 → 2026: 1-2 January off, 4th worked
    ("guizhou", "2026-11-25 10:00", "2026-12-28T17:00:00+08:00"),
    ("guizhou", "2026-11-25 17:30", "2026-12-29T17:00:00+08:00"),  # after 17:00 counting starts tomorrow
]


@pytest.mark.parametrize("region, now, expected", PROMISED_CASES)
def test_r5_promised_date_on_the_working_day_calendar(region, now, expected):
    moment = datetime.fromisoformat(now).replace(tzinfo=CHINA)
    assert check(region=region, now=moment)["promised_by"] == expected


def test_r5_1_a_year_without_its_notice_gives_a_provisional_promised_date():
    """2026 → 2027 with no 2027 notice loaded: the check answers, and says the date is provisional."""
    found = check(now=datetime(2026, 12, 30, 10, tzinfo=CHINA))
    assert found["promised_by"].startswith("2027-") and found["promised_by_provisional"] is True
    assert check()["promised_by_provisional"] is False


def test_unique_time_limits_with_two_matching_rows_is_a_problem_not_a_guess():
    """A UNIQUE table where two rows match is reported with the decision and both rules."""
    text = (WORKFLOWS / "time_limits.dmn").read_text(encoding="utf-8")
    start = text.index('<rule id="DecisionRule_gansu">')
    end = text.index("</rule>", start) + len("</rule>")
    copy = (
        text[start:end]
        .replace('id="DecisionRule_gansu"', 'id="DecisionRule_gansu_again"')
        .replace('id="UnaryTests_gansu_', 'id="UnaryTests_gansu_again_')
        .replace('id="LiteralExpression_gansu_', 'id="LiteralExpression_gansu_again_')
    )
    decisions = load_decisions({"time_limits.dmn": (text[start:end], text[start:end] + "\n      " + copy)})
    assert decisions.problems == []
    with pytest.raises(PolicyError, match="UNIQUE .* rules DecisionRule_gansu, DecisionRule_gansu_again match"):
        check(decisions=decisions)


def test_a_changed_number_changes_the_answer():
    """Policy is data: Gansu hukou registration 1 → 2 working days in the table, no code change."""
    decisions = load_decisions(
        {
            "time_limits.dmn": (
                '<outputEntry id="LiteralExpression_gansu_hukou_registration">\n          <text>1</text>',
                '<outputEntry id="LiteralExpression_gansu_hukou_registration">\n          <text>2</text>',
            )
        }
    )
    items = {i["code"]: i["due_working_days"] for i in check(decisions=decisions)["items"]}
    assert items[HK] == 2 and items[BC] == 1


# -- the police station (R3.4-R3.6) ---------------------------------------------------------------------------

KINDS = ("family", "student_collective", "collective", None)
MILITARY = (True, False, None)


def station_case(mother_kind, father_kind, mother_military, father_military, follows):
    app = {
        "hukou": {"follows": follows},
        "mother": {"hukou_kind": mother_kind, "active_military": mother_military},
        "father": {"hukou_kind": father_kind, "active_military": father_military},
    }
    facts = {"mother": app["mother"], "father": app["father"], "hukou_follows": follows}
    return app, facts


def r3_4_to_r3_6(app: dict) -> dict:
    """The test's own reading of R3.4-R3.6 (the oracle the table is checked against; production code has
    only the table): the family hukou over a student collective one (R3.5), the civilian parent over an
    active-duty one (R3.6), else the parent the child follows (R3.4); R3.5 and R3.6 disagreeing: nobody."""
    other = {"father": "mother", "mother": "father"}
    decided = {}
    students = [p for p in other if app[p].get("hukou_kind") == "student_collective"]
    if len(students) == 1 and (app[other[students[0]]].get("hukou_kind") or "family") == "family":
        decided["R3.5"] = other[students[0]]
    military = [p for p in other if app[p].get("active_military")]
    if len(military) == 1:
        decided["R3.6"] = other[military[0]]
    if len(set(decided.values())) > 1:
        return {"parent": None, "rule": "R3.5/R3.6"}
    if decided:
        rule, parent = next(iter(decided.items()))
        return {"parent": parent, "rule": rule}
    return {"parent": app["hukou"]["follows"], "rule": "R3.4"}


@pytest.mark.parametrize("follows", ["father", "mother"])
def test_r3_4_to_r3_6_station_table_reads_the_rules(follows):
    """Every combination of hukou kinds and military service: the table ``police_station_rule`` names the
    parent and rule R3.4-R3.6 give (a conflict: no parent)."""
    for mk, fk, mm, fm in itertools.product(KINDS, KINDS, MILITARY, MILITARY):
        app, facts = station_case(mk, fk, mm, fm, follows)
        decided = policy._decide(DECISIONS, "police_station_rule", {"facts": facts}, NOW).single_result()
        assert decided == r3_4_to_r3_6(app), (mk, fk, mm, fm, follows)


def test_r3_5_r3_6_the_police_handler_follows_the_decision():
    """The handler registers at the parent the decision names, even where its own reading would differ, and
    a decision without a parent (R3.5 and R3.6 disagree) needs the clerk's station, as before."""
    app = application()
    app["hukou"]["follows"] = "mother"
    station = police.choose_station(app, {}, {"parent": "mother", "rule": "R3.6"})
    assert (station.parent, station.rule, station.division_code) == ("mother", "R3.6", app["hukou"]["division_code"])
    with pytest.raises(BusinessError, match="请在“登记派出所”一栏填写派出所"):
        police.choose_station(app, {}, {"parent": None, "rule": "R3.5/R3.6"})
    overridden = police.choose_station(app, {"police_station": "某派出所"}, {"parent": None, "rule": "R3.5/R3.6"})
    assert (overridden.name, overridden.rule) == ("某派出所", "hukou_review")
    with pytest.raises(BusinessError, match="未写明随父或随母落户"):
        police.choose_station(app, {}, {"parent": None, "rule": "R3.4"})


def test_r3_5_student_mother_registers_at_the_fathers_station_through_the_decision():
    def student_mother(app):
        app["mother"]["hukou_kind"] = "student_collective"

    variables = policy.decision_variables(application(student_mother), NOW)
    decided = policy._decide(DECISIONS, "police_station_rule", variables, NOW).single_result()
    assert decided == {"parent": "father", "rule": "R3.5"}
    station = police.choose_station(variables["application"], {}, decided)
    assert (station.parent, station.rule) == ("father", "R3.5")
