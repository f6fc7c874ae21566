"""R5.1: working days exclude weekends and statutory holidays and include the make-up working days (调休上班).

The holiday dates asserted here are the State Council notices as carried by chinesecalendar 1.11.0 (the years
a fresh database is seeded with): 2025 National Day + Mid-Autumn: 1-8 October off, Sunday 28 September and
Saturday 11 October worked; 2026 National Day: 1-7 October off, Sunday 20 September and Saturday 10 October
worked (Mid-Autumn 2026: 25-27 September off); New Year 2026: 1-3 January off, Sunday 4 January worked.
A year with no notice loaded is provisional: its statutory holidays (《全国年节及纪念日放假办法》, 2024) and weekends.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from engine.calendar import CalendarNotCovered, InvalidNotice, WorkdayCalendar, parse_notice, statutory_days_off
from tests.support.calendars import NOTICE_2027, PACKAGE_CALENDAR

is_working_day = PACKAGE_CALENDAR.is_working_day
add_working_days = PACKAGE_CALENDAR.add_working_days
working_days_between = PACKAGE_CALENDAR.working_days_between


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


def test_r5_1_official_years_are_the_packages_2004_to_2026():
    years = PACKAGE_CALENDAR.official_years()
    assert set(range(2004, 2027)) <= set(years)
    assert 2003 not in years and 2027 not in years  # chinesecalendar 1.11.0 has no 2027 notice
    assert PACKAGE_CALENDAR.notice(2026).title.startswith("chinesecalendar ")


def test_r5_1_a_year_without_its_notice_is_provisional_by_the_statutory_holidays():
    """2027 by the 2024 rules: 1 Jan (Fri); Spring Festival 5-8 Feb (除夕 to 初三), its Saturday and Sunday given
    back on Tue 9 and Wed 10 (Article 6, 补假); Qingming 5 Apr; 1-2 May (Sat, Sun) given back on 3-4 May; Dragon
    Boat 9 Jun; Mid-Autumn 15 Sep; 1-3 Oct (Fri-Sun) given back on 4-5 Oct -- 13 working days off, no make-up
    working days."""
    days = statutory_days_off(2027)
    assert sum(day.weekday() < 5 for day in days) == 13
    assert days[date(2027, 2, 5)] == "春节" and days[date(2027, 2, 8)] == "春节" and days[date(2027, 2, 10)] == "春节"
    assert {date(2027, 4, 5), date(2027, 6, 9), date(2027, 9, 15), date(2027, 5, 4), date(2027, 10, 5)} <= set(days)
    year = PACKAGE_CALENDAR.year(2027)
    assert not year.official and not year.make_up
    assert not is_working_day(date(2027, 1, 1))  # Friday, New Year's Day
    assert not is_working_day(date(2027, 2, 9))  # Tuesday after 初三: 初一 (a Saturday) given back
    assert is_working_day(date(2027, 2, 11))  # Thursday: both weekend days are given back already
    assert not is_working_day(date(2027, 2, 6))  # Saturday
    assert add_working_days(date(2026, 12, 30), 3) == date(2027, 1, 5)  # Thu 31, (Fri 1 off), Mon 4, Tue 5
    assert working_days_between(date(2026, 12, 30), date(2027, 1, 5)) == 3


def test_r5_1_provisional_years_of_a_count():
    assert PACKAGE_CALENDAR.provisional_years(date(2026, 12, 30), date(2027, 1, 5)) == [2027]
    assert PACKAGE_CALENDAR.provisional_years(date(2026, 11, 2), date(2026, 11, 5)) == []
    assert PACKAGE_CALENDAR.provisional_years(date(2026, 12, 30), None) == []
    assert PACKAGE_CALENDAR.provisional_years(date(2027, 12, 30), date(2028, 1, 5)) == [2027, 2028]


@pytest.mark.parametrize("day", [date(2101, 1, 3), date(1949, 6, 2)])
def test_r5_1_only_a_year_the_lunar_library_cannot_give_is_an_error(day):
    with pytest.raises(CalendarNotCovered) as caught:
        is_working_day(day)
    assert caught.value.year == day.year and str(day.year) in str(caught.value)
    assert isinstance(caught.value, LookupError)


def test_rejects_datetimes_and_negative_counts():
    with pytest.raises(TypeError):
        is_working_day(datetime(2026, 11, 20, 8, 30))
    with pytest.raises(ValueError):
        add_working_days(date(2026, 11, 20), -1)


def test_r5_1_a_loaded_notice_replaces_the_statutory_year():
    """The 2027 test notice (invented: Monday 4 January off, Saturday 9 January worked)."""
    notice = parse_notice(json.loads(NOTICE_2027.read_text(encoding="utf-8")))
    calendar = WorkdayCalendar([*PACKAGE_CALENDAR._notices.values(), notice])
    assert calendar.is_official(2027) and calendar.provisional_years(date(2026, 12, 30), date(2027, 1, 5)) == []
    assert not calendar.is_working_day(date(2027, 1, 4))
    assert calendar.is_working_day(date(2027, 1, 9))
    assert calendar.add_working_days(date(2026, 12, 30), 3) == date(2027, 1, 6)  # Thu 31, Tue 5, Wed 6
    assert parse_notice(notice.to_json()) == notice


def test_every_seeded_package_year_is_consistent():
    for year in PACKAGE_CALENDAR.official_years():
        notice = PACKAGE_CALENDAR.notice(year)
        assert all(d.weekday() >= 5 and d.year == year for d in notice.workdays)
        assert not notice.days_off & set(notice.workdays)


def notice(**change):
    data = {
        "year": 2099,
        "source": {"title": "国务院办公厅关于2099年部分节假日安排的通知", "number": "国办发明电〔2098〕1号"},
        "holidays": [{"name": "元旦", "days": ["2099-01-01", "2099-01-02", "2099-01-03"]}],
        "workdays": ["2099-01-04"],
    }
    data.update(change)
    return data


def test_a_valid_notice():
    found = parse_notice(notice())
    assert found.year == 2099 and found.number == "国办发明电〔2098〕1号"
    assert found.days_off == {date(2099, 1, 1), date(2099, 1, 2), date(2099, 1, 3)}
    assert found.workdays == (date(2099, 1, 4),)
    with pytest.raises(InvalidNotice, match="not 2098"):
        parse_notice(notice(), year=2098)


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"holidays": [{"name": "元旦", "days": ["2098-12-31"]}]}, "not in 2099"),
        ({"workdays": ["2099-01-05"]}, "Monday"),
        ({"workdays": ["2099-01-03"]}, "both a day off"),
        ({"holidays": [{"name": "春节", "days": ["2099-01-20", "2099-01-22"]}]}, "contiguous"),
        ({"holidays": [{"name": "元旦", "days": ["1/1/2099"]}]}, "YYYY-MM-DD"),
        ({"source": {"title": "通知"}}, "source.number"),
        ({"year": "2099"}, "not a year"),
        ({"holidays": [{"name": "a", "days": ["2099-01-01"]}, {"name": "b", "days": ["2099-01-01"]}]}, "already off"),
        ({"extra": 1}, "unknown keys"),
    ],
)
def test_a_malformed_notice_is_refused_with_the_reason(change, problem):
    with pytest.raises(InvalidNotice, match=problem) as caught:
        parse_notice(notice(**change))
    assert caught.value.problems


def test_not_an_object_is_refused():
    with pytest.raises(InvalidNotice):
        parse_notice([1, 2])
