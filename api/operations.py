"""Operations: outside events (messages) and incidents."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from engine.usecases import incidents, messages
from engine.worker import retry_incident

from .auth import context, require
from .schemas import IncidentPageSchema, IncidentRetrySchema, MessageRequestSchema, MessageResultSchema, PageArgs

blp = Blueprint("operations", __name__, url_prefix="/api", description="Messages and incidents")


@blp.route("/messages", methods=["POST"])
@require("portal", "clerk", "admin")
@blp.arguments(MessageRequestSchema())
@blp.response(200, MessageResultSchema)
@blp.doc(security=[{"bearer": []}])
def correlate(body):
    """Deliver an outside event (``premium_paid``, ``hukou_page_printed``) to the application waiting for it."""
    return messages.correlate(context(), g.principal, body["name"], body["business_key"], body["variables"])


@blp.route("/incidents")
@require("admin")
@blp.arguments(PageArgs(), location="query")
@blp.response(200, IncidentPageSchema)
@blp.doc(security=[{"bearer": []}])
def list_incidents(args):
    """Service tasks that failed all their retries, or that a department refused with a business error the
    process does not catch; their applications wait."""
    return incidents.list_incidents(context(), args["page"], args["per_page"])


@blp.route("/incidents/<incident_id>/retry", methods=["POST"])
@require("admin")
@blp.response(200, IncidentRetrySchema)
@blp.doc(security=[{"bearer": []}])
def retry(incident_id):
    """Run a failed service task again, now; the answer says what came of it (``outcome``)."""
    return retry_incident(context(), g.principal, incident_id)
