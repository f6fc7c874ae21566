"""The supervisors' pages (R5.3, R8.4): what is overdue now, by department and district; service levels per
item, department and clerk in working days, as tables and charts (SVG made on the server by pygal, inline and
sanitised), filtered by period, item, department and district, each table exported as CSV; one application's
full timeline with its diagram."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from unicodedata import east_asian_width
from urllib.parse import quote

import pygal
from flask import Response, abort, g, jsonify, redirect, render_template, request, url_for
from markupsafe import Markup

from engine.clock import CHINA
from engine.divisions import divisions_within
from engine.usecases import instances
from engine.usecases import oversight as levels_of
from engine.usecases.oversight import Scope

from ..public_url import public
from ..security_headers import style_nonce, svg_response
from .names import division_name, group_name
from .oversight_tables import csv_text, tables
from .pages import blp, context, page

STYLE = pygal.style.Style(
    font_family="'Noto Sans CJK SC', 'Noto Sans SC', sans-serif",
    background="white",
    plot_background="white",
    colors=("#1565c0", "#c62828", "#2e7d32"),
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=12,
    legend_font_size=13,
    title_font_size=15,
    no_data_font_size=18,
)
CHART_WIDTH = 400  # shown at this width at most, never enlarged: its 13 px labels stay 11 px on a 360 px phone
NO_DATA = "暂无数据"


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


def _label_room(labels: list[str], size: int) -> float:
    """What pygal's estimate of a label's width (0.6 em a character) leaves out for wide (CJK) characters,
    for the longest label: the chart's left margin grows by it, so no label is cut off."""
    wide = [sum(0.45 for ch in label if east_asian_width(ch) in "WF") for label in labels]
    return max(wide, default=0) * size


def _people(labels: list[str]):
    """Marks the labels that are people's user names as not to be translated."""
    names = set(labels)

    def mark(root):
        for element in root.iter():
            if _local(element.tag) in ("text", "title", "desc") and (element.text or "").strip() in names:
                element.set("translate", "no")
        return root

    return mark


def chart(title: str, rows: list[dict], label: str, series: list[tuple[str, str]], people: bool = False) -> Markup:
    """A horizontal bar chart of ``rows`` (one bar group per row, named by ``row[label]``; ``series``: the
    legend's text and the row's key), every label whole, sized for the page; ``people``: the labels are user
    names."""
    labels = [str(row[label]) for row in rows]
    chart = pygal.HorizontalBar(
        style=STYLE,
        width=CHART_WIDTH,
        height=110 + 28 * len(series) * max(len(rows), 1),
        show_legend=len(series) > 1,
        legend_at_bottom=True,
        legend_at_bottom_columns=1,
        title=title,
        disable_xml_declaration=True,
        truncate_label=-1,
        truncate_legend=-1,
        print_values=True,
        no_data_text=NO_DATA,
        margin_left=8 + _label_room(labels, STYLE.label_font_size),
        js=[],
    )  # no tooltip script from pygal's site: the pages fetch nothing from outside
    chart.add_xml_filter(inline_safe)
    if people:
        chart.add_xml_filter(_people(labels))
    chart.x_labels = labels
    for text, key in series:
        chart.add(text, [row[key] or 0 for row in rows])
    return Markup(chart.render(is_unicode=True))


def _day(text: str | None, field: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text) if text.isascii() and len(text) == 10 else None
    except ValueError:
        day = None
    if day is None or not 1900 <= day.year <= 2199:
        problems.append(f"{field}应为日期（如 2026-12-01），已忽略。")
        return None
    return day


def scope_of(args, principal) -> tuple[Scope, list[str], dict]:
    """The page's filters from its query: the scope, what was wrong with them (in Chinese), and the values
    to show in the form again."""
    problems: list[str] = []
    services = context().services
    since, until = _day(args.get("since"), "起始日期", problems), _day(args.get("until"), "截止日期", problems)
    if since and until and until < since:
        problems.append("截止日期早于起始日期，已忽略期间。")
        since = until = None
    item = args.get("item") if args.get("item") in services.item_names else None
    department = args.get("department") if args.get("department") in services.groups else None
    district = args.get("district") if args.get("district") in dict(district_choices(principal)) else None
    scope = Scope(
        since=datetime.combine(since, time(), CHINA) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), CHINA) if until else None,
        item=item,
        department=department,
        district=district,
    )
    shown = {
        "since": since.isoformat() if since else "",
        "until": until.isoformat() if until else "",
        "item": item or "",
        "department": department or "",
        "district": district or "",
    }
    return scope, problems, shown


def district_choices(principal) -> list[tuple[str, str]]:
    """The divisions inside the caller's jurisdictions, province down, by name."""
    return divisions_within(principal.jurisdictions)


@blp.get("/oversight")
@page("supervisor", "admin")
def oversight():
    ctx = context()
    scope, problems, shown = scope_of(request.args, g.principal)
    rows = levels_of.overdue_now(ctx, g.principal, scope)
    levels = levels_of.service_levels(ctx, g.principal, scope.since, scope.until, scope)
    services = ctx.services
    for row in levels["by_department"]:
        row["department_name"] = group_name(row["department"])
    shown_tables = tables(group_name, division_name)
    query = {name: value for name, value in shown.items() if value}
    return render_template(
        "oversight.html",
        overdue=rows,
        now=ctx.clock.now(),
        levels=levels,
        tables=shown_tables,
        filters=shown,
        problems=problems,
        exported={key: url_for("web.oversight_export", table=key, **query) for key in shown_tables},
        items=services.item_names,
        groups=services.groups,
        districts=district_choices(g.principal),
        by_department=Counter(group_name(r["group"]) for r in rows),
        by_district=Counter(division_name(r["jurisdiction"]) for r in rows),
        charts=[
            chart(
                "平均用时（工作日）· 按事项",
                levels["by_item"],
                "name",
                [("平均用时（工作日）", "average_working_days")],
            ),
            chart(
                "超时件数 · 按部门",
                levels["by_department"],
                "department_name",
                [("当前超时", "overdue_now"), ("超时（含超时办结）", "overdue")],
            ),
            chart(
                "已办件数 · 按人员",
                levels["by_clerk"],
                "clerk",
                [("已办", "handled"), ("超时办结", "overdue")],
                people=True,
            ),
        ],
    )


@blp.get("/oversight/<table>.csv")
@page("supervisor", "admin")
def oversight_export(table):
    """A table of the page as a CSV file, with the page's filters (an export naming people is recorded)."""
    shown_tables = tables(group_name, division_name)
    if table not in shown_tables:
        abort(404)
    scope, _, _ = scope_of(request.args, g.principal)
    rows = levels_of.export(context(), g.principal, table, scope)
    day = context().clock.now().astimezone(CHINA).date().isoformat()
    response = Response(csv_text(shown_tables[table], rows), mimetype="text/csv")
    named = quote(f"{shown_tables[table].title}-{day}.csv")  # RFC 6266: the Chinese name, an ASCII one else
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"oversight-{table}-{day}.csv\"; filename*=UTF-8''{named}"
    )
    return response


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
    return jsonify(
        {
            "adminUrl": public(url_for("web.admin_home")),
            "cockpitUrl": public("/cockpit/"),
            "tasklistUrl": public(url_for("web.queue")),
        }
    )


@blp.get("/cockpit/process-instance/<instance_id>")
def cockpit_instance(instance_id):
    return redirect(url_for("web.application", instance_id=instance_id))


@blp.get("/cockpit/repository")
def cockpit_repository():
    return redirect(url_for("web.admin_home"))
