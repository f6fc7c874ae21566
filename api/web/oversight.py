"""The supervisors' pages (R5.3, R8.4): what is overdue now, by department and jurisdiction; service levels per
item, department and clerk in working days, as tables and charts (SVG made on the server by pygal); one
application's full timeline with its diagram."""

from __future__ import annotations

from collections import Counter

import pygal
from flask import g, jsonify, redirect, render_template, url_for
from markupsafe import Markup

from engine.usecases import instances
from engine.usecases import oversight as levels_of

from ..public_url import public
from ..security_headers import style_nonce, svg_response
from .pages import blp, context, page

STYLE = pygal.style.Style(font_family="'Noto Sans CJK SC', 'Noto Sans SC', sans-serif", background="white",
                          plot_background="white", colors=("#1565c0", "#c62828", "#2e7d32"))


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def inline_safe(root):
    """pygal's tree made fit for a page whose policy allows no inline script and no style attribute: its
    configuration ``<script>`` goes (the tooltips it configures need pygal's script, which the pages never
    load), so do its ``style`` attributes (the one it writes hides the tooltip box, which its style sheet hides
    too), and its ``<style>`` carries this response's nonce."""
    for parent in root.iter():
        for child in list(parent):
            if _local(child.tag) == "script":
                parent.remove(child)
    for element in root.iter():
        if _local(element.tag) == "style":
            element.set("nonce", style_nonce())
        if "style" in element.attrib:
            del element.attrib["style"]
    return root


def _chart(title: str, rows: list[dict], label: str) -> Markup:
    chart = pygal.HorizontalBar(style=STYLE, width=640, height=160 + 50 * max(len(rows), 1), show_legend=True,
                                legend_at_bottom=True, title=title, disable_xml_declaration=True,
                                truncate_label=-1, print_values=True, margin_left=20,
                                js=[])  # no tooltip script from pygal's site: the pages fetch nothing from outside
    chart.add_xml_filter(inline_safe)
    chart.x_labels = [row[label] for row in rows]
    chart.add("平均用时（工作日）", [row["average_working_days"] or 0 for row in rows])
    chart.add("超时件数", [row["overdue"] for row in rows])
    return Markup(chart.render(is_unicode=True))


@blp.get("/oversight")
@page("supervisor", "admin")
def oversight():
    ctx = context()
    now = ctx.clock.now()
    rows = levels_of.overdue_now(ctx, g.principal)
    levels = levels_of.service_levels(ctx, g.principal, None, None)
    groups = ctx.services.groups
    for row in levels["by_department"]:
        row["department_name"] = groups.get(row["department"], row["department"])
    return render_template(
        "oversight.html", overdue=rows, now=now, groups=groups,
        by_department=Counter(r["group"] for r in rows), by_jurisdiction=Counter(r["jurisdiction"] for r in rows),
        levels=levels, item_chart=_chart("按事项", levels["by_item"], "name"),
        department_chart=_chart("按部门", levels["by_department"], "department_name"),
        clerk_chart=_chart("按人员", levels["by_clerk"], "clerk"))


@blp.get("/applications/<instance_id>")
@page("supervisor", "admin")
def application(instance_id):
    view = instances.get_instance(context(), g.principal, instance_id)
    history = instances.get_history(context(), g.principal, instance_id)
    return render_template("application.html", view=view, history=history)


@blp.get("/applications/<instance_id>/diagram.svg")
@page("clerk", "supervisor", "admin")
def diagram(instance_id):
    """The instance's diagram with done, active and overdue steps, shown as an image (no script runs)."""
    return svg_response(levels_of.diagram_svg(context(), g.principal, instance_id))


@blp.get("/.well-known/camunda-automation-platform/webapps")
def camunda_webapps():
    """Where Camunda Modeler's "open in Cockpit" links should land: these pages (``cockpitUrl`` is followed by
    ``process-instance/<id>`` or ``repository?...``), at the configured public URL (never the request's Host)."""
    return jsonify({"adminUrl": public(url_for("web.admin_home")), "cockpitUrl": public("/cockpit/"),
                    "tasklistUrl": public(url_for("web.queue"))})


@blp.get("/cockpit/process-instance/<instance_id>")
def cockpit_instance(instance_id):
    return redirect(url_for("web.application", instance_id=instance_id))


@blp.get("/cockpit/repository")
def cockpit_repository():
    return redirect(url_for("web.admin_home"))
