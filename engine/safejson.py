"""JSON text read with limits, wherever it comes from (a request body, a ``Json`` variable inside one, a file
given to the command line): Python's ``json`` recurses once per nesting level (a text nested some
thousands deep is a RecursionError), turns a 5,000-digit integer into a ValueError and ``1e400`` into
infinity, and accepts ``"\\ud800"`` (a lone surrogate) and ``"\\u0000"`` (NUL): text no database stores.

:func:`loads` scans the nesting depth first without recursion, then parses with limits on numbers;
anything beyond them is a :class:`TooComplex` (a ``ValueError``) saying what. :func:`unstorable_text`
lists where the decoded value holds text that cannot be stored (``variables.a.b``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64
MAX_NUMBER_CHARS = 40
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class TooComplex(ValueError):
    """JSON text beyond the limits: too deeply nested, a number too long or not finite."""


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text`` (strings skipped), without recursion; the scan
    stops as soon as it passes :data:`MAX_DEPTH`."""
    depth = deepest = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif token in "]}":
            depth -= 1
    return deepest


def _number(kind):
    def parse(text: str):
        if len(text) > MAX_NUMBER_CHARS:
            raise TooComplex(f"a number has {len(text)} characters (at most {MAX_NUMBER_CHARS})")
        value = kind(text)
        if kind is float and not math.isfinite(value):
            raise TooComplex(f"the number {text} is too large")
        return value

    return parse


def _no_constant(name: str):
    raise TooComplex(f"{name} is not a JSON number")


def loads(text: str, what: str = "the JSON text") -> Any:
    """``json.loads`` within the limits: :class:`TooComplex` beyond them (naming ``what``), a
    ``json.JSONDecodeError`` (also a ``ValueError``) for text that is not JSON."""
    if nesting_depth(text) > MAX_DEPTH:
        raise TooComplex(f"{what} is nested deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_int=_number(int), parse_float=_number(float), parse_constant=_no_constant)
    except TooComplex as err:
        raise TooComplex(f"{what} cannot be taken: {err}") from None
    except RecursionError:  # pragma: no cover - the depth scan comes first
        raise TooComplex(f"{what} is nested too deeply") from None


def storable(text: str) -> bool:
    """Text a database stores: Unicode scalar values (no lone surrogate), no NUL (PostgreSQL refuses it)."""
    return "\x00" not in text and _encodable(text)


def unstorable_text(value: Any, path: str = "") -> list[str]:
    """Paths of strings (keys and values) in a decoded value that are not :func:`storable`; the value's depth
    must already be bounded (it came through :func:`loads`)."""
    found: list[str] = []
    _walk(value, path, found)
    return found


def _walk(value: Any, path: str, found: list[str]) -> None:
    if isinstance(value, str):
        if not storable(value):
            found.append(path or "(body)")
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if not storable(key):
                found.append(path or "(body)")
                continue
            _walk(item, where, found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path}.{index}" if path else str(index), found)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
