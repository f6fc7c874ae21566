"""Clerks' task queue: list, read, claim, unclaim, complete."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from engine.usecases import tasks

from .auth import context, require
from .schemas import CompleteRequestSchema, TaskDetailSchema, TaskPageSchema, TaskQueryArgs, TaskSchema

blp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="User tasks")


@blp.route("")
@require("clerk")
@blp.arguments(TaskQueryArgs, location="query")
@blp.response(200, TaskPageSchema)
@blp.doc(security=[{"bearer": []}])
def list_tasks(args):
    """Open tasks of the caller's groups and jurisdictions, soonest due first."""
    return tasks.list_tasks(context(), g.principal, group=args["group"], assignee=args["assignee"],
                            overdue=args["overdue"], page=args["page"], per_page=args["per_page"])


@blp.route("/<task_id>")
@require("clerk")
@blp.response(200, TaskDetailSchema)
@blp.doc(security=[{"bearer": []}])
def get_task(task_id):
    """The task, the data its form needs, and its form."""
    return tasks.get_task(context(), g.principal, task_id)


@blp.route("/<task_id>/claim", methods=["POST"])
@require("clerk")
@blp.response(200, TaskSchema)
@blp.doc(security=[{"bearer": []}])
def claim(task_id):
    return tasks.claim(context(), g.principal, task_id)


@blp.route("/<task_id>/unclaim", methods=["POST"])
@require("clerk")
@blp.response(200, TaskSchema)
@blp.doc(security=[{"bearer": []}])
def unclaim(task_id):
    return tasks.unclaim(context(), g.principal, task_id)


@blp.route("/<task_id>/complete", methods=["POST"])
@require("clerk")
@blp.arguments(CompleteRequestSchema)
@blp.response(200, TaskSchema)
@blp.doc(security=[{"bearer": []}])
def complete(body, task_id):
    """Approve or return, with the task's form fields."""
    return tasks.complete(context(), g.principal, task_id, body["variables"])
