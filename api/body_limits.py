"""What a request may carry, checked before any view or parser reads it (issues 13 and 19).

* Every JSON body (POST, PUT, PATCH) is read with :mod:`engine.safejson`'s limits (its nesting depth scanned
  without recursion, numbers bounded): deeper than :data:`~engine.safejson.MAX_DEPTH` levels, a number longer
  than :data:`~engine.safejson.MAX_NUMBER_CHARS` characters or beyond a float's range, or ``NaN``/``Infinity``
  (not JSON) → 400 with what is wrong. Bodies that are not JSON at all are left to the views (400 as before);
  JSON text inside a body (Camunda's ``Json`` variables) is read with the same limits where it is decoded.
* Text no database stores -- a lone surrogate, or NUL, which PostgreSQL refuses in any text -- is refused
  before it reaches a query: in a JSON body → 422 naming where (``variables.a.b``); in the path → 404 (no such
  thing); in the query, a header, a form field or an uploaded file's name → 400.
"""

from __future__ import annotations

import json

from flask import Flask, abort, request

from engine import safejson
from engine.errors import InvalidInput

UNSTORABLE = "含有无效的字符（不是有效的Unicode字符，或空字符U+0000）"


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
    found = safejson.unstorable_text(data)
    if found:
        raise InvalidInput(
            "the body holds text that is not valid Unicode (a lone surrogate) or NUL",
            errors={path: [UNSTORABLE] for path in found},
        )


def _nul(*texts) -> bool:
    return any("\x00" in (text or "") for text in texts)


def _header_holds_nul(environ: dict) -> bool:
    """The request's headers as the server gave them (``HTTP_*``, ``CONTENT_TYPE``, ``CONTENT_LENGTH``: what
    ``request.headers`` reads), looked at in place rather than each made a (name, value) pair first."""
    for key, value in environ.items():
        if (key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH")) and (
            "\x00" in key or (isinstance(value, str) and "\x00" in value)
        ):
            return True
    return False


def check_no_nul() -> None:
    """``before_request``: NUL in the path, the query, a header, a form field or a file name is refused."""
    if _nul(request.path):
        abort(404, "no such resource (the path holds NUL)")
    if request.query_string and any(_nul(name, value) for name, value in request.args.items(multi=True)):
        abort(400, "a query parameter holds NUL (U+0000)")
    if _header_holds_nul(request.environ):
        abort(400, "a header holds NUL (U+0000)")
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
        "multipart/form-data",
        "application/x-www-form-urlencoded",
    ):
        if any(_nul(name, value) for name, value in request.form.items(multi=True)):
            abort(400, "a form field holds NUL (U+0000)")
        if any(_nul(name, upload.filename) for name, upload in request.files.items(multi=True)):
            abort(400, "an uploaded file's name holds NUL (U+0000)")


def register(app: Flask) -> None:
    app.before_request(check_no_nul)
    app.before_request(check_json_body)
