"""R5.1: working days exclude weekends and statutory holidays and include the make-up working days (调休上班).

The holiday dates asserted here are the State Council notices as carried by chinesecalendar 1.11.0:
2025 National Day + Mid-Autumn: 1-8 October off, Sunday 28 September and Saturday 11 October worked;
2026 National Day: 1-7 October off, Sunday 20 September and Saturday 10 October worked
(Mid-Autumn 2026: 25-27 September off); New Year 2026: 1-3 January off, Sunday 4 January worked.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest

from engine import workdays
from engine.workdays import (
    CalendarNotCovered,
    WorkdayCalendar,
    add_working_days,
    covered_years,
    is_working_day,
    load_overrides,
    working_days_between,
)


def test_r5_1_weekdays_work_weekends_rest():
    assert is_working_day(date(2026, 11, 20))  # Friday
    assert not is_working_day(date(2026, 11, 21))  # Saturday
    assert not is_working_day(date(2026, 11, 22))  # Sunday
    assert is_working_day(date(2026, 11, 23))  # Monday


def test_r5_1_add_working_days_across_a_weekend():
    friday = date(2026, 11, 20)
    assert add_working_days(friday, 1) == date(2026, 11, 23)  # Monday
    assert add_working_days(friday, 3) == date(2026, 11, 25)
    # the start day never counts, even a Saturday start
    assert add_working_days(date(2026, 11, 21), 1) == date(2026, 11, 23)


def test_r5_1_zero_working_days_is_the_same_or_next_working_day():
    assert add_working_days(date(2026, 11, 20), 0) == date(2026, 11, 20)
    assert add_working_days(date(2026, 11, 21), 0) == date(2026, 11, 23)
    assert add_working_days(date(2025, 10, 1), 0) == date(2025, 10, 9)


def test_r5_1_national_day_2025_and_its_make_up_days():
    for day in range(1, 9):
        assert not is_working_day(date(2025, 10, day)), f"2025-10-{day:02d} is a holiday"
    assert is_working_day(date(2025, 9, 28))  # Sunday, worked
    assert is_working_day(date(2025, 10, 11))  # Saturday, worked
    assert date(2025, 9, 28).weekday() == 6 and date(2025, 10, 11).weekday() == 5
    # within 3 working days of Friday 26 September 2025: Sun 28 Sep, Tue 30 Sep, Thu 9 Oct
    assert add_working_days(date(2025, 9, 26), 1) == date(2025, 9, 28)
    assert add_working_days(date(2025, 9, 26), 2) == date(2025, 9, 29)
    assert add_working_days(date(2025, 9, 26), 3) == date(2025, 9, 30)
    assert add_working_days(date(2025, 9, 26), 4) == date(2025, 10, 9)
    assert add_working_days(date(2025, 10, 9), 2) == date(2025, 10, 11)  # the make-up Saturday
    assert working_days_between(date(2025, 9, 30), date(2025, 10, 9)) == 1


def test_r5_1_national_day_2026_and_its_make_up_days():
    for day in range(1, 8):
        assert not is_working_day(date(2026, 10, day)), f"2026-10-{day:02d} is a holiday"
    assert is_working_day(date(2026, 10, 8))  # Thursday after the holiday
    assert is_working_day(date(2026, 9, 20))  # Sunday, worked
    assert is_working_day(date(2026, 10, 10))  # Saturday, worked
    assert not is_working_day(date(2026, 10, 11))  # ordinary Sunday
    for day in (25, 26, 27):  # Mid-Autumn 2026, Friday to Sunday
        assert not is_working_day(date(2026, 9, day))
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert add_working_days(date(2026, 9, 24), 1) == date(2026, 9, 28)
    assert working_days_between(date(2026, 9, 19), date(2026, 9, 20)) == 1


def test_r5_1_turn_of_the_year_2025_to_2026():
    assert is_working_day(date(2025, 12, 31))
    for day in (1, 2, 3):
        assert not is_working_day(date(2026, 1, day))
    assert is_working_day(date(2026, 1, 4))  # Sunday, worked
    assert add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 4)
    assert add_working_days(date(2025, 12, 30), 3) == date(2026, 1, 5)
    assert working_days_between(date(2025, 12, 31), date(2026, 1, 5)) == 2


def test_r5_1_working_days_between_inverts_add_working_days():
    start = date(2025, 9, 20)
    for n in range(1, 40):
        assert working_days_between(start, add_working_days(start, n)) == n
    assert working_days_between(date(2026, 11, 25), date(2026, 11, 20)) == -3
    assert working_days_between(date(2026, 11, 20), date(2026, 11, 20)) == 0


def test_r5_1_covered_years_are_the_packages_2004_to_2026():
    years = covered_years()
    assert set(range(2004, 2027)) <= years
    assert 2003 not in years
    assert 2027 not in years  # no 2027 notice in chinesecalendar 1.11.0, none in the override file


@pytest.mark.parametrize("day", [date(2027, 1, 4), date(2003, 6, 2), date(2100, 1, 1)])
def test_r5_1_uncovered_year_is_an_error_not_a_guess(day):
    with pytest.raises(CalendarNotCovered) as caught:
        is_working_day(day)
    assert caught.value.year == day.year
    assert isinstance(caught.value, LookupError)


def test_r5_1_counting_into_an_uncovered_year_raises():
    with pytest.raises(CalendarNotCovered) as caught:
        add_working_days(date(2026, 12, 30), 3)
    assert caught.value.year == 2027
    with pytest.raises(CalendarNotCovered):
        working_days_between(date(2026, 12, 30), date(2027, 1, 5))


def test_rejects_datetimes_and_negative_counts():
    with pytest.raises(TypeError):
        is_working_day(datetime(2026, 11, 20, 8, 30))
    with pytest.raises(ValueError):
        add_working_days(date(2026, 11, 20), -1)


def test_the_shipped_override_file_is_valid():
    with workdays.OVERRIDES_FILE.open(encoding="utf-8") as f:
        data = json.load(f)
    overrides = load_overrides(data)
    for year, override in overrides.items():
        assert override.source.startswith("国务院办公厅关于")
        assert all(d.weekday() >= 5 for d in override.workdays)


def test_r5_1_an_override_year_extends_the_calendar():
    # A made-up year for the mechanism only; the shipped file holds only published notices.
    data = {
        "_readme": "ignored",
        "2099": {"holidays": ["2099-01-01", "2099-01-02"], "workdays": ["2099-01-04"], "source": "国务院办公厅关于2099年部分节假日安排的通知"},
    }
    calendar = WorkdayCalendar(load_overrides(data))
    assert 2099 in calendar.covered_years()
    assert not calendar.is_working_day(date(2099, 1, 1))  # Thursday, holiday
    assert calendar.is_working_day(date(2099, 1, 4))  # Sunday, worked
    with pytest.raises(CalendarNotCovered):
        calendar.is_working_day(date(2098, 12, 31))
    assert calendar.add_working_days(date(2099, 1, 1), 1) == date(2099, 1, 4)
    assert calendar.is_working_day(date(2099, 1, 5))


@pytest.mark.parametrize(
    "entry",
    [
        {"holidays": ["2099-01-01"], "workdays": []},  # no source
        {"holidays": ["2098-12-31"], "workdays": [], "source": "通知"},  # wrong year
        {"holidays": [], "workdays": ["2099-01-05"], "source": "通知"},  # make-up day on a Monday
        {"holidays": ["2099-01-03"], "workdays": ["2099-01-03"], "source": "通知"},  # both
        {"holidays": ["1/1/2099"], "source": "通知"},  # not ISO
    ],
)
def test_malformed_override_is_refused(entry):
    with pytest.raises(ValueError):
        load_overrides({"2099": entry})


def test_a_year_in_the_package_can_be_replaced_by_an_override():
    data = {"2026": {"holidays": [], "workdays": [], "source": "国务院办公厅关于2026年部分节假日安排的通知"}}
    calendar = WorkdayCalendar(load_overrides(data))
    assert calendar.is_working_day(date(2026, 10, 1))  # the (empty) override wins over the package
    assert calendar.add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 20) + timedelta(days=3)
