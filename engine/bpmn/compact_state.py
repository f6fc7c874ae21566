"""Our own format (``FORMAT``) for a workflow's tasks and data, about a quarter of the library's size.

The library's format (``serializer_version`` 1.5) writes for each task its id twice, its parent's id, its
children's ids, and its data as the top-level keys that changed from its parent's, each in full. Here a
task is written once, under its id, with its children (its parent is the task that lists it), short keys,
and its data as a nested patch of its parent's (:mod:`engine.bpmn.data_patch`): the application, each
department's result and each notice are stored once per instance, not again in every task that follows. A
workflow's own data (its final data once it completes) is a patch of its last task's.

    {"format": 2, "root": id, "last_task": id, "success": ..., "completed": ..., "correlations": {...},
     "data": patch, "tasks": {id: {"t": spec name, "s": state, "l": last state change, "c": [child ids],
     "g": true (triggered), "i": internal data, "d": patch of the parent's data, "D": data of a root}},
     "subprocesses": {task id: the same, with "spec" and "parent_task_id"}, "bpmn_events": [...]}

Parts that are empty or false are left out. States in the library's format still load
(:class:`engine.bpmn.serializer.StateOnlyWorkflowConverter`).
"""

from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.task import Task, TaskState

from . import data_patch

FORMAT = 2
FORMAT_KEY = "format"


def workflow_to_dict(workflow, registry) -> dict:
    """The top workflow (with its subprocesses and events) in our format, without its specs."""
    dct = {FORMAT_KEY: FORMAT, **_tasks_to_dict(workflow, registry)}
    dct["subprocesses"] = {
        str(task_id): {
            **_tasks_to_dict(sub, registry),
            "spec": sub.spec.name,
            "parent_task_id": str(sub.parent_task_id),
        }
        for task_id, sub in workflow.subprocesses.items()
    }
    dct["bpmn_events"] = registry.convert(workflow.bpmn_events)
    return dct


def _tasks_to_dict(workflow, registry) -> dict:
    tasks = {}
    for task in workflow.tasks.values():
        entry = {"t": task.task_spec.name, "s": task.state, "l": task.last_state_change}
        if task._children:
            entry["c"] = [str(child) for child in task._children]
        if task.triggered:
            entry["g"] = True
        if task.internal_data:
            entry["i"] = registry.convert(task.internal_data)
        parent = task.parent
        if parent is None:
            if task.data:
                entry["D"] = task.data
        else:
            patch = data_patch.diff(parent.data, task.data)
            if patch:
                entry["d"] = patch
        tasks[str(task.id)] = entry
    dct = {
        "root": str(workflow.task_tree.id),
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": tasks,
    }
    if workflow.correlations:
        dct["correlations"] = workflow.correlations
    data = registry.convert(registry.clean(workflow.data))
    if data:
        base = workflow.last_task.data if workflow.last_task is not None else {}
        dct["data"] = data_patch.diff(base, data)
    return dct


def workflow_from_dict(dct: dict, workflow, registry) -> None:
    """Restore ``dct`` (our format) into ``workflow``, a new top workflow made on its specs."""
    _tasks_from_dict(dct, workflow, registry)
    for task in list(workflow.tasks.values()):
        _subprocess_from_dict(dct["subprocesses"], task, workflow, registry)
    workflow.bpmn_events = registry.restore(dct.get("bpmn_events", []))


def _subprocess_from_dict(subprocesses: dict, task, top_workflow, registry) -> None:
    """The subprocess a task runs, if any, and theirs in turn (parents before children, as the library)."""
    if not isinstance(task.task_spec, SubWorkflowTask) or str(task.id) not in subprocesses:
        return
    dct = subprocesses[str(task.id)]
    spec = top_workflow.subprocess_specs.get(task.task_spec.spec)
    sub = BpmnSubWorkflow(spec, task.id, top_workflow, deserializing=True)
    _tasks_from_dict(dct, sub, registry)
    top_workflow.subprocesses[task.id] = sub
    sub.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
    for inner in list(sub.tasks.values()):
        _subprocess_from_dict(subprocesses, inner, top_workflow, registry)


def _tasks_from_dict(dct: dict, workflow, registry) -> None:
    entries = dct["tasks"]
    tasks = workflow.tasks
    events = workflow.top_workflow.event_manager
    for task_id, entry in entries.items():
        spec = workflow.spec.task_specs.get(entry["t"])
        task = Task(workflow, spec, state=entry["s"], id=UUID(task_id))  # adds itself to workflow.tasks
        task._children = [UUID(child) for child in entry.get("c", ())]
        task.last_state_change = entry["l"]
        task.triggered = entry.get("g", False)
        task.internal_data = registry.restore(entry["i"]) if "i" in entry else {}
        if isinstance(spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            events.add_task(task)
    for task in tasks.values():
        for child in task._children:
            tasks[child]._parent = task.id
    root = tasks[UUID(dct["root"])]
    workflow.task_tree = root
    root.data = entries[dct["root"]].get("D", {})
    filled = {root.id}
    pending = [root]
    while pending:  # each task's data from its parent's, parents first
        parent = pending.pop()
        for child_id in parent._children:
            child = tasks[child_id]
            child.data = data_patch.apply(parent.data, entries[str(child_id)].get("d", {}))
            filled.add(child_id)
            pending.append(child)
    for task in tasks.values():  # none is outside the tree; kept whole if ever one is
        if task.id not in filled:
            task.data = entries[str(task.id)].get("D", {})
    workflow.success = dct["success"]
    workflow.completed = dct.get("completed", False)
    workflow.correlations = dct.get("correlations", {})
    workflow.last_task = tasks.get(UUID(dct["last_task"])) if dct.get("last_task") else None
    base = workflow.last_task.data if workflow.last_task is not None else {}
    workflow.data = registry.restore(data_patch.apply(base, dct["data"])) if "data" in dct else {}
