"""What a JSON request body may be, checked before any view or parser reads it (issue 13).

Python's ``json`` module recurses once per nesting level (a body nested a few thousand deep is a
RecursionError, a 500), turns a 5,000-digit integer into a ValueError, and accepts ``"\\ud800"`` -- a lone
surrogate that no database can store. So every JSON body (POST, PUT, PATCH) is first scanned for its nesting
depth without recursion, then parsed with limits on numbers, and its strings are checked to be Unicode
scalar values:

* deeper than :data:`MAX_DEPTH` levels, a number longer than :data:`MAX_NUMBER_CHARS` characters, or
  ``NaN``/``Infinity`` (not JSON) → 400 with what is wrong;
* a string that is not valid Unicode (a lone surrogate) → 422 naming where it is (``variables.a.b``).

Bodies that are not JSON at all are left to the views (they answer 400 as before).
"""

from __future__ import annotations

import json
import re

from flask import Flask, abort, request

from engine.errors import InvalidInput

MAX_DEPTH = 64
MAX_NUMBER_CHARS = 40
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def nesting_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text`` (strings skipped), without recursion."""
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
            raise ValueError(f"a number in the body has {len(text)} characters (at most {MAX_NUMBER_CHARS})")
        return kind(text)
    return parse


def _no_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def _unicode_problems(value, path: str, found: list[str]) -> None:
    """Paths of strings (keys and values) that are not Unicode scalar values (depth is already bounded)."""
    if isinstance(value, str):
        if not _encodable(value):
            found.append(path or "(body)")
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if not _encodable(key):
                found.append(path or "(body)")
                continue
            _unicode_problems(item, where, found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _unicode_problems(item, f"{path}.{index}" if path else str(index), found)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_json_body() -> None:
    """``before_request``: refuse a JSON body the parsers cannot take safely."""
    if request.method not in ("POST", "PUT", "PATCH") or not request.is_json:
        return
    raw = request.get_data(cache=True)
    if not raw:
        return
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        abort(400, "the body is not UTF-8 encoded JSON")
    depth = nesting_depth(text)
    if depth > MAX_DEPTH:
        abort(400, f"the JSON body is nested deeper than {MAX_DEPTH} levels")
    try:
        data = json.loads(text, parse_int=_number(int), parse_float=_number(float), parse_constant=_no_constant)
    except ValueError as err:
        if isinstance(err, json.JSONDecodeError):
            return  # not JSON: the view's own parsing answers 400
        abort(400, f"the JSON body cannot be taken: {err}")
    found: list[str] = []
    _unicode_problems(data, "", found)
    if found:
        raise InvalidInput("the body holds text that is not valid Unicode (a lone surrogate)",
                           errors={path: ["含有无效的字符编码（不是有效的Unicode字符）"] for path in found})


def register(app: Flask) -> None:
    app.before_request(check_json_body)
