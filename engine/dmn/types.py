"""typeRef conversion of decision-table inputs and outputs, as Camunda 7's data type transformers do it.

- ``string``: strings stay; numbers and booleans become their text (``true``/``false``); dates ISO 8601.
- ``integer``/``long``: integral numbers (``2.0`` → 2) and strings of digits (``"2"`` → 2), within the
  32/64-bit range; ``2.5``, ``"2.0"``, booleans are refused.
- ``double``: numbers and numeric strings become floats.
- ``boolean``: booleans, and the strings ``true``/``false`` (any case).
- ``date``: dates and date-times stay; ``YYYY-MM-DD`` becomes a date and ``YYYY-MM-DDTHH:MM:SS`` (Camunda's
  format) a date-time. (Camunda 7's ``date`` is always a date-time; we keep plain dates, which is what our
  variables hold, so a cell ``< date("2026-10-01")`` compares dates.)

null passes every typeRef unchanged; a value that cannot be converted raises ``ValueError`` (whose message
names the value's type, never the value).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any, Callable

_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _to_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise ValueError


def _integer(bits: int) -> Callable[[Any], int]:
    limit = 2 ** (bits - 1)

    def convert(value: Any) -> int:
        if _is_number(value) and math.isfinite(value) and value == int(value):
            number = int(value)
        elif isinstance(value, str) and _INTEGER_TEXT.fullmatch(value):
            number = int(value)
        else:
            raise ValueError
        if not -limit <= number < limit:
            raise ValueError
        return number

    return convert


def _to_double(value: Any) -> float:
    if _is_number(value):
        return float(value)
    if isinstance(value, str) and value.strip():
        number = float(value)
        if math.isfinite(number):
            return number
    raise ValueError


def _to_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ValueError


def _to_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        if _DATE_TEXT.fullmatch(value):
            return date.fromisoformat(value)
        if _DATETIME_TEXT.fullmatch(value):
            return datetime.fromisoformat(value)
    raise ValueError


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "string": _to_string,
    "integer": _integer(32),
    "long": _integer(64),
    "double": _to_double,
    "boolean": _to_boolean,
    "date": _to_date,
}


def convert(value: Any, type_ref: str | None) -> Any:
    """``value`` as ``type_ref`` (None or unknown: unchanged); ``ValueError`` when it cannot be converted."""
    converter = CONVERTERS.get(type_ref) if type_ref else None
    if value is None or converter is None:
        return value
    try:
        return converter(value)
    except (ValueError, OverflowError):
        # the value itself is left out: it may be personal data, and errors end up in incidents
        raise ValueError(f"cannot convert a {type(value).__name__} value to typeRef {type_ref!r}") from None
