"""A year with no State Council notice yet: its days off by 《全国年节及纪念日放假办法》 (as amended in 2024).

New Year's Day 1 day; Spring Festival 4 days (除夕 to 正月初三); Qingming 1; Labour Day 2 (1-2 May); Dragon
Boat 1; Mid-Autumn 1; National Day 3 (1-3 October). Weekends are off as every year; the make-up working days
(调休上班) and substitute days (补假) are what each year's notice decides, so none are assumed (R5.1).

The lunar and solar-term dates come from the maintained ``holidays`` package (its China calendar, which
follows the law's amendments year by year); only the statutory festivals are taken from it, never the
substitute or observed days it also knows.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays

# The festivals of the law, by the names ``holidays.China`` gives them in English.
STATUTORY_FESTIVALS = {
    "New Year's Day": "元旦",
    "Chinese New Year's Eve": "春节",
    "Chinese New Year (Spring Festival)": "春节",
    "Tomb-Sweeping Day": "清明节",
    "Labor Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-Autumn Festival": "中秋节",
    "National Day": "国庆节",
}
# Every year the law applies to has each of these festivals; a year without one cannot be computed.
_REQUIRED = frozenset(STATUTORY_FESTIVALS.values())


@lru_cache(maxsize=256)
def statutory_days_off(year: int) -> dict[date, str] | None:
    """The statutory holidays of ``year`` (date → festival name in Chinese), or None when the lunar
    library cannot compute that year."""
    if not (holidays.China.start_year <= year <= holidays.China.end_year):
        return None
    found = holidays.China(years=year, observed=False, language="en_US")
    days = {day: STATUTORY_FESTIVALS[name] for day, name in found.items() if name in STATUTORY_FESTIVALS}
    if not _REQUIRED <= set(days.values()):
        return None
    return days
