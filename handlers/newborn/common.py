"""Helpers shared by the department modules: local dates, idempotent records, number series, variables.

Nothing here logs or formats personal data (R8.2): messages name fields and rules, never their values. A
handler's failures are in Chinese: an admin reads them on the incident page.
"""

from __future__ import annotations

import copy
import functools
from datetime import date, datetime
from typing import Any, Callable, Mapping, TypeVar

from engine.handlers import Handler, HandlerError, HandlerResult, Ledger, ServiceCall
from forms.newborn.facts import local_day
from forms.newborn.items import ITEMS_BY_CODE
from forms.newborn.regions import RegionProfile, UnknownRegion, profile

S = TypeVar("S")


def today(call: ServiceCall) -> date:
    """The service clock's day in China."""
    return local_day(call.now)


def parse_moment(value: Any, field: str) -> datetime:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise HandlerError(f"申请中的日期时间（{field}）格式有误") from None


def birth_date(application: Mapping) -> date:
    """The newborn's date of birth, as a day in China."""
    return local_day(parse_moment(section(application, "newborn").get("born_at"), "newborn.born_at"))


def section(mapping: Mapping | None, key: str) -> Mapping:
    """``mapping[key]`` when it is an object, else an empty mapping (sections of unchosen items may be absent)."""
    value = (mapping or {}).get(key)
    return value if isinstance(value, Mapping) else {}


def application(call: ServiceCall) -> Mapping:
    app = call.variables.get("application")
    if not isinstance(app, Mapping):
        raise HandlerError("流程变量中没有申请表（application）")
    return app


def region_profile(call: ServiceCall) -> RegionProfile:
    region = call.variables.get("region") or application(call).get("region")
    try:
        return profile(region)
    except UnknownRegion:
        raise HandlerError(f"没有地区“{region}”的办理规则") from None


def review(call: ServiceCall, activity_id: str) -> Mapping:
    return section(call.variables.get("reviews"), activity_id)


def item_name(code: str) -> str:
    return ITEMS_BY_CODE[code].name


def once(ledger: Ledger, department: str, key: str, make: Callable[[], dict]) -> dict:
    """The record stored under ``key``, or ``make()`` stored under it: a repeated call issues nothing new."""
    found = ledger.recall(department, key)
    if found is None:
        found = make()
        ledger.remember(department, key, found)
    return copy.deepcopy(dict(found))


def serial(ledger: Ledger, series: str, prefix: str, day: date, width: int = 6) -> str:
    """``prefix`` + yyyymmdd + a zero-padded sequence of the day's series (e.g. SL20261125000001)."""
    n = ledger.next_number(f"{series}.{day:%Y%m%d}")
    if n >= 10**width:
        raise HandlerError(f"{day.isoformat()}的编号（{series}）已用完")
    return f"{prefix}{day:%Y%m%d}{n:0{width}d}"


def bind(handler: Callable[[ServiceCall, S], HandlerResult], factory: Callable[[ServiceCall], S]) -> Handler:
    """A registry handler ``call -> result`` that runs ``handler(call, factory(call))``."""

    @functools.wraps(handler)
    def run(call: ServiceCall) -> HandlerResult:
        return handler(call, factory(call))

    return run
