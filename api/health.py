"""``GET /api/health``: the service answers, its database answers, and which calendar years it counts
provisionally (R5.1: a year without its holiday notice never stops the service)."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.clock import CHINA
from engine.usecases.calendar import calendar_status

from .auth import context

blp = Blueprint("health", __name__, url_prefix="/api", description="Health")


class CalendarStatusSchema(Schema):
    official_years = fields.List(fields.Integer())
    provisional_years = fields.List(fields.Integer(), metadata={
        "description": "years near today whose holiday notice is not loaded: due dates through them are 预计"})
    uncovered_years = fields.List(fields.Integer(), metadata={
        "description": "years near today that cannot be counted at all (no notice loaded, statutory holidays not "
                       "computable): never usable, a due date through them is refused"})


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={
        "description": "ok; degraded when this year or the next cannot be counted (uncovered_years)"})
    calendar = fields.Nested(CalendarStatusSchema)


@blp.route("/health")
@blp.response(200, HealthSchema)
def health():
    with context().reader() as uow:
        uow.ping()
    status = calendar_status(context())
    next_year = context().clock.now().astimezone(CHINA).year + 1
    counts = all(year > next_year for year in status["uncovered_years"])  # this year's and next year's dates
    return {"status": "ok" if counts else "degraded", "calendar": status}
