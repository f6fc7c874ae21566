"""A clerk's pages: the queue of the clerk's groups in the clerk's jurisdictions (soonest due first, paged on
the server), one task (the application, the materials inline, the form as the API describes it, the diagram,
the history), claim and give back, approve or return, and what the clerk completed."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from engine.errors import Conflict, InvalidInput
from engine.materials import MaterialStore
from engine.usecases import instances, materials, tasks

from .pages import blp, context, page

PER_PAGE = 20
RACE = "该任务已由其他人员认领或办理，您的操作未生效。请返回待办列表选择其他任务。"


class ActionForm(FlaskForm):
    """Claim, give back, retry, disable: nothing but the CSRF token (CSRFProtect checks it on every POST)."""


def _page_number() -> int:
    text = request.args.get("page", "1")
    return max(1, min(int(text), 10_000)) if text.isascii() and text.isdigit() else 1


@blp.get("/tasks")
@page("clerk")
def queue():
    mine = request.args.get("show") == "mine"
    unclaimed = request.args.get("show") == "unclaimed"
    item = request.args.get("item") or None
    state = request.args.get("state")
    found = tasks.list_tasks(context(), g.principal, group=None, assignee="me" if mine else ("none" if unclaimed else None),
                             overdue=state == "overdue", page=_page_number(), per_page=PER_PAGE, item=item,
                             due_today=state == "today")
    now = context().clock.now()
    return render_template("queue.html", found=found, counts=found["counts"], now=now, items=context().services.item_names,
                           filters={"show": request.args.get("show", ""), "item": item or "", "state": state or ""},
                           action=ActionForm())


def _task_page(task_id: str, status: int = 200, **shown):
    """A task's page: the task with its data (the reading is recorded), materials, history and form."""
    found = tasks.get_task(context(), g.principal, task_id)
    instance_id = found["process_instance_id"]
    return render_template("task.html", task=found, action=ActionForm(),
                           materials=materials.list_materials(context(), g.principal, instance_id),
                           history=instances.get_history(context(), g.principal, instance_id),
                           now=context().clock.now(), **shown), status


@blp.get("/tasks/<task_id>")
@page("clerk")
def task(task_id):
    return _task_page(task_id)


@blp.get("/applications/<instance_id>/materials/<code>")
@page("clerk")
def material(instance_id, code):
    """A material shown inline on a task's page (its own access check: a department handling the
    application; the reading is recorded)."""
    store = MaterialStore(current_app.config["MATERIALS_DIR"])
    row, content = materials.read(context(), store, g.principal, instance_id, code)
    if row["media_type"] not in ("application/pdf", "image/png", "image/jpeg"):
        abort(404)
    return Response(content, mimetype=row["media_type"], headers={  # shown in its task page (a PDF in an <object>)
        "X-Content-Type-Options": "nosniff", "X-Frame-Options": "SAMEORIGIN",
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; frame-ancestors 'self'",
        "Content-Disposition": "inline"})


@blp.post("/tasks/<task_id>/claim")
@page("clerk")
def claim(task_id):
    try:
        tasks.claim(context(), g.principal, task_id)
        flash("已认领，请办理。", "ok")
    except Conflict:
        flash(RACE, "error")
        return redirect(url_for("web.queue"))
    return redirect(url_for("web.task", task_id=task_id))


@blp.post("/tasks/<task_id>/unclaim")
@page("clerk")
def unclaim(task_id):
    try:
        tasks.unclaim(context(), g.principal, task_id)
        flash("已退回待办队列。", "ok")
    except Conflict:
        flash(RACE, "error")
    return redirect(url_for("web.queue"))


@blp.post("/tasks/<task_id>/complete")
@page("clerk")
def complete(task_id):
    found = tasks.task_form(context(), g.principal, task_id)
    variables = {}
    for field in found["form"]["fields"]:
        value = request.form.get(field["id"])
        if field["type"] == "boolean":
            variables[field["id"]] = value == "true"
        elif value not in (None, ""):
            variables[field["id"]] = value
    try:
        tasks.complete(context(), g.principal, task_id, variables)
    except InvalidInput as err:
        return _task_page(task_id, 422, errors=err.errors, values=variables)
    except Conflict:
        flash(RACE, "error")
        return redirect(url_for("web.queue"))
    flash("已办结：" + (found["name"] or ""), "ok")
    return redirect(url_for("web.queue"))


@blp.get("/done")
@page("clerk")
def done():
    return render_template("done.html", found=tasks.completed_by_me(context(), g.principal, _page_number(), PER_PAGE))
