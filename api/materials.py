"""An application's materials: upload (raw bytes or multipart ``file``), list, download.

Configuration: ``MATERIALS_DIR`` (default ``instance/materials``, or the environment variable of that
name) is where files are kept — outside anything a web server serves; ``MATERIALS_MAX_BYTES`` (default
10 MiB) the largest file accepted (413 beyond it). What a file is comes from its bytes (415 unless JPEG,
PNG or PDF), never from its name or Content-Type.
"""

from __future__ import annotations

import os

from flask import Response, abort, current_app, g, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.materials import (
    DEFAULT_MAX_BYTES,
    EXTENSIONS,
    MaterialStore,
    MaterialTooLarge,
    UnsupportedMaterial,
    configured_directory,
)
from engine.service import Services, installed_services
from engine.usecases import materials

from .auth import context, require
from .errors import PROBLEM, problem
from .schemas import PageArgs, ProblemSchema, page_of, paged

blp = Blueprint(
    "materials", __name__, url_prefix="/api/process-instances/<instance_id>/materials", description="Materials"
)

MULTIPART_OVERHEAD = 64 * 1024


@blp.record_once
def _defaults(state) -> None:
    config = state.app.config
    config.setdefault("MATERIALS_DIR", str(configured_directory()))
    config.setdefault("MATERIALS_MAX_BYTES", int(os.environ.get("MATERIALS_MAX_BYTES") or DEFAULT_MAX_BYTES))


@blp.errorhandler(MaterialTooLarge)
def _too_large(err):
    return problem(413, str(err))


@blp.errorhandler(UnsupportedMaterial)
def _unsupported(err):
    return problem(415, str(err))


class MaterialSchema(Schema):
    code = fields.String()
    name = fields.String()
    version = fields.Integer()
    filename = fields.String(allow_none=True)
    media_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_by = fields.String()
    uploaded_at = fields.String()


MaterialPageSchema = page_of(MaterialSchema, "MaterialPage")


class UploadArgs(Schema):
    filename = fields.String(load_default=None, metadata={"description": "the file's name, for a raw body"})


_BINARY = {"schema": {"type": "string", "format": "binary"}}
UPLOAD_BODY = {
    "required": True,
    "description": "a JPEG, PNG or PDF file: the raw bytes, or multipart `file`",
    "content": {
        "application/octet-stream": _BINARY,
        "multipart/form-data": {
            "schema": {"type": "object", "required": ["file"], "properties": {"file": _BINARY["schema"]}}
        },
    },
}


def _code_parameter() -> list[dict]:
    return [
        {
            "in": "path",
            "name": "code",
            "description": "which material",
            "schema": {"type": "string", "enum": list(Services(installed_services()).materials)},
        }
    ]


DOWNLOAD = {
    "200": {
        "description": "the current file, as uploaded",
        "content": {media_type: _BINARY for media_type in EXTENSIONS},
    }
}


def _store() -> MaterialStore:
    return MaterialStore(current_app.config["MATERIALS_DIR"])


def _received(filename: str | None) -> tuple[bytes, str | None]:
    """The uploaded bytes and their name: multipart ``file``, or the raw body named by ``?filename=``."""
    limit = current_app.config["MATERIALS_MAX_BYTES"]
    request.max_content_length = limit + MULTIPART_OVERHEAD
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            abort(422, "upload the file as the multipart field `file`")
        return upload.read(limit + 1), upload.filename
    return request.get_data(cache=False), filename


@blp.route("/<code>", methods=["PUT"], parameters=_code_parameter())
@require("portal", "clerk")
@blp.arguments(UploadArgs(), location="query")
@blp.response(200, MaterialSchema, description="replaced the current version")
@blp.alt_response(201, schema=MaterialSchema, description="the first version of this material", success=True)
@blp.alt_response(413, schema=ProblemSchema, content_type=PROBLEM, description="larger than MATERIALS_MAX_BYTES")
@blp.alt_response(415, schema=ProblemSchema, content_type=PROBLEM, description="not a JPEG, PNG or PDF file")
@blp.doc(security=[{"bearer": []}], requestBody=UPLOAD_BODY)
def upload(args, instance_id, code):
    """Upload one material (JPEG, PNG or PDF, recognised by content); it becomes the current version."""
    content, filename = _received(args["filename"])
    row, replaced = materials.upload(
        context(),
        _store(),
        g.principal,
        instance_id,
        code,
        content,
        filename,
        current_app.config["MATERIALS_MAX_BYTES"],
    )
    return row, 200 if replaced else 201


@blp.route("")
@require("portal", "clerk")
@blp.arguments(PageArgs(), location="query")
@blp.response(200, MaterialPageSchema)
@blp.doc(security=[{"bearer": []}])
def list_materials(args, instance_id):
    """The current version of each material uploaded."""
    return paged(materials.list_materials(context(), g.principal, instance_id), args)


@blp.route("/<code>/content", parameters=_code_parameter())
@require("portal", "clerk")
@blp.doc(security=[{"bearer": []}], responses=DOWNLOAD)
def download(instance_id, code):
    """Download the current file (as an attachment); the read is recorded."""
    row, content = materials.read(context(), _store(), g.principal, instance_id, code)
    filename = f"{row['code']}-v{row['version']}{EXTENSIONS[row['media_type']]}"
    return Response(
        content,
        mimetype=row["media_type"],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "no-store",
        },
    )
