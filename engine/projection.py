"""What an instance looks like from outside, derived from its workflow at every save and stored with it
(``summary``), so views never deserialize a workflow.

The engine's part is what every process has: the outcome (``completed``, ``returned``, ``refused``), the
review that returned it, the refusals of a refused start, and the handlers' notices; the service adds its
own (:meth:`engine.service.Projection.project`: e.g. a service's items and their due dates).
"""

from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import TaskState

from .bpmn.specs import ExternalTask, OutcomeEndEvent, ReviewTask
from .calendar import WorkdayCalendar
from .runtime import completed_tasks, item_of, tasks_in
from .service import Service, WorkflowFacts


def final_outcome(workflow: BpmnWorkflow) -> str | None:
    """None while running; else the ``outcome`` of the end event reached (``completed``, ``returned``,
    ``refused``)."""
    if not workflow.completed:
        return None
    outcomes = [
        task.task_spec.outcome for task in completed_tasks(workflow) if isinstance(task.task_spec, OutcomeEndEvent)
    ]
    special = [o for o in outcomes if o != "completed"]
    return special[0] if special else "completed"


def _latest_data(workflow: BpmnWorkflow) -> dict:
    """The data of the most recently finished task (at the end: everything merged on the way)."""
    if workflow.last_task is not None:
        return workflow.last_task.data
    return workflow.task_tree.data


def process_variables(workflow: BpmnWorkflow) -> dict:
    """The instance's variables as Camunda's clients read them: the data of every finished task, the latest
    last, then of the tasks waiting or ready now (at the end: everything merged on the way)."""
    found: dict = {}
    finished = sorted(tasks_in(workflow, TaskState.FINISHED_MASK), key=lambda task: task.last_state_change)
    for task in [*finished, *tasks_in(workflow, TaskState.READY | TaskState.WAITING | TaskState.STARTED)]:
        found.update(task.data)
    return found


def _merged_data(workflow: BpmnWorkflow) -> dict:
    """Results, notices and reviews from every live or finished branch."""
    merged: dict = {"results": {}, "steps": {}, "notices": {}, "reviews": {}}
    for task in tasks_in(workflow, TaskState.FINISHED_MASK | TaskState.READY | TaskState.WAITING):
        for key in merged:
            merged[key].update(task.data.get(key, {}))
    return merged


def workflow_facts(workflow: BpmnWorkflow) -> WorkflowFacts:
    data = _merged_data(workflow)
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
    active_items = frozenset(
        item_of(task.task_spec)
        for task in tasks_in(workflow, TaskState.READY | TaskState.WAITING)
        if item_of(task.task_spec)
    )
    return WorkflowFacts(final_outcome(workflow), _latest_data(workflow), data, active_items, returned)


def summarize(
    workflow: BpmnWorkflow,
    service: Service,
    previous: dict,
    created_at: datetime,
    now: datetime,
    calendar: WorkdayCalendar,
) -> dict:
    """The instance's summary: the engine's part, and the service's (:class:`~engine.service.Projection`)."""
    facts = workflow_facts(workflow)
    items_of_topic = {
        spec.topic: item_of(spec) for spec in workflow.spec.task_specs.values() if isinstance(spec, ExternalTask)
    }
    notices = [
        {**notice, "item": items_of_topic.get(topic)}
        for topic, topic_notices in facts.merged["notices"].items()
        for notice in topic_notices
    ]
    summary = {
        "outcome": facts.outcome,
        "notices": notices,
        "returned": facts.returned if facts.outcome == "returned" else None,
        "refusals": (facts.data.get("refusals") or []) if facts.outcome == "refused" else None,
    }
    summary.update(service.projection.project(facts, previous, created_at, now, calendar))
    return summary
