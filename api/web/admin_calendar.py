"""The working-day calendar's pages: a year as a month view (days off with their holiday, make-up working days,
weekends) with its source and its loads; for admins the import of the year's State Council notice from a
file -- the same checks as ``PUT /api/calendar/{year}`` and ``onething calendar import`` (the size limit,
JSON within the limits, :func:`engine.calendar.notice.parse_notice` for that year), every problem in
Chinese -- shown as the month view it would give before it is confirmed and loaded."""

from __future__ import annotations

import calendar as months
import json

from flask import flash, g, redirect, render_template, request, url_for

from engine import safejson
from engine.calendar.notice import MAX_FILE_BYTES, InvalidNotice, parse_notice
from engine.usecases import calendar

from .clerk import ActionForm
from .pages import blp, context, page

WEEKDAYS = "一二三四五六日"
OUTCOMES = {
    "loaded": "已载入",
    "replaced": "已替换",
    "unchanged": "内容未变",
    "source_updated": "已更新来源",
    "refused": "被拒绝",
}
ORIGINS = {"package": "随软件提供的节假日数据", "notice": "管理员载入的通知", "statutory": "法定节假日推算"}


def month_view(year: int, holidays: list[dict], workdays: list[str]) -> list[dict]:
    """Twelve months, each a list of weeks (Monday first) of days: ``{"day", "kind", "name"}`` with kind
    ``off`` (a day off, ``name`` its holiday), ``work`` (a make-up working day), ``weekend`` or ``day``;
    None outside the month."""
    off = {d: block["name"] for block in holidays for d in block["days"]}
    worked = set(workdays)
    shown = []
    for month in range(1, 13):
        weeks = []
        for week in months.Calendar(firstweekday=0).monthdatescalendar(year, month):
            days = []
            for day in week:
                if day.month != month:
                    days.append(None)
                    continue
                text = day.isoformat()
                kind = (
                    "off" if text in off else "work" if text in worked else "weekend" if day.weekday() >= 5 else "day"
                )
                days.append({"day": day.day, "kind": kind, "name": off.get(text), "date": text})
            weeks.append(days)
        shown.append({"month": month, "weeks": weeks})
    return shown


def _page(year: int, status: int = 200, problems: list[str] | None = None):
    view = calendar.show_year(context(), year)
    return render_template(
        "calendar.html",
        view=view,
        weekdays=WEEKDAYS,
        outcomes=OUTCOMES,
        origins=ORIGINS,
        months=month_view(year, view["holidays"], view["workdays"]),
        problems=problems or [],
        action=ActionForm(),
        limit_kib=MAX_FILE_BYTES // 1024,
    ), status


@blp.get("/admin/calendar/<int:year>")
@page("admin", "supervisor")
def calendar_year(year):
    return _page(year)


def _read(year: int) -> tuple[dict | None, list[str]]:
    """The uploaded file as a notice's JSON for ``year``, or the problems with it (in Chinese)."""
    upload = request.files.get("notice")
    if upload is None or not upload.filename:
        return None, ["请选择要载入的通知文件（JSON）。"]
    raw = upload.stream.read(MAX_FILE_BYTES + 1)
    if len(raw) > MAX_FILE_BYTES:
        return None, [f"文件超过{MAX_FILE_BYTES // 1024} KiB，不是放假安排通知。"]
    try:
        data = safejson.loads(raw.decode("utf-8-sig"), "the file")
    except UnicodeDecodeError:
        return None, ["文件不是 UTF-8 编码的文本。"]
    except ValueError:
        return None, ["文件不是有效的 JSON（或嵌套过深、数字过长）。"]
    try:
        parse_notice(data, year=year)
    except InvalidNotice as err:
        return None, err.chinese
    return data, []


@blp.post("/admin/calendar/<int:year>/import")
@page("admin")
def calendar_import(year):
    """Check the file and show the year as it would be, with a button to load it (nothing changes yet)."""
    calendar.show_year(context(), year)  # a year the service knows (404 otherwise)
    data, problems = _read(year)
    if data is None:
        return _page(year, 422, problems)
    notice = parse_notice(data, year=year)
    current = calendar.show_year(context(), year)
    return render_template(
        "calendar_preview.html",
        year=year,
        notice=notice,
        current=current,
        months=month_view(year, notice.days_json()["holidays"], notice.days_json()["workdays"]),
        weekdays=WEEKDAYS,
        action=ActionForm(),
        text=json.dumps(notice.to_json(), ensure_ascii=False, sort_keys=True),
    )


@blp.post("/admin/calendar/<int:year>/confirm")
@page("admin")
def calendar_confirm(year):
    """Load the notice the preview showed (checked again, as any import is)."""
    text = request.form.get("notice", "")
    try:
        data = safejson.loads(text, "the notice") if len(text.encode("utf-8")) <= MAX_FILE_BYTES else None
    except ValueError:
        data = None
    if data is None:
        return _page(year, 422, ["通知内容无效，请重新选择文件。"])
    try:
        done = calendar.import_notice(context(), g.principal.name, data, year=year)
    except InvalidNotice as err:
        return _page(year, 422, err.chinese)
    flash(
        f"{year}年放假安排{OUTCOMES.get(done['outcome'], '已处理')}（{done['source']['title']}）；"
        f"{done['recounted']}件在办申请的办结时限已重新计算。",
        "ok",
    )
    return redirect(url_for("web.calendar_year", year=year))
