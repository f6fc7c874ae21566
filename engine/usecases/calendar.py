"""The working-day calendar as operated data (R5.1): seeding it from the installed package, loading a year's
State Council notice, showing a year, and counting open dates again whenever the days they were counted on
change.

A year with a row in ``calendar_years`` is official; any other is provisional (its statutory holidays,
:mod:`engine.calendar.statutory`). Every save notes, per active application, the years its open dates were
counted through and the version of each year's days then (``instance_calendar_years``). Loading a notice is
one transaction (the year and the record of the import); then every active application counted through
that year on other days -- provisional or official, replaced or amended -- is counted again from its own
starts, each in its own transaction guarded by the instance's revision, with a history entry saying what
moved and why. Completed applications keep what they recorded. The worker runs :func:`reconcile` too, over
every year, so an application that another process counted with a calendar a few seconds old, or while
two loads raced, ends up counted on the last one.
"""

from __future__ import annotations

import copy
import logging
from datetime import date, datetime
from uuid import UUID

from SpiffWorkflow.exceptions import TaskNotFoundException

from ..bpmn.timers import recount_timer
from ..calendar import (
    WorkdayCalendar,
    YearNotice,
    blocks_json,
    blocks_of,
    package_notices,
    parse_notice,
    statutory_days_off,
)
from ..calendar.chinese import PROVISIONAL_MARK, chinese_day
from ..calendar.workdays import CalendarNotCovered
from ..clock import iso
from ..context import EngineContext
from ..errors import NotFound
from ..persistence.models import CalendarImport, CalendarYear
from ..persistence.unit_of_work import ConcurrentUpdate
from ..runtime import counted_deadlines, due_at, waiting_timers
from .oversight import provisional_years_near, uncovered_years_near

log = logging.getLogger(__name__)

RECOUNT_ATTEMPTS = 5


# -- loading years ------------------------------------------------------------------------------------


def _row(notice: YearNotice, origin: str, at: datetime, by: str) -> CalendarYear:
    return CalendarYear(
        year=notice.year,
        origin=origin,
        title=notice.title,
        number=notice.number,
        days=notice.days_json(),
        fingerprint=notice.fingerprint,
        loaded_at=at,
        loaded_by=by,
    )


def _record(notice: YearNotice, origin: str, at: datetime, by: str, outcome: str, detail: dict) -> CalendarImport:
    return CalendarImport(
        year=notice.year,
        at=at,
        by=by,
        origin=origin,
        title=notice.title,
        number=notice.number,
        fingerprint=notice.fingerprint,
        outcome=outcome,
        detail=detail,
    )


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
        log.info(
            "working-day calendar: %d year(s) loaded from %s (%d-%d)",
            len(added),
            notices[0].title,
            min(added),
            max(added),
        )
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
        recorded = uow.calendar.import_entry(entry_id)
        assert recorded is not None, "import records are never deleted"
        recorded.detail = {**recorded.detail, "recounted": recounted}
        uow.commit()
    return {**show_year(ctx, notice.year), "outcome": outcome, "recounted": recounted}


# -- showing years ------------------------------------------------------------------------------------


