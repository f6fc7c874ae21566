"""China's administrative divisions (GB/T 2260) by name: ``620102`` is 甘肃省兰州市城关区, ``6201`` 甘肃省兰州市,
``52`` 贵州省.

A jurisdiction (a user's, an application's) is a division code or a prefix of one; people read it by name.
The names come from python-stdnum's table of GB/T 2260 codes (``stdnum/cn/loc.dat``, the codes a resident ID
may start with, with the years each name was in use): a code's current name, else its last one. A code the
table does not know is named by the part it knows (its province), or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from stdnum import numdb

_YEARS = re.compile(r"^\[(\d{4})?-(\d{4})?\]")
_CITY_PARTS = (
    "市辖区",
    "县",
    "省直辖县级行政区划",
    "自治区直辖县级行政区划",
    "省直辖县级行政单位",
    "自治区直辖县级行政单位",
)  # a prefecture that is no name


def _current(names: str) -> str | None:
    """The name in use now of ``[1983-1989]南头区办事处,[1990-]南山区``: the one with no end year, else the last."""
    last = None
    for part in (p.strip() for p in names.split(",") if p.strip()):
        match = _YEARS.match(part)
        last = part[match.end() :] if match else part
        if not match or not match.group(2):
            return last or None
    return last or None


@lru_cache(maxsize=4096)
def _full(code: str) -> tuple[str | None, str | None, str | None]:
    """(province, prefecture, county) names of a six-digit code, each None when unknown or not a level."""
    found = numdb.get("cn/loc").info(code)
    province = found[0][1].get("province") if found and len(found[0][0]) == 2 else None
    county = None
    if len(found) > 1 and found[1][1].get("county") and code[2:] != "0000":
        county = _current(found[1][1]["county"])
    prefecture = None
    if code[4:] != "00" and code[2:4] != "00":
        parent = numdb.get("cn/loc").info(code[:4] + "00")
        if len(parent) > 1 and parent[1][1].get("county"):
            prefecture = _current(parent[1][1]["county"])
            if prefecture in _CITY_PARTS:
                prefecture = None
    return province, prefecture, county


def division_name(code: str | None) -> str | None:
    """The name of a division code or prefix (2, 4 or 6 digits): ``甘肃省兰州市城关区``; a longer code (a township's
    9, a village's 12) by its county's name with its own digits: ``甘肃省兰州市城关区（620102001）``; None when
    unknown."""
    if not code or not code.isascii() or not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
        return None
    if len(code) > 6:
        county = division_name(code[:6])
        return f"{county}（{code}）" if county else None
    six = code.ljust(6, "0")
    province, prefecture, county = _full(six)
    if province is None:
        return None
    parts = [province]
    for part in (prefecture, county):
        if part and part not in parts and part not in _CITY_PARTS:
            parts.append(part)
    return "".join(parts)


def division_text(code: str | None) -> str:
    """A division as people read it: its name, else the code itself (``—`` for none)."""
    if not code:
        return "—"
    return division_name(code) or f"行政区划{code}"


def divisions_within(jurisdictions: Iterable[str]) -> list[tuple[str, str]]:
    """The divisions in use inside ``jurisdictions`` (code prefixes), province down, as (prefix, name): ``62`` a
    province, ``6201`` a prefecture, ``620102`` a county, each named as :func:`division_name` names it. Codes no
    longer in use and the 市辖区 placeholders are left out."""
    return list(_divisions_within(tuple(sorted({p for p in jurisdictions if p and p.isascii() and p.isdigit()}))))


@lru_cache(maxsize=256)
def _divisions_within(wanted: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """:func:`divisions_within` of digit-only prefixes, once per set of them (the table never changes)."""
    found: dict[str, str] = {}
    for _, province, _, _, counties in numdb.get("cn/loc").prefixes:
        if not any(province.startswith(p[:2]) for p in wanted):
            continue
        codes = [province] + [
            province + (rest[:2] if rest.endswith("00") else rest)
            for _, rest, _, props, _ in counties
            if rest != "0000" and _in_use(props.get("county", ""))
        ]
        for code in codes:
            name = division_name(code) if code.startswith(wanted) else None
            if name:
                found[code] = name
    return tuple(sorted(found.items()))


def _in_use(names: str) -> bool:
    """Whether a division's names (``[1983-1989]…,[1990-]…``) end with one still in use that is a place's."""
    parts = [p.strip() for p in names.split(",") if p.strip()]
    if not parts:
        return False
    match = _YEARS.match(parts[-1])
    name = parts[-1][match.end() :] if match else parts[-1]
    return (match is None or not match.group(2)) and bool(name) and name not in _CITY_PARTS
