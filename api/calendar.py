"""The working-day calendar (R5.1): ``GET /api/calendar``, ``GET /api/calendar/{year}`` for every signed-in
role, ``PUT /api/calendar/{year}`` for admins, who load a year's State Council holiday notice (the JSON the
README describes); a bad file is refused with every problem and nothing changes."""

from __future__ import annotations

from flask import abort, g, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.usecases import calendar
from engine.users import ROLES

from .auth import context, require

blp = Blueprint("calendar", __name__, url_prefix="/api", description="Working-day calendar")


class SourceSchema(Schema):
    title = fields.String()
    number = fields.String(allow_none=True)
    origin = fields.String(metadata={"description": "notice (imported), package (chinesecalendar) or statutory"})
    loaded_at = fields.String(allow_none=True)
    loaded_by = fields.String(allow_none=True)


class BlockSchema(Schema):
    name = fields.String()
    days = fields.List(fields.String())


class ImportSchema(Schema):
    at = fields.String()
    by = fields.String()
    origin = fields.String()
    title = fields.String()
    number = fields.String(allow_none=True)
    outcome = fields.String()
    recounted = fields.Integer(allow_none=True)


class YearSchema(Schema):
    year = fields.Integer()
    status = fields.String(metadata={"description": "official (its notice is loaded) or provisional"})
    provisional = fields.Boolean()
    source = fields.Nested(SourceSchema)
    holidays = fields.List(fields.Nested(BlockSchema))
    workdays = fields.List(fields.String(), metadata={"description": "make-up working days (调休上班)"})
    working_days = fields.Integer()
    imports = fields.List(fields.Nested(ImportSchema))
    outcome = fields.String(metadata={"description": "PUT: loaded, replaced, unchanged or source_updated"})
    recounted = fields.Integer(metadata={"description": "PUT: applications whose due dates moved"})


class YearListSchema(Schema):
    official_years = fields.List(fields.Integer())
    provisional_years = fields.List(fields.Integer())
    uncovered_years = fields.List(fields.Integer())
    years = fields.List(fields.Dict())


@blp.route("/calendar")
@require(*ROLES)
@blp.response(200, YearListSchema)
@blp.doc(security=[{"bearer": []}])
def list_years():
    """The official years and the provisional ones near today."""
    return calendar.list_years(context())


def _year(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        abort(404, f"no calendar year {text!r} (a year is four digits, such as 2027)")
    return int(text)


@blp.route("/calendar/<year>")
@require(*ROLES)
@blp.response(200, YearSchema)
@blp.doc(security=[{"bearer": []}])
def show_year(year):
    """What the service counts with in a year: official with its source, or provisional (statutory)."""
    return calendar.show_year(context(), _year(year))


@blp.route("/calendar/<year>", methods=["PUT"])
@require("admin")
@blp.response(200, YearSchema)
@blp.doc(security=[{"bearer": []}], requestBody={"content": {"application/json": {"schema": {"type": "object"}}}})
def import_year(year):
    """Load a year's State Council holiday notice; open due dates counted through it provisionally move."""
    year = _year(year)
    data = request.get_json(silent=True)
    if data is None:
        abort(400, "the body must be the year's notice as JSON (see the README: year, source, holidays, workdays)")
    return calendar.import_notice(context(), g.principal.name, data, year=year)
