"""``GET /api/health``: the service answers, its database answers, and which calendar years it counts
provisionally (R5.1: a year without its holiday notice never stops the service).

For load balancers and the units' and containers' health checks (issue 25): ``/api/health/live`` answers
200 while the process answers (nothing else is asked: restarting it would not make a database come back);
``/api/health/ready`` answers 200 when it can do its work -- the database answers, the schema is this
release's, a worker was seen within a minute, this year and the next can be counted -- and 503 with the
checks that failed otherwise (``engine.usecases.health``)."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.clock import CHINA
from engine.usecases import health as checks
from engine.usecases.calendar import calendar_status

from .auth import context

blp = Blueprint("health", __name__, url_prefix="/api", description="Health")


class CalendarStatusSchema(Schema):
    official_years = fields.List(fields.Integer())
    provisional_years = fields.List(
        fields.Integer(),
        metadata={
            "description": "years near today whose holiday notice is not loaded: due dates through them are 预计"
        },
    )
    uncovered_years = fields.List(
        fields.Integer(),
        metadata={
            "description": "years near today that cannot be counted at all (no notice loaded, statutory holidays not "
            "computable): never usable, a due date through them is refused"
        },
    )


class HealthSchema(Schema):
    status = fields.String(
        required=True,
        metadata={"description": "ok; degraded when this year or the next cannot be counted (uncovered_years)"},
    )
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


class LiveSchema(Schema):
    status = fields.String(required=True, metadata={"description": "live"})


class ReadinessCheckSchema(Schema):
    ok = fields.Boolean(required=True)
    detail = fields.String(required=True)


class ReadySchema(Schema):
    status = fields.String(required=True, metadata={"description": "ready or not_ready (503)"})
    checks = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(ReadinessCheckSchema),
        metadata={"description": "database, schema, worker, calendar"},
    )


@blp.route("/health/live")
@blp.response(200, LiveSchema)
def live():
    """The process answers (for a liveness probe: nothing else is checked)."""
    return {"status": "live"}


@blp.route("/health/ready")
@blp.response(200, ReadySchema)
@blp.alt_response(503, schema=ReadySchema, description="not ready: the checks say why")
def ready():
    """Ready for work: database, schema at this release's revision, a worker seen within a minute, this year
    and the next countable; 503 with the failed checks otherwise."""
    found = checks.readiness(context())
    return found, 200 if found["status"] == "ready" else 503
