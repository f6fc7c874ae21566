"""One error mapper: engine errors and HTTP errors become application/problem+json (RFC 9457)."""

from __future__ import annotations

import logging

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from engine.calendar import CalendarNotCovered
from engine.errors import (
    Conflict,
    DepartmentFailed,
    EngineError,
    Forbidden,
    Ineligible,
    InvalidDeployment,
    InvalidInput,
    NotFound,
    PolicyError,
)
from forms.errors import flatten_errors

from .schemas import ProblemSchema

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"

STATUS = {
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    InvalidInput: 422,
    InvalidDeployment: 422,
    Ineligible: 422,
    DepartmentFailed: 502,
    PolicyError: 422,
    CalendarNotCovered: 503,
}
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def problem(status: int, detail: str, **extra):
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM
    return response


def status_of(err: EngineError) -> int:
    """The HTTP status of an engine error (one table for every door of the app)."""
    return next((code for cls, code in STATUS.items() if isinstance(err, cls)), 500)


def _engine_error(err: EngineError):
    status = status_of(err)
    extra = {}
    if isinstance(err, InvalidInput):
        extra["errors"] = err.errors
    if isinstance(err, InvalidDeployment):
        extra["problems"] = [p.to_dict() for p in err.problems]
    if isinstance(err, Ineligible):
        extra["refusals"] = err.refusals
    return problem(status, str(err), **extra)


def _http_error(err: HTTPException):
    extra = {}
    data = getattr(err, "data", None) or {}
    messages = data.get("messages")
    if messages:  # webargs validation: {"json": {...}, "query": {...}}
        flat = {}
        for errs in messages.values():
            flat.update(flatten_errors(errs))
        extra["errors"] = flat
    return problem(err.code or 500, data.get("message") or err.description or "", **extra)


def _unexpected(err: Exception):
    log.exception("unhandled error: %s", err.__class__.__name__)
    return problem(500, "internal error")


def _document(api) -> None:
    """Every error response of the OpenAPI document (flask-smorest's ``default`` and 422, and any other
    it registers) is ``application/problem+json`` with the Problem schema, as the handlers answer."""
    components = api.spec.components
    if "Problem" not in components.schemas:
        components.schema("Problem", schema=ProblemSchema)
    for responses in (components.responses, components.responses_lazy):
        for response in responses.values():
            if "content" in response:
                response["content"] = {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    components.schemas.pop("Error", None)  # flask-smorest's own error shape, which we never send


def register(app: Flask, api) -> None:
    app.register_error_handler(EngineError, _engine_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    _document(api)
