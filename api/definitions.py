"""Process definitions: analysts deploy and download them; supervisors list them."""

from __future__ import annotations

from flask import Response, abort, g, request
from flask_smorest import Blueprint

from engine.usecases import deployments

from .auth import context, require
from .schemas import DefinitionSchema, DeployArgs, DeploymentResultSchema, XmlArgs

blp = Blueprint("definitions", __name__, url_prefix="/api", description="Process definitions")


@blp.route("/deployments", methods=["POST"])
@require("analyst")
@blp.arguments(DeployArgs(), location="query")
@blp.response(201, DeploymentResultSchema)
@blp.doc(
    security=[{"bearer": []}],
    requestBody={
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"files": {"type": "array", "items": {"type": "string", "format": "binary"}}},
                }
            }
        }
    },
)
def deploy(args):
    """Deploy .bpmn and .dmn files as a new version (every problem listed, nothing stored, on 422); the policy
    tables are dry-run on the sample applications first (``force=true`` deploys over what it finds)."""
    uploads = [f for values in request.files.listvalues() for f in values]
    if not uploads:
        abort(400, "upload .bpmn/.dmn files as multipart/form-data")
    files = [(f.filename or "unnamed", f.read()) for f in uploads]
    return {"definitions": deployments.deploy(context(), files, g.principal.name, force=args["force"])}


@blp.route("/process-definitions")
@require("analyst", "supervisor")
@blp.response(200, DefinitionSchema(many=True))
@blp.doc(security=[{"bearer": []}])
def list_definitions():
    return deployments.list_definitions(context())


@blp.route("/process-definitions/<key>/xml")
@require("analyst")
@blp.arguments(XmlArgs(), location="query")
@blp.doc(
    security=[{"bearer": []}],
    responses={"200": {"description": "the deployed file, byte for byte", "content": {"application/xml": {}}}},
)
def definition_xml(args, key):
    filename, content = deployments.definition_xml(context(), key, args["version"])
    return Response(
        content, mimetype="application/xml", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
