"""``/deployment``: list, count, get and create (Camunda Modeler's Deploy button)."""

from __future__ import annotations

from flask import jsonify, request

from engine.usecases import deployments

from ..guard import context
from .auth import DEPLOYERS, READERS, require
from .blueprint import base, blp, page_args
from .camunda import RestError, deployment_dto, deployment_with_definitions


def _filters() -> tuple[str | None, str | None]:
    return request.args.get("name"), request.args.get("source")


@blp.get("/deployment")
@require(*READERS)
def deployment_list(principal):
    rows, _ = deployments.list_deployments(context(), *page_args(), *_filters())
    return jsonify([deployment_dto(d, base()) for d in rows])


@blp.get("/deployment/count")
@require(*READERS)
def deployment_count(principal):
    _, count = deployments.list_deployments(context(), 0, 0, *_filters())
    return jsonify({"count": count})


@blp.get("/deployment/<deployment_id>")
@require(*READERS)
def deployment_get(principal, deployment_id):
    if not (deployment_id.isascii() and deployment_id.isdigit()):
        raise RestError(404, "InvalidRequestException", f"Deployment with id '{deployment_id}' does not exist")
    return jsonify(deployment_dto(deployments.get_deployment(context(), int(deployment_id)), base()))


@blp.post("/deployment/create")
@require(*DEPLOYERS)
def deployment_create(principal):
    if request.form.get("tenant-id"):
        raise RestError(400, "InvalidRequestException", "tenants are not used here: leave the tenant id empty")
    files = [(upload.filename or name, upload.read()) for name, uploads in request.files.lists() for upload in uploads]
    if not files:
        raise RestError(400, "InvalidRequestException", "No deployment resources contained in the form upload.")
    forms = [name for name, _ in files if name.lower().endswith(".form")]
    if forms:
        raise RestError(400, "ParseException", "ENGINE-09005 Could not parse BPMN process. Errors: " + " | ".join(
            f"{name}: Camunda Forms are not used here; a user task's form is the service's (camunda:formKey), so "
            f"deploy without attaching forms" for name in forms))
    duplicates = "true" in (request.form.get("enable-duplicate-filtering", "").lower(),
                            request.form.get("deploy-changed-only", "").lower())
    done = deployments.deploy_resources(
        context(), files, principal.name, name=request.form.get("deployment-name") or None,
        source=request.form.get("deployment-source") or None, filter_duplicates=duplicates)
    return jsonify(deployment_with_definitions(done["deployment"], done["definitions"], base()))
