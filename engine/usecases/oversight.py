"""Oversight views: an application's diagram with its progress marked, and service levels (R5.3, R8.4)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

from SpiffWorkflow.task import TaskState

from ..calendar import CalendarNotCovered, WorkdayCalendar
from ..clock import CHINA, iso
from ..context import EngineContext
from ..diagram import render_svg
from ..errors import InvalidInput, NotFound
from ..overdue import is_overdue, late_now
from ..persistence.models import AuditEvent
from ..runtime import completed_tasks, tasks_in
from ..users import Principal
from .access import check_instance_visible
from .deployments import definition_file
from .retention import archived_steps


def diagram_svg(ctx: EngineContext, principal: Principal, instance_id: str) -> str:
    """The instance's own process version, drawn with done, active and overdue steps marked."""
    now = ctx.clock.now()
    with ctx.reader() as uow:
        instance = check_instance_visible(principal, uow.instances.get(instance_id))
        definition = uow.definitions.get(instance.definition_id)
        if definition is None:  # instances refer to their version by a foreign key
            raise NotFound(f"process definition {instance.definition_id} does not exist")
        _, content = definition_file(uow, definition)
        done, active = archived_steps(instance), set()  # an archived instance's record says what it did
        if done is None:
            workflow = ctx.workflows.load(uow, instance)
            done = {t.task_spec.bpmn_id for t in completed_tasks(workflow)}
            active = {t.task_spec.bpmn_id for t in tasks_in(workflow, TaskState.READY | TaskState.WAITING)}
        overdue = {t.activity_id for t in uow.tasks.open_for_instance(instance.id) if late_now(t.due_at, now)}
    return render_svg(content, {d for d in done if d}, {a for a in active if a}, overdue)


def _years_near(now: datetime) -> range:
    """Last year, this year and the next two."""
    year = now.astimezone(CHINA).year
    return range(year - 1, year + 3)


def provisional_years_near(calendar: WorkdayCalendar, now: datetime) -> list[int]:
    """The years near today that have no holiday notice loaded and are counted provisionally (R5.1)."""
    return [y for y in _years_near(now) if not calendar.is_official(y) and calendar.covers(y)]


def uncovered_years_near(calendar: WorkdayCalendar, now: datetime) -> list[int]:
    """The years near today that cannot be counted at all: no notice loaded, statutory holidays not computable."""
    return [y for y in _years_near(now) if not calendar.covers(y)]


def _working_days(calendar: WorkdayCalendar, start: datetime, end: datetime) -> int | None:
    try:
        return calendar.working_days_between(start.astimezone(CHINA).date(), end.astimezone(CHINA).date())
    except CalendarNotCovered:
        return None  # reported as unknown rather than guessed (R5.1)


class _Tally:
    def __init__(self, calendar: WorkdayCalendar) -> None:
        self.calendar = calendar
        self.provisional: set[int] = set()
        self.handled = 0
        self.returned = 0
        self.overdue = 0  # late now, or finished late
        self.overdue_now = 0  # open and late now
        self.open = 0
        self.days: list[int] = []

    def add(self, task, now: datetime) -> None:
        if task.completed_at is not None and task.outcome == "cancelled":
            return
        self.overdue += is_overdue(task.due_at, now, task.completed_at)
        self.overdue_now += late_now(task.due_at, now, task.completed_at)
        if task.completed_at is None:
            self.open += 1
            if task.due_provisional:
                self.provisional.update(self.calendar.provisional_years(task.created_at, task.due_at))
            return
        self.handled += 1
        self.returned += task.outcome == "return"
        days = _working_days(self.calendar, task.created_at, task.completed_at)
        if days is not None:
            self.days.append(days)
            self.provisional.update(self.calendar.provisional_years(task.created_at, task.completed_at))

    def as_dict(self) -> dict:
        return {
            "handled": self.handled,
            "returned": self.returned,
            "open": self.open,
            "overdue": self.overdue,
            "overdue_now": self.overdue_now,
            "average_working_days": round(sum(self.days) / len(self.days), 2) if self.days else None,
            "max_working_days": max(self.days) if self.days else None,
            # working days or open due dates counted through a year whose notice is not loaded (R5.1)
            "provisional": bool(self.provisional),
            "provisional_years": sorted(self.provisional),
        }


@dataclass(frozen=True)
class Scope:
    """What a supervisor looks at: steps created in [``since``, ``until``), of one item, of one department
    (candidate group), in one district (a division code prefix, narrowed to the caller's jurisdictions)."""

    since: datetime | None = None
    until: datetime | None = None
    item: str | None = None
    department: str | None = None
    district: str | None = None

    def filters(self) -> dict:
        return {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in asdict(self).items()
            if value is not None
        }


EVERYTHING = Scope()


