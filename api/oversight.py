"""Oversight: an application's diagram with its progress marked, and service levels (R5.3, R8.4)."""

from __future__ import annotations

from flask import Response, g
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.usecases import oversight

from .auth import context, require
from .schemas import LateTaskSchema

blp = Blueprint("oversight", __name__, url_prefix="/api", description="Oversight")


class ServiceLevelArgs(Schema):
    since = fields.AwareDateTime(load_default=None, metadata={"description": "tasks created at or after"})
    until = fields.AwareDateTime(load_default=None, metadata={"description": "tasks created before"})


class LevelSchema(Schema):
    handled = fields.Integer()
    returned = fields.Integer()
    open = fields.Integer()
    overdue = fields.Integer(metadata={"description": "late now, or finished after the due moment"})
    overdue_now = fields.Integer(metadata={"description": "open and past the due moment now"})
    average_working_days = fields.Float(allow_none=True)
    max_working_days = fields.Integer(allow_none=True)
    provisional = fields.Boolean(
        metadata={
            "description": "counted through a year whose holiday notice is not loaded yet (R5.1): recomputed when it is"
        }
    )
    provisional_years = fields.List(fields.Integer())


class ItemLevelSchema(LevelSchema):
    item = fields.String()
    name = fields.String()


class DepartmentLevelSchema(LevelSchema):
    department = fields.String()


class ClerkLevelSchema(LevelSchema):
    clerk = fields.String()
    department = fields.String()


class ServiceLevelsSchema(Schema):
    provisional_years = fields.List(
        fields.Integer(), metadata={"description": "years near today counted provisionally (no holiday notice loaded)"}
    )
    uncovered_years = fields.List(
        fields.Integer(),
        metadata={
            "description": "years near today that cannot be counted at all (no notice loaded, statutory holidays "
            "not computable): a due date through them is refused"
        },
    )
    since = fields.String(allow_none=True)
    until = fields.String(allow_none=True)
    by_item = fields.List(fields.Nested(ItemLevelSchema))
    by_department = fields.List(fields.Nested(DepartmentLevelSchema))
    by_clerk = fields.List(fields.Nested(ClerkLevelSchema))


@blp.route("/process-instances/<instance_id>/diagram.svg")
@require("clerk", "supervisor")
@blp.doc(
    security=[{"bearer": []}],
    responses={
        "200": {
            "description": "the process diagram with done, active and overdue steps marked",
            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
        }
    },
)
def diagram(instance_id):
    svg = oversight.diagram_svg(context(), g.principal, instance_id)
    return Response(svg, mimetype="image/svg+xml", headers={"X-Content-Type-Options": "nosniff"})


@blp.route("/metrics/service-levels")
@require("supervisor")
@blp.arguments(ServiceLevelArgs(), location="query")
@blp.response(200, ServiceLevelsSchema)
@blp.doc(security=[{"bearer": []}])
def service_levels(args):
    """Per item, department and clerk: handled, returned, working days taken, overdue (R8.4)."""
    return oversight.service_levels(context(), g.principal, args["since"], args["until"])


@blp.route("/oversight/overdue")
@require("supervisor", "admin")
@blp.response(200, LateTaskSchema(many=True))
@blp.doc(security=[{"bearer": []}])
def overdue():
    """The open steps in the caller's jurisdictions past their due moment now (R5.3), longest overdue first."""
    return oversight.overdue_now(context(), g.principal)
