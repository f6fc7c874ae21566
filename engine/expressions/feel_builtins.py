"""The whitelist of FEEL built-in functions (DMN 1.3 section 10.3.4, Camunda 7 subset).

FUNCTIONS maps a name to (min_args, max_args or None for varargs, impl(env, *args)).
Implementations take and return FEEL values and return None (null) for unsuitable arguments.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, DecimalException

from . import feel_ops as ops
from .feel_types import (
    YearsMonths,
    format_value,
    parse_date,
    parse_date_time,
    parse_duration,
    parse_time,
)

_D = Decimal


def _num(v) -> bool:
    return v.__class__ is Decimal


def _int(v):
    """An integral FEEL number as int, else None."""
    return int(v) if _num(v) and v == v.to_integral_value() else None


def _items(args):
    """Functions taking ``(list)`` or varargs ``(a, b, ...)``."""
    if len(args) == 1 and args[0].__class__ is list:
        return args[0]
    return list(args)


def parse_at_literal(text: str):
    """``@"..."`` literal: date, time, date and time or duration by its shape."""
    if text.startswith(("P", "-P")):
        return parse_duration(text)
    if "T" in text:
        return parse_date_time(text)
    if ":" in text:
        return parse_time(text)
    return parse_date(text)


# -- temporal -------------------------------------------------------------------


def _date(env, *args):
    if len(args) == 1:
        v = args[0]
        if v.__class__ is str:
            return parse_date(v)
        if v.__class__ is datetime:
            return v.date()
        return v if v.__class__ is date else None
    y, m, d = (_int(a) for a in args)
    if None in (y, m, d):
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _date_and_time(env, *args):
    if len(args) == 1:
        v = args[0]
        if v.__class__ is str:
            return parse_date_time(v)
        if v.__class__ is date:
            return datetime(v.year, v.month, v.day)
        return v if v.__class__ is datetime else None
    d, t = args
    if d.__class__ not in (date, datetime) or t.__class__ is not time:
        return None
    return datetime.combine(d.date() if isinstance(d, datetime) else d, t)


def _time(env, *args):
    if len(args) == 1:
        v = args[0]
        if v.__class__ is str:
            return parse_time(v)
        if v.__class__ is datetime:
            return v.timetz()
        if v.__class__ is date:
            return time()
        return v if v.__class__ is time else None
    h, m = _int(args[0]), _int(args[1])
    s = args[2] if len(args) > 2 else _D(0)
    if h is None or m is None or not _num(s):
        return None
    try:
        whole = int(s)
        return time(h, m, whole, int((s - whole) * 1000000))
    except ValueError:
        return None


def _duration(env, text):
    return parse_duration(text) if text.__class__ is str else None


def _years_and_months(env, start, end):
    kinds = (date, datetime)
    if start.__class__ not in kinds or end.__class__ not in kinds:
        return None
    months = (end.year - start.year) * 12 + (end.month - start.month)

    def rest(v):
        return (v.day, v.time() if v.__class__ is datetime else time())

    if months > 0 and rest(end) < rest(start):
        months -= 1
    elif months < 0 and rest(end) > rest(start):
        months += 1
    return YearsMonths(months)


def _today(env):
    if env.today is not None:
        return env.today
    if env.now is not None:
        return env.now.date()
    return date.today()


def _now(env):
    return env.now if env.now is not None else datetime.now().astimezone()


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _on_date(fn):
    def impl(env, v):
        return fn(v) if v.__class__ in (date, datetime) else None

    return impl


# -- strings --------------------------------------------------------------------


def _str_fn(fn, arity=1):
    def impl(env, *args):
        if any(a.__class__ is not str for a in args[:arity]):
            return None
        return fn(*args)

    return impl


def _substring(env, s, start, length=None):
    i = _int(start)
    if s.__class__ is not str or i is None or i == 0:
        return None
    chars = s
    begin = i - 1 if i > 0 else max(len(chars) + i, 0)
    if length is None:
        return chars[begin:]
    n = _int(length) if length is not None else None
    if n is None or n < 0:
        return None
    return chars[begin : begin + n]


def _string_join(env, items, delimiter=None):
    if items.__class__ is not list or (delimiter is not None and delimiter.__class__ is not str):
        return None
    if any(x is not None and x.__class__ is not str for x in items):
        return None
    return (delimiter or "").join(x for x in items if x is not None)


def _number(env, text, grouping=None, decimal_sep=None):
    if text.__class__ is not str:
        return None
    if grouping is not None:
        text = text.replace(grouping, "")
    if decimal_sep is not None:
        text = text.replace(decimal_sep, ".")
    body = text[1:] if text[:1] in "+-" else text
    digits = body.replace(".", "", 1)
    if not digits or not all("0" <= c <= "9" for c in digits) or body.startswith(".") or body.endswith("."):
        return None
    return _D(text)


# -- lists ----------------------------------------------------------------------


def _count(env, *args):
    return _D(len(_items(args)))


def _sum(env, *args):
    items = _items(args)
    if not items or not all(_num(x) for x in items):
        return None
    total = _D(0)
    for x in items:
        total = ops.DEC.add(total, x)
    return total


def _mean(env, *args):
    total = _sum(env, *args)
    return None if total is None else ops.DEC.divide(total, _D(len(_items(args))))


def _extreme(sign):
    def impl(env, *args):
        items = _items(args)
        if not items:
            return None
        best = items[0]
        for x in items[1:]:
            c = ops.compare(x, best)
            if c is None:
                return None
            if c * sign > 0:
                best = x
        return best if ops.compare(best, best) is not None else None

    return impl


def _all(env, *args):
    items = _items(args)
    if any(x.__class__ is not bool for x in items):
        return False if False in items else None
    return all(items)


def _any(env, *args):
    items = _items(args)
    if any(x.__class__ is not bool for x in items):
        return True if True in items else None
    return any(items)


def _list_fn(fn):
    def impl(env, lst, *rest):
        return fn(lst, *rest) if lst.__class__ is list else None

    return impl


def _distinct(lst):
    out: list = []
    for x in lst:
        if not ops.contains(out, x):
            out.append(x)
    return out


def _flatten(lst):
    out: list = []
    for x in lst:
        out.extend(_flatten(x) if x.__class__ is list else [x])
    return out


def _sublist(lst, start, length=None):
    i = _int(start)
    if i is None or i == 0:
        return None
    begin = i - 1 if i > 0 else len(lst) + i
    n = _int(length) if length is not None else None
    return lst[begin:] if length is None else (lst[begin : begin + n] if n is not None else None)


def _concatenate(env, *lists):
    if any(x.__class__ is not list for x in lists):
        return None
    return [y for x in lists for y in x]


# -- numbers --------------------------------------------------------------------


def _num_fn(fn):
    def impl(env, *args):
        if not all(_num(a) for a in args):
            return None
        try:
            return fn(*args)
        except (DecimalException, ValueError, OverflowError):
            return None

    return impl


def _decimal(n, scale):
    s = _int(scale)
    return None if s is None else n.quantize(_D(1).scaleb(-s), rounding=ROUND_HALF_EVEN)


def _modulo(a, b):
    if not b:
        return None
    return ops.DEC.subtract(a, ops.DEC.multiply(b, ops.floor_div(a, b)))


def _not(env, v):
    return ops.logical_not(v)


FUNCTIONS = {
    "not": (1, 1, _not),
    # conversion
    "string": (1, 1, lambda env, v: format_value(v)),
    "number": (1, 3, _number),
    # temporal
    "date": (1, 3, _date),
    "date and time": (1, 2, _date_and_time),
    "time": (1, 3, _time),
    "duration": (1, 1, _duration),
    "years and months duration": (2, 2, _years_and_months),
    "today": (0, 0, _today),
    "now": (0, 0, _now),
    "day of week": (1, 1, _on_date(lambda d: _WEEKDAYS[d.weekday()])),
    "month of year": (1, 1, _on_date(lambda d: _MONTHS[d.month - 1])),
    "day of year": (1, 1, _on_date(lambda d: _D(d.timetuple().tm_yday))),
    "week of year": (1, 1, _on_date(lambda d: _D(d.isocalendar()[1]))),
    # strings
    "string length": (1, 1, _str_fn(lambda s: _D(len(s)))),
    "upper case": (1, 1, _str_fn(str.upper)),
    "lower case": (1, 1, _str_fn(str.lower)),
    "substring": (2, 3, _substring),
    "substring before": (2, 2, _str_fn(lambda s, m: s[: s.find(m)] if m in s else "", 2)),
    "substring after": (2, 2, _str_fn(lambda s, m: s[s.find(m) + len(m) :] if m in s else "", 2)),
    "contains": (2, 2, _str_fn(lambda s, m: m in s, 2)),
    "starts with": (2, 2, _str_fn(lambda s, m: s.startswith(m), 2)),
    "ends with": (2, 2, _str_fn(lambda s, m: s.endswith(m), 2)),
    "string join": (1, 2, _string_join),
    # lists
    "count": (1, None, _count),
    "sum": (1, None, _sum),
    "mean": (1, None, _mean),
    "min": (1, None, _extreme(-1)),
    "max": (1, None, _extreme(1)),
    "all": (1, None, _all),
    "any": (1, None, _any),
    "list contains": (2, 2, _list_fn(lambda lst, x: ops.contains(lst, x))),
    "append": (1, None, _list_fn(lambda lst, *xs: lst + list(xs))),
    "concatenate": (1, None, _concatenate),
    "reverse": (1, 1, _list_fn(lambda lst: lst[::-1])),
    "index of": (2, 2, _list_fn(lambda lst, x: [_D(i + 1) for i, y in enumerate(lst) if ops.equals(y, x) is True])),
    "distinct values": (1, 1, _list_fn(_distinct)),
    "flatten": (1, 1, _list_fn(_flatten)),
    "sublist": (2, 3, _list_fn(_sublist)),
    # numbers
    "abs": (1, 1, _num_fn(abs)),
    "floor": (1, 1, _num_fn(lambda n: n.to_integral_value(rounding=ROUND_FLOOR))),
    "ceiling": (1, 1, _num_fn(lambda n: n.to_integral_value(rounding=ROUND_CEILING))),
    "decimal": (2, 2, _num_fn(_decimal)),
    "modulo": (2, 2, _num_fn(_modulo)),
    "sqrt": (1, 1, _num_fn(lambda n: ops.DEC.sqrt(n) if n >= 0 else None)),
    "odd": (1, 1, _num_fn(lambda n: n == n.to_integral_value() and int(n) % 2 == 1)),
    "even": (1, 1, _num_fn(lambda n: n == n.to_integral_value() and int(n) % 2 == 0)),
}
