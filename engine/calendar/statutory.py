"""A year with no State Council notice yet: its days off by 《全国年节及纪念日放假办法》 (as amended in 2024).

Article 2 names the festivals every citizen has off, each by what it *is*: New Year's Day (1 January);
Spring Festival, 4 days (农历除夕 and 正月初一 to 初三); Qingming, the day of the solar term 清明; Labour Day
(1-2 May); Dragon Boat (农历五月初五); Mid-Autumn (农历八月十五); National Day (1-3 October). Article 6: a
holiday that falls on a Saturday or Sunday is given back on a working day (补假). The same holds when two
holidays fall on one day (Mid-Autumn on 1-3 October, as in 2028, 2031 and 2039): both count and no day is lost
-- the day given back is the first working day after it that is not off already. Make-up working days
(调休上班) are what each year's notice decides, so none are assumed (R5.1).

The lunar dates and the solar term come from ``lunar_python`` (the 寿星 astronomical algorithms: lunar months
from the true new moons, solar terms from the Sun's longitude, in China's time), asked by lunar date, never
by the name a holiday package prints. Its dates agree with the published lunar tables, which run to 2100;
a year outside 1950 (the law's first year) to 2100 cannot be computed and :func:`not_computable` says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from lunar_python import Lunar

FIRST_YEAR = 1950  # the law took effect on 23 December 1949
LAST_YEAR = 2100  # the published lunar tables (and the checks of ours against them) end here

# Article 2, in its order.
ORDER = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")


@dataclass(frozen=True)
class Festival:
    """One festival of Article 2 and the days the law gives it (before any day is given back)."""

    name: str
    days: tuple[date, ...]


def _solar(lunar: Lunar) -> date:
    solar = lunar.getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _qingming(year: int) -> date:
    """The day (China's time) the Sun reaches 15° of longitude: the solar term 清明 of ``year``."""
    term = Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"]
    return date(term.getYear(), term.getMonth(), term.getDay())


def not_computable(year: int) -> str | None:
    """Why ``year``'s statutory holidays cannot be computed (Chinese, for people), or None when they can."""
    if year < FIRST_YEAR:
        return f"{year}年早于《全国年节及纪念日放假办法》施行（{FIRST_YEAR}年起），没有可推算的法定节假日"
    if year > LAST_YEAR:
        return f"{year}年超出农历和节气的推算范围（{FIRST_YEAR}—{LAST_YEAR}年）"
    return None


@lru_cache(maxsize=256)
def festivals(year: int) -> tuple[Festival, ...]:
    """The festivals of Article 2 in ``year``, each on its own date (raises ValueError when
    :func:`not_computable`)."""
    reason = not_computable(year)
    if reason is not None:
        raise ValueError(reason)
    new_year = _solar(Lunar.fromYmd(year, 1, 1))  # 正月初一 is always in January or February
    return (
        Festival("元旦", (date(year, 1, 1),)),
        Festival("春节", tuple(new_year + timedelta(days=n) for n in range(-1, 3))),  # 除夕 to 初三
        Festival("清明节", (_qingming(year),)),
        Festival("劳动节", (date(year, 5, 1), date(year, 5, 2))),
        Festival("端午节", (_solar(Lunar.fromYmd(year, 5, 5)),)),  # the fifth month, never a leap one
        Festival("中秋节", (_solar(Lunar.fromYmd(year, 8, 15)),)),
        Festival("国庆节", (date(year, 10, 1), date(year, 10, 2), date(year, 10, 3))),
    )


def _given_back(festivals_of_year: tuple[Festival, ...]) -> dict[date, str]:
    """Article 6: each festival day on a weekend or on another festival's day is given back on the first
    working day after it that is not off already; those days, by the festival they belong to."""
    taken: dict[date, str] = {}
    lost: list[tuple[date, str]] = []
    for festival in festivals_of_year:
        for day in festival.days:
            if day.weekday() >= 5 or day in taken:
                lost.append((day, festival.name))
            taken.setdefault(day, festival.name)
    back: dict[date, str] = {}
    for day, name in sorted(lost):
        substitute = day + timedelta(days=1)
        while substitute.weekday() >= 5 or substitute in taken or substitute in back:
            substitute += timedelta(days=1)
        back[substitute] = name
    return back


@lru_cache(maxsize=256)
def statutory_days_off(year: int) -> dict[date, str] | None:
    """The days off of ``year`` by the law (date → the name of its block of days off, e.g. "国庆节、中秋节"), weekend
    days inside a block included; None when :func:`not_computable`."""
    if not_computable(year) is not None:
        return None
    year_festivals = festivals(year)
    back = _given_back(year_festivals)
    spans = []  # (first day, last day, {festival: its first day})
    for festival in year_festivals:
        days = list(festival.days) + [day for day, name in back.items() if name == festival.name]
        spans.append((min(days), max(days), {festival.name: festival.days[0]}))
    merged: list[tuple[date, date, dict[str, date]]] = []
    for first, last, names in sorted(spans, key=lambda span: span[0]):
        if merged and first <= merged[-1][1] + timedelta(days=1):  # overlapping or touching: one block
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]), {**merged[-1][2], **names})
        else:
            merged.append((first, last, names))
    days_off: dict[date, str] = {}
    for first, last, names in merged:
        # as the notices write it: the earlier festival first, and on one day National Day first ("国庆节、中秋节")
        name = "、".join(sorted(names, key=lambda n: (names[n], -ORDER.index(n))))
        for n in range((last - first).days + 1):
            days_off[first + timedelta(days=n)] = name
    return days_off
