"""Jakarta EL type coercion and operator semantics (EL spec section 1.7-1.8, 1.23), over Python values.

Python types stand in for Java ones: None=null, bool=Boolean, int=Long, float=Double,
Decimal=BigDecimal, str=String, dict=Map, list/tuple=List; date/datetime/time/timedelta
are Comparable objects.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import NoReturn

from .errors import ExpressionEvaluationError

_COMPARABLE = (date, datetime, time, timedelta)


def _fail(msg: str) -> NoReturn:
    raise ExpressionEvaluationError(msg)


def _tname(v) -> str:
    return {
        type(None): "null",
        bool: "Boolean",
        int: "Long",
        float: "Double",
        Decimal: "BigDecimal",
        str: "String",
        dict: "Map",
        list: "List",
        tuple: "List",
    }.get(type(v), type(v).__name__)


def is_long(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _floaty_str(v) -> bool:
    return isinstance(v, str) and ("." in v or "e" in v or "E" in v)


def to_boolean(v) -> bool:
    if v is None or v == "":
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        return v.lower() == "true"
    _fail(f"Cannot coerce {_tname(v)} {to_string(v)!r} to Boolean")


def to_long(v) -> int:
    if v is None or v == "":
        return 0
    if isinstance(v, bool):
        _fail(f"Cannot coerce Boolean {to_string(v)} to Long")
    if isinstance(v, int):
        return v
    if isinstance(v, (float, Decimal)):
        if isinstance(v, float) and not math.isfinite(v):
            return 0 if math.isnan(v) else (2**63 - 1 if v > 0 else -(2**63))
        return int(v)
    if isinstance(v, str):
        s = v[1:] if v[:1] in "+-" else v
        if s and all(c in "0123456789" for c in s):
            return int(v)
        _fail(f"Cannot coerce String {v!r} to Long")
    _fail(f"Cannot coerce {_tname(v)} to Long")


def to_double(v) -> float:
    if v is None or v == "":
        return 0.0
    if isinstance(v, bool):
        _fail(f"Cannot coerce Boolean {to_string(v)} to Double")
    if isinstance(v, (int, float, Decimal)):
        return float(v)
    if isinstance(v, str):
        try:
            if "_" not in v:
                return float(v.strip())
        except ValueError:
            pass
        _fail(f"Cannot coerce String {v!r} to Double")
    _fail(f"Cannot coerce {_tname(v)} to Double")


def to_decimal(v) -> Decimal:
    if v is None or v == "":
        return Decimal(0)
    if isinstance(v, bool):
        _fail(f"Cannot coerce Boolean {to_string(v)} to BigDecimal")
    if isinstance(v, (int, Decimal)):
        return Decimal(v)
    if isinstance(v, float):
        return Decimal(repr(v))
    if isinstance(v, str):
        try:
            if "_" not in v:
                return Decimal(v.strip())
        except InvalidOperation:
            pass
        _fail(f"Cannot coerce String {v!r} to BigDecimal")
    _fail(f"Cannot coerce {_tname(v)} to BigDecimal")


def java_double_str(x: float) -> str:
    """Java's Double.toString (scientific notation outside [1e-3, 1e7))."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0 or 1e-3 <= abs(x) < 1e7:
        return repr(x)
    d = Decimal(repr(x))
    digits = "".join(map(str, d.as_tuple().digits)).rstrip("0") or "0"
    return ("-" if x < 0 else "") + f"{digits[0]}.{digits[1:] or '0'}E{d.adjusted()}"


def to_string(v) -> str:
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return java_double_str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(to_string(x) if x is not None else "null" for x in v) + "]"
    if isinstance(v, dict):
        return (
            "{" + ", ".join(f"{to_string(k)}={to_string(x) if x is not None else 'null'}" for k, x in v.items()) + "}"
        )
    if isinstance(v, datetime):
        return v.isoformat()
    return str(v)


# -- arithmetic ---------------------------------------------------------------


