"""Running a workflow between two wait states: engine steps, external tasks, user-task due dates.

External (service) tasks are run here, in the step's transaction, by the handler of their topic; the
handler's result lands in the task data (``results[item]`` or ``steps[topic]``) before the task
completes, so the flow after it can use it. Everything here works on one workflow object that belongs
to one request: SpiffWorkflow has no locks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import TaskState

from handlers.base import HandlerError, ServiceCall
from handlers.registry import HandlerRegistry

from .bpmn.script_engine import compile_juel
from .bpmn.specs import ExternalTask, ReviewTask
from .errors import DepartmentFailed


@dataclass(frozen=True)
class StepRecord:
    """Something that happened in a step, for the history."""

    kind: str
    activity_id: str
    activity_name: str | None
    department: str | None
    item: str | None
    detail: dict


class _StaleTask(Exception):
    """A task in the library's ready list was cancelled meanwhile (e.g. by a terminate end event)."""


def _refuse_stale(task) -> None:
    if task.state != TaskState.READY:
        raise _StaleTask()


def engine_steps(workflow: BpmnWorkflow) -> None:
    """``do_engine_steps``, without running tasks a terminate end event cancelled mid-loop.

    SpiffWorkflow 3.2 runs every task of the ready list it took at the start of a pass, even one that a
    terminate end event cancelled during that pass, which revives the cancelled branch.
    """
    while True:
        try:
            workflow.do_engine_steps(will_complete_task=_refuse_stale)
            return
        except _StaleTask:
            if workflow.completed:
                return


def item_of(task_spec) -> str | None:
    return getattr(task_spec, "extensions", {}).get("item")


def ready_external_tasks(workflow: BpmnWorkflow):
    return [t for t in workflow.get_tasks(state=TaskState.READY) if isinstance(t.task_spec, ExternalTask)]


def ready_review_tasks(workflow: BpmnWorkflow):
    return [t for t in workflow.get_tasks(state=TaskState.READY) if isinstance(t.task_spec, ReviewTask)]


def run_until_wait(
    workflow: BpmnWorkflow,
    registry: HandlerRegistry,
    *,
    instance_id: str,
    business_key: str,
    now: datetime,
    ledger,
) -> list[StepRecord]:
    """Step the workflow, running every ready service task, until only user tasks or events wait."""
    records: list[StepRecord] = []
    engine_steps(workflow)
    while not workflow.completed:
        external = ready_external_tasks(workflow)
        if not external:
            break
        for task in external:
            if task.state == TaskState.READY:
                records.append(_run_external(task, registry, instance_id, business_key, now, ledger))
        engine_steps(workflow)
    return records


def _run_external(task, registry, instance_id, business_key, now, ledger) -> StepRecord:
    spec: ExternalTask = task.task_spec
    call = ServiceCall(
        topic=spec.topic,
        idempotency_key=f"{instance_id}:{task.id}",
        business_key=business_key,
        variables=task.data,
        now=now,
        ledger=ledger,
    )
    try:
        outcome = registry.get(spec.topic)(call)
    except HandlerError as err:
        raise DepartmentFailed(f"{spec.topic}: {err}") from err
    key = "results" if outcome.item else "steps"
    task.data.setdefault(key, {})[outcome.item or spec.topic] = outcome.result
    if outcome.notices:
        task.data.setdefault("notices", {})[spec.topic] = [n.to_dict() for n in outcome.notices]
    task.run()
    return StepRecord(
        kind="service_task_completed",
        activity_id=spec.bpmn_id,
        activity_name=spec.bpmn_name,
        department=spec.topic.split(".", 1)[0],
        item=outcome.item or item_of(spec),
        detail={"topic": spec.topic, "result": outcome.result},
    )


def due_at(task, now: datetime) -> datetime | None:
    """A user task's due time from ``camunda:dueDate``: an ISO date-time or an ISO duration from now."""
    text = task.task_spec.due_date
    if not text:
        return None
    value = compile_juel(text).evaluate(task.data)
    if isinstance(value, datetime):
        return value
    value = str(value).strip()
    if value.upper().startswith("P"):
        parsed = TimerEventDefinition.parse_iso_duration(value)
        return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
    parsed_time = datetime.fromisoformat(value)
    return parsed_time if parsed_time.tzinfo else parsed_time.replace(tzinfo=now.tzinfo)


def assignee_of(task) -> str | None:
    """The user ``camunda:assignee`` names (a literal or a JUEL expression), if any."""
    text = task.task_spec.assignee
    if not text:
        return None
    value = compile_juel(text).evaluate(task.data)
    return str(value) if value else None


def set_start_variables(workflow: BpmnWorkflow, variables: dict) -> None:
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(variables)


