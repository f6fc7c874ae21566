"""``workdays(n[, closing])`` in JUEL: due dates in working days on the service clock (R5.1, R5.2).

Every case pins ``now`` (as the script engine does with the service clock); nothing sleeps.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.bpmn.script_engine import compile_juel
from engine.calendar import CalendarNotCovered
from engine.clock import CHINA
from engine.expressions import ExpressionError, juel
from tests.support.calendars import PACKAGE_CALENDAR


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA)


def due(expression: str, now: str, **variables):
    return juel.compile(expression).evaluate(variables, now=at(now), calendar=PACKAGE_CALENDAR)


@pytest.mark.parametrize(
    "now, n, expected",
    [
        # R5.1 weekends: Friday + 1 working day is Monday; on a Saturday, 0 means Monday
        ("2026-11-20 10:00", 1, "2026-11-23 23:59:59"),
        ("2026-11-21 10:00", 0, "2026-11-23 23:59:59"),
        ("2026-11-21 10:00", 1, "2026-11-23 23:59:59"),
        ("2026-11-23 10:00", 0, "2026-11-23 23:59:59"),
        ("2026-11-23 10:00", 3, "2026-11-26 23:59:59"),
        # R5.1 the 2026 National Day holiday: 1-7 October off, Sunday 20 September and Saturday 10 October worked
        ("2026-09-18 10:00", 1, "2026-09-20 23:59:59"),
        ("2026-09-30 10:00", 1, "2026-10-08 23:59:59"),
        ("2026-09-30 10:00", 3, "2026-10-10 23:59:59"),
        ("2026-10-03 10:00", 0, "2026-10-08 23:59:59"),
        # R5.1 the turn of 2025 to 2026: 1-2 January off, Sunday 4 January worked
        ("2025-12-31 10:00", 1, "2026-01-04 23:59:59"),
        ("2025-12-31 10:00", 2, "2026-01-05 23:59:59"),
    ],
)
def test_r5_1_working_days_without_closing_time(now, n, expected):
    assert due(f"${{workdays({n})}}", now) == at(expected)


@pytest.mark.parametrize(
    "now, n, expected",
    [
        # R5.2 Guizhou: due by 17:00 of the working day; after 17:00 the office day is over
        ("2026-11-23 10:00", 0, "2026-11-23 17:00"),
        ("2026-11-23 16:59", 0, "2026-11-23 17:00"),
        ("2026-11-23 17:00", 0, "2026-11-24 17:00"),
        ("2026-11-23 18:30", 0, "2026-11-24 17:00"),
        ("2026-11-20 16:00", 3, "2026-11-25 17:00"),
        ("2026-11-20 18:00", 3, "2026-11-25 17:00"),  # Friday evening: Saturday never counts either
        ("2026-11-21 10:00", 7, "2026-12-01 17:00"),
        ("2026-09-30 10:00", 20, "2026-11-03 17:00"),
    ],
)
def test_r5_2_guizhou_by_the_closing_time(now, n, expected):
    assert due(f'${{workdays({n}, "17:00")}}', now) == at(expected)


def test_limits_from_a_decision_result_and_a_null_closing_time():
    """As the process writes it: ``${workdays(limits.<item>, limits.closing_time)}``; Gansu has no closing time."""
    text = "${workdays(limits.hukou_registration, limits.closing_time)}"
    gansu = {"hukou_registration": 1, "closing_time": None}
    guizhou = {"hukou_registration": 3, "closing_time": "17:00"}
    assert due(text, "2026-11-20 10:00", limits=gansu) == at("2026-11-23 23:59:59")
    assert due(text, "2026-11-20 10:00", limits=guizhou) == at("2026-11-25 17:00")
    assert due("${workdays(2.0)}", "2026-11-20 10:00") == at("2026-11-24 23:59:59")


def test_r5_1_a_year_without_its_notice_counts_on_the_statutory_holidays():
    """2026 → 2027 with no 2027 notice loaded: 1 January (statutory) and the weekend are off, so the first
    working day after Thursday 31 December 2026 is Monday 4 January 2027 -- provisional, never refused."""
    assert due("${workdays(0)}", "2026-12-31 10:00") == at("2026-12-31 23:59:59")
    assert due("${workdays(1)}", "2026-12-31 10:00") == at("2027-01-04 23:59:59")
    assert due('${workdays(0, "17:00")}', "2026-12-31 17:30") == at("2027-01-04 17:00")
    assert PACKAGE_CALENDAR.provisional_years(at("2026-12-31 10:00"), at("2027-01-04 23:59:59")) == [2027]


def test_r5_1_only_a_year_the_lunar_calendar_cannot_give_is_an_error_naming_it():
    with pytest.raises(CalendarNotCovered, match="2101") as caught:
        due("${workdays(1)}", "2100-12-31 10:00")
    assert caught.value.year == 2101


def test_workdays_without_a_calendar_is_refused():
    with pytest.raises(ExpressionError, match="no working-day calendar"):
        juel.compile("${workdays(1)}").evaluate({}, now=at("2026-11-20 10:00"))


@pytest.mark.parametrize(
    "expression",
    [
        "${workdays(-1)}",
        '${workdays("3")}',
        "${workdays(1.5)}",
        "${workdays(true)}",
        '${workdays(1, "5pm")}',
        '${workdays(1, "25:00")}',
        "${workdays(1, 17)}",
        "${workdays(null)}",
    ],
)
def test_bad_arguments_are_expression_errors(expression):
    with pytest.raises(ExpressionError, match="workdays"):
        due(expression, "2026-11-20 10:00")


@pytest.mark.parametrize("expression", ["${workdays()}", '${workdays(1, "17:00", 3)}'])
def test_arity_is_checked_when_compiled(expression):
    with pytest.raises(ExpressionError, match="takes 1 to 2 argument"):
        juel.compile(expression)


def test_workdays_is_whitelisted_for_deployments():
    """Deployment checks compile every due date and timer with the same whitelist."""
    compile_juel("${workdays(limits.service_center, limits.closing_time)}")
    with pytest.raises(ExpressionError, match="allowed: now, workdays"):
        compile_juel("${sleep(1)}")
