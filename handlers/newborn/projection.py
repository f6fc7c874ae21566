"""The newborn service's part of an instance's summary (:attr:`engine.service.Service.project`): each chosen
item with its status, result and working-day due date, the time limits, the promised date (R5.1, R5.3, R2.7).

Each chosen item carries its due date (:func:`stamp_due_dates`): the item's time limit from the
``time_limits`` decision (``limits``), counted in working days from the day its first step started; before
that, the date the whole application is promised by.
"""

from __future__ import annotations

from datetime import datetime

from engine.calendar import WorkdayCalendar
from engine.clock import iso
from engine.service import WorkflowFacts
from forms.newborn.items import ITEMS_BY_CODE

from .policy import due_by, promised_by


def project(
    facts: WorkflowFacts, previous: dict, created_at: datetime, now: datetime, calendar: WorkdayCalendar
) -> dict:
    """Items, limits and due dates of the instance's summary."""
    items = []
    for code, picked in facts.data.get("chosen", {}).items():
        if not picked:
            continue
        if facts.returned and facts.returned["item"] == code:
            status = "returned"
        elif code in facts.active_items and facts.outcome is None:
            status = "in_progress"
        elif code in facts.merged["results"]:
            status = "done"
        elif facts.outcome is not None:
            status = "stopped"
        else:
            status = "pending"
        item = ITEMS_BY_CODE[code]
        items.append(
            {
                "code": code,
                "name": item.name,
                "department": item.department,
                "status": status,
                "result": facts.merged["results"].get(code),
            }
        )
    part = {"items": items, "limits": facts.data.get("limits")}
    stamp_due_dates(part, previous, created_at, now, calendar, outcome=facts.outcome)
    return part


STARTED = ("in_progress", "done", "returned")
FINISHED = ("done", "returned", "stopped")


def stamp_due_dates(
    summary: dict,
    previous: dict,
    created_at: datetime,
    now: datetime,
    calendar: WorkdayCalendar,
    outcome: str | None = None,
) -> None:
    """Give each item of ``summary`` its ``started_at``, ``finished_at``, ``due_at`` and ``due_provisional``
    (R5.1, R5.3, R2.7).

    An item started when it was first seen in progress (or done); its due date is its working-day limit from
    that moment, by the closing time if the region has one. Until then it is due by the promised date of the
    whole application (``promised_by``: the promised total from ``created_at``). Moments already stamped are
    kept from ``previous``. A date counted through a year whose holiday notice is not loaded is provisional
    (``promised_provisional``, ``due_provisional``). Without ``limits`` (a version without the time-limit
    table) nothing is stamped; a refused application has no due dates.
    """
    limits = summary.get("limits")
    if not limits or (outcome or summary.get("outcome")) == "refused":
        return
    if previous.get("promised_by"):
        promised, promised_provisional = previous["promised_by"], bool(previous.get("promised_provisional"))
    else:
        moment = promised_by(limits, created_at, calendar)
        promised, promised_provisional = iso(moment), bool(calendar.provisional_years(created_at, moment))
    summary.update(promised_by=promised, promised_provisional=promised_provisional)
    before = {item["code"]: item for item in previous.get("items", [])}
    for item in summary["items"]:
        old = before.get(item["code"], {})
        started = old.get("started_at") or (iso(now) if item["status"] in STARTED else None)
        finished = old.get("finished_at") or (iso(now) if item["status"] in FINISHED else None)
        due, provisional = (
            (old.get("due_at"), bool(old.get("due_provisional"))) if old.get("started_at") else (None, False)
        )
        if due is None and started:
            moment = due_by(limits, item["code"], datetime.fromisoformat(started), calendar)
            due, provisional = iso(moment), bool(calendar.provisional_years(datetime.fromisoformat(started), moment))
        if due is None:
            due, provisional = promised, promised_provisional
        item.update(started_at=started, finished_at=finished, due_at=due, due_provisional=provisional)


def recount_due_dates(summary: dict, created_at: datetime, calendar: WorkdayCalendar) -> list[dict]:
    """Count an active application's promised date and its unfinished items' due dates again on
    ``calendar`` (a holiday notice was loaded, R5.1), each from its own start; what changed
    (``{"what", "from", "to"}``). Finished items keep what they recorded."""
    limits = summary.get("limits")
    if not limits or summary.get("outcome") or not summary.get("promised_by"):
        return []
    changes = []
    moment = promised_by(limits, created_at, calendar)
    promised, provisional = iso(moment), bool(calendar.provisional_years(created_at, moment))
    if promised != summary["promised_by"]:
        changes.append(
            {
                "what": "promised_by",
                "label": "承诺办结时限",
                "from": summary["promised_by"],
                "to": promised,
                "from_provisional": bool(summary.get("promised_provisional")),
                "to_provisional": provisional,
            }
        )
    summary.update(promised_by=promised, promised_provisional=provisional)
    for item in summary.get("items", []):
        if item.get("finished_at"):
            continue
        if item.get("started_at"):
            started = datetime.fromisoformat(item["started_at"])
            moment = due_by(limits, item["code"], started, calendar)
            due, provisional = iso(moment), bool(calendar.provisional_years(started, moment))
        if not item.get("started_at") or moment is None:
            due, provisional = promised, summary["promised_provisional"]
        if due != item.get("due_at"):
            changes.append(
                {
                    "what": item["code"],
                    "label": f"“{item.get('name') or item['code']}”办结时限",
                    "name": item.get("name"),
                    "from": item.get("due_at"),
                    "to": due,
                    "from_provisional": bool(item.get("due_provisional")),
                    "to_provisional": provisional,
                }
            )
        item.update(due_at=due, due_provisional=provisional)
    return changes


def counted_spans(summary: dict, created_at: datetime) -> list[tuple[datetime, datetime]]:
    """The open dates of the summary counted on the calendar: the promised date, each unfinished item's."""
    spans = []
    if summary.get("promised_by"):
        spans.append((created_at, datetime.fromisoformat(summary["promised_by"])))
    for item in summary.get("items", []):
        if item.get("started_at") and not item.get("finished_at") and item.get("due_at"):
            spans.append((datetime.fromisoformat(item["started_at"]), datetime.fromisoformat(item["due_at"])))
    return spans
