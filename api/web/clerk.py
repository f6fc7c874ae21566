"""A clerk's pages: the queue of the clerk's groups in the clerk's jurisdictions (soonest due first or as
sorted, paged on the server, with who filed, for whom, when and where), one task (the application by
section, the materials as thumbnails beside it with which required ones are missing, the form as the API
describes it, what a return ends, the diagram, the history), claim and give back, approve or return, a
comment, a follow-up date, giving the task to a colleague, and what the clerk completed."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm

from engine.clock import CHINA
from engine.errors import Conflict, InvalidInput
from engine.materials import MaterialStore
from engine.usecases import clerk_tools, instances, materials, tasks, watch

from .. import event_streams
from .pages import blp, context, page

PER_PAGE = 20
RACE = "该任务已由其他人员认领或办理，您的操作未生效。请返回待办列表选择其他任务。"
ORDERS = ("due", "filed", "applicant", "subject", "district", "follow_up")


class ActionForm(FlaskForm):
    """Claim, give back, retry, disable: nothing but the CSRF token (CSRFProtect checks it on every POST)."""


def _page_number() -> int:
    text = request.args.get("page", "1")
    return max(1, min(int(text), 10_000)) if text.isascii() and text.isdigit() else 1


@blp.get("/tasks")
@page("clerk")
def queue():
    if request.headers.get("X-Queue-Refresh") == "1":  # queue.js reloading the list: not the clerk's doing
        session.untouched = True  # so it does not keep the session alive
    mine = request.args.get("show") == "mine"
    unclaimed = request.args.get("show") == "unclaimed"
    own_items = context().services.items_of(g.principal.groups)  # the items of the clerk's own departments
    item = request.args.get("item") if request.args.get("item") in own_items else None
    state = request.args.get("state")
    order = request.args.get("order") if request.args.get("order") in ORDERS else "due"
    descending = request.args.get("desc") == "1"
    found = tasks.list_tasks(
        context(),
        g.principal,
        group=None,
        assignee="me" if mine else ("none" if unclaimed else None),
        overdue=state == "overdue",
        page=_page_number(),
        per_page=PER_PAGE,
        item=item,
        due_today=state == "today",
        follow_up=state == "follow_up",
        order=order,
        descending=descending,
    )
    now = context().clock.now()
    filters = {"show": request.args.get("show", ""), "item": item or "", "state": state or ""}
    return render_template(
        "queue.html",
        revision=watch.queue_revision(context(), g.principal),  # what the page's event stream starts from
        found=found,
        counts=found["counts"],
        now=now,
        items=own_items,
        filters=filters,
        order=order,
        descending=descending,
        action=ActionForm(),
        subject_title=_subject_title(),
    )


@blp.get("/tasks/events")
@page("clerk")
def queue_events():
    """The clerk's queue as server-sent events (``queue.js`` reloads the list on each): an event ``queue``
    whenever a task of the clerk's groups in its jurisdictions is created, claimed, given back or to a
    colleague, completed or cancelled; heartbeats between. It does not keep the session alive: a page left
    open still signs out after the idle time."""
    session.untouched = True  # no "last used" written for it
    ctx, principal = context(), g.principal
    seen = request.headers.get("Last-Event-ID") or request.args.get("seen") or None
    alive, settings = event_streams.client_alive(), event_streams.stream_settings()

    def formatted():
        for revision in watch.follow_queue(ctx, principal, seen, alive=alive, **settings):
            yield (
                event_streams.HEARTBEAT
                if revision is None
                else event_streams.event("queue", {"revision": revision}, revision)
            )

    return event_streams.event_stream(formatted, page=True)


def _subject_title() -> str:
    """What the queue calls who an application is about: the service's word when one service is installed."""
    titles = {service.subject_title for service in context().services.all}
    return titles.pop() if len(titles) == 1 else "办理对象"


class ToolForm(FlaskForm):
    """A comment, a follow-up date or a colleague to give the task to: fields read from the form itself."""


