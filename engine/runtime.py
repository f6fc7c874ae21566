"""Stepping a workflow and reading what it waits for: user tasks, service tasks, timers, messages.

Requests only step the engine (gateways, events) until it waits; service tasks wait for the background
worker (``engine.worker``), which runs their handler and hands the result back with ``apply_result``.
Everything here works on one workflow object that belongs to one request or job: SpiffWorkflow has no
locks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task, TaskState

from engine.handlers import BusinessError, HandlerResult

from .bpmn.error_events import THROWN, throw_error
from .bpmn.script_engine import compile_juel
from .bpmn.specs import ExternalTask, ReviewTask
from .bpmn.timers import fire_time, resolve_time


@dataclass(frozen=True)
class StepRecord:
    """Something that happened in a step, for the history."""

    kind: str
    activity_id: str
    activity_name: str | None
    department: str | None
    item: str | None
    detail: dict
    reason: str | None = None


class _StaleTask(Exception):
    """A task in the library's ready list was cancelled meanwhile (e.g. by a terminate end event)."""


def _refuse_stale(task) -> None:
    if task.state != TaskState.READY:
        raise _StaleTask()


def advance(workflow: BpmnWorkflow) -> None:
    """Run the engine's own steps until the workflow waits (``do_engine_steps``, made safe).

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


def all_tasks(workflow: BpmnWorkflow) -> list:
    """Every task of the workflow and of its subprocesses, from their task tables.

    Much cheaper than walking the tree with ``get_tasks`` (which every save did several times), and it
    sees what ``get_tasks(state=COMPLETED)`` misses: completed tasks below a waiting one (a cycle timer's
    rounds).
    """
    found = list(workflow.tasks.values())
    for subprocess in workflow.subprocesses.values():
        found.extend(subprocess.tasks.values())
    return found


def tasks_in(workflow: BpmnWorkflow, state: TaskState) -> list:
    """Every task in one of the states of ``state`` (a mask)."""
    return [task for task in all_tasks(workflow) if task.state & state]


def completed_tasks(workflow: BpmnWorkflow) -> list:
    """Every completed task, including those below a waiting one (a cycle timer's rounds)."""
    return tasks_in(workflow, TaskState.COMPLETED)


def item_of(task_spec) -> str | None:
    return getattr(task_spec, "extensions", {}).get("item")


def ready_external_tasks(workflow: BpmnWorkflow):
    return [t for t in tasks_in(workflow, TaskState.READY) if isinstance(t.task_spec, ExternalTask)]


def ready_review_tasks(workflow: BpmnWorkflow):
    return [t for t in tasks_in(workflow, TaskState.READY) if isinstance(t.task_spec, ReviewTask)]


def waiting_timers(workflow: BpmnWorkflow) -> list[tuple[Task, datetime]]:
    """(task, fire time) of every timer event waiting."""
    found = []
    for task in tasks_in(workflow, TaskState.WAITING):
        moment = fire_time(task)
        if moment is not None:
            found.append((task, moment))
    return found


def counted_deadlines(workflow: BpmnWorkflow) -> list[dict]:
    """Deadlines handlers counted in working days and left in the process data for people to read (e.g.
    R2.8's visit to the police station): dicts with ``counted_from``, ``working_days`` and ``due`` in a task's
    ``notices`` or in a result's ``visit`` -- every copy of them (SpiffWorkflow copies data from task to
    task)."""
    found: list[dict] = []
    for task in all_tasks(workflow):
        data = task.data
        entries = [
            n
            for notices in (data.get("notices") or {}).values()
            if isinstance(notices, list)
            for n in notices
            if isinstance(n, dict)
        ]
        for result in (data.get("results") or {}).values():
            if isinstance(result, dict) and isinstance(result.get("visit"), dict):
                entries.append(result["visit"])
        found.extend(e for e in entries if e.get("counted_from") and e.get("working_days") is not None)
    return found


def waiting_messages(workflow: BpmnWorkflow) -> list[tuple[Task, str]]:
    """(task, message name) of every message catch event waiting."""
    found = []
    for task in tasks_in(workflow, TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, MessageEventDefinition):
            found.append((task, definition.name))
    return found


def apply_result(task, outcome: HandlerResult) -> StepRecord:
    """Complete a service task with its handler's result (``results[item]`` or ``steps[topic]``)."""
    spec: ExternalTask = task.task_spec
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


def refuse(task, error: BusinessError, variables: dict | None = None) -> StepRecord | None:
    """The handler refused the step with a business error: throw it as a BPMN error on the service task (with
    ``variables`` for the flow that catches it, as an external worker's ``bpmnError`` sends them). What
    happened, for the history, or None when nothing in the diagram catches it (the step stays as it was)."""
    spec: ExternalTask = task.task_spec
    catcher = throw_error(task, error.code, error.message)
    if catcher is None:
        return None
    if variables:
        catcher.data.update(variables)
    return StepRecord(
        kind="business_error",
        activity_id=spec.bpmn_id,
        activity_name=spec.bpmn_name,
        department=spec.topic.split(".", 1)[0],
        item=item_of(spec),
        detail={
            "topic": spec.topic,
            "code": error.code,
            "caught_by": catcher.task_spec.bpmn_id,
            "caught_by_task": str(catcher.id),
        },
        reason=error.message,
    )


MAX_STEP_KEY = 160  # the ledger keeps keys of up to 200 characters, with the handler's prefix


def step_key(instance_id: str, task) -> str:
    """The idempotency key of a service task's department call: what the step *is*, never an id minted by a
    run that a crash may repeat (the worker runs chains of service tasks from the last save, and the tasks
    that become ready inside a chain get new ids when it runs again).

    ``<instance>:<activity id>``, with the process of a subprocess or call activity before the activity,
    ``[i]`` for the position in a multi-instance or standard loop, and ``#n`` when the flow reaches the same
    activity an n-th time (a loop in the diagram) after n - 1 runs that completed it or ended in a BPMN
    error (a department's refusal: the run after the correction is a step of its own, never answered with
    the refusal). All of these are the same in every replay of a chain.
    """
    spec = task.task_spec
    path = []
    parent = task.parent
    child = task
    while parent is not None and isinstance(parent.task_spec, LoopTask):
        position = child.internal_data.get("key_or_index", child.internal_data.get("iteration"))
        path.append(f"[{position}]")
        child, parent = parent, parent.parent
    spec_id = child.task_spec.bpmn_id or spec.name
    earlier = sum(
        1
        for other in child.workflow.tasks.values()
        if other.task_spec is child.task_spec
        and other is not child
        and (other.state == TaskState.COMPLETED or THROWN in other.internal_data)
    )
    scope = "" if child.workflow is child.workflow.top_workflow else f"{child.workflow.spec.name}/"
    visit = f"#{earlier + 1}" if earlier else ""
    key = f"{instance_id}:{scope}{spec_id}{visit}{''.join(reversed(path))}"
    if len(key) > MAX_STEP_KEY:  # long activity ids: the same key every time, within the ledger's column
        key = f"{key[: MAX_STEP_KEY - 65]}~{hashlib.sha256(key.encode()).hexdigest()}"
    return key


def due_at(task, now: datetime, calendar) -> datetime | None:
    """A user task's due time from ``camunda:dueDate`` (a date-time, or a duration from now), for a task
    that became ready at ``now``, counted on the working-day ``calendar``."""
    text = task.task_spec.due_date
    if not text:
        return None
    return resolve_time(compile_juel(text).evaluate(task.data, now=now, calendar=calendar), now)


def assignee_of(task) -> str | None:
    """The user ``camunda:assignee`` names (a literal or a JUEL expression), if any."""
    text = task.task_spec.assignee
    if not text:
        return None
    value = compile_juel(text).evaluate(task.data, now=task.workflow.script_engine.clock.now())
    return str(value) if value else None


def set_start_variables(workflow: BpmnWorkflow, variables: dict) -> None:
    for task in tasks_in(workflow, TaskState.READY):
        task.data.update(variables)
