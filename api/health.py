"""``GET /api/health``: the service answers, its database answers, and which calendar years it counts
provisionally (R5.1: a year without its holiday notice never stops the service)."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.usecases.calendar import calendar_status

from .auth import context

blp = Blueprint("health", __name__, url_prefix="/api", description="Health")


class CalendarStatusSchema(Schema):
    official_years = fields.List(fields.Integer())
    provisional_years = fields.List(fields.Integer(), metadata={
        "description": "years near today whose holiday notice is not loaded: due dates through them are 预计"})


class HealthSchema(Schema):
    status = fields.String(required=True)
    calendar = fields.Nested(CalendarStatusSchema)


@blp.route("/health")
@blp.response(200, HealthSchema)
def health():
    with context().reader() as uow:
        uow.ping()
    return {"status": "ok", "calendar": calendar_status(context())}