def year_view(calendar: WorkdayCalendar, year: int, row: CalendarYear | None, imports: list) -> dict:
    """What the service counts with in ``year``: official (with its source) or provisional."""
    if row is not None:
        holidays, workdays = row.days.get("holidays", []), row.days.get("workdays", [])
        source = {
            "title": row.title,
            "number": row.number,
            "origin": row.origin,
            "loaded_at": iso(row.loaded_at),
            "loaded_by": row.loaded_by,
        }
    else:
        statutory = statutory_days_off(year)
        if statutory is None:
            raise CalendarNotCovered(year)
        holidays, workdays = blocks_json(blocks_of(statutory)), []
        source = {
            "title": "《全国年节及纪念日放假办法》（2024年修订）的法定节假日及补假，未载入当年国务院放假安排通知",
            "number": None,
            "origin": "statutory",
            "loaded_at": None,
            "loaded_by": None,
        }
    return {
        "year": year,
        "status": "official" if row is not None else "provisional",
        "provisional": row is None,
        "source": source,
        "holidays": holidays,
        "workdays": workdays,
        "working_days": sum(
            calendar.is_working_day(date.fromordinal(d))
            for d in range(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal() + 1)
        ),
        "imports": [
            {
                "at": iso(e.at),
                "by": e.by,
                "origin": e.origin,
                "title": e.title,
                "number": e.number,
                "outcome": e.outcome,
                "recounted": (e.detail or {}).get("recounted"),
            }
            for e in imports
        ],
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
    return {
        "official_years": calendar.official_years(),
        "provisional_years": provisional_years_near(calendar, now),
        "uncovered_years": uncovered_years_near(calendar, now),
    }


def list_years(ctx: EngineContext) -> dict:
    """The official years loaded and the provisional and uncovered ones near today (whoever may see them: the
    routes decide; the command line lists them too)."""
    calendar = ctx.calendar.current()
    with ctx.reader() as uow:
        years = [
            {
                "year": r.year,
                "status": "official",
                "origin": r.origin,
                "title": r.title,
                "number": r.number,
                "loaded_at": iso(r.loaded_at),
                "loaded_by": r.loaded_by,
            }
            for r in uow.calendar.all()
            if calendar.is_official(r.year)
        ]
    return {**calendar_status(ctx), "years": years}


# -- counting again -----------------------------------------------------------------------------------


def reconcile(ctx: EngineContext, years: list[int] | None = None, actor: str = "system") -> int:
    """Count again every active application whose open dates were counted on days that are no longer the
    calendar's -- a year loaded, replaced or amended since, by this process or another, or dates counted on
    two versions at once (``years``: only those years); the number whose dates moved."""
    calendar = ctx.calendar.current()
    with ctx.reader() as uow:
        stale = [
            (year, version)
            for year, version in uow.counted.versions()
            if (years is None or year in years) and version != calendar.version(year)
        ]
        instance_ids = uow.counted.instances_counted_on(stale)
    return sum(recount_instance(ctx, instance_id, actor) for instance_id in instance_ids)


def _recount_deadline(found: dict, calendar: WorkdayCalendar) -> dict | None:
    """A handler's deadline in working days (``counted_from``, ``working_days``, ``due``) counted again; the
    change when its date moved. Its text, if any, says the new date."""
    start = date.fromisoformat(found["counted_from"])
    new_day = calendar.add_working_days(start, int(found["working_days"]))
    provisional = bool(calendar.provisional_years(start, new_day))
    old, was_provisional, new = found.get("due"), bool(found.get("provisional")), new_day.isoformat()
    if old == new and was_provisional == provisional:
        return None
    if isinstance(found.get("text"), str) and old:
        old_text = old + (PROVISIONAL_MARK if was_provisional else "")
        found["text"] = found["text"].replace(old_text, new + (PROVISIONAL_MARK if provisional else ""))
    found.update(due=new, provisional=provisional)
    if old == new:
        return None
    return {
        "what": "notice",
        "name": "办理期限",
        "from": old,
        "to": new,
        "from_provisional": was_provisional,
        "to_provisional": provisional,
    }


def _recount_handler_deadlines(workflow, calendar: WorkdayCalendar) -> list[dict]:
    """Deadlines handlers counted in working days (e.g. R2.8's visit to the police station), in every copy
    of them in the tasks' data."""
    moved: dict[tuple, dict] = {}
    for entry in counted_deadlines(workflow):
        change = _recount_deadline(entry, calendar)
        if change:
            moved[(change["from"], change["to"])] = change
    return list(moved.values())


def recount_instance(ctx: EngineContext, instance_id: str, actor: str = "system") -> bool:
    """Count one active application's open dates again on the current calendar; True if any moved."""
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
        changed_years = sorted(
            year for year, version in uow.counted.for_instance(instance.id).items() if version != calendar.version(year)
        )
        workflow = ctx.workflows.load(uow, instance, to_change=True)
        summary = copy.deepcopy(instance.summary or {})
        changes = ctx.service_of(uow, instance).projection.recount(summary, instance.created_at, calendar)
        for row in uow.tasks.open_for_instance(instance.id):
            try:
                task = workflow.get_task_from_id(UUID(row.id))
            except TaskNotFoundException:  # saved by another transaction between the two reads
                raise ConcurrentUpdate("the instance changed meanwhile") from None
            new = due_at(task, row.created_at, calendar)
            provisional = bool(calendar.provisional_years(row.created_at, new))
            if new != row.due_at:
                changes.append(
                    {
                        "what": row.activity_id,
                        "name": row.name,
                        "from": iso(row.due_at),
                        "to": iso(new),
                        "from_provisional": row.due_provisional,
                        "to_provisional": provisional,
                    }
                )
                row.due_at = new
            row.due_provisional = provisional
        for task, _ in waiting_timers(workflow):
            moved = recount_timer(task, calendar)
            if moved and moved[0] != moved[1]:
                changes.append(
                    {
                        "what": f"timer:{task.task_spec.bpmn_id}",
                        "name": task.task_spec.bpmn_name,
                        "from": iso(moved[0]),
                        "to": iso(moved[1]),
                    }
                )
        changes += _recount_handler_deadlines(workflow, calendar)
        ctx.workflows.save(uow, instance, workflow, [], actor, recounted=calendar, summary_from=summary)
        if changes:
            sources = _sources(calendar, changed_years)
            ctx.workflows.record(
                uow,
                instance.id,
                actor,
                "deadlines_recounted",
                at=now,
                reason=_reason(changes, sources),
                detail={"changes": changes, "years": changed_years, "sources": sources},
            )
        uow.commit()
        return bool(changes)


def _sources(calendar: WorkdayCalendar, years: list[int]) -> list[str]:
    """What the days of ``years`` now come from: each official year's notice, or the law."""
    sources = []
    for year in years:
        notice = calendar.notice(year)
        text = notice.source_text if notice else "《全国年节及纪念日放假办法》"
        if text not in sources:
            sources.append(text)
    return sources


def _reason(changes: list[dict], sources: list[str]) -> str:
    """办结时限由…调整为…，依据…通知 (the promised date first, then the steps); a date counted through a year
    without its notice says （预计）."""
    parts = []
    for change in changes:
        if change["what"].startswith("timer:"):
            continue  # a step's overdue timer moves with its due date
        label = change.get("label") or (
            "告知申请人的办理期限"
            if change["what"] == "notice"
            else f"“{change.get('name') or change['what']}”办结时限"
        )
        parts.append(
            f"{label}由{chinese_day(change['from'], bool(change.get('from_provisional')))}调整为"
            f"{chinese_day(change['to'], bool(change.get('to_provisional')))}"
        )
    basis = "、".join(sources) or "已载入的国务院放假安排通知"
    return "；".join(parts or ["办结时限已按放假安排重新计算"]) + f"，依据{basis}"
