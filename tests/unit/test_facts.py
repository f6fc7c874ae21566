"""The facts the policy tables read (forms.facts): derived, never decided (no rule is applied here)."""

from __future__ import annotations

import copy
from datetime import datetime

import pytest

from engine.clock import CHINA
from forms.newborn.application import validate_application
from forms.newborn.facts import derive_facts, id_valid
from handlers.newborn.samples import sample_application

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=CHINA)


def facts_of(change=None, now=NOW, **sample):
    raw = sample_application(now, **sample)
    if change:
        change(raw)
    return derive_facts(validate_application(raw, now=now), now)


def test_sample_application_facts():
    facts = facts_of()
    assert facts["region"] == "gansu" and facts["channel"] == "online"
    assert (facts["application_date"], facts["birth_date"], facts["age_days"]) == ("2026-11-25", "2026-11-23", 2)
    assert (facts["birth_year"], facts["birth_month"], facts["birth_province"]) == (2026, 11, "甘肃省")
    assert facts["name_given"] and facts["delivery_record_matches_mother"] and facts["parents_same_ethnicity"]
    assert facts["mother"] == {
        "given": True,
        "id_type": "resident_id",
        "id_valid": True,
        "nationality": "中国",
        "ethnicity": "汉族",
        "hukou_division": "620102",
        "hukou_province": "62",
        "hukou_kind": "family",
        "active_military": False,
    }
    assert (facts["hukou_follows"], facts["hukou_division"]) == ("father", "620102")
    assert (facts["insurance_year"], facts["settled_at_discharge"]) == ("current", True)
    assert facts["marriage_status"] == "married"


def test_dates_are_days_in_china():
    """Born 23:30 UTC on 22 November is 23 November in China; now is read in China too."""

    def born_late(app):
        app["newborn"]["born_at"] = "2026-11-22T23:30:00+00:00"

    facts = facts_of(born_late, now=datetime(2026, 11, 24, 17, 0, tzinfo=CHINA))
    assert (facts["birth_date"], facts["age_days"]) == ("2026-11-23", 1)


def test_a_parent_not_on_the_form_has_null_facts():
    def no_father(app):
        app["father"] = None
        app["hukou"]["follows"] = "mother"

    facts = facts_of(no_father)
    assert facts["father"]["given"] is False
    assert all(value is None for key, value in facts["father"].items() if key != "given")
    assert facts["parents_same_ethnicity"] is None


@pytest.mark.parametrize(
    "change, key, expected",
    [
        (lambda a: a["newborn"].update(given_name=""), "name_given", False),
        (lambda a: a["newborn"].update(given_name=None), "name_given", False),
        (lambda a: a["father"].update(ethnicity="回族"), "parents_same_ethnicity", False),
        (lambda a: a["marriage"].update(status="divorced"), "marriage_status", "divorced"),
        (lambda a: a["newborn"]["birth_place"].update(province="陕西省"), "birth_province", "陕西省"),
        (
            lambda a: a["newborn"].update(delivery_record_mother_id=a["father"]["id_number"]),
            "delivery_record_matches_mother",
            False,
        ),
    ],
)
def test_each_fact_follows_its_field(change, key, expected):
    assert facts_of(change)[key] == expected


def test_hukou_province_is_the_first_two_digits_of_the_division():
    def guizhou_father(app):
        app["father"].update(hukou_division="520102", hukou_kind="student_collective", active_military=True)

    facts = facts_of(guizhou_father)
    assert facts["father"]["hukou_province"] == "52" and facts["mother"]["hukou_province"] == "62"
    assert facts["father"]["hukou_kind"] == "student_collective" and facts["father"]["active_military"] is True


def test_foreign_parent_ids_and_nationality():
    def foreign_father(app):
        app["father"].update(
            id_type="passport",
            id_number="E12345678",
            nationality="美国",
            ethnicity=None,
            hukou_division=None,
            hukou_address=None,
            hukou_kind=None,
        )
        app["hukou"]["follows"] = "mother"

    father = facts_of(foreign_father)["father"]
    assert (father["id_type"], father["id_valid"], father["nationality"]) == ("passport", True, "美国")
    assert father["hukou_province"] is None and father["ethnicity"] is None


def test_sections_of_items_not_chosen_are_ignored():
    facts = facts_of(items=["birth_certificate"])
    assert facts["items"] == ["birth_certificate"]
    assert facts["insurance_year"] is None and facts["settled_at_discharge"] is None


@pytest.mark.parametrize(
    "id_type, number, expected",
    [
        ("resident_id", "11010519491231002X", True),
        ("resident_id", "110105194912310021", False),
        ("passport", "E12345678", True),
        ("passport", "e1", False),
        (None, None, None),
    ],
)
def test_id_validity(id_type, number, expected):
    assert id_valid(id_type, number) is expected


def test_facts_do_not_change_the_application():
    application = validate_application(sample_application(NOW), now=NOW)
    before = copy.deepcopy(application)
    derive_facts(application, NOW)
    assert application == before
