"""The admins' pages: incidents (service tasks that failed every attempt) with their detail and retry, and
deployments with their versions' diagrams (shown in a page with zoom and pan; the drawing stays an image
under its own strict policy). Users are :mod:`.admin_users`, the working-day calendar :mod:`.admin_calendar`."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for

from engine.calendar.chinese import chinese_time
from engine.diagram import render_svg
from engine.errors import Conflict, NotFound
from engine.usecases import calendar, deployments, incidents, oversight
from engine.worker import retry_incident

from ..security_headers import svg_response
from .clerk import ActionForm
from .names import division_name, group_name
from .oversight_tables import tables
from .pages import blp, context, page


def _filters_text(filters: dict) -> str:
    """An export's filters as a supervisor chose them, in words."""
    services = context().services
    words = []
    if filters.get("since") or filters.get("until"):
        words.append(f"{chinese_time(filters.get('since')) or '不限'}至{chinese_time(filters.get('until')) or '不限'}")
    if filters.get("item"):
        words.append(services.item_names.get(filters["item"], "未知事项"))
    if filters.get("department"):
        words.append(group_name(filters["department"]))
    if filters.get("district"):
        words.append(division_name(filters["district"]))
    return "、".join(words) or "全部"


def _exports() -> list[dict]:
    titles = {key: table.title for key, table in tables(group_name, division_name).items()}
    return [
        {**e, "title": titles.get(e.get("table"), "其他"), "filters_text": _filters_text(e.get("filters") or {})}
        for e in oversight.recent_exports(context())
    ]


@blp.get("/admin")
@page("admin")
def admin_home():
    return render_template(
        "admin.html",
        incidents=incidents.list_incidents(context(), 1, 50),
        definitions=deployments.list_definitions(context()),
        years=calendar.list_years(context()),
        exports=_exports(),
        action=ActionForm(),
    )


@blp.get("/admin/incidents/<incident_id>")
@page("admin")
def incident(incident_id):
    """What an incident is about and what its step had to work with (personal data masked), with retry."""
    try:
        found = incidents.incident_detail(context(), g.principal, incident_id)
    except NotFound:
        flash("该故障已不存在（可能已重试成功）。", "ok")
        return redirect(url_for("web.admin_home"))
    return render_template("incident.html", incident=found, action=ActionForm())


@blp.post("/admin/incidents/<incident_id>/retry")
@page("admin")
def retry(incident_id):
    try:
        done = retry_incident(context(), g.principal, incident_id)
        flash(done["outcome_message"], "ok" if done["outcome"] == "resolved" else "error")
        if done["outcome"] == "failed":
            return redirect(url_for("web.incident", incident_id=incident_id))
    except NotFound:
        flash("未能重试：该故障已不存在（可能已由他人重试成功）。", "error")
    except Conflict:
        flash("未能重试：该环节已不是故障，正在办理中。", "error")
    return redirect(url_for("web.admin_home"))


@blp.get("/admin/definitions/<key>/<int:version>")
@page("admin")
def definition(key, version):
    """A process version with its diagram in a viewer (zoom and pan: our own script; the drawing an image)."""
    return render_template("definition.html", definition=deployments.get_definition(context(), key, version))


@blp.get("/admin/definitions/<key>/<int:version>/diagram.svg")
@page("admin")
def definition_diagram(key, version):
    _, content = deployments.definition_xml(context(), key, version)
    return svg_response(render_svg(content, set(), set(), set()))
