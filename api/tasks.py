"""Clerks' task queue: list, read, claim, unclaim, complete; a clerk's own tools on a task (a follow-up date,
giving it to a colleague)."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from engine.usecases import clerk_tools, tasks

from .auth import context, require
from .schemas import (
    AssignRequestSchema,
    ColleaguesSchema,
    CompleteRequestSchema,
    FollowUpRequestSchema,
    TaskDetailSchema,
    TaskPageSchema,
    TaskQueryArgs,
    TaskSchema,
)

blp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="User tasks")


@blp.route("")
@require("clerk")
@blp.arguments(TaskQueryArgs(), location="query")
@blp.response(200, TaskPageSchema)
@blp.doc(security=[{"bearer": []}])
def list_tasks(args):
    """Open tasks of the caller's groups and jurisdictions, soonest due first (or in ``order``)."""
    return tasks.list_tasks(
        context(),
        g.principal,
        group=args["group"],
        assignee=args["assignee"],
        overdue=args["overdue"],
        page=args["page"],
        per_page=args["per_page"],
        item=args["item"],
        order=args["order"],
        descending=args["descending"],
        follow_up=args["follow_up"],
    )


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
@blp.arguments(CompleteRequestSchema())
@blp.response(200, TaskSchema)
@blp.doc(security=[{"bearer": []}])
def complete(body, task_id):
    """Approve or return, with the task's form fields."""
    return tasks.complete(context(), g.principal, task_id, body["variables"])


@blp.route("/<task_id>/follow-up", methods=["PUT"])
@require("clerk")
@blp.arguments(FollowUpRequestSchema())
@blp.response(200, TaskSchema)
@blp.doc(security=[{"bearer": []}])
def follow_up(body, task_id):
    """The clerk's date to look at an open task again (null: none); recorded in the history."""
    return clerk_tools.set_follow_up(context(), g.principal, task_id, body["follow_up_on"])


@blp.route("/<task_id>/colleagues")
@require("clerk")
@blp.response(200, ColleaguesSchema)
@blp.doc(security=[{"bearer": []}])
def colleagues(task_id):
    """Who the task may be given to: other clerks of its group whose jurisdictions cover it."""
    return {"items": clerk_tools.colleagues(context(), g.principal, task_id)}


@blp.route("/<task_id>/assign", methods=["POST"])
@require("clerk")
@blp.arguments(AssignRequestSchema())
@blp.response(200, TaskSchema)
@blp.doc(security=[{"bearer": []}])
def assign(body, task_id):
    """Give an open task (unclaimed, or held by the caller) to a colleague, who then holds it (409 if someone
    else holds it, 422 if the name is no colleague's)."""
    return clerk_tools.hand_over(context(), g.principal, task_id, body["assignee"])