def _prefixes(principal: Principal, district: str | None) -> list[str]:
    """The caller's jurisdictions narrowed to ``district``: nothing outside them is ever seen."""
    if not district:
        return list(principal.jurisdictions)
    if not (district.isascii() and district.isdigit() and len(district) <= 12):
        raise InvalidInput("invalid district", {"district": ["a division code prefix, e.g. 6201"]})
    narrowed = {
        district if district.startswith(mine) else mine
        for mine in principal.jurisdictions
        if district.startswith(mine) or mine.startswith(district)
    }
    return sorted(narrowed)


def _in_scope(tasks: Iterable, scope: Scope) -> list:
    return [
        t
        for t in tasks
        if (scope.item is None or t.item == scope.item)
        and (scope.department is None or t.candidate_group == scope.department)
    ]


def service_levels(
    ctx: EngineContext, principal: Principal, since: datetime | None, until: datetime | None, scope: Scope = EVERYTHING
) -> dict:
    """Per item, department and clerk: handled, returned, working days taken, overdue (R8.4); ``scope``
    narrows to an item, a department, a district (its period is ``since`` and ``until``)."""
    now = ctx.clock.now()
    calendar = ctx.calendar.current()

    def tally() -> _Tally:
        return _Tally(calendar)

    by_item: dict[str, _Tally] = defaultdict(tally)
    by_department: dict[str, _Tally] = defaultdict(tally)
    by_clerk: dict[tuple[str, str], _Tally] = defaultdict(tally)
    with ctx.reader() as uow:
        for task in _in_scope(uow.tasks.in_jurisdictions(_prefixes(principal, scope.district), since, until), scope):
            if task.item:
                by_item[task.item].add(task, now)
            by_department[task.candidate_group].add(task, now)
            if task.completed_by:
                by_clerk[(task.completed_by, task.candidate_group)].add(task, now)
    return {
        "provisional_years": provisional_years_near(calendar, now),
        "uncovered_years": uncovered_years_near(calendar, now),
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "by_item": [
            {"item": code, "name": ctx.services.item_names.get(code, code), **t.as_dict()}
            for code, t in sorted(by_item.items())
        ],
        "by_department": [{"department": d, **t.as_dict()} for d, t in sorted(by_department.items())],
        "by_clerk": [{"clerk": c, "department": d, **t.as_dict()} for (c, d), t in sorted(by_clerk.items())],
    }


def overdue_now(ctx: EngineContext, principal: Principal, scope: Scope = EVERYTHING) -> list[dict]:
    """The open steps in the caller's jurisdictions past their due moment now (R5.3), longest overdue first;
    ``scope`` narrows to an item, a department, a district (a period does not apply: this is now)."""
    now = ctx.clock.now()
    groups = ctx.services.groups
    with ctx.reader() as uow:
        late = _in_scope(uow.tasks.late_in(_prefixes(principal, scope.district), now), scope)
        return [
            {
                "task_id": t.id,
                "instance_id": t.instance_id,
                "business_key": t.business_key,
                "name": t.name,
                "item": t.item,
                "group": t.candidate_group,
                "department": groups.get(t.candidate_group, t.candidate_group),
                "jurisdiction": t.jurisdiction,
                "due_at": iso(t.due_at),
                "provisional": bool(t.due_provisional),
                "assignee": t.assignee,
            }
            for t in late
        ]


# the tables a supervisor may export, and whether they name people (their export is then recorded)
EXPORTS = {"overdue": True, "items": False, "departments": False, "clerks": True}


def export(ctx: EngineContext, principal: Principal, table: str, scope: Scope) -> list[dict]:
    """One of the supervisors' tables (:data:`EXPORTS`) for a file; the export of a table naming people
    (clerks, the assignee of a late step) is recorded -- who, when, which table, the filters, how many rows."""
    if table not in EXPORTS:
        raise InvalidInput("unknown table", {"table": [f"one of {', '.join(EXPORTS)}"]})
    if table == "overdue":
        rows = overdue_now(ctx, principal, scope)
    else:
        levels = service_levels(ctx, principal, scope.since, scope.until, scope)
        rows = levels[{"items": "by_item", "departments": "by_department", "clerks": "by_clerk"}[table]]
    if EXPORTS[table]:
        with ctx.uow() as uow:
            uow.audit.record(
                AuditEvent(
                    at=ctx.clock.now(),
                    actor=principal.name,
                    kind="table_exported",
                    detail={"table": table, "filters": scope.filters(), "rows": len(rows)},
                )
            )
            uow.commit()
    return rows


def recent_exports(ctx: EngineContext, limit: int = 20) -> list[dict]:
    """The latest recorded exports (who, when, which table, the filters, how many rows), newest first."""
    with ctx.reader() as uow:
        return [
            {"at": iso(e.at), "by": e.actor, **e.detail} for e in uow.audit.recent(limit) if e.kind == "table_exported"
        ]
