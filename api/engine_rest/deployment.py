"""``/deployment``: list, count, get, create (Camunda Modeler's Deploy button: duplicate filtering per
deployment name, as Camunda's), its files, and delete."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, jsonify, request

from engine.errors import Conflict
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
    return jsonify(deployment_dto(deployments.get_deployment(context(), _number(deployment_id)), base()))


@blp.post("/deployment/create")
@require(*DEPLOYERS)
def deployment_create(principal):
    if request.form.get("tenant-id"):
        raise RestError(400, "InvalidRequestException", "tenants are not used here: leave the tenant id empty")
    if request.form.get("deployment-activation-time"):
        raise RestError(
            400,
            "InvalidRequestException",
            "deployment-activation-time is not supported here: a "
            "deployment's versions are active at once; deploy when "
            "they should take effect",
        )
    files = [(upload.filename or name, upload.read()) for name, uploads in request.files.lists() for upload in uploads]
    if not files:
        raise RestError(400, "InvalidRequestException", "No deployment resources contained in the form upload.")
    forms = [name for name, _ in files if name.lower().endswith(".form")]
    if forms:
        raise RestError(
            400,
            "ParseException",
            "ENGINE-09005 Could not parse BPMN process. Errors: "
            + " | ".join(
                f"{name}: Camunda Forms are not used here; a user task's form is the service's (camunda:formKey), so "
                f"deploy without attaching forms"
                for name in forms
            ),
        )
    duplicates = "true" in (
        request.form.get("enable-duplicate-filtering", "").lower(),
        request.form.get("deploy-changed-only", "").lower(),
    )
    done = deployments.deploy_resources(
        context(),
        files,
        principal.name,
        name=request.form.get("deployment-name") or None,
        source=request.form.get("deployment-source") or None,
        filter_duplicates=duplicates,
    )
    return jsonify(deployment_with_definitions(done, base()))


def _number(deployment_id: str) -> int:
    if not (deployment_id.isascii() and deployment_id.isdigit()) or len(deployment_id) > 9:
        raise RestError(404, "InvalidRequestException", f"Deployment with id '{deployment_id}' does not exist")
    return int(deployment_id)


def _resource_dto(resource: dict) -> dict:
    return {"id": str(resource["id"]), "name": resource["name"], "deploymentId": str(resource["deployment_id"])}


@blp.get("/deployment/<deployment_id>/resources")
@require(*READERS)
def deployment_resources(principal, deployment_id):
    """The files of a deployment: those uploaded and those carried over from the service's previous one."""
    return jsonify([_resource_dto(r) for r in deployments.deployment_resources(context(), _number(deployment_id))])


def _resource(deployment_id: str, resource_id: str) -> tuple[dict, bytes]:
    number = _number(deployment_id)
    if not (resource_id.isascii() and resource_id.isdigit()) or len(resource_id) > 9:
        raise RestError(
            404,
            "InvalidRequestException",
            f"Deployment resource with resource id '{resource_id}' for deployment id '{deployment_id}' does not exist.",
        )
    return deployments.deployment_resource(context(), number, int(resource_id))


@blp.get("/deployment/<deployment_id>/resources/<resource_id>")
@require(*READERS)
def deployment_resource(principal, deployment_id, resource_id):
    return jsonify(_resource_dto(_resource(deployment_id, resource_id)[0]))


@blp.get("/deployment/<deployment_id>/resources/<resource_id>/data")
@require(*READERS)
def deployment_resource_data(principal, deployment_id, resource_id):
    """A deployed file byte for byte, as a download (never shown as a page)."""
    resource, content = _resource(deployment_id, resource_id)
    media = "application/xml" if resource["name"].lower().endswith((".bpmn", ".dmn")) else "application/octet-stream"
    return Response(
        content,
        mimetype=media,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(resource['name'])}",
            "X-Content-Type-Options": "nosniff",
        },
    )


@blp.delete("/deployment/<deployment_id>")
@require(*DEPLOYERS)
def deployment_delete(principal, deployment_id):
    """Delete a deployment: refused while applications run on it, unless ``cascade=true``, which cancels them
    (an admin's: each with the reason in its history). Kept, hidden, for the history of what ran on it."""
    cascade = request.args.get("cascade", "").lower() == "true"
    try:
        deployments.delete_deployment(context(), principal, _number(deployment_id), cascade)
    except Conflict as err:
        raise RestError(409, "ProcessEngineException", str(err)) from None
    return "", 204
