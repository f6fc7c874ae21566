"""What an instance looks like from outside, derived from its workflow: state, items, notices, return.

Computed at every save and stored with the instance (``summary``), so views never deserialize a workflow.
"""

from __future__ import annotations

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import TaskState

from forms.items import ITEMS_BY_CODE

from .bpmn.specs import OutcomeEndEvent, ReviewTask
from .runtime import item_of


def final_outcome(workflow: BpmnWorkflow) -> str | None:
    """None while running; else the ``outcome`` of the end event reached (``completed``, ``returned``)."""
    if not workflow.completed:
        return None
    outcomes = [
        task.task_spec.outcome
        for task in workflow.get_tasks(state=TaskState.COMPLETED)
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
    for task in workflow.get_tasks(state=TaskState.FINISHED_MASK | TaskState.READY | TaskState.WAITING):
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
        for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING)
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
    notices = [notice for topic_notices in data["notices"].values() for notice in topic_notices]
    return {
        "outcome": outcome,
        "items": items,
        "notices": notices,
        "returned": returned if outcome == "returned" else None,
    }
