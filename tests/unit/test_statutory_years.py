"""R5.1: a year without its notice is counted on 《全国年节及纪念日放假办法》 (2024) -- every year the lunar library
covers, each festival found by what it is (its lunar date or solar term), never by the name a package prints.

The oracles are independent of the code under test: the ``holidays`` package's China calendar (its own lunar
tables, read through its public names, which it joins with "; " when two festivals share a day), the
solar terms of ``chinesecalendar``, and ``lunar_python`` asked the other way round (which lunar day a date is).
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import holidays
import pytest
from lunar_python import Solar

from engine.calendar import CalendarNotCovered, WorkdayCalendar, statutory_days_off
from engine.calendar.statutory import FIRST_YEAR, LAST_YEAR, festivals, not_computable
from tests.support.calendars import PACKAGE_CALENDAR

# the names the holidays package gives the festivals of the law
ORACLE_NAMES = {
    "Chinese New Year's Eve": "春节",
    "Chinese New Year (Spring Festival)": "春节",
    "Tomb-Sweeping Day": "清明节",
    "Dragon Boat Festival": "端午节",
    "Mid-Autumn Festival": "中秋节",
}


def oracle_days(year: int) -> dict[str, set[date]]:
    """The lunar and solar-term festivals of ``year`` by the holidays package (a day may carry two names)."""
    found: dict[str, set[date]] = {}
    calendar = holidays.China(years=year, observed=False, language="en_US")
    for day in calendar:
        for name in calendar.get_list(day):
            if name in ORACLE_NAMES and day.year == year:
                found.setdefault(ORACLE_NAMES[name], set()).add(day)
    return found


def qingming(year: int) -> date:
    """chinesecalendar's solar term (its formula is for 1900-2099; in 2100 the Sun reaches 15° on 5 April
    00:39 China time, where its formula says the 4th)."""
    if year == 2100:
        return date(2100, 4, 5)
    [(day, _)] = [
        (d, n) for d, n in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30)) if n == "清明"
    ]
    return day


def lunar_day(day: date) -> tuple[int, int]:
    lunar = Solar.fromYmd(day.year, day.month, day.day).getLunar()
    return lunar.getMonth(), lunar.getDay()  # a leap month is negative


def test_r5_1_every_year_to_the_lunar_librarys_last_has_each_festival_on_its_date():
    assert LAST_YEAR == 2100 and FIRST_YEAR == 1950
    for year in range(2027, LAST_YEAR + 1):
        days = statutory_days_off(year)
        assert days is not None, year
        assert all(day.year == year for day in days), year
        oracle = oracle_days(year)
        by_name = {f.name: f.days for f in festivals(year)}
        # 除夕 is the last day of the lunar year, 初一 to 初三 the first three of the next
        eve, *first_three = by_name["春节"]
        assert [lunar_day(d) for d in first_three] == [(1, 1), (1, 2), (1, 3)], year
        assert lunar_day(eve)[0] == 12 and lunar_day(eve + timedelta(days=1)) == (1, 1), year
        assert set(by_name["春节"]) == oracle["春节"], year
        assert by_name["清明节"] == (qingming(year),), year
        assert Solar.fromYmd(year, 4, by_name["清明节"][0].day).getLunar().getJieQi() == "清明", year
        assert lunar_day(by_name["端午节"][0]) == (5, 5) and set(by_name["端午节"]) == oracle["端午节"], year
        assert lunar_day(by_name["中秋节"][0]) == (8, 15) and set(by_name["中秋节"]) == oracle["中秋节"], year
        assert by_name["元旦"] == (date(year, 1, 1),) and by_name["劳动节"] == (date(year, 5, 1), date(year, 5, 2))
        assert by_name["国庆节"] == (date(year, 10, 1), date(year, 10, 2), date(year, 10, 3))
        for festival in festivals(year):  # every festival day is off, under its own name
            for day in festival.days:
                assert festival.name in days[day].split("、"), (year, festival.name, day)
        # 13 days by the law; a day on a weekend or on another festival is given back: none is lost
        assert sum(day.weekday() < 5 for day in days) == 13, year
        weekdays = sum(
            (date(year, 1, 1) + timedelta(days=n)).weekday() < 5
            for n in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)
        )
        assert WorkdayCalendar().working_days_between(date(year - 1, 12, 31), date(year, 12, 31)) == weekdays - 13


@pytest.mark.parametrize(
    "year, mid_autumn, block",
    [
        (2028, date(2028, 10, 3), ("国庆节、中秋节", date(2028, 10, 1), date(2028, 10, 5))),  # Sun 1st given back too
        (2031, date(2031, 10, 1), ("国庆节、中秋节", date(2031, 10, 1), date(2031, 10, 6))),
        (2039, date(2039, 10, 2), ("国庆节、中秋节", date(2039, 10, 1), date(2039, 10, 6))),
    ],
)
def test_r5_1_mid_autumn_on_national_day_counts_both(year, mid_autumn, block):
    """The holidays package names such a day "Mid-Autumn Festival; National Day"; both festivals count and
    the day one of them loses is given back after the block, as the notices of 2001 and 2020 did."""
    assert "Mid-Autumn Festival" in holidays.China(years=year, language="en_US").get_list(mid_autumn)
    days = statutory_days_off(year)
    name, first, last = block
    assert [d for d, n in sorted(days.items()) if n == name] == [
        first + timedelta(days=n) for n in range((last - first).days + 1)
    ]
    assert days[mid_autumn] == name and first - timedelta(days=1) not in days and last + timedelta(days=1) not in days
    calendar = WorkdayCalendar()
    assert calendar.add_working_days(date(year, 9, 30), 1) == last + timedelta(days=1)


@pytest.mark.parametrize("year", [2025, 2026])
def test_r5_1_every_provisional_day_off_is_off_in_the_official_year(year):
    """Where the State Council's notice is known (chinesecalendar), the law's days -- and the days given back
    -- are days off in it too."""
    days = statutory_days_off(year)
    assert days and all(chinese_calendar.is_holiday(day) for day in days), [
        d for d in days if not chinese_calendar.is_holiday(d)
    ]
    assert all(not PACKAGE_CALENDAR.is_working_day(day) for day in days)


@pytest.mark.parametrize(
    "year, why",
    [
        (LAST_YEAR + 1, "超出农历和节气的推算范围"),
        (2150, "推算范围"),
        (FIRST_YEAR - 1, "早于《全国年节及纪念日放假办法》施行"),
    ],
)
def test_r5_1_a_year_that_cannot_be_computed_is_refused_naming_it_and_why(year, why):
    assert statutory_days_off(year) is None and why in not_computable(year)
    calendar = WorkdayCalendar()
    assert not calendar.covers(year)
    with pytest.raises(CalendarNotCovered) as caught:
        calendar.is_working_day(date(year, 3, 2))
    message = str(caught.value)
    assert caught.value.year == year and f"{year}年" in message and why in message
    assert "国务院放假安排通知尚未载入" in message
