"""The endpoints of the Camunda 7 REST facade (see the package docstring), each a thin call of a use case."""

from __future__ import annotations

import base64
import binascii
from functools import wraps

from flask import Blueprint, current_app, jsonify, request

from engine.errors import Conflict, EngineError, Forbidden, Ineligible, InvalidDeployment, InvalidInput, NotFound
from engine.usecases import deployments, instances
from engine.usecases.accounts import AccountLocked, authenticate, authenticate_password

from .camunda import (
    VERSION,
    RestError,
    definition_dto,
    deployment_dto,
    deployment_with_definitions,
    parse_definition_id,
    parse_problems,
    plain_variables,
)

DEPLOYERS = ("analyst", "admin")
READERS = ("analyst", "admin", "supervisor")
STARTERS = ("portal", "analyst", "admin")
REALM = 'Basic realm="onething engine-rest", charset="UTF-8"'


def _context():
    return current_app.extensions["onething"]


def _credentials_principal():
    """The caller from ``Authorization`` (Basic name:password, or Bearer token); None without credentials."""
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "basic" and value:
        try:
            name, sep, password = base64.b64decode(value, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None, False
        if not sep or not name:
            return None, False
        try:
            return authenticate_password(_context(), name, password, request.remote_addr), True
        except AccountLocked as err:
            raise RestError(401, "AuthenticationException", f"{err}") from None
    if scheme.lower() == "bearer" and value:
        return authenticate(_context(), value), True
    return None, False  # no header, or one that is neither (Camunda Modeler's "undefined")


def require(*roles: str):
    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal, given = _credentials_principal()
            if principal is None:
                raise RestError(401, "AuthenticationException",
                                "Credentials do not match" if given else "Authentication required")
            if not principal.has_role(*roles):
                raise RestError(403, "AuthorizationException",
                                f"{principal.name} is not allowed to do this here (requires {' or '.join(roles)})")
            return view(principal, *args, **kwargs)
        return wrapper
    return decorate


def _int_arg(name: str, default: int | None) -> int | None:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit() or len(text) > 9:
        raise RestError(400, "InvalidRequestException", f"{name} must be a non-negative whole number")
    return int(text)


def _base() -> str:
    return request.host_url.rstrip("/") + current_app.config["ENGINE_REST_PATH"]


def _definitions(key: str | None = None, latest_only: bool = False) -> list[dict]:
    found = [d for d in deployments.list_definitions(_context()) if key is None or d["key"] == key]
    if latest_only:
        latest = {}
        for d in found:
            if d["key"] not in latest or d["version"] > latest[d["key"]]["version"]:
                latest[d["key"]] = d
        found = list(latest.values())
    return sorted(found, key=lambda d: (d["key"], d["version"]))


def _definition_by_id(text: str) -> dict:
    key, version, number = parse_definition_id(text)
    for d in _definitions(key):
        if d["version"] == version and d["id"] == number:
            return d
    raise RestError(404, "RestException", f"No matching definition with id {text}")


def _latest_of_key(key: str) -> dict:
    found = _definitions(key)
    if not found:
        raise RestError(404, "RestException", f"No matching process definition with key: {key} and no tenant-id")
    return found[-1]


def _page(rows: list) -> list:
    first, limit = _int_arg("firstResult", 0), _int_arg("maxResults", None)
    return rows[first:first + limit] if limit is not None else rows[first:]


def make_blueprint(prefix: str) -> Blueprint:
    bp = Blueprint("engine_rest", __name__, url_prefix=prefix)

    @bp.errorhandler(RestError)
    def rest_error(err: RestError):
        response = jsonify(err.body())
        response.status_code = err.status
        if err.status == 401:
            response.headers["WWW-Authenticate"] = REALM
        return response

    @bp.errorhandler(EngineError)
    def engine_error(err: EngineError):
        if isinstance(err, InvalidDeployment):
            return rest_error(parse_problems(err.problems))
        if isinstance(err, Ineligible):
            reasons = "；".join(f"{r.get('message') or r.get('code')}（{r.get('rule')}）" for r in err.refusals)
            return rest_error(RestError(400, "RestException", f"不予受理：{reasons}"))
        if isinstance(err, InvalidInput):
            fields = "; ".join(f"{path}: {'，'.join(messages)}" for path, messages in (err.errors or {}).items())
            return rest_error(RestError(400, "InvalidRequestException", f"{err}: {fields}" if fields else str(err)))
        if isinstance(err, NotFound):
            return rest_error(RestError(404, "RestException", str(err)))
        if isinstance(err, Forbidden):
            return rest_error(RestError(403, "AuthorizationException", str(err)))
        if isinstance(err, Conflict):
            return rest_error(RestError(409, "OptimisticLockingException", str(err)))
        return rest_error(RestError(500, "ProcessEngineException", str(err)))

    @bp.route("/<path:anything>", methods=["OPTIONS"])
    @bp.route("/", methods=["OPTIONS"])
    def preflight(anything: str = ""):
        return "", 204

    @bp.get("/version")
    def version():
        return jsonify({"version": VERSION})

    @bp.get("/deployment")
    @require(*READERS)
    def deployment_list(principal):
        rows, _ = deployments.list_deployments(_context(), _int_arg("firstResult", 0), _int_arg("maxResults", None),
                                               request.args.get("name"), request.args.get("source"))
        return jsonify([deployment_dto(d, _base()) for d in rows])

    @bp.get("/deployment/count")
    @require(*READERS)
    def deployment_count(principal):
        _, count = deployments.list_deployments(_context(), 0, 0, request.args.get("name"),
                                                request.args.get("source"))
        return jsonify({"count": count})

    @bp.get("/deployment/<deployment_id>")
    @require(*READERS)
    def deployment_get(principal, deployment_id):
        if not deployment_id.isdigit():
            raise RestError(404, "InvalidRequestException", f"Deployment with id '{deployment_id}' does not exist")
        return jsonify(deployment_dto(deployments.get_deployment(_context(), int(deployment_id)), _base()))

    @bp.post("/deployment/create")
    @require(*DEPLOYERS)
    def deployment_create(principal):
        if request.form.get("tenant-id"):
            raise RestError(400, "InvalidRequestException", "tenants are not used here: leave the tenant id empty")
        files = [(upload.filename or name, upload.read())
                 for name, uploads in request.files.lists() for upload in uploads]
        if not files:
            raise RestError(400, "InvalidRequestException", "No deployment resources contained in the form upload.")
        forms = [name for name, _ in files if name.lower().endswith(".form")]
        if forms:
            raise RestError(400, "ParseException",
                            "ENGINE-09005 Could not parse BPMN process. Errors: " + " | ".join(
                                f"{name}: Camunda Forms are not used here; a user task's form is the service's "
                                f"(camunda:formKey), so deploy without attaching forms" for name in forms))
        duplicates = "true" in (request.form.get("enable-duplicate-filtering", "").lower(),
                                request.form.get("deploy-changed-only", "").lower())
        done = deployments.deploy_resources(
            _context(), files, principal.name, name=request.form.get("deployment-name") or None,
            source=request.form.get("deployment-source") or None, filter_duplicates=duplicates)
        return jsonify(deployment_with_definitions(done["deployment"], done["definitions"], _base()))

    @bp.get("/process-definition")
    @require(*READERS, "portal")
    def definition_list(principal):
        latest = request.args.get("latestVersion", "").lower() == "true"
        return jsonify([definition_dto(d) for d in _page(_definitions(request.args.get("key"), latest))])

    @bp.get("/process-definition/count")
    @require(*READERS, "portal")
    def definition_count(principal):
        latest = request.args.get("latestVersion", "").lower() == "true"
        return jsonify({"count": len(_definitions(request.args.get("key"), latest))})

    @bp.get("/process-definition/key/<key>")
    @require(*READERS, "portal")
    def definition_by_key(principal, key):
        return jsonify(definition_dto(_latest_of_key(key)))

    @bp.get("/process-definition/<definition_id>")
    @require(*READERS, "portal")
    def definition_get(principal, definition_id):
        return jsonify(definition_dto(_definition_by_id(definition_id)))

    def _xml(definition: dict):
        _, content = deployments.definition_xml(_context(), definition["key"], definition["version"])
        return jsonify({"id": definition_dto(definition)["id"], "bpmn20Xml": content.decode("utf-8")})

    @bp.get("/process-definition/key/<key>/xml")
    @require(*READERS)
    def definition_xml_by_key(principal, key):
        return _xml(_latest_of_key(key))

    @bp.get("/process-definition/<definition_id>/xml")
    @require(*READERS)
    def definition_xml(principal, definition_id):
        return _xml(_definition_by_id(definition_id))

    def _start(principal, definition: dict):
        body = request.get_json(silent=True)
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise RestError(400, "InvalidRequestException", "the body must be a JSON object")
        business_key = body.get("businessKey")
        if business_key is not None and (not isinstance(business_key, str) or not 0 < len(business_key) <= 100):
            raise RestError(400, "InvalidRequestException", "businessKey must be text of 1 to 100 characters")
        started = instances.start(_context(), principal, definition["key"], plain_variables(body.get("variables")),
                                  business_key=business_key, version=definition["version"],
                                  idempotency_key=request.headers.get("Idempotency-Key"))
        return jsonify({
            "links": [{"method": "GET", "href": f"{_base()}/process-instance/{started['id']}", "rel": "self"}],
            "id": started["id"],
            "definitionId": definition_dto(definition)["id"],
            "businessKey": started["business_key"],
            "caseInstanceId": None,
            "tenantId": None,
            "ended": started["state"] != "active",
            "suspended": False,
        })

    @bp.post("/process-definition/key/<key>/start")
    @require(*STARTERS)
    def start_by_key(principal, key):
        return _start(principal, _latest_of_key(key))

    @bp.post("/process-definition/<definition_id>/start")
    @require(*STARTERS)
    def start_by_id(principal, definition_id):
        return _start(principal, _definition_by_id(definition_id))

    return bp
