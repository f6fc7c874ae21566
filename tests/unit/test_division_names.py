"""Division codes in words, from the services' division names (issue 22: jurisdictions read as districts)."""

from __future__ import annotations

import pytest

from engine.service import Services
from handlers.newborn.service import NEWBORN


@pytest.mark.parametrize("code, words", [
    ("62", "甘肃省"), ("620000", "甘肃省"), ("6201", "甘肃省兰州市"), ("620100", "甘肃省兰州市"),
    ("620102", "甘肃省兰州市城关区"), ("5227", "贵州省黔南布依族苗族自治州"), ("520102", "贵州省贵阳市南明区"),
    ("620102001", "甘肃省兰州市城关区（620102001）"), ("11", None), ("", None),
])
def test_a_division_code_reads_as_its_names(code, words):
    assert Services([NEWBORN]).division_name(code) == words


def test_every_county_of_the_service_lies_in_a_named_prefecture():
    names = Services([NEWBORN]).division_names
    counties = [code for code in names if len(code) == 6]
    assert len(counties) > 150 and all(code[:4] in names and code[:2] in names for code in counties)
