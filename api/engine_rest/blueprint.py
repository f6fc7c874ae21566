"""The facade's blueprint and what every resource of it shares: Camunda's error shape for every error (one
table from the engine's statuses), the preflight, unknown paths (credentials first, then 404), paging
arguments and the base of links."""

from __future__ import annotations

from contextlib import contextmanager

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as NoRoute

from engine.errors import EngineError, Ineligible, InvalidDeployment, InvalidInput

from ..errors import status_of
from ..public_url import public
from .auth import REALM, caller
from .camunda import VERSION, RestError, parse_problems

blp = Blueprint("engine_rest", __name__)

# the engine's status of an error → Camunda's status and exception type
CAMUNDA_ERRORS = {
    403: (403, "AuthorizationException"),
    404: (404, "RestException"),
    409: (409, "OptimisticLockingException"),
    422: (400, "InvalidRequestException"),
    502: (500, "ProcessEngineException"),
    503: (503, "ProcessEngineException"),
}


@blp.errorhandler(RestError)
def rest_error(err: RestError):
    response = jsonify(err.body())
    response.status_code = err.status
    if err.status == 401:
        response.headers["WWW-Authenticate"] = REALM
    return response


@blp.errorhandler(HTTPException)
def http_error(err: HTTPException):
    """What the app refuses before a view runs (a body too deep, NUL in a parameter) in Camunda's shape."""
    kind = "InvalidRequestException" if err.code == 400 else "RestException"
    return rest_error(RestError(err.code or 500, kind, err.description or err.name))


def as_rest_error(err: EngineError) -> RestError:
    """An engine error in Camunda's shape (one table: :func:`api.errors.status_of`)."""
    if isinstance(err, InvalidDeployment):
        return parse_problems(err.problems)
    status, kind = CAMUNDA_ERRORS.get(status_of(err), (500, "ProcessEngineException"))
    message, details = str(err), None
    if isinstance(err, Ineligible):
        message = "不予受理：" + "；".join(
            f"{r.get('message') or r.get('code')}（{r.get('rule')}）" for r in err.refusals
        )
    elif isinstance(err, InvalidInput) and err.errors:
        message = f"{err}: " + "; ".join(f"{path}: {'，'.join(found)}" for path, found in err.errors.items())
        details = {"errors": err.errors}
    return RestError(status, kind, message, details)


@blp.errorhandler(EngineError)
def engine_error(err: EngineError):
    return rest_error(as_rest_error(err))


@contextmanager
def failing_as(what: str):
    """Camunda's message of a refused operation: ``Cannot complete task <id>: <why>`` (for its 400s)."""
    try:
        yield
    except (RestError, EngineError) as err:
        found = err if isinstance(err, RestError) else as_rest_error(err)
        if found.status != 400:
            raise found from None
        raise RestError(found.status, found.kind, f"{what}: {found.message}", found.details) from None


@blp.route("/<path:anything>", methods=["OPTIONS"])
@blp.route("/", methods=["OPTIONS"])
def preflight(anything: str = ""):
    return "", 204


@blp.before_app_request
def unknown_path():
    """A path under the facade that no endpoint answers (only the preflight route matches it): as Camunda
    answers, credentials first (401), then 404 -- or 405 where the path exists and the method does not.
    Preflights (``OPTIONS``) stay the preflight route's."""
    prefix = current_app.config["ENGINE_REST_PATH"]
    failed = request.routing_exception
    if (
        request.method == "OPTIONS"
        or not isinstance(failed, (NoRoute, MethodNotAllowed))
        or not (request.path == prefix or request.path.startswith(prefix + "/"))
    ):
        return None
    allowed = sorted(set(getattr(failed, "valid_methods", None) or ()) - {"OPTIONS"})
    try:
        caller()
    except RestError as err:
        return rest_error(err)
    if not allowed:
        return rest_error(RestError(404, "NotFoundException", "HTTP 404 Not Found"))
    response = rest_error(RestError(405, "NotAllowedException", "HTTP 405 Method Not Allowed"))
    response.headers["Allow"] = ", ".join(allowed + ["OPTIONS"])
    return response


@blp.get("/version")
def version():
    return jsonify({"version": VERSION})


def int_arg(name: str, default: int | None) -> int | None:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 9:
        raise RestError(400, "InvalidRequestException", f"{name} must be a non-negative whole number")
    return int(text)


def page_args() -> tuple[int, int | None]:
    """``firstResult`` and ``maxResults`` (none: all)."""
    return int_arg("firstResult", 0) or 0, int_arg("maxResults", None)


def base() -> str:
    """Where links point: the public URL's ``/engine-rest`` (:mod:`api.public_url`), never the request's Host."""
    return public(current_app.config["ENGINE_REST_PATH"])


def json_body() -> dict:
    """The request's JSON object (none: ``{}``); RestError 400 for anything else."""
    body = request.get_json(silent=True)
    if body is None:
        if request.get_data(cache=True).strip():
            raise RestError(400, "InvalidRequestException", "the body is not JSON")
        return {}
    if not isinstance(body, dict):
        raise RestError(400, "InvalidRequestException", "the body must be a JSON object")
    return body
