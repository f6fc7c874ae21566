"""FEEL operator semantics (DMN 1.3 section 10.3.2.x, as feel-scala/Camunda 7 applies them):
equality, ordering, arithmetic on numbers/strings/temporals, three-valued logic.
Every operator returns None (null) instead of raising when operand types do not fit.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from decimal import ROUND_FLOOR, Context, Decimal, DecimalException

from .feel_types import YearsMonths, to_feel

DEC = Context(prec=34)  # DECIMAL128, as FEEL engines use for number arithmetic


def kind(v) -> str:
    """FEEL type name of a (normalised) value."""
    cls = v.__class__
    if cls is Decimal or cls is int or cls is float:
        return "number"
    if cls is str:
        return "string"
    if cls is bool:
        return "boolean"
    if cls is date:
        return "date"
    if cls is datetime:
        return "local datetime" if v.tzinfo is None else "datetime"
    if cls is time:
        return "local time" if v.tzinfo is None else "time"
    if cls is timedelta:
        return "days-time"
    if cls is YearsMonths:
        return "years-months"
    if cls is list or cls is tuple:
        return "list"
    if cls is dict:
        return "context"
    return cls.__name__


def equals(a, b):
    """FEEL ``=``: true/false, or None when the operands are of different types."""
    if a is None or b is None:
        return a is None and b is None
    ka = kind(a)
    if ka != kind(b):
        return None
    if ka == "list":
        if len(a) != len(b):
            return False
        result: bool | None = True
        for x, y in zip(a, b, strict=True):
            r = equals(x, y)
            if r is False:
                return False
            if r is None:
                result = None
        return result
    if ka == "context":
        if a.keys() != b.keys():
            return False
        return equals([to_feel(a[k]) for k in a], [to_feel(b[k]) for k in a])
    try:
        return a == b
    except TypeError:
        return None


_ORDERED = {"number", "string", "date", "local datetime", "datetime", "local time", "time", "days-time", "years-months"}


def compare(a, b):
    """-1/0/1 for comparable operands of one type, else None."""
    if a is None or b is None:
        return None
    ka = kind(a)
    if ka != kind(b) or ka not in _ORDERED:
        return None
    try:
        return -1 if a < b else (1 if a > b else 0)
    except TypeError:
        return None


def lt(a, b):
    c = compare(a, b)
    return None if c is None else c < 0


def le(a, b):
    c = compare(a, b)
    return None if c is None else c <= 0


def gt(a, b):
    c = compare(a, b)
    return None if c is None else c > 0


def ge(a, b):
    c = compare(a, b)
    return None if c is None else c >= 0


def ne(a, b):
    r = equals(a, b)
    return None if r is None else not r


def in_range(v, lo, lo_closed: bool, hi, hi_closed: bool):
    a = compare(lo, v)
    b = compare(v, hi)
    if a is None or b is None:
        return None
    return (a < 0 or (lo_closed and a == 0)) and (b < 0 or (hi_closed and b == 0))


def between(v, lo, hi):
    a, b = ge(v, lo), le(v, hi)
    return logical_and(a, b)


def logical_and(a, b):
    if a is False or b is False:
        return False
    if a is True and b is True:
        return True
    return None


def logical_or(a, b):
    if a is True or b is True:
        return True
    if a is False and b is False:
        return False
    return None


def logical_not(a):
    return (not a) if a.__class__ is bool else None


# -- arithmetic ---------------------------------------------------------------


def _is_num(v) -> bool:
    return v.__class__ is Decimal


def add_months(d, months: int):
    """Java-style plusMonths: clamp the day to the end of the target month."""
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    if not 1 <= year <= 9999:
        return None
    day = min(d.day, calendar.monthrange(year, month + 1)[1])
    return d.replace(year=year, month=month + 1, day=day)


def _shift(t, d):
    """temporal t moved by duration d (timedelta or YearsMonths)."""
    try:
        if d.__class__ is YearsMonths:
            if t.__class__ in (date, datetime):
                return add_months(t, d.months)
            return None
        if t.__class__ is date:
            return (datetime.combine(t, time()) + d).date()
        if t.__class__ is datetime:
            return t + d
        if t.__class__ is time:
            moved = datetime.combine(date(2000, 1, 1), t.replace(tzinfo=None)) + d
            return moved.time().replace(tzinfo=t.tzinfo)
    except OverflowError:
        return None
    return None


_TEMPORAL = (date, datetime, time)
_DURATION = (timedelta, YearsMonths)


def add(a, b):
    if a is None or b is None:
        return None
    ca, cb = a.__class__, b.__class__
    if ca is Decimal and cb is Decimal:
        return DEC.add(a, b)
    if ca is str and cb is str:
        return a + b
    if ca is cb and ca in _DURATION:
        return a + b
    if ca in _TEMPORAL and cb in _DURATION:
        return _shift(a, b)
    if ca in _DURATION and cb in _TEMPORAL:
        return _shift(b, a)
    return None


def sub(a, b):
    if a is None or b is None:
        return None
    ca, cb = a.__class__, b.__class__
    if ca is Decimal and cb is Decimal:
        return DEC.subtract(a, b)
    if ca is cb and ca in _DURATION:
        return a - b
    if ca in _TEMPORAL and cb in _DURATION:
        return _shift(a, -b)
    if ca is cb and ca is date:
        return a - b
    if ca is cb and ca is datetime:
        try:
            return a - b
        except TypeError:  # local vs zoned
            return None
    if ca is cb and ca is time and (a.tzinfo is None) == (b.tzinfo is None):
        base = date(2000, 1, 1)
        return datetime.combine(base, a) - datetime.combine(base, b)
    return None


def mul(a, b):
    if a is None or b is None:
        return None
    ca, cb = a.__class__, b.__class__
    if ca is Decimal and cb is Decimal:
        return DEC.multiply(a, b)
    if cb is Decimal and ca in _DURATION:
        a, b, ca, cb = b, a, cb, ca
    if ca is Decimal and cb is timedelta:
        return timedelta(seconds=float(DEC.multiply(a, Decimal(b.total_seconds()))))
    if ca is Decimal and cb is YearsMonths:
        return YearsMonths(int(DEC.multiply(a, b.months)))
    return None


def div(a, b):
    if a is None or b is None:
        return None
    ca, cb = a.__class__, b.__class__
    try:
        if ca is Decimal and cb is Decimal:
            return DEC.divide(a, b) if b else None
        if cb is Decimal and b:
            if ca is timedelta:
                return timedelta(seconds=float(DEC.divide(Decimal(a.total_seconds()), b)))
            if ca is YearsMonths:
                return YearsMonths(int(DEC.divide(a.months, b)))
        if ca is cb is timedelta and b:
            return DEC.divide(Decimal(a.total_seconds()), Decimal(b.total_seconds()))
        if ca is cb is YearsMonths and b.months:
            return DEC.divide(a.months, b.months)
    except (DecimalException, OverflowError):
        return None
    return None


def power(a, b):
    if not (_is_num(a) and _is_num(b)):
        return None
    try:
        if b == b.to_integral_value():
            return DEC.power(a, int(b))
        return DEC.power(a, b)
    except (DecimalException, OverflowError, ValueError):
        return None


def neg(a):
    if a.__class__ is Decimal:
        return -a
    if a.__class__ in _DURATION:
        return -a
    return None


def floor_div(a: Decimal, b: Decimal) -> Decimal:
    return DEC.divide(a, b).to_integral_value(rounding=ROUND_FLOOR)


def contains(items, value) -> bool:
    return any(equals(x, value) is True for x in items)
