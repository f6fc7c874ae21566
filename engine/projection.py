"""What an instance looks like from outside, derived from its workflow: state, items, notices, return.

Computed at every save and stored with the instance (``summary``), so views never deserialize a workflow.
An instance that the eligibility decision refused ends ``refused`` with its ``refusals``. Each chosen item
carries its due date (:func:`stamp_due_dates`): the item's time limit from the ``time_limits`` decision
(``limits``), counted in working days from the day its first step started; before that, the date the whole
application is promised by.
"""

from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import TaskState

from forms.items import ITEMS_BY_CODE

from .bpmn.specs import ExternalTask, OutcomeEndEvent, ReviewTask
from .calendar import WorkdayCalendar
from .clock import iso
from .policy import due_by, promised_by
from .runtime import completed_tasks, item_of, tasks_in


def final_outcome(workflow: BpmnWorkflow) -> str | None:
    """None while running; else the ``outcome`` of the end event reached (``completed``, ``returned``,
    ``refused``)."""
    if not workflow.completed:
        return None
    outcomes = [
        task.task_spec.outcome
        for task in completed_tasks(workflow)
        if isinstance(task.task_spec, OutcomeEndEvent)
    ]
    special = [o for o in outcomes if o != "completed"]
    return special[0] if special else "completed"


def _latest_data(workflow: BpmnWorkflow) -> dict:
    """The data of the most recently finished task (at the end: everything merged on the way)."""
    if workflow.last_task is not None:
        return workflow.last_task.data
    return workflow.task_tree.data


def _merged_data(workflow: BpmnWorkflow) -> dict:
    """Results, notices and reviews from every live or finished branch."""
    merged: dict = {"results": {}, "steps": {}, "notices": {}, "reviews": {}}
    for task in tasks_in(workflow, TaskState.FINISHED_MASK | TaskState.READY | TaskState.WAITING):
        for key in merged:
            merged[key].update(task.data.get(key, {}))
    return merged


def summarize(workflow: BpmnWorkflow) -> dict:
    outcome = final_outcome(workflow)
    data = _merged_data(workflow)
    base = _latest_data(workflow)
    chosen = base.get("chosen", {})
    active_items = {
        item_of(task.task_spec)
        for task in tasks_in(workflow, TaskState.READY | TaskState.WAITING)
        if item_of(task.task_spec)
    }
    returned = None
    for activity_id, review in data["reviews"].items():
        if review.get("decision") == "return":
            spec = workflow.spec.task_specs.get(activity_id)
            returned = {
                "activity_id": activity_id,
                "activity_name": getattr(spec, "bpmn_name", None),
                "item": item_of(spec) if spec else None,
                "group": spec.candidate_groups[0] if isinstance(spec, ReviewTask) else None,
                "reason": review.get("reason"),
                "at": review.get("at"),
            }
    items = []
    for code, picked in chosen.items():
        if not picked:
            continue
        if returned and returned["item"] == code:
            status = "returned"
        elif code in active_items and outcome is None:
            status = "in_progress"
        elif code in data["results"]:
            status = "done"
        elif outcome is not None:
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
                "result": data["results"].get(code),
            }
        )
    items_of_topic = {spec.topic: item_of(spec) for spec in workflow.spec.task_specs.values()
                      if isinstance(spec, ExternalTask)}
    notices = [{**notice, "item": items_of_topic.get(topic)}
               for topic, topic_notices in data["notices"].items() for notice in topic_notices]
    return {
        "outcome": outcome,
        "items": items,
        "notices": notices,
        "returned": returned if outcome == "returned" else None,
        "refusals": (base.get("refusals") or []) if outcome == "refused" else None,
        "limits": base.get("limits"),
    }


STARTED = ("in_progress", "done", "returned")
FINISHED = ("done", "returned", "stopped")


def stamp_due_dates(summary: dict, previous: dict, created_at: datetime, now: datetime,
                    calendar: WorkdayCalendar) -> None:
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
    if not limits or summary.get("outcome") == "refused":
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
        due, provisional = (old.get("due_at"), bool(old.get("due_provisional"))) if old.get("started_at") \
            else (None, False)
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
    promised = iso(moment)
    if promised != summary["promised_by"]:
        changes.append({"what": "promised_by", "from": summary["promised_by"], "to": promised})
    summary.update(promised_by=promised, promised_provisional=bool(calendar.provisional_years(created_at, moment)))
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
            changes.append({"what": item["code"], "name": item.get("name"), "from": item.get("due_at"), "to": due})
        item.update(due_at=due, due_provisional=provisional)
    return changes
