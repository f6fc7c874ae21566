"""The working-day calendar as operated data (R5.1): seeding it from the installed package, loading a year's
State Council notice, showing a year, and counting open due dates again once a provisional year is official.

A year with a row in ``calendar_years`` is official; any other is provisional (its statutory holidays,
:mod:`engine.calendar.statutory`). Loading a notice is one transaction (the year and the record of the
import); then every active application whose open due dates, timers, promised date or item deadlines were
counted through that year while it was provisional is counted again from its own starts, each in its own
transaction guarded by the instance's revision, with a history entry saying what moved and why. Completed
applications keep what they recorded. The worker runs :func:`reconcile` too, so an application that another
process saved with a calendar a few seconds old is caught up.
"""

from __future__ import annotations

import copy
import logging
from datetime import date, datetime
from uuid import UUID

from ..bpmn.timers import recount_timer
from ..calendar import (WorkdayCalendar, YearNotice, blocks_json, blocks_of, package_notices, parse_notice,
                        statutory_days_off)
from ..calendar.chinese import PROVISIONAL_MARK, chinese_day
from ..calendar.workdays import CalendarNotCovered
from ..clock import CHINA, iso
from ..context import EngineContext
from ..errors import NotFound
from ..persistence.models import CalendarImport, CalendarYear
from ..persistence.unit_of_work import ConcurrentUpdate
from ..runtime import all_tasks, due_at, waiting_timers
from ..users import Principal
from .oversight import provisional_years_near, uncovered_years_near

log = logging.getLogger(__name__)

RECOUNT_ATTEMPTS = 5


# -- loading years ------------------------------------------------------------------------------------


def _row(notice: YearNotice, origin: str, at: datetime, by: str) -> CalendarYear:
    return CalendarYear(year=notice.year, origin=origin, title=notice.title, number=notice.number,
                        days=notice.days_json(), fingerprint=notice.fingerprint, loaded_at=at, loaded_by=by)


def _record(notice: YearNotice, origin: str, at: datetime, by: str, outcome: str, detail: dict) -> CalendarImport:
    return CalendarImport(year=notice.year, at=at, by=by, origin=origin, title=notice.title,
                          number=notice.number, fingerprint=notice.fingerprint, outcome=outcome, detail=detail)


def seed_from_package(ctx: EngineContext) -> list[int]:
    """Make the years the installed ``chinesecalendar`` covers official, where the database has no entry yet
    (the first start; a newer package adds its new years). A year already there -- an operator's import
    above all -- is never overwritten. The years added."""
    notices = package_notices()
    now = ctx.clock.now()
    with ctx.reader() as uow:
        present = {row.year for row in uow.calendar.all()}
    if all(notice.year in present for notice in notices):
        return []
    added = []
    with ctx.uow() as uow:
        uow.calendar.lock()
        present = {row.year for row in uow.calendar.all()}
        for notice in notices:
            if notice.year in present:
                continue
            uow.calendar.add(_row(notice, "package", now, "system"))
            uow.calendar.record(_record(notice, "package", now, "system", "loaded", {}))
            added.append(notice.year)
        uow.commit()
    if added:
        log.info("working-day calendar: %d year(s) loaded from %s (%d-%d)", len(added), notices[0].title,
                 min(added), max(added))
        ctx.calendar.invalidate()
        reconcile(ctx, years=added)
    return added


def import_notice(ctx: EngineContext, by: str, data, year: int | None = None) -> dict:
    """Load one year's notice (the import file's content, already JSON-decoded; ``year``: the year it must be
    for). Refused with every problem when invalid (nothing changes). The same days again change nothing.
    Answers the year as :func:`show_year` does, with ``outcome`` and ``recounted`` (applications whose due
    dates were counted again)."""
    notice = parse_notice(data, year=year)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        uow.calendar.lock()
        row = uow.calendar.get(notice.year, for_update=uow.is_postgresql)
        if row is not None and row.fingerprint == notice.fingerprint:
            outcome = "unchanged"
            if (row.title, row.number) != (notice.title, notice.number):
                row.title, row.number, row.loaded_at, row.loaded_by = notice.title, notice.number, now, by
                outcome = "source_updated"
            uow.calendar.record(_record(notice, "notice", now, by, outcome, {}))
            uow.commit()
            ctx.calendar.invalidate()
            return {**show_year(ctx, notice.year), "outcome": outcome, "recounted": 0}
        outcome = "replaced" if row is not None else "loaded"
        previous = {"origin": row.origin, "title": row.title, "number": row.number} if row else None
        if row is not None:
            uow.session.delete(row)
            uow.flush()
        uow.calendar.add(_row(notice, "notice", now, by))
        entry = _record(notice, "notice", now, by, outcome, {"previous": previous} if previous else {})
        uow.calendar.record(entry)
        uow.commit()
        entry_id = entry.id
    log.info("working-day calendar: %s %s by %s", notice.year, outcome, by)
    ctx.calendar.invalidate()
    recounted = reconcile(ctx, years=[notice.year], actor=by)
    with ctx.uow() as uow:  # the import's record says how many applications it moved
        entry = uow.calendar.import_entry(entry_id)
        entry.detail = {**entry.detail, "recounted": recounted}
        uow.commit()
    return {**show_year(ctx, notice.year), "outcome": outcome, "recounted": recounted}


