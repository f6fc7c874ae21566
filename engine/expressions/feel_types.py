"""FEEL value model: the YearsMonths duration type, ISO-8601 parsing/formatting of temporal
values, and conversion between Python values and FEEL values (numbers are Decimal inside FEEL).

Python <-> FEEL:  None=null, bool=boolean, int/float/Decimal=number (Decimal inside),
str=string, date, datetime (naive=local, aware=zoned), time, timedelta=days-time duration,
YearsMonths=years-months duration, list/tuple=list, dict=context.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True, order=True, slots=True)
class YearsMonths:
    """A FEEL years-and-months duration, held as a signed total number of months."""

    months: int

    @property
    def years_part(self) -> int:
        return int(abs(self.months) // 12) * (1 if self.months >= 0 else -1)

    @property
    def months_part(self) -> int:
        return int(abs(self.months) % 12) * (1 if self.months >= 0 else -1)

    def __neg__(self) -> "YearsMonths":
        return YearsMonths(-self.months)

    def __add__(self, other):
        if isinstance(other, YearsMonths):
            return YearsMonths(self.months + other.months)
        return NotImplemented

    def __sub__(self, other):
        if isinstance(other, YearsMonths):
            return YearsMonths(self.months - other.months)
        return NotImplemented

    def __str__(self) -> str:
        y, m = divmod(abs(self.months), 12)
        body = (f"{y}Y" if y else "") + (f"{m}M" if m or not y else "")
        return ("-" if self.months < 0 else "") + "P" + body


# -- ISO-8601 scanning (tiny hand-written scanners, no regular expressions) --------------


def _digits(text: str, count: int | None = None) -> bool:
    return bool(text) and all("0" <= c <= "9" for c in text) and (count is None or len(text) == count)


def parse_date(text: str) -> date | None:
    """``YYYY-MM-DD`` (optionally ``-YYYY...``/5+ digit years are not supported)."""
    parts = text.split("-")
    if len(parts) != 3 or not _digits(parts[0], 4) or not _digits(parts[1], 2) or not _digits(parts[2], 2):
        return None
    try:
        return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None


def _split_zone(text: str):
    """Split a time text into (clock, tzinfo-or-None); returns (None, None) when malformed."""
    if "@" in text:
        clock, zone_id = text.split("@", 1)
        try:
            return clock, ZoneInfo(zone_id)
        except (ZoneInfoNotFoundError, ValueError):
            return None, None
    if text.endswith("Z"):
        return text[:-1], timezone.utc
    for sign in "+-":
        idx = text.rfind(sign)
        if idx > 0:
            clock, off = text[:idx], text[idx + 1 :]
            hh, _, mm = off.partition(":")
            if not (_digits(hh, 2) and _digits(mm, 2)):
                return None, None
            delta = timedelta(hours=int(hh), minutes=int(mm))
            if delta > timedelta(hours=18):
                return None, None
            return clock, timezone(delta if sign == "+" else -delta)
    return text, None


def _parse_clock(clock: str) -> time | None:
    hms = clock.split(":")
    if len(hms) not in (2, 3) or not _digits(hms[0], 2) or not _digits(hms[1], 2):
        return None
    sec, frac = "0", ""
    if len(hms) == 3:
        sec, _, frac = hms[2].partition(".")
        if not _digits(sec, 2) or (frac and not _digits(frac)) or ("." in hms[2] and not frac):
            return None
    try:
        micro = int((frac + "000000")[:6]) if frac else 0
        return time(int(hms[0]), int(hms[1]), int(sec), micro)
    except ValueError:
        return None


def parse_time(text: str) -> time | None:
    clock, tz = _split_zone(text)
    if clock is None:
        return None
    t = _parse_clock(clock)
    return t.replace(tzinfo=tz) if t is not None and tz is not None else t


def parse_date_time(text: str) -> datetime | date | None:
    """``YYYY-MM-DDThh:mm:ss[.f][Z|+hh:mm|@Zone]``; a bare date gives midnight (local)."""
    if "T" not in text:
        d = parse_date(text)
        return datetime(d.year, d.month, d.day) if d else None
    day, _, rest = text.partition("T")
    d = parse_date(day)
    clock, tz = _split_zone(rest)
    t = _parse_clock(clock) if clock is not None else None
    if d is None or t is None:
        return None
    return datetime.combine(d, t).replace(tzinfo=tz)


def parse_duration(text: str):
    """ISO-8601 duration: ``PnYnM`` -> YearsMonths, ``PnDTnHnMnS`` -> timedelta; mixed -> None."""
    neg = text.startswith("-")
    body = text[1:] if neg else text
    if not body.startswith("P") or len(body) < 3:
        return None
    body = body[1:]
    date_part, sep, time_part = body.partition("T")
    if sep and not time_part:
        return None
    fields: dict[str, Decimal] = {}
    for part, units in ((date_part, "YMWD"), (time_part, "HMS")):
        number = ""
        order = 0
        for ch in part:
            if "0" <= ch <= "9" or (ch == "." and units == "HMS"):
                number += ch
                continue
            if ch not in units[order:] or not number or number.startswith(".") or number.endswith("."):
                return None
            order = units.index(ch) + 1
            key = ch if units == "YMWD" else ch.lower()
            fields[key] = Decimal(number)
            number = ""
        if number:
            return None
    years_months = "Y" in fields or "M" in fields
    days_time = any(k in fields for k in ("W", "D", "h", "m", "s"))
    if years_months and days_time:
        return None
    sign = -1 if neg else 1
    if years_months:
        return YearsMonths(sign * int(fields.get("Y", 0) * 12 + fields.get("M", 0)))
    seconds = (
        fields.get("W", 0) * 604800
        + fields.get("D", 0) * 86400
        + fields.get("h", 0) * 3600
        + fields.get("m", 0) * 60
        + fields.get("s", 0)
    )
    whole = int(seconds)
    return sign * timedelta(seconds=whole, microseconds=int((seconds - whole) * 1000000))


def format_timedelta(td: timedelta) -> str:
    """ISO-8601 days-time form as FEEL prints it: ``P2DT1H``, ``PT1H30M``, ``PT0S``, ``-P1D``."""
    neg = td < timedelta(0)
    td = -td if neg else td
    days, secs, micro = td.days, td.seconds, td.microseconds
    h, rem = divmod(secs, 3600)
    m, s = divmod(rem, 60)
    out = "P" + (f"{days}D" if days else "")
    clock = (f"{h}H" if h else "") + (f"{m}M" if m else "")
    if s or micro:
        clock += (f"{s}.{micro:06d}".rstrip("0") if micro else str(s)) + "S"
    if clock:
        out += "T" + clock
    if out == "P":
        out = "PT0S"
    return ("-" if neg else "") + out


def format_number(d: Decimal) -> str:
    """Plain decimal notation without exponent or trailing zeros (``1.50`` -> ``1.5``)."""
    if d == d.to_integral_value():
        return str(int(d))
    return format(d.normalize(), "f")


def format_value(v) -> str | None:
    """FEEL ``string(v)``."""
    if v is None:
        return None
    if v.__class__ is str:
        return v
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, (Decimal, int, float)):
        return format_number(to_feel(v)) if v.__class__ is not Decimal else format_number(v)
    if isinstance(v, datetime):
        return format_date_time(v)
    if isinstance(v, (date, time)):
        return format_time(v) if isinstance(v, time) else v.isoformat()
    if isinstance(v, timedelta):
        return format_timedelta(v)
    if isinstance(v, YearsMonths):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_repr(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}:{_repr(x)}" for k, x in v.items()) + "}"
    return str(v)


def _repr(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, str):
        return '"' + v + '"'
    shown = format_value(v)
    assert shown is not None, "only null is shown as null"
    return shown


def _zone_suffix(tz) -> str:
    if tz is None:
        return ""
    if isinstance(tz, ZoneInfo):
        return "@" + tz.key
    off = tz.utcoffset(None)
    if off == timedelta(0):
        return "Z"
    sign = "-" if off < timedelta(0) else "+"
    off = abs(off)
    return f"{sign}{off.seconds // 3600:02d}:{off.seconds % 3600 // 60:02d}"


def format_time(t: time) -> str:
    return t.replace(tzinfo=None).isoformat() + _zone_suffix(t.tzinfo)


def format_date_time(dt: datetime) -> str:
    return dt.replace(tzinfo=None).isoformat() + _zone_suffix(dt.tzinfo)


# -- Python <-> FEEL ---------------------------------------------------------


def to_feel(v):
    """Normalise a Python value read from the context into a FEEL value."""
    cls = v.__class__
    if cls is int:
        return Decimal(v)
    if cls is float:
        return Decimal(repr(v)) if math.isfinite(v) else None
    if cls is list or cls is tuple:
        return [to_feel(x) for x in v]
    if cls is str or cls is bool or cls is Decimal or v is None or cls is dict:
        return v
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, int):
        return Decimal(int(v))
    return v


def to_python(v):
    """Convert a FEEL result for the caller: integral numbers -> int, other numbers -> float."""
    cls = v.__class__
    if cls is Decimal:
        if not v.is_finite():
            return None
        return int(v) if v == v.to_integral_value() else float(v)
    if cls is list:
        return [to_python(x) for x in v]
    if cls is dict:
        return {k: to_python(x) for k, x in v.items()}
    return v