def _kind(a, b):
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return to_decimal
    if isinstance(a, float) or isinstance(b, float) or _floaty_str(a) or _floaty_str(b):
        return to_double
    return to_long


def add(a, b):
    if a is None and b is None:
        return 0
    conv = _kind(a, b)
    return conv(a) + conv(b)


def sub(a, b):
    if a is None and b is None:
        return 0
    conv = _kind(a, b)
    return conv(a) - conv(b)


def mul(a, b):
    if a is None and b is None:
        return 0
    conv = _kind(a, b)
    return conv(a) * conv(b)


def div(a, b):
    if a is None and b is None:
        return 0
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        dx, dy = to_decimal(a), to_decimal(b)
        if dy == 0:
            _fail("Division by zero")
        return dx / dy
    x, y = to_double(a), to_double(b)
    if y == 0:  # Java double semantics
        if x == 0 or math.isnan(x):
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    return x / y


def mod(a, b):
    if a is None and b is None:
        return 0
    conv = _kind(a, b)
    x, y = conv(a), conv(b)
    if conv is to_double:
        return math.fmod(x, y) if y != 0 else math.nan
    if y == 0:
        _fail("Division by zero in modulo")
    if conv is to_decimal:
        return x % y  # Decimal remainder truncates like Java's
    r = abs(x) % abs(y)
    return -r if x < 0 else r


def neg(a):
    if a is None:
        return 0
    if isinstance(a, str):
        return -(to_double(a) if _floaty_str(a) else to_long(a))
    if isinstance(a, bool) or not isinstance(a, (int, float, Decimal)):
        _fail(f"Cannot apply unary minus to {_tname(a)}")
    return -a


# -- comparison ---------------------------------------------------------------


def _coerce_pair(a, b):
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return to_decimal(a), to_decimal(b)
    if isinstance(a, float) or isinstance(b, float):
        return to_double(a), to_double(b)
    if is_long(a) or is_long(b):
        return to_long(a), to_long(b)
    if isinstance(a, str) or isinstance(b, str):
        return to_string(a), to_string(b)
    if isinstance(a, bool) and isinstance(b, bool):
        return a, b
    if isinstance(a, _COMPARABLE) and type(a) is type(b):
        return a, b
    _fail(f"Cannot compare {_tname(a)} with {_tname(b)}")


def lt(a, b):
    if a is None or b is None:
        return False
    x, y = _coerce_pair(a, b)
    return x < y


def gt(a, b):
    if a is None or b is None:
        return False
    x, y = _coerce_pair(a, b)
    return x > y


def le(a, b):
    if a is b:
        return True
    if a is None or b is None:
        return False
    x, y = _coerce_pair(a, b)
    return x <= y


def ge(a, b):
    if a is b:
        return True
    if a is None or b is None:
        return False
    x, y = _coerce_pair(a, b)
    return x >= y


def eq(a, b) -> bool:
    if a is b:
        return True
    if a is None or b is None:
        return False
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        return to_decimal(a) == to_decimal(b)
    if isinstance(a, float) or isinstance(b, float):
        return to_double(a) == to_double(b)
    if is_long(a) or is_long(b):
        return to_long(a) == to_long(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return to_boolean(a) == to_boolean(b)
    if isinstance(a, str) or isinstance(b, str):
        return to_string(a) == to_string(b)
    return a == b


def ne(a, b) -> bool:
    return not eq(a, b)


def empty(a) -> bool:
    if a is None:
        return True
    if isinstance(a, (str, list, tuple, dict, set, frozenset)):
        return len(a) == 0
    return False


def member(base, key):
    """``base.key`` / ``base[key]``: dict lookup or list index; null-safe on a null base."""
    if base is None or key is None:
        return None
    if isinstance(base, dict):
        try:
            return base.get(key)
        except TypeError:
            _fail(f"Invalid map key of type {_tname(key)}")
    if isinstance(base, (list, tuple)):
        idx = to_long(key)
        return base[idx] if 0 <= idx < len(base) else None
    _fail(f"Property '{to_string(key)}' not found on type {_tname(base)}")
