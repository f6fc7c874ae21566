"""Applications: the portal starts them and follows them; supervisors read their history."""

from __future__ import annotations

from flask import g, request
from flask_smorest import Blueprint

from engine.usecases import checks, clerk_tools, instances, search, watch

from . import push
from .auth import context, require
from .schemas import (
    CancelRequestSchema,
    CheckSchema,
    CommentRequestSchema,
    CommentSchema,
    HistorySchema,
    InstanceRefSchema,
    InstanceSchema,
    PageArgs,
    ProgressSchema,
    SearchArgs,
    SearchResultSchema,
    StartRequestSchema,
    paged,
)

blp = Blueprint("applications", __name__, url_prefix="/api", description="Applications")


@blp.route("/process-definitions/<key>/start", methods=["POST"])
@require("portal")
@blp.arguments(StartRequestSchema())
@blp.response(201, InstanceRefSchema)
@blp.doc(
    security=[{"bearer": []}],
    requestBody={
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["variables"],
                    "properties": {
                        "business_key": {"type": "string", "maxLength": 100},
                        "variables": {
                            "type": "object",
                            "description": "the start variables the process's service reads: its "
                            "start form, one of the schemas of this document",
                        },
                    },
                }
            }
        }
    },
)
def start(body, key):
    """Start an application on the latest version of a process."""
    return instances.start(
        context(),
        g.principal,
        key,
        body["variables"],
        body.get("business_key"),
        idempotency_key=request.headers.get("Idempotency-Key"),
    )


CHECK_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"type": "object", "description": "the request as the service's start form has it"}
        }
    },
}


@blp.route("/applications/check", methods=["POST"])
@require("portal")
@blp.response(200, CheckSchema)
@blp.doc(security=[{"bearer": []}], requestBody=CHECK_BODY)
def check():
    """Dry run, nothing stored, of the one installed service that has one: eligibility (every refusal with its
    rule), materials, time limits."""
    return checks.check_application(context(), g.principal, request.get_json(silent=True))


@blp.route("/process-definitions/<key>/check", methods=["POST"])
@require("portal")
@blp.response(200, CheckSchema)
@blp.doc(security=[{"bearer": []}], requestBody=CHECK_BODY)
def check_for(key):
    """The same dry run for the service of process ``key``, on its latest deployed version."""
    return checks.check_application(context(), g.principal, request.get_json(silent=True), key)


LONG_POLL_DOC = dict(
    security=[{"bearer": []}],
    parameters=[
        {
            "in": "query",
            "name": "wait",
            "required": False,
            "schema": {"type": "integer", "minimum": 0, "maximum": watch.MAX_WAIT_SECONDS, "default": 0},
            "description": "with If-None-Match: wait up to this many seconds for the view to change",
        },
        {
            "in": "header",
            "name": "If-None-Match",
            "required": False,
            "schema": {"type": "string"},
            "description": "the ETag the caller has: 304 while the view is still that one",
        },
    ],
    responses={
        "304": {"description": "the view is still the one of If-None-Match (after the wait)"},
        "503": {"description": "too many clients wait now (Retry-After); ask again, or without wait"},
    },
)


@blp.route("/process-instances/<instance_id>")
@require("portal", "clerk", "supervisor", "admin")
@blp.response(200, InstanceSchema)
@blp.doc(**LONG_POLL_DOC)
def get_instance(instance_id):
    """State, one entry per chosen item, and the open steps; with ``?wait=N`` and ``If-None-Match``, as soon as
    they change (a long poll)."""
    ctx, principal = context(), g.principal
    return push.view_answer(lambda: instance_id, lambda: instances.get_instance(ctx, principal, instance_id))


@blp.route("/applications/<business_key>/progress")
@require("portal", "supervisor", "admin")
@blp.response(200, ProgressSchema)
@blp.doc(**LONG_POLL_DOC)
def progress(business_key):
    """The applicant's view in plain Chinese; with ``?wait=N`` and ``If-None-Match``, as soon as it changes."""
    ctx, principal = context(), g.principal
    return push.view_answer(
        lambda: watch.instance_id_of(ctx, business_key), lambda: instances.get_progress(ctx, principal, business_key)
    )


@blp.route("/process-instances/<instance_id>/history")
@require("supervisor", "admin")
@blp.arguments(PageArgs(), location="query")
@blp.response(200, HistorySchema)
@blp.doc(security=[{"bearer": []}])
def history(args, instance_id):
    """Every event of an application: who, what, when, why (R8.1)."""
    return paged(instances.get_history(context(), g.principal, instance_id), args)


@blp.route("/process-instances/<instance_id>/cancel", methods=["POST"])
@require("portal", "admin")
@blp.arguments(CancelRequestSchema())
@blp.response(200, InstanceRefSchema)
@blp.doc(security=[{"bearer": []}])
def cancel(body, instance_id):
    """The applicant withdraws the application; its open tasks and jobs are closed."""
    return instances.cancel(context(), g.principal, instance_id, body.get("reason"))


@blp.route("/search")
@require("clerk", "supervisor", "admin")
@blp.arguments(SearchArgs(), location="query")
@blp.response(200, SearchResultSchema)
@blp.doc(security=[{"bearer": []}])
def find(args):
    """Applications found by application number, an ID number, a name or a phone number, within the caller's
    jurisdictions (a clerk's: only where its groups work); each one found is recorded in its history."""
    return search.find(context(), g.principal, args["q"])


@blp.route("/process-instances/<instance_id>/comments", methods=["POST"])
@require("clerk")
@blp.arguments(CommentRequestSchema())
@blp.response(201, CommentSchema)
@blp.doc(security=[{"bearer": []}])
def comment(body, instance_id):
    """A clerk of a department working on the application notes something on it; kept in its history."""
    return clerk_tools.comment(context(), g.principal, instance_id, body["text"])