# -- showing years ------------------------------------------------------------------------------------


def year_view(calendar: WorkdayCalendar, year: int, row: CalendarYear | None, imports: list) -> dict:
    """What the service counts with in ``year``: official (with its source) or provisional."""
    if row is not None:
        holidays, workdays = row.days.get("holidays", []), row.days.get("workdays", [])
        source = {"title": row.title, "number": row.number, "origin": row.origin,
                  "loaded_at": iso(row.loaded_at), "loaded_by": row.loaded_by}
    else:
        statutory = statutory_days_off(year)
        if statutory is None:
            raise CalendarNotCovered(year)
        holidays, workdays = blocks_json(blocks_of(statutory)), []
        source = {"title": "《全国年节及纪念日放假办法》（2024年修订）的法定节假日及补假，未载入当年国务院放假安排通知",
                  "number": None, "origin": "statutory", "loaded_at": None, "loaded_by": None}
    return {
        "year": year,
        "status": "official" if row is not None else "provisional",
        "provisional": row is None,
        "source": source,
        "holidays": holidays,
        "workdays": workdays,
        "working_days": sum(calendar.is_working_day(date.fromordinal(d))
                            for d in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1)),
        "imports": [{"at": iso(e.at), "by": e.by, "origin": e.origin, "title": e.title, "number": e.number,
                     "outcome": e.outcome, "recounted": (e.detail or {}).get("recounted")} for e in imports],
    }


def show_year(ctx: EngineContext, year: int) -> dict:
    if not 1900 <= year <= 2200:
        raise NotFound(f"no calendar year {year}")
    calendar = ctx.calendar.current()
    with ctx.reader() as uow:
        return year_view(calendar, year, uow.calendar.get(year), uow.calendar.imports(year))


def calendar_status(ctx: EngineContext) -> dict:
    """The official years, the provisional ones near today and those near today that cannot be counted at
    all (for /api/health and the list of years)."""
    calendar = ctx.calendar.current()
    now = ctx.clock.now()
    return {"official_years": calendar.official_years(),
            "provisional_years": provisional_years_near(calendar, now),
            "uncovered_years": uncovered_years_near(calendar, now)}


def list_years(ctx: EngineContext, principal: Principal) -> dict:
    calendar = ctx.calendar.current()
    with ctx.reader() as uow:
        years = [{"year": r.year, "status": "official", "origin": r.origin, "title": r.title,
                  "number": r.number, "loaded_at": iso(r.loaded_at), "loaded_by": r.loaded_by}
                 for r in uow.calendar.all() if calendar.is_official(r.year)]
    return {**calendar_status(ctx), "years": years}


# -- counting again -----------------------------------------------------------------------------------


def reconcile(ctx: EngineContext, years: list[int] | None = None, actor: str = "system") -> int:
    """Count again every active application whose open due dates went through one of ``years`` (default:
    every official year from last year on) while it was provisional; the number whose dates moved."""
    calendar = ctx.calendar.current()
    if years is None:
        this_year = ctx.clock.now().astimezone(CHINA).year
        years = [y for y in calendar.official_years() if y >= this_year - 1]
    moved = 0
    for year in years:
        if not calendar.is_official(year):
            continue
        with ctx.reader() as uow:
            instance_ids = uow.calendar.instances_counted_through(year)
        for instance_id in instance_ids:
            moved += recount_instance(ctx, instance_id, actor)
    return moved


