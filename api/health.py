"""``GET /api/health``: the service answers and its database answers."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from .auth import context

blp = Blueprint("health", __name__, url_prefix="/api", description="Health")


class HealthSchema(Schema):
    status = fields.String(required=True)


@blp.route("/health")
@blp.response(200, HealthSchema)
def health():
    with context().reader() as uow:
        uow.ping()
    return {"status": "ok"}
