"""Which projection rows a workflow's stored state has in the tables, noted on the workflow itself, so that a save
reads only the kinds of rows that can exist.

Only a save creates open user-task rows, jobs, message subscriptions and counted-year rows (others may change or
close them: a claim sets a task's assignee, a worker locks a job, an end from outside closes them all), and a save
leaves exactly the rows its state asks for. So the state at a revision says which kinds of rows the instance may
have: none of a kind when the state had no ready user task, no ready service task or waiting timer, no waiting
message. A save is guarded by the revision it loaded, so a save that relied on a stale note is rolled back.

The counted years are known exactly only for a workflow this process saved (``engine.workflow_cache``): the rows
its save left; a workflow loaded from the stored state reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import TaskState

from .bpmn.specs import ExternalTask, ReviewTask
from .bpmn.timers import fire_time
from .runtime import all_tasks

_NOTE = "_onething_projected_rows"


@dataclass(frozen=True)
class ProjectedRows:
    """What the instance's tables may hold for the workflow's state: open user tasks, jobs, subscriptions
    (False: certainly none), and its counted-year rows (year → version) when known exactly."""

    user_tasks: bool = True
    jobs: bool = True
    subscriptions: bool = True
    counted: dict[int, str] | None = None


NOTHING = ProjectedRows(user_tasks=False, jobs=False, subscriptions=False, counted={})
UNKNOWN = ProjectedRows()


def note(workflow: BpmnWorkflow, rows: ProjectedRows) -> None:
    """Note on the workflow which rows its current state has in the tables."""
    setattr(workflow, _NOTE, rows)


def noted(workflow: BpmnWorkflow) -> ProjectedRows:
    """What was noted on the workflow (every kind possible when nothing was)."""
    return getattr(workflow, _NOTE, UNKNOWN)


def of_state(workflow: BpmnWorkflow) -> ProjectedRows:
    """The kinds of rows a stored state has (as its last save left them), in one pass over its tasks."""
    user_tasks = jobs = subscriptions = False
    for task in all_tasks(workflow):
        state = task.state
        if state & TaskState.READY:
            spec = task.task_spec
            user_tasks = user_tasks or isinstance(spec, ReviewTask)
            jobs = jobs or isinstance(spec, ExternalTask)
        elif state & TaskState.WAITING:
            definition = getattr(task.task_spec, "event_definition", None)
            subscriptions = subscriptions or isinstance(definition, MessageEventDefinition)
            jobs = jobs or fire_time(task) is not None
    return ProjectedRows(user_tasks=user_tasks, jobs=jobs, subscriptions=subscriptions)