def _recount_deadline(found: dict, calendar: WorkdayCalendar) -> tuple[str, str] | None:
    """A handler's deadline in working days (``counted_from``, ``working_days``, ``due``) counted again;
    (old, new) when it moved. Its text, if any, says the new date."""
    start = date.fromisoformat(found["counted_from"])
    new_day = calendar.add_working_days(start, int(found["working_days"]))
    provisional = bool(calendar.provisional_years(start, new_day))
    old, new = found.get("due"), new_day.isoformat()
    if old == new and bool(found.get("provisional")) == provisional:
        return None
    if isinstance(found.get("text"), str) and old:
        old_text = old + (PROVISIONAL_MARK if found.get("provisional") else "")
        found["text"] = found["text"].replace(old_text, new + (PROVISIONAL_MARK if provisional else ""))
    found.update(due=new, provisional=provisional)
    return (old, new) if old != new else None


def _recount_handler_deadlines(workflow, calendar: WorkdayCalendar) -> list[dict]:
    """Deadlines handlers counted in working days (e.g. R2.8's visit to the police station), in notices
    and results, in every task's data (SpiffWorkflow copies data from task to task)."""
    moved: dict[tuple, dict] = {}
    for task in all_tasks(workflow):
        data = task.data
        found = [n for notices in (data.get("notices") or {}).values() for n in notices if isinstance(n, dict)]
        for result in (data.get("results") or {}).values():
            if isinstance(result, dict) and isinstance(result.get("visit"), dict):
                found.append(result["visit"])
        for entry in found:
            if entry.get("counted_from") and entry.get("working_days") is not None:
                change = _recount_deadline(entry, calendar)
                if change:
                    moved[change] = {"what": "notice", "name": "办理期限", "from": change[0], "to": change[1]}
    return list(moved.values())


def recount_instance(ctx: EngineContext, instance_id: str, actor: str = "system") -> bool:
    """Count one active application's open due dates again on the current calendar; True if any moved."""
    for _ in range(RECOUNT_ATTEMPTS):
        try:
            return _recount_once(ctx, instance_id, actor)
        except ConcurrentUpdate:  # a request or the worker saved it meanwhile: count again on its new state
            continue
    log.warning("instance %s: due dates not counted again (kept changing); the worker will retry", instance_id)
    return False


def _recount_once(ctx: EngineContext, instance_id: str, actor: str) -> bool:
    calendar = ctx.calendar.current()
    now = ctx.clock.now()
    with ctx.uow() as uow:
        instance = uow.instances.get(instance_id)
        if instance is None or instance.state != "active":
            return False
        counted_through = [int(y) for y in (instance.provisional_years or "").split(",") if y]
        workflow = ctx.load(uow, instance)
        summary = copy.deepcopy(instance.summary or {})
        changes = ctx.service_of(uow, instance).recount(summary, instance.created_at, calendar)
        for row in uow.tasks.open_for_instance(instance.id):
            task = workflow.get_task_from_id(UUID(row.id))
            new = due_at(task, row.created_at, calendar)
            if new != row.due_at:
                changes.append({"what": row.activity_id, "name": row.name, "from": iso(row.due_at), "to": iso(new)})
                row.due_at = new
            row.due_provisional = bool(calendar.provisional_years(row.created_at, new))
        for task, _ in waiting_timers(workflow):
            moved = recount_timer(task, calendar)
            if moved and moved[0] != moved[1]:
                changes.append({"what": f"timer:{task.task_spec.bpmn_id}", "name": task.task_spec.bpmn_name,
                                "from": iso(moved[0]), "to": iso(moved[1])})
        changes += _recount_handler_deadlines(workflow, calendar)
        instance.summary = summary
        ctx.save(uow, instance, workflow, [], actor, recounted=True)
        if changes:
            sources = [calendar.notice(y).source_text for y in counted_through if calendar.notice(y)]
            ctx.record(uow, instance.id, actor, "deadlines_recounted", at=now,
                       reason=_reason(changes, sources),
                       detail={"changes": changes, "years": [y for y in counted_through if calendar.is_official(y)],
                               "sources": sources})
        uow.commit()
        return bool(changes)


def _reason(changes: list[dict], sources: list[str]) -> str:
    """办结时限由…调整为…，依据…通知 (the promised date first, then the steps)."""
    labels = {"promised_by": "承诺办结时限"}
    parts = []
    for change in changes:
        if change["what"].startswith("timer:"):
            continue  # a step's overdue timer moves with its due date
        label = labels.get(change["what"]) or (
            "告知申请人的办理期限" if change["what"] == "notice" else f"“{change.get('name') or change['what']}”办结时限")
        parts.append(f"{label}由{chinese_day(change['from'], True)}调整为{chinese_day(change['to'])}")
    basis = "、".join(sources) or "已载入的国务院放假安排通知"
    return "；".join(parts or ["办结时限已按放假安排重新计算"]) + f"，依据{basis}"
