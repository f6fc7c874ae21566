"""What a JSON request body may be, checked before any view or parser reads it (issue 13).

Every JSON body (POST, PUT, PATCH) is read with :mod:`engine.safejson`'s limits (its nesting depth scanned
without recursion, numbers bounded) and its strings are checked to be Unicode scalar values:

* deeper than :data:`~engine.safejson.MAX_DEPTH` levels, a number longer than
  :data:`~engine.safejson.MAX_NUMBER_CHARS` characters or beyond a float's range, or ``NaN``/``Infinity``
  (not JSON) → 400 with what is wrong;
* a string that is not valid Unicode (a lone surrogate) → 422 naming where it is (``variables.a.b``).

Bodies that are not JSON at all are left to the views (they answer 400 as before). JSON text inside a body
(Camunda's ``Json`` variables) is read with the same limits where it is decoded.
"""

from __future__ import annotations

import json

from flask import Flask, abort, request

from engine import safejson
from engine.errors import InvalidInput


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
    try:
        data = safejson.loads(text, "the JSON body")
    except json.JSONDecodeError:
        return  # not JSON: the view's own parsing answers 400
    except safejson.TooComplex as err:
        abort(400, str(err))
    found = safejson.lone_surrogates(data)
    if found:
        raise InvalidInput("the body holds text that is not valid Unicode (a lone surrogate)",
                           errors={path: ["含有无效的字符编码（不是有效的Unicode字符）"] for path in found})


def register(app: Flask) -> None:
    app.before_request(check_json_body)