def _task_page(task_id: str, status: int = 200, **shown):
    """A task's page: the task with its data (the reading is recorded), materials (the required ones each
    present or missing), colleagues, history and form."""
    found = tasks.get_task(context(), g.principal, task_id)
    instance_id = found["process_instance_id"]
    uploaded = materials.list_materials(context(), g.principal, instance_id)
    have = {m["code"] for m in uploaded}
    required = [{**m, "present": m["code"] in have} for m in found["required_materials"]]
    mine_to_give = found["completed_at"] is None and found["assignee"] in (None, g.principal.name)
    return render_template(
        "task.html",
        task=found,
        action=ActionForm(),
        tool=ToolForm(),
        materials=uploaded,
        required=required,
        colleagues=clerk_tools.colleagues(context(), g.principal, task_id) if mine_to_give else [],
        history=instances.get_history(context(), g.principal, instance_id),
        now=context().clock.now(),
        today=context().clock.now().astimezone(CHINA).date().isoformat(),
        **shown,
    ), status


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
    return Response(
        content,
        mimetype=row["media_type"],
        headers={  # shown in its task page (a PDF in an <object>)
            "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "SAMEORIGIN",
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; frame-ancestors 'self'",
            "Content-Disposition": "inline",
        },
    )


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
        return _task_page(task_id, 200, errors=err.errors, values=variables)  # 200: a 4xx is a console error
    except Conflict:
        flash(RACE, "error")
        return redirect(url_for("web.task", task_id=task_id))  # the page says who holds it now
    flash("已办结：" + (found["name"] or ""), "ok")
    flash(task_id, "draft-done")  # the browser forgets the draft it kept of this task's form
    return redirect(url_for("web.queue"))


@blp.post("/tasks/<task_id>/comment")
@page("clerk")
def comment(task_id):
    found = tasks.task_form(context(), g.principal, task_id)
    try:
        clerk_tools.comment(context(), g.principal, found["process_instance_id"], request.form.get("text"))
        flash("意见已记入办件历史。", "ok")
    except InvalidInput as err:
        flash(str(err), "error")
    return redirect(url_for("web.task", task_id=task_id) + "#history-h")


@blp.post("/tasks/<task_id>/follow-up")
@page("clerk")
def follow_up(task_id):
    text = (request.form.get("follow_up_on") or "").strip()
    try:
        on = date.fromisoformat(text) if text else None
    except ValueError:
        flash("跟进日期格式有误，请选择日期。", "error")
        return redirect(url_for("web.task", task_id=task_id))
    try:
        clerk_tools.set_follow_up(context(), g.principal, task_id, on)
        flash("已设置跟进日期。" if on else "已取消跟进日期。", "ok")
    except InvalidInput as err:
        flash("；".join(m for ms in err.errors.values() for m in ms), "error")
    except Conflict:
        flash(RACE, "error")
    return redirect(url_for("web.task", task_id=task_id))


@blp.post("/tasks/<task_id>/assign")
@page("clerk")
def assign(task_id):
    to = request.form.get("assignee")
    try:
        clerk_tools.hand_over(context(), g.principal, task_id, to)
    except InvalidInput as err:
        flash(str(err), "error")
        return redirect(url_for("web.task", task_id=task_id))
    except Conflict:
        flash(RACE, "error")
        return redirect(url_for("web.task", task_id=task_id))
    flash(f"已转交给{to}。", "ok")
    return redirect(url_for("web.queue"))


@blp.get("/done")
@page("clerk")
def done():
    found = tasks.completed_by_me(context(), g.principal, _page_number(), PER_PAGE)
    forms = context().services.task_forms
    for t in found["items"]:  # the decision as its own form names it (签发, 准予登记, 退件)
        options = {}
        if t["form_key"] in forms.keys():
            for field in forms.get(t["form_key"]).describe()["fields"]:
                if field["id"] == "decision":
                    options = {o["id"]: o["name"] for o in field.get("options") or ()}
        t["decision_text"] = options.get(t["outcome"])
    return render_template("done.html", found=found, subject_title=_subject_title())
